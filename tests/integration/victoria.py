"""A real VictoriaMetrics for integration tests: started on free ports with its own data dir.

It accepts the Datadog v1 series intake (/datadog/api/v1/series), InfluxDB line protocol
(/write), Graphite plaintext (graphite_port) and Prometheus scrape configs, and answers queries,
so a test reads back exactly what Tally delivered.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from tallytest import free_port, skip, wait_for
import socket

VM_BIN = shutil.which("victoria-metrics")


class Victoria:
    def __init__(self, graphite=False, scrape_config=None, port=None, data_dir=None):
        if not VM_BIN:
            skip("victoria-metrics is not installed (apt-get install victoria-metrics)")
        self.port = port or free_port(socket.SOCK_STREAM)
        self.graphite_port = free_port(socket.SOCK_STREAM) if graphite else None
        self.dir = data_dir or tempfile.mkdtemp(prefix="tally-vm-")
        self.scrape_config = scrape_config
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        args = [VM_BIN, "-storageDataPath", os.path.join(self.dir, "data"),
                "-httpListenAddr", "127.0.0.1:%d" % self.port,
                "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR"]
        if self.graphite_port:
            args += ["-graphiteListenAddr", "127.0.0.1:%d" % self.graphite_port]
        if self.scrape_config:
            path = os.path.join(self.dir, "scrape.yaml")
            with open(path, "w") as f:
                f.write(self.scrape_config)
            args += ["-promscrape.config", path, "-promscrape.configCheckInterval=1s"]
        self.log = open(os.path.join(self.dir, "vm.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, 30, "victoria-metrics /health")
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError("victoria-metrics exited: " + open(self.log.name).read()[-2000:])
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def export(self, match):
        """Returns [(labels dict, [values], [timestamps ms])] for series matching `match`."""
        urllib.request.urlopen(self.url + "/internal/force_flush", timeout=5).read()
        data = urllib.parse.urlencode({"match[]": match}).encode()
        with urllib.request.urlopen(self.url + "/api/v1/export", data=data, timeout=10) as r:
            out = []
            for line in r.read().decode().splitlines():
                if line.strip():
                    j = json.loads(line)
                    out.append((j["metric"], j["values"], j["timestamps"]))
            return out

    def sum_values(self, match):
        return sum(sum(v) for _, v, _ in self.export(match))

    def query(self, promql):
        q = urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(self.url + "/api/v1/query?" + q, timeout=10) as r:
            return json.loads(r.read().decode())["data"]["result"]
