"""Helpers for integration tests: start the real ./tally, send to it, read what it flushes.

Every test starts its own agent on a free port in its own temp dir, waits for the "ready" log
line rather than sleeping, and stops it with SIGTERM (checking the exit status). Exit codes
follow automake: 0 pass, 1 fail, 77 skip (never under CI=true), 99 hard error.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

TALLY_BIN = os.environ.get("TALLY_BIN") or os.path.abspath("./tally")
SRCDIR = os.environ.get("TALLY_SRCDIR") or os.getcwd()
BUILDDIR = os.environ.get("TALLY_BUILDDIR") or os.getcwd()
IN_CI = os.environ.get("CI") == "true"


def skip(why):
    """Skips with a reason; under CI=true a missing component is a failure instead."""
    if IN_CI:
        print("FAIL (CI=true, cannot skip): " + why)
        sys.exit(1)
    print("SKIP: " + why)
    sys.exit(77)


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=10.0, what="condition", interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


class Flush:
    def __init__(self, header):
        self.header = header
        self.series = []  # (name, type, value, tags list)
        self.checks = []  # raw lines
        self.events = []

    def find(self, name, *tags):
        out = []
        for s in self.series:
            if s[0] == name and all(t in s[3] for t in tags):
                out.append(s)
        return out


SERIES_RE = re.compile(r"^(\S+)\s+(gauge|rate|count)\s+(\S+)\s*(.*)$")


def parse_console(text):
    """Parses the console output into a list of Flush objects."""
    flushes = []
    cur = None
    for line in text.splitlines():
        if line.startswith("=== flush "):
            cur = Flush(line)
            flushes.append(cur)
            continue
        if cur is None or line.startswith("METRIC "):
            continue
        if line.startswith("check  "):
            cur.checks.append(line[7:])
            continue
        if line.startswith("event  "):
            cur.events.append(line[7:])
            continue
        m = SERIES_RE.match(line)
        if m:
            tags_part = m.group(4).split(" ts=")[0].strip()
            tags = tags_part.split(",") if tags_part else []
            cur.series.append((m.group(1), m.group(2), float(m.group(3)), tags))
    return flushes


class Tally:
    """One running agent. Use as a context manager."""

    def __init__(self, config_text=None, port=None, flush_interval=1, extra="", env=None,
                 args=None, socket_path=None, bundled_checks=False):
        self.dir = tempfile.mkdtemp(prefix="tally-it-")
        self.port = port if port is not None else free_port()
        self.status_port = free_port(socket.SOCK_STREAM)
        self.socket_path = socket_path
        if config_text is None:
            config_text = (
                "hostname: testhost\n"
                "dogstatsd_port: %d\n"
                "flush_interval: %d\n"
                "log_level: debug\n"
                "status_listen: 127.0.0.1:%d\n" % (self.port, flush_interval, self.status_port)
            )
            if socket_path:
                config_text += "dogstatsd_socket: %s\n" % socket_path
            if not bundled_checks and "confd_path:" not in extra:
                # The build tree's conf.d holds the bundled checks' .default files: they would
                # run in every test's agent and compete for its contexts (and its CPU). A test
                # of those defaults asks for them with bundled_checks=True.
                os.makedirs(os.path.join(self.dir, "conf.d"))
                config_text += "confd_path: %s\n" % os.path.join(self.dir, "conf.d")
            config_text += extra
        self.config_path = os.path.join(self.dir, "tally.yaml")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.stdout_path = os.path.join(self.dir, "stdout")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.args = args if args is not None else ["run", "-c", self.config_path]
        self.proc = None

    def start(self, wait_ready=True):
        self._out = open(self.stdout_path, "w")
        self._err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([TALLY_BIN] + self.args, stdout=self._out,
                                     stderr=self._err, env=self.env, cwd=self.dir)
        if wait_ready:
            wait_for(lambda: self._ready_or_dead(), 15, "tally ready line")
            if self.proc.poll() is not None:
                raise AssertionError("tally exited early (%d): %s" %
                                     (self.proc.returncode, self.stderr()))
        return self

    def _ready_or_dead(self):
        return self.proc.poll() is not None or " ready " in self.stderr()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stdout(self):
        with open(self.stdout_path) as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def flushes(self):
        return parse_console(self.stdout())

    def send(self, payload, sock_type="udp"):
        data = payload if isinstance(payload, bytes) else payload.encode()
        if sock_type == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(data, ("127.0.0.1", self.port))
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(data, self.socket_path)
        s.close()

    def wait_series(self, name, *tags, timeout=10, pred=None):
        """Waits for a flush holding series `name` with `tags`; returns its matches."""
        def probe():
            for fl in self.flushes():
                hits = fl.find(name, *tags)
                if hits and (pred is None or pred(hits)):
                    return hits
            return None
        return wait_for(probe, timeout, "series %s %s" % (name, tags))

    def total(self, name, *tags):
        """Sum of the values of `name` across all flushes so far."""
        return sum(s[2] for fl in self.flushes() for s in fl.find(name, *tags))

    def stop(self, timeout=15):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        self._out.close()
        self._err.close()
        return rc

    def alive(self):
        return self.proc.poll() is None


def run(tests):
    """Runs test functions in order; prints one line each; exits with automake codes."""
    failed = 0
    for t in tests:
        try:
            t()
            print("ok - %s" % t.__name__)
        except AssertionError as e:
            failed += 1
            print("not ok - %s: %s" % (t.__name__, e))
            traceback.print_exc()
        except Exception as e:  # a broken harness is a hard error, not a test failure
            print("error - %s: %r" % (t.__name__, e))
            traceback.print_exc()
            sys.exit(99)
    sys.exit(1 if failed else 0)


def approx(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
