"""Start, stop, configuration errors and overrides of the real binary."""
import os
import subprocess
import tempfile
import time

from tallytest import TALLY_BIN, Tally, approx, free_port, run


def test_sigterm_flushes_the_partial_interval():
    with Tally(flush_interval=3600) as t:
        t.send("life.c:5|c\nlife.g:42|g")
        # Nothing is observable before a flush; give loopback delivery a moment, then stop.
        time.sleep(0.3)
        assert t.stop() == 0, t.stderr()
        fl = t.flushes()
        assert fl, t.stdout()
        assert fl[-1].find("life.g")[0][2] == 42
        assert approx(fl[-1].find("life.c")[0][2], 5 / 3600, 1e-5), fl[-1].series


def test_sigint_also_exits_zero():
    import signal
    with Tally() as t:
        t.proc.send_signal(signal.SIGINT)
        assert t.proc.wait(10) == 0


def test_configcheck_reports_file_line_col():
    d = tempfile.mkdtemp()
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("hostname: h\ndogstatsd_port: nope\n")
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", bad], capture_output=True, text=True)
    assert p.returncode != 0
    assert p.stderr.startswith(bad + ":2:"), p.stderr
    p = subprocess.run([TALLY_BIN, "run", "-c", bad], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and bad + ":2:" in p.stderr, p.stderr


def test_configcheck_prints_resolved_config_and_masks_key():
    d = tempfile.mkdtemp()
    good = os.path.join(d, "good.yaml")
    with open(good, "w") as f:
        f.write("api_key: abcdef0123456789secret\nflush_interval: 7\n")
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", good], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "flush_interval: 7" in p.stdout, p.stdout
    assert "abcdef0123456789secret" not in p.stdout and "ecret" in p.stdout


def test_env_overrides_file():
    port = free_port()
    with Tally(env={"DD_DOGSTATSD_PORT": str(port), "DD_TAGS": "env:it"}) as t:
        assert ("udp=127.0.0.1:%d" % port) in t.stderr(), t.stderr()
        t.port = port
        t.send("env.c:1|c")
        t.wait_series("env.c", "env:it")
        assert t.stop() == 0


def test_embedded_default_starts_on_8125():
    # Only when 8125 is free on this machine (a developer may run an agent there).
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 8125))
    except OSError:
        print("note: 8125 busy, embedded-default test skipped")
        return
    s.close()
    t = Tally(args=["run"])
    t.start()
    assert "udp=127.0.0.1:8125" in t.stderr() and "flush_interval=10" in t.stderr()
    assert t.stop() == 0


def test_port_in_use_is_one_clear_error():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    t = Tally(port=s.getsockname()[1])
    t.start(wait_ready=False)
    assert t.proc.wait(10) != 0
    assert "cannot bind udp" in t.stderr(), t.stderr()
    s.close()


def test_status_reports_listeners_and_counters():
    import json
    with Tally() as t:
        t.send("st.c:1|c\nst.c:2|c\n:bad|c")
        t.wait_series("st.c")
        p = subprocess.run([TALLY_BIN, "status", "--json", "-c", t.config_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        doc = json.loads(p.stdout)
        assert doc["listeners"][0]["type"] == "udp", doc
        assert doc["listeners"][0]["packets"] >= 1, doc
        assert doc["dogstatsd"]["metrics"] >= 2, doc
        assert doc["dogstatsd"]["parse_errors_by_reason"].get("empty_name", 0) >= 1, doc
        assert doc["outputs"][0]["type"] == "console", doc
        p = subprocess.run([TALLY_BIN, "status", "-c", t.config_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0 and "\nDogStatsD\n" in p.stdout, p.stdout + p.stderr
        assert t.stop() == 0
    p = subprocess.run([TALLY_BIN, "status", "-c", t.config_path], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode != 0 and "cannot reach the agent" in p.stderr, p.stderr


def test_version():
    p = subprocess.run([TALLY_BIN, "version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("tally "), p.stdout


if __name__ == "__main__":
    run([test_sigterm_flushes_the_partial_interval, test_sigint_also_exits_zero,
         test_configcheck_reports_file_line_col, test_configcheck_prints_resolved_config_and_masks_key,
         test_env_overrides_file, test_embedded_default_starts_on_8125,
         test_port_in_use_is_one_clear_error, test_status_reports_listeners_and_counters,
         test_version])
