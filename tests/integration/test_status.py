"""The status API of a running agent: /status JSON fields, `tally status` (readable page and
--json), /health turning 503 with the reason when an output is dead, /live and /ready, and
`tally health` (exit 0 healthy, non-zero unhealthy or unreachable)."""
import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request

from checktest import TPLUG, CheckDirs
from tallytest import TALLY_BIN, Tally, free_port, run, wait_for

BAD_ABI = os.path.join(os.path.dirname(TPLUG), "bad_abi.so")
API_KEY = "itkey0123456789abcdef"


def get(t, path):
    """(HTTP status, body text) of GET path on t's status API."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (t.status_port, path),
                                    timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def tally(t, *args):
    return subprocess.run([TALLY_BIN] + list(args) + ["-c", t.config_path],
                          capture_output=True, text=True, timeout=30)


def agent(d, extra=""):
    d.install(BAD_ABI)
    d.conf("tplug.yaml", "init_config:\ninstances:\n"
           "  - value: 7\n    min_collection_interval: 1\n")
    return Tally(flush_interval=1, extra=d.config_keys() + extra)


def test_status_json_fields():
    d = CheckDirs()
    dead = free_port(socket.SOCK_STREAM)
    t = agent(d, "api_key: %s\ndd_url: http://127.0.0.1:%d/datadog\noutputs:\n"
              "  - type: console\n" % (API_KEY, dead))
    try:
        t.start()
        t.send("st.c:1|c\nst.g:2|g\nnot a metric")
        wait_for(lambda: json.loads(get(t, "/status")[1])["checks"][0]["runs"] >= 1, 10,
                 "a check run")
        wait_for(lambda: json.loads(get(t, "/status")[1])["dogstatsd"]["contexts"] >= 1, 10,
                 "a flush counting contexts")
        code, body = get(t, "/status")
        assert code == 200
        doc = json.loads(body)
        for k in ("version", "uptime_s", "hostname", "config_file", "listeners", "dogstatsd",
                  "checks", "check_errors", "refused_plugins", "outputs"):
            assert k in doc, (k, doc.keys())
        assert doc["hostname"] == "testhost" and doc["config_file"] == t.config_path
        udp = doc["listeners"][0]
        assert udp["type"] == "udp" and udp["packets"] >= 1 and "kernel_drops" in udp, udp
        assert udp["metrics"] >= 2 and udp["parse_errors"] >= 1, udp
        ds = doc["dogstatsd"]
        assert ds["metrics"] >= 2 and ds["parse_errors"] >= 1 and ds["contexts"] >= 1, ds
        c = doc["checks"][0]
        for k in ("last_run", "last_duration_ms", "metrics", "last_warning", "last_error"):
            assert k in c, (k, c)
        assert c["check"] == "tplug" and c["last_run"] > 0 and c["metrics"] >= 1, c
        refused = doc["refused_plugins"]
        assert refused and refused[0]["path"].endswith("bad_abi.so"), refused
        assert "ABI version" in refused[0]["reason"], refused
        assert any("bad_abi.so" in e for e in doc["check_errors"]), doc["check_errors"]
        outs = {o["type"]: o for o in doc["outputs"]}
        assert set(outs) == {"console", "datadog"}, outs
        for o in outs.values():
            for k in ("queue_bytes", "retries", "dropped_total", "last_error"):
                assert k in o, (k, o)
        assert outs["datadog"]["api_key"] == "***" + API_KEY[-5:], outs["datadog"]
        assert API_KEY not in body
        wait_for(lambda: json.loads(get(t, "/status")[1]) and
                 [o for o in json.loads(get(t, "/status")[1])["outputs"]
                  if o["type"] == "datadog"][0]["last_error"], 15, "the dead output's error")
        assert t.stop() == 0
    finally:
        t.__exit__()
        shutil.rmtree(t.dir, ignore_errors=True)
        shutil.rmtree(d.dir, ignore_errors=True)


def test_status_page_and_json():
    d = CheckDirs()
    t = agent(d)
    try:
        t.start()
        wait_for(lambda: json.loads(get(t, "/status")[1])["checks"][0]["runs"] >= 1, 10,
                 "a check run")
        p = tally(t, "status")
        assert p.returncode == 0, p.stderr
        lines = p.stdout.splitlines()
        for title in ("Agent", "DogStatsD", "Checks", "Outputs"):
            i = lines.index(title)
            assert set(lines[i + 1]) == {"="}, (title, p.stdout)
        assert "{" not in p.stdout and "[" not in p.stdout, p.stdout  # no raw JSON rows
        head = next(line for line in lines if line.strip().startswith("CHECK "))
        row = next(line for line in lines if line.strip().startswith("tplug "))
        for col in ("INSTANCE", "STATUS", "RUNS", "LAST RUN", "DURATION", "METRICS"):
            # aligned: each value starts under its header
            assert row[head.index(col)] != " " and row[head.index(col) - 1] == " ", (col, p.stdout)
        assert "Refused plugins (1)" in p.stdout and "bad_abi.so" in p.stdout, p.stdout
        assert "testhost" in p.stdout and "console" in p.stdout
        p = tally(t, "status", "--json")
        assert p.returncode == 0 and json.loads(p.stdout)["hostname"] == "testhost"
        assert t.stop() == 0
    finally:
        t.__exit__()
        shutil.rmtree(t.dir, ignore_errors=True)
        shutil.rmtree(d.dir, ignore_errors=True)


def test_health_turns_503_when_an_output_is_dead():
    d = CheckDirs()
    t = agent(d)
    try:
        t.start()
        wait_for(lambda: get(t, "/health")[0] == 200, 10, "healthy")
        assert get(t, "/live")[0] == 200 and get(t, "/ready")[0] == 200
        p = tally(t, "health")
        assert p.returncode == 0 and p.stdout.startswith("healthy"), (p.stdout, p.stderr)
        assert t.stop() == 0
    finally:
        t.__exit__()
        shutil.rmtree(t.dir, ignore_errors=True)
    dead = free_port(socket.SOCK_STREAM)
    t = agent(d, "api_key: %s\ndd_url: http://127.0.0.1:%d/datadog\n" % (API_KEY, dead))
    try:
        t.start()
        wait_for(lambda: get(t, "/health")[0] == 503, 15, "/health 503")
        code, body = get(t, "/health")
        reason = json.loads(body)["reason"]
        assert "output datadog" in reason and "errors" in reason, reason
        assert get(t, "/live")[0] == 200
        p = tally(t, "health")
        assert p.returncode != 0 and p.stdout.startswith("unhealthy: output datadog"), p.stdout
        assert t.stop() == 0
        p = tally(t, "health")
        assert p.returncode != 0 and "cannot reach" in p.stderr, (p.stdout, p.stderr)
    finally:
        t.__exit__()
        shutil.rmtree(t.dir, ignore_errors=True)
        shutil.rmtree(d.dir, ignore_errors=True)


if __name__ == "__main__":
    run([test_status_json_fields, test_status_page_and_json,
         test_health_turns_503_when_an_output_is_dead])
