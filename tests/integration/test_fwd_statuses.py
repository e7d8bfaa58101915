"""The forwarder's outcome table end to end, against a small fake intake (http.server in a
thread) that answers what each test asks: 500/429/404/408 retried then delivered once, 400/413
dropped and counted, 403 dropped with one "invalid API key" line, a hanging intake cut off by
forwarder_timeout and retried — while UDP receiving and the console output carry on."""
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tallytest import Tally, run, wait_for

API_KEY = "statuskey0123456789zz"


class Intake:
    """A Datadog-like intake whose answer is set by the test: an HTTP status or "hang"."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answer = 202
        self.requests = []  # dicts: path, headers, status, body (parsed JSON or None)
        self.release = threading.Event()
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "deflate":
                    body = zlib.decompress(body)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with intake.lock:
                    status = intake.answer
                    intake.requests.append({"path": self.path, "status": status,
                                            "headers": dict(self.headers), "body": parsed})
                if status == "hang":
                    intake.release.wait(60)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"ok"}' if status < 300 else b'{"errors":["no"]}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def set(self, answer):
        with self.lock:
            self.answer = answer

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answered(self, status, since=0):
        """How many requests got `status`, counting from request number `since`."""
        with self.lock:
            return len([r for r in self.requests[since:] if r["status"] == status])

    def series_requests(self, metric, tag, status=None):
        """Requests to /api/v1/series holding a non-zero `metric` tagged `tag` (answered
        `status`). Idle counters keep reporting 0 for a while; those do not count."""
        with self.lock:
            reqs = list(self.requests)
        out = []
        for r in reqs:
            if not r["path"].endswith("/api/v1/series") or not r["body"]:
                continue
            if status is not None and r["status"] != status:
                continue
            if any(s["metric"] == metric and tag in s["tags"] and any(p[1] for p in s["points"])
                   for s in r["body"]["series"]):
                out.append(r)
        return out

    def delivered(self, metric, tag):
        """Sum of value * interval of `metric` over requests answered 2xx (the count)."""
        total = 0
        for r in self.series_requests(metric, tag):
            if isinstance(r["status"], int) and 200 <= r["status"] < 300:
                for s in r["body"]["series"]:
                    if s["metric"] == metric and tag in s["tags"]:
                        total += sum(p[1] for p in s["points"]) * s["interval"]
        return total


def config(intake, more=""):
    return ("api_key: %s\n"
            "dd_url: %s\n"
            "outputs:\n"
            "  - type: console\n" % (API_KEY, intake.url)) + more


def test_retried_codes_are_delivered_once():
    intake = Intake()
    try:
        with Tally(flush_interval=1, extra=config(intake)) as t:
            for code in (500, 429, 404, 408):
                tag = "code:%d" % code
                since = len(intake.requests)
                intake.set(code)
                t.send("st.r:1|c|#%s" % tag)
                # older payloads may still be queued ahead of this one: once anything failed,
                # the intake recovers, and everything queued must then arrive
                wait_for(lambda: intake.answered(code, since), 10, "a request answered %d" % code)
                intake.set(202)
                wait_for(lambda: intake.delivered("st.r", tag) >= 1, 15,
                         "st.r %s delivered after the %d" % (tag, code))
            time.sleep(1.5)
            for code in (500, 429, 404, 408):
                assert intake.delivered("st.r", "code:%d" % code) == 1, code
            h = intake.series_requests("st.r", "code:500")[0]["headers"]
            assert h["DD-API-KEY"] == API_KEY and h["Content-Type"] == "application/json", h
            # the last retry's count leaves with the agent's next flush, not this one
            wait_for(lambda: t.total("tally.forwarder.retried", "endpoint:series",
                                     "output:datadog") >= 4, 5, "tally.forwarder.retried >= 4")
            assert t.stop() == 0
    finally:
        intake.stop()


def test_dropped_codes_are_counted_and_403_logged_once():
    intake = Intake()
    try:
        with Tally(flush_interval=1, extra=config(intake)) as t:
            for code in (400, 413):
                tag = "code:%d" % code
                intake.set(code)
                t.send("st.d:1|c|#%s" % tag)
                wait_for(lambda: intake.series_requests("st.d", tag, code), 10,
                         "a request answered %d" % code)
                reason = "reason:http_%d" % code
                wait_for(lambda: t.total("tally.forwarder.dropped", "endpoint:series",
                                         reason) >= 1, 10, "dropped %s counted" % reason)
            intake.set(403)
            t.send("st.d:1|c|#code:403")
            wait_for(lambda: len(intake.series_requests("st.d", "code:403", 403)) >= 1, 10,
                     "a request answered 403")
            n403 = len([r for r in intake.requests if r["status"] == 403])
            wait_for(lambda: len([r for r in intake.requests if r["status"] == 403]) >= n403 + 3,
                     10, "three more flushes answered 403")
            wait_for(lambda: t.total("tally.forwarder.dropped", "endpoint:series",
                                     "reason:http_403") >= 2, 10, "dropped http_403 counted")
            intake.set(202)
            t.send("st.d:1|c|#code:ok")
            wait_for(lambda: intake.delivered("st.d", "code:ok") == 1, 10, "delivery after 403")
            # dropped payloads were never sent again
            for code in (400, 413, 403):
                assert len(intake.series_requests("st.d", "code:%d" % code)) == 1, code
            assert intake.delivered("st.d", "code:400") == 0
            assert t.stop() == 0
            err = t.stderr()
            assert err.count("invalid API key") == 1, err
            assert "api_key=***789zz" in err, err
            assert API_KEY not in err and API_KEY not in t.stdout()
    finally:
        intake.stop()


def test_hanging_intake_times_out_retries_and_never_stalls_receiving():
    intake = Intake()
    intake.set("hang")
    try:
        with Tally(flush_interval=1, extra=config(intake, "forwarder_timeout: 1.5\n")) as t:
            sent = 0
            start = time.time()
            n_flushes = len(t.flushes())
            while time.time() - start < 5:
                t.send("st.h:1|c|#phase:hang")
                sent += 1
                time.sleep(0.25)
            # the console kept flushing every second, with every increment, meanwhile
            wait_for(lambda: t.total("st.h", "phase:hang") == sent, 5, "console total")
            assert len(t.flushes()) - n_flushes >= 4, len(t.flushes()) - n_flushes
            wait_for(lambda: "timed out" in t.stderr(), 5, "a timeout logged")
            assert "request failed, will retry" in t.stderr()
            intake.set(202)
            intake.release.set()
            wait_for(lambda: intake.delivered("st.h", "phase:hang") >= sent, 30,
                     "hung payloads delivered after recovery")
            time.sleep(1.5)
            assert intake.delivered("st.h", "phase:hang") == sent
            assert t.stop() == 0
    finally:
        intake.stop()


if __name__ == "__main__":
    run([test_retried_codes_are_delivered_once,
         test_dropped_codes_are_counted_and_403_logged_once,
         test_hanging_intake_times_out_retries_and_never_stalls_receiving])
