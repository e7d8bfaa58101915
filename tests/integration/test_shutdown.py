"""SIGTERM while a check is stuck in a syscall (tplug sleeping ten minutes in run()): the agent
stops scheduling, flushes and drains without waiting for the check, and exits 0 within
forwarder_stop_timeout + 5 s; the 3,000 increments received before the signal reach the console
and, through the Datadog output, a real VictoriaMetrics."""
import json
import shutil
import time
import urllib.request

from checktest import CheckDirs
from tallytest import Tally, run, wait_for
from victoria import Victoria

STOP_TIMEOUT = 3
CHECK_GRACE = 5  # TALLY_CHECKS_STOP_WAIT_S
INCREMENTS = 3000


def status(t):
    url = "http://127.0.0.1:%d/status" % t.status_port
    with urllib.request.urlopen(url, timeout=2) as r:
        return json.loads(r.read().decode())


def stuck_agent(d, extra=""):
    d.conf("tplug.yaml", "init_config:\ninstances:\n"
           "  - sleep_ms: 600000\n    timeout: 1\n    min_collection_interval: 1\n")
    t = Tally(flush_interval=3600, extra=d.config_keys() +
              "forwarder_stop_timeout: %d\n" % STOP_TIMEOUT + extra)
    t.start()
    return t


def send_and_stop(t):
    """Sends the increments, waits until the check is stuck and the agent counted them, then
    SIGTERM; returns the seconds it took to exit."""
    wait_for(lambda: "over its timeout" in t.stderr(), 10, "the check to be stuck")
    line = "\n".join(["shut.c:1|c|#case:stuck"] * 100)
    for _ in range(INCREMENTS // 100):
        t.send(line)
    wait_for(lambda: status(t)["dogstatsd"]["metrics"] >= INCREMENTS, 10, "3000 received")
    t0 = time.monotonic()
    rc = t.stop(timeout=STOP_TIMEOUT + CHECK_GRACE + 10)
    took = time.monotonic() - t0
    assert rc == 0, (rc, t.stderr()[-3000:])
    assert took < STOP_TIMEOUT + CHECK_GRACE + 1, (took, t.stderr()[-3000:])
    assert "abandoning a check run" in t.stderr(), t.stderr()[-3000:]
    return took


def test_console_output_exits_with_a_stuck_check():
    d = CheckDirs()
    try:
        t = stuck_agent(d)
        try:
            send_and_stop(t)
            assert round(t.total("shut.c", "case:stuck") * 3600) == INCREMENTS, t.stdout()
        finally:
            t.__exit__()
            shutil.rmtree(t.dir, ignore_errors=True)
    finally:
        shutil.rmtree(d.dir, ignore_errors=True)


def test_datadog_output_delivers_everything_with_a_stuck_check():
    d = CheckDirs()
    try:
        with Victoria() as vm:
            t = stuck_agent(d, "api_key: itkey0123456789abcdef\ndd_url: %s/datadog\n" % vm.url)
            try:
                send_and_stop(t)
                assert "undelivered" not in t.stderr(), t.stderr()[-3000:]
            finally:
                t.__exit__()
                shutil.rmtree(t.dir, ignore_errors=True)
            got = vm.sum_values('{__name__="shut.c",case="stuck"}') * 3600
            assert round(got) == INCREMENTS, got
    finally:
        shutil.rmtree(d.dir, ignore_errors=True)


if __name__ == "__main__":
    run([test_console_output_exits_with_a_stuck_check,
         test_datadog_output_delivers_everything_with_a_stuck_check])
