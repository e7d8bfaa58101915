"""The docker check never stalls: a socket that accepts and never answers, one that answers
garbage, one that answers HTTP errors, and a missing socket each fail the run within the
timeout with docker.service_up CRITICAL and the reason; `tally run` with a hanging docker
socket keeps receiving DogStatsD. Needs no engine (fake sockets served by this script)."""
import os
import shutil
import socket
import tempfile
import threading
import time

import dockertest
from dockertest import DockerDirs
from tallytest import run

TMP = tempfile.mkdtemp(prefix="tally-dsock-")


class FakeEngine:
    """A Unix stream socket; reply(request_bytes) returns the bytes to send (None: never)."""

    def __init__(self, name, reply):
        self.path = os.path.join(TMP, name)
        self.reply = reply
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(16)
        self.conns = []
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)  # kept open: a silent peer
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        try:
            req = c.recv(65536)
            out = self.reply(req)
            if out is not None:
                c.sendall(out)
                c.close()
        except OSError:
            pass

    def close(self):
        self.stop = True
        self.srv.close()
        for c in self.conns:
            c.close()


def http(status, body, ctype="application/json"):
    return ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" %
            (status, ctype, len(body))).encode() + body


def version_then(rest):
    def reply(req):
        if req.startswith(b"GET /version"):
            return http("200 OK", b'{"ApiVersion":"1.41","MinAPIVersion":"1.12"}')
        return rest(req)
    return reply


def check_fails(sock_url, timeout, want_reason):
    d = DockerDirs()
    r = d.run_check({"url": sock_url, "timeout": timeout})
    assert r.proc.returncode != 0, r.proc.stdout
    s = r.svc("docker.service_up")
    assert s["status"] == 2, s
    assert want_reason in s["message"], (s["message"], want_reason)
    assert r.took < timeout + 3, "took %.1fs with timeout %s" % (r.took, timeout)
    return s


def test_hanging_socket():
    f = FakeEngine("hang.sock", lambda req: None)
    try:
        s = check_fails("unix://" + f.path, 1.5, "/version")
        assert "imeout" in s["message"] or "timed out" in s["message"], s
    finally:
        f.close()


def test_hanging_after_version():
    f = FakeEngine("hang2.sock", version_then(lambda req: None))
    try:
        check_fails("unix://" + f.path, 1.5, "/containers/json")
    finally:
        f.close()


def test_garbage_answer():
    f = FakeEngine("garbage.sock", lambda req: b"\x00\xffnot http at all\r\n\r\n" * 10)
    try:
        check_fails("unix://" + f.path, 2, "/version")
    finally:
        f.close()


def test_not_json():
    f = FakeEngine("notjson.sock", version_then(lambda req: http("200 OK", b"<html>{{{")))
    try:
        check_fails("unix://" + f.path, 2, "not JSON")
    finally:
        f.close()


def test_http_error():
    f = FakeEngine("err.sock", version_then(
        lambda req: http("400 Bad Request", b'{"message":"client version 1.41 is too old"}')))
    try:
        check_fails("unix://" + f.path, 2, "too old")
    finally:
        f.close()


def test_missing_socket():
    check_fails("unix://" + os.path.join(TMP, "none.sock"), 2,
                "none.sock: No such file or directory")


def test_refused_tcp():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    check_fails("tcp://127.0.0.1:%d" % port, 2, "127.0.0.1")


def test_run_goes_on_with_hanging_socket():
    """The agent keeps receiving DogStatsD while the docker check's runs time out."""
    f = FakeEngine("hang3.sock", lambda req: None)
    d = DockerDirs()
    d.instances({"url": "unix://" + f.path, "timeout": 1, "min_collection_interval": 1})
    try:
        with dockertest.agent(extra=d.config_keys()) as t:
            deadline = time.time() + 6
            i = 0
            while time.time() < deadline:
                t.send("app.hits:1|c")
                i += 1
                time.sleep(0.05)
            t.wait_series("app.hits", timeout=5)
            assert t.alive()
            total = t.total("app.hits")
            assert total > 0
            assert t.stop() == 0
            err = t.stderr()
            assert "docker" in err and "/version" in err, err[-2000:]
    finally:
        f.close()


if __name__ == "__main__":
    try:
        run([test_hanging_socket, test_hanging_after_version, test_garbage_answer, test_not_json,
             test_http_error, test_missing_socket, test_refused_tcp,
             test_run_goes_on_with_hanging_socket])
    finally:
        shutil.rmtree(TMP, True)
