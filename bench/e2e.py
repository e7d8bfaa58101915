#!/usr/bin/env python3
"""bench/e2e.py: end to end, the way a user runs it: loadgen -> tally -> a real VictoriaMetrics
(started here, fed through tally's Datadog output), with the floor receiver measured in the
same run. See bench/README.md ("End to end").

Steps, all in one run:
  1. calibrate: CALIB_RATE (4M/s) against the floor and against tally; tally's CPU-s per million
     gives the rate at which tally would use 60% of one core (capped at MAX_RATE, 16M/s);
  2. TRIALS (5) trials at that rate, alternately floor and tally; for each tally trial it waits
     until the flush holding it has reached VictoriaMetrics, then accounts:
       sent (loadgen)  vs  held (the sum VictoriaMetrics holds for bench.m*)
       vs  dropped (tally.packets.dropped, every reason, as tally reported it to the backend);
     (datagrams, times the lines per datagram); unaccounted = sent - held - dropped ~ 0;
  3. CPU-s per million metrics, floor and tally, at each rate, and their ratio.

Load: packed tagged counters, 8,000-byte datagrams (~205 lines of
bench.m<i>:1|c|#env:bench,svc:blast,k:<j>), 100 names x 10 values of k = 1,000 contexts.

usage: bench/e2e.py [--flush-interval 10] [--trials 5] [--rate R] [--seconds 2]
Only ever sends to 127.0.0.1. Prints one JSON line per trial and a summary table; writes
everything (tally config/log, VM log, trials) to bench/results/e2e-DATE/.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TAGS = "env:bench,svc:blast"
LOAD = ["--datagram-bytes", "8000", "--cardinality", "100", "--tag-cardinality", "10",
        "--type", "c", "--tags", TAGS]
API_KEY = "benchkey0123456789abcdef"


def log(*a):
    print("[%s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind((HOST, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def loadgen(port, rate, seconds):
    out = subprocess.run([os.path.join(BENCH, "loadgen"), "--host", HOST, "--port", str(port),
                          "--rate", str(rate), "--total", str(int(rate * seconds))] + LOAD,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


class Procs:
    """Every process started here, stopped at exit whatever happens."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Victoria:
    def __init__(self, procs, out_dir):
        self.bin = shutil.which("victoria-metrics")
        if not self.bin:
            raise SystemExit("e2e: victoria-metrics is not installed "
                             "(apt-get install victoria-metrics)")
        self.port = free_port(socket.SOCK_STREAM)
        self.dir = tempfile.mkdtemp(prefix="tally-bench-vm-")
        self.log = open(os.path.join(out_dir, "vm.log"), "w")
        self.proc = procs.start([self.bin, "-storageDataPath", os.path.join(self.dir, "data"),
                                 "-httpListenAddr", "%s:%d" % (HOST, self.port),
                                 "-search.latencyOffset=0s", "-search.disableCache",
                                 "-loggerLevel=ERROR"],
                                stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.healthy, 30, "victoria-metrics /health")

    @property
    def url(self):
        return "http://%s:%d" % (HOST, self.port)

    def healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError("victoria-metrics exited (see vm.log)")
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def export(self, match):
        urllib.request.urlopen(self.url + "/internal/force_flush", timeout=5).read()
        data = urllib.parse.urlencode({"match[]": match}).encode()
        with urllib.request.urlopen(self.url + "/api/v1/export", data=data, timeout=30) as r:
            return [json.loads(l) for l in r.read().decode().splitlines() if l.strip()]

    def series_count(self):
        urllib.request.urlopen(self.url + "/internal/force_flush", timeout=5).read()
        with urllib.request.urlopen(self.url + "/api/v1/series/count", timeout=30) as r:
            return int(json.loads(r.read().decode())["data"][0])

    def points(self, match):
        """{timestamp ms: sum of the values of every matching series at that timestamp}."""
        out = {}
        for s in self.export(match):
            for v, ts in zip(s["values"], s["timestamps"]):
                out[ts] = out.get(ts, 0) + v
        return out

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class LatencyProxy:
    """--intake-latency-ms: tally's dd_url points here; every request waits latency_ms, then
    goes on to VictoriaMetrics and its answer comes back. A remote intake's round trips and
    processing time, in front of a local backend (one thread per connection)."""

    def __init__(self, vm, latency_ms):
        target = vm.url

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(latency_ms / 1000)
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() in ("content-type", "content-encoding", "dd-api-key")}
                req = urllib.request.Request(target + self.path, data=body, headers=hdrs)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, out = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, out = e.code, e.read()
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://%s:%d" % (HOST, self.server.server_address[1])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Floor:
    name = "floor"

    def __init__(self, procs, out_dir, rcvbuf):
        self.port = free_port(socket.SOCK_DGRAM)
        self.out_path = os.path.join(out_dir, "floor.out")
        self.out = open(self.out_path, "w")
        ready = os.path.join(out_dir, "floor.ready")
        self.proc = procs.start([os.path.join(BENCH, "floor"), "--host", HOST, "--port",
                                 str(self.port), "--rcvbuf", str(rcvbuf), "--ready-file", ready],
                                stdout=self.out, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(ready) and os.path.getsize(ready) > 0, 5, "floor")

    def report(self):
        n = len(open(self.out_path).read().splitlines())
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: len(open(self.out_path).read().splitlines()) > n, 5, "floor report")
        return json.loads(open(self.out_path).read().splitlines()[n])

    def trial(self, rate, seconds):
        self.report()
        c0 = cpu_ticks(self.proc.pid)
        sent = loadgen(self.port, rate, seconds)
        got = drops = 0
        time.sleep(0.3)
        while True:
            r = self.report()
            got += r["metrics"]
            drops += r.get("kernel_drops", 0)
            if r["metrics"] == 0:
                break
            time.sleep(0.2)
        cpu = (cpu_ticks(self.proc.pid) - c0) / CLK_TCK
        return {"receiver": "floor", "rate": rate, "achieved": sent["rate"],
                "sent": sent["sent_metrics"], "received": got, "kernel_drops": drops,
                "loss": 1 - got / max(sent["sent_metrics"], 1), "cpu_s": cpu,
                "cpu_s_per_1M": cpu / max(got / 1e6, 1e-9)}


class TallyE2E:
    def __init__(self, procs, out_dir, vm, tally_bin, flush_interval, rcvbuf, extra,
                 name="tally", intake_url=None):
        # Each tally has its own hostname, so their series stay apart in the one backend.
        self.name = name
        self.host = "bench-" + name
        self.port = free_port(socket.SOCK_DGRAM)
        self.iv = flush_interval
        self.vm = vm
        empty = os.path.join(out_dir, "empty.d")
        os.makedirs(empty, exist_ok=True)
        cfg = os.path.join(out_dir, name + ".yaml")
        self.status_port = free_port(socket.SOCK_STREAM)
        base = ("hostname: %s\nbind_host: %s\ndogstatsd_port: %d\n"
                "dogstatsd_so_rcvbuf: %d\nflush_interval: %d\nlog_level: info\n"
                "log_file: %s\nstatus_listen: %s:%d\nconfd_path: %s\nchecksd_path: %s\n"
                "api_key: %s\ndd_url: %s/datadog\ndogstatsd_context_limit: 2000000\n"
                % (self.host, HOST, self.port, rcvbuf, flush_interval,
                   os.path.join(out_dir, name + ".log"), HOST,
                   self.status_port, empty, empty, API_KEY, intake_url or vm.url))
        # a key in extra replaces the generated line (no duplicate keys)
        extra_keys = {l.split(":", 1)[0] for l in extra.splitlines() if ":" in l}
        lines = [l for l in base.splitlines() if l.split(":", 1)[0] not in extra_keys]
        with open(cfg, "w") as f:
            f.write("# generated by bench/e2e.py\n" + "\n".join(lines) + "\n" + extra + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
        self.out = open(os.path.join(out_dir, name + ".out"), "w")
        self.proc = procs.start([tally_bin, "run", "-c", cfg], env=env, stdout=self.out,
                                stderr=subprocess.STDOUT)
        wait_for(self.bound, 5, "tally to bind its UDP port")

    def series_endpoint(self):
        """The Datadog output's series endpoint in tally's /status (sent, sent_bytes, ...),
        plus the output's num_workers."""
        url = "http://%s:%d/status" % (HOST, self.status_port)
        with urllib.request.urlopen(url, timeout=5) as r:
            doc = json.load(r)
        for o in doc.get("outputs", []):
            for ep in o.get("endpoints") or []:
                if o.get("output") == "datadog" and ep.get("endpoint") == "series":
                    return dict(ep, num_workers=o.get("num_workers", 1))
        return {}

    def bound(self):
        if self.proc.poll() is not None:
            raise RuntimeError("tally exited (see tally.out / tally.log)")
        want = ":%04X" % self.port
        with open("/proc/net/udp") as f:
            return any(l.split()[1].endswith(want) for l in list(f)[1:])

    def totals(self):
        """(bench metrics held, tally.metrics.received, tally.packets.dropped, newest flush):
        DogStatsD counters go out as rates (held = their sum times the flush interval), tally's
        own counters as counts."""
        h = ',host="%s"}' % self.host
        bench = self.vm.points('{__name__=~"bench[.]m.*"' + h)
        recv = self.vm.points('{__name__="tally.metrics.received"' + h)
        drop = self.vm.points('{__name__="tally.packets.dropped"' + h)
        return (round(sum(bench.values()) * self.iv), round(sum(recv.values())),
                round(sum(drop.values())), max(recv) if recv else 0)

    def settled(self, after_ms, want=None):
        """Waits for a flush stamped after after_ms in the backend, then until the backend
        holds every metric tally says it received (or nothing changed for 3 s); returns the
        totals."""
        deadline = time.time() + self.iv * 2 + 60
        prev, still = None, 0
        while time.time() < deadline:
            t = self.totals()
            if t[3] > after_ms:
                if want is not None and t[0] - want[0] == t[1] - want[1]:
                    return t
                still = still + 1 if t == prev else 0
                if still >= 6:
                    return t
            prev = t
            time.sleep(0.5)
        raise RuntimeError("the flush after the trial never reached the backend")

    def trial(self, rate, seconds):
        base = self.totals() if not hasattr(self, "last") else self.last
        # A flush boundary (a multiple of the interval, wall clock) falls mid-trial: what is
        # measured is receiving across a flush, where the stalls were.
        now = time.time()
        start = (now // self.iv + 1) * self.iv - seconds / 2
        while start < now + 0.1:
            start += self.iv
        time.sleep(start - now)
        c0 = cpu_ticks(self.proc.pid)
        sent = loadgen(self.port, rate, seconds)
        end_ms = time.time() * 1000
        self.last = self.settled(end_ms, base)
        cpu = (cpu_ticks(self.proc.pid) - c0) / CLK_TCK
        held, recv, drop = (self.last[i] - base[i] for i in range(3))
        n = sent["sent_metrics"]
        # tally.packets.dropped counts datagrams: in metrics, at this load's lines per datagram
        drop_metrics = round(drop * n / max(sent["sent_datagrams"], 1))
        return {"receiver": self.name, "rate": rate, "achieved": sent["rate"], "sent": n,
                "received": recv, "held": held, "dropped_datagrams": drop,
                "dropped_metrics": drop_metrics, "unaccounted": n - held - drop_metrics,
                "loss": 1 - held / max(n, 1), "cpu_s": cpu,
                "cpu_s_per_1M": cpu / max(recv / 1e6, 1e-9),
                "peak_rss_mb": peak_rss_kb(self.proc.pid) / 1024}


def memory_trial(t, vm, n, rate):
    """n distinct tagged gauges, each sent once at rate; then the time from the flush that
    carries them until the backend holds n more series, and tally's peak RSS."""
    base = vm.series_count()
    ep0 = t.series_endpoint()
    c0 = cpu_ticks(t.proc.pid)
    out = subprocess.run([os.path.join(BENCH, "loadgen"), "--host", HOST, "--port", str(t.port),
                          "--rate", str(rate), "--total", str(n), "--datagram-bytes", "8000",
                          "--cardinality", str(n), "--type", "g", "--tags", TAGS],
                         check=True, capture_output=True, text=True).stdout
    sent = json.loads(out.strip().splitlines()[-1])
    flush_at = (time.time() // t.iv + 1) * t.iv
    held, last_ack, total = 0, None, 0
    # Tally's /status is polled (cheap) every 0.2 s; the backend is counted only when tally
    # has nothing queued or in flight: counting forces VictoriaMetrics to flush, which costs
    # it CPU that the ingestion being measured would otherwise get.
    while time.time() < flush_at + 300:
        ep = t.series_endpoint()
        b = ep.get("sent_bytes", 0) - ep0.get("sent_bytes", 0)
        if b > total:
            total, last_ack = b, time.time()
        idle = not ep.get("queue_payloads") and not ep.get("requests_in_flight")
        if idle and total and time.time() > flush_at:
            held = vm.series_count() - base
            if held >= n:
                break
        time.sleep(0.2)
    done = time.time()
    ep = t.series_endpoint()
    payloads = ep.get("sent", 0) - ep0.get("sent", 0)
    return {"receiver": t.name, "phase": "memory", "contexts": n, "rate": rate,
            "sent": sent["sent_metrics"], "series_held": held,
            "backend_has_all_s_after_flush": round(done - flush_at, 1) if held >= n else None,
            # the backend acknowledged tally's last series request (within 0.2 s)
            "last_ack_s_after_flush": round(last_ack - flush_at, 1) if last_ack else None,
            "num_workers": ep.get("num_workers"), "series_payloads": payloads,
            "series_mb_compressed": round(total / 1e6, 1),
            "cpu_s": (cpu_ticks(t.proc.pid) - c0) / CLK_TCK,
            "peak_rss_mb": round(peak_rss_kb(t.proc.pid) / 1024, 1)}


def fmt_rate(r):
    return "%gM" % (r / 1e6) if r >= 1e6 else "%gk" % (r / 1e3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flush-interval", type=int, default=int(os.environ.get("FLUSH_INTERVAL",
                                                                             10)))
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2)
    ap.add_argument("--rate", type=int, default=0, help="skip the calibration, use this rate")
    ap.add_argument("--calib-rate", type=int, default=4000000)
    ap.add_argument("--max-rate", type=int, default=16000000)
    ap.add_argument("--share", type=float, default=0.6, help="of one core (0.6)")
    ap.add_argument("--rcvbuf", type=int, default=8388608)
    ap.add_argument("--tally", default=os.environ.get("TALLY_BIN", os.path.join(ROOT, "tally")))
    ap.add_argument("--compare", default="",
                    help="a second tally build, measured alternately with --tally (before/after)")
    ap.add_argument("--compare-extra-yaml", default=None,
                    help="config lines for the --compare tally (default: --extra-yaml); "
                    "with --compare the same build, to measure a setting")
    ap.add_argument("--extra-yaml", default=os.environ.get("TALLY_EXTRA_YAML", ""))
    ap.add_argument("--memory", type=int, default=0,
                    help="instead of the trials: N distinct tagged gauges, sent once; peak RSS "
                    "and how long until the backend holds them all")
    ap.add_argument("--memory-rate", type=int, default=500000)
    ap.add_argument("--intake-latency-ms", type=int, default=0,
                    help="put a proxy in front of VictoriaMetrics that delays every request "
                    "this long (a remote intake); e.g. with --memory and forwarder_num_workers")
    ap.add_argument("--out-dir", default=os.path.join(
        BENCH, "results", "e2e-" + time.strftime("%Y%m%d-%H%M%S")))
    a = ap.parse_args()
    a.tally = os.path.abspath(a.tally)
    a.compare = os.path.abspath(a.compare) if a.compare else ""
    os.makedirs(a.out_dir, exist_ok=True)
    procs = Procs()
    vm = proxy = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops what it started
    rows = []
    trials_path = os.path.join(a.out_dir, "trials.jsonl")

    def record(row):
        row["load"] = loadavg()
        rows.append(row)
        with open(trials_path, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)

    try:
        log("load average", loadavg(), "flush_interval", a.flush_interval, "->", a.out_dir)
        vm = Victoria(procs, a.out_dir)
        floor = Floor(procs, a.out_dir, a.rcvbuf)
        if a.intake_latency_ms:
            proxy = LatencyProxy(vm, a.intake_latency_ms)
        intake = proxy.url if proxy else None
        tally = TallyE2E(procs, a.out_dir, vm, a.tally, a.flush_interval, a.rcvbuf,
                         a.extra_yaml, intake_url=intake)
        tallies = [tally]
        if a.compare:
            tallies.append(TallyE2E(procs, a.out_dir, vm, a.compare, a.flush_interval,
                                    a.rcvbuf, a.extra_yaml if a.compare_extra_yaml is None
                                    else a.compare_extra_yaml, name="compare",
                                    intake_url=intake))
        if a.memory:
            for t in tallies:
                record(memory_trial(t, vm, a.memory, a.memory_rate))
            return
        rate = a.rate
        if not rate:
            fr = floor.trial(a.calib_rate, a.seconds)
            record(dict(fr, phase="calibrate"))
            tr = tally.trial(a.calib_rate, a.seconds)
            record(dict(tr, phase="calibrate"))
            per_metric = tr["cpu_s_per_1M"] / 1e6
            rate = int(min(a.max_rate, a.share / per_metric) // 100000 * 100000)
            log("tally costs %.4f CPU-s per 1M at %s/s: %.0f%% of a core is %s/s; trials at %s/s"
                % (tr["cpu_s_per_1M"], fmt_rate(a.calib_rate), a.share * 100,
                   fmt_rate(a.share / per_metric), fmt_rate(rate)))
        for i in range(a.trials):
            record(dict(floor.trial(rate, a.seconds), phase="trial", trial=i + 1))
            # alternate which build goes first, so neither always follows the floor
            for t in tallies[i % 2:] + tallies[:i % 2]:
                record(dict(t.trial(rate, a.seconds), phase="trial", trial=i + 1))
        for t in tallies:
            summary(rows, rate, a, t.name)
    finally:
        procs.stop_all()
        if proxy:
            proxy.stop()
        if vm:
            vm.cleanup()


def summary(rows, rate, a, name):
    t = [r for r in rows if r["phase"] == "trial" and r["receiver"] == name]
    f = [r for r in rows if r["phase"] == "trial" and r["receiver"] == "floor"]
    print("\n%s (%s): flush_interval %d s, %d trials of %g s at %s/s (packed tagged counters, "
          "1,000 contexts)" % (name, a.compare if name == "compare" else a.tally,
                               a.flush_interval, len(t), a.seconds, fmt_rate(rate)))
    print("trial  floor_loss  floor_cpu/1M  tally_sent  held       dropped(dgrams)  "
          "unaccounted  tally_loss  tally_cpu/1M  ratio")
    for fr, tr in zip(f, t):
        print("%-6d %-11s %-13.4f %-11d %-10d %-16d %-12d %-11s %-13.4f %.2f"
              % (tr["trial"], "%.3f%%" % (fr["loss"] * 100), fr["cpu_s_per_1M"], tr["sent"],
                 tr["held"], tr["dropped_datagrams"], tr["unaccounted"],
                 "%.3f%%" % (tr["loss"] * 100), tr["cpu_s_per_1M"],
                 tr["cpu_s_per_1M"] / max(fr["cpu_s_per_1M"], 1e-9)))
    sent = sum(r["sent"] for r in t)
    print("all    %-11s %-13s %-11d %-10d %-16d %-12d %-11s"
          % ("", "", sent, sum(r["held"] for r in t), sum(r["dropped_datagrams"] for r in t),
             sum(r["unaccounted"] for r in t),
             "%.3f%%" % (100 - 100 * sum(r["held"] for r in t) / max(sent, 1))))
    worst = max((r["loss"] for r in t), default=1)
    # A dropped datagram counts as the load's average lines per datagram; the last datagram
    # of a cycle holds fewer, so allow one line per dropped datagram of rounding. Drops the
    # kernel counted late in a trial can reach the backend with the next trial's flush, so
    # the verdict is on the whole run.
    print("worst tally loss %.3f%%; every metric accounted for (whole run): %s; peak RSS %.1f MB"
          % (worst * 100, abs(sum(r["unaccounted"] for r in t)) <=
             sum(r["dropped_datagrams"] for r in t),
             max((r["peak_rss_mb"] for r in t), default=0)))


if __name__ == "__main__":
    main()
