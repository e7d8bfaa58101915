"""forwarder_num_workers end to end, against a slow fake intake (http.server, one thread per
connection) that sleeps on every request and records how many /api/v1/series requests it
holds at once: with 4 workers up to 4 are in flight and never more, with the default only one;
while the intake answers 500 only one request probes at a time; and every counter increment
sent is delivered exactly once (nothing lost, nothing duplicated by the parallel retries)."""
import json
import threading
import time
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tallytest import Tally, run, wait_for

API_KEY = "workerskey0123456789ab"


class SlowIntake:
    """Answers `status` after `delay` seconds; counts concurrent series requests."""

    def __init__(self, delay, status=202):
        self.lock = threading.Lock()
        self.delay = delay
        self.status = status
        self.cur = 0
        self.max = {}  # status answered -> most series requests in flight at once among them
        self.requests = []  # (status, parsed body) of series requests
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                series = self.path.endswith("/api/v1/series")
                with intake.lock:
                    status = intake.status
                    if series:
                        intake.cur += 1
                        intake.max[status] = max(intake.max.get(status, 0), intake.cur)
                if series:
                    time.sleep(intake.delay)
                if self.headers.get("Content-Encoding") == "deflate":
                    body = zlib.decompress(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")
                if series:
                    with intake.lock:
                        intake.cur -= 1
                        intake.requests.append((status, json.loads(body)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def set(self, status):
        with self.lock:
            self.status = status

    def max_in_flight(self, status=None):
        with self.lock:
            if status is not None:
                return self.max.get(status, 0)
            return max(self.max.values(), default=0)

    def answered(self, status):
        with self.lock:
            return len([r for r in self.requests if r[0] == status])

    def delivered(self, metric, tag):
        """Sum of value * interval of `metric` tagged `tag` over requests answered 2xx, and
        the timestamps of its non-zero points (each must arrive once)."""
        total, stamps = 0, []
        with self.lock:
            reqs = [b for s, b in self.requests if 200 <= s < 300]
        for body in reqs:
            for s in body["series"]:
                if s["metric"] == metric and tag in s["tags"]:
                    total += sum(p[1] for p in s["points"]) * s["interval"]
                    stamps += [p[0] for p in s["points"] if p[1]]
        return round(total), stamps

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def config(intake, workers):
    return ("api_key: %s\n"
            "dd_url: %s\n"
            "outputs:\n"
            "  - type: console\n"
            "forwarder_timeout: 30\n" % (API_KEY, intake.url)
            + ("forwarder_num_workers: %d\n" % workers if workers else ""))


def series_status(t):
    """The datadog output's series endpoint in the agent's /status, with num_workers."""
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % t.status_port, timeout=5) as r:
        doc = json.load(r)
    out = [o for o in doc["outputs"] if o.get("output") == "datadog"][0]
    ep = [e for e in out["endpoints"] if e["endpoint"] == "series"][0]
    return dict(ep, num_workers=out["num_workers"])


def send_for(t, seconds, tag):
    """Sends fw.c:1|c|#tag ten times a second; returns how many were sent."""
    sent = 0
    end = time.time() + seconds
    while time.time() < end:
        t.send("fw.c:1|c|#%s" % tag)
        sent += 1
        time.sleep(0.1)
    return sent


def check_all_delivered_once(intake, t, sent, tag, timeout):
    wait_for(lambda: intake.delivered("fw.c", tag)[0] >= sent, timeout,
             "%d increments delivered" % sent)
    # the console has them all too: nothing was lost before the forwarder either
    assert t.total("fw.c", tag) == sent, (t.total("fw.c", tag), sent)
    time.sleep(2)  # late duplicates would land now
    total, stamps = intake.delivered("fw.c", tag)
    assert total == sent, (total, sent)
    assert len(stamps) == len(set(stamps)), "a flush delivered twice: %s" % sorted(stamps)


def test_four_workers_fill_up_against_a_slow_intake():
    # 4 s per request, one payload per 1 s flush: the fourth starts before the first ends
    intake = SlowIntake(4.0)
    try:
        with Tally(flush_interval=1, extra=config(intake, 4)) as t:
            assert series_status(t)["num_workers"] == 4
            sent = send_for(t, 6, "run:slow4")
            wait_for(lambda: intake.max_in_flight() >= 4, 10, "4 series requests in flight")
            # tally status says so too (a fifth payload is already waiting by now)
            wait_for(lambda: series_status(t)["requests_in_flight"] == 4, 5,
                     "status requests_in_flight 4")
            check_all_delivered_once(intake, t, sent, "run:slow4", 30)
            assert intake.max_in_flight() == 4, intake.max
            assert t.stop() == 0
    finally:
        intake.stop()


def failing_then_slow(workers, tag):
    """The intake answers 500 for 6 s, then 202 after 0.5 s each; returns the intake."""
    intake = SlowIntake(0.5, status=500)
    try:
        with Tally(flush_interval=1, extra=config(intake, workers)) as t:
            sent = send_for(t, 6, tag)
            assert intake.answered(500) >= 1, "the intake was never asked"
            intake.set(202)
            # the breaker's next probe is at most 8 s away (second backoff: 4-8 s)
            check_all_delivered_once(intake, t, sent, tag, 40)
            wait_for(lambda: t.total("tally.forwarder.retried", "endpoint:series") >= 1, 5,
                     "tally.forwarder.retried counted")
            assert t.total("tally.forwarder.dropped", "endpoint:series") == 0
            assert t.stop() == 0
        return intake
    finally:
        intake.stop()


def test_failing_intake_gets_one_probe_then_four_workers():
    intake = failing_then_slow(4, "run:fail4")
    # while failing, requests went one at a time (the first, then one probe per backoff)
    assert intake.max_in_flight(500) == 1, intake.max
    # the backlog went out four at a time once a probe succeeded
    assert intake.max_in_flight(202) == 4, intake.max


def test_default_is_one_request_at_a_time():
    intake = failing_then_slow(0, "run:fail1")
    assert intake.max_in_flight() == 1, intake.max


if __name__ == "__main__":
    run([test_four_workers_fill_up_against_a_slow_intake,
         test_failing_intake_gets_one_probe_then_four_workers,
         test_default_is_one_request_at_a_time])
