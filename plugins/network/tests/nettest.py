"""Helpers for the network check's integration tests: a temp checks.d holding the built
network.so and a conf.d/network.yaml written from instance dicts; `tally check network --json`
parsed; a real network namespace with a veth pair to the host (made with `ip`, removed at exit
and on failure); helper processes in their own session inside it; a paced sender."""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TALLY_SRCDIR") or os.getcwd(), "tests",
                                "integration"))

from checktest import CheckDirs  # noqa: E402
from tallytest import BUILDDIR, TALLY_BIN, skip  # noqa: E402

NETWORK_SO = os.path.join(BUILDDIR, "checks.d", "network.so")


def need_root_ip():
    if os.geteuid() != 0:
        skip("network namespaces need root")
    if not shutil.which("ip"):
        skip("ip (iproute2) missing")


def yaml_value(v):
    if isinstance(v, list):
        return "[" + ", ".join(json.dumps(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return str(v)


class NetDirs(CheckDirs):
    def __init__(self):
        if not os.path.exists(NETWORK_SO):
            skip("checks.d/network.so is not built (run make)")
        super().__init__(with_tplug=False)
        atexit.register(shutil.rmtree, self.dir, True)
        self.install(NETWORK_SO)

    def instances(self, *insts):
        text = "instances:\n"
        for inst in insts:
            text += "  - " + "\n    ".join("%s: %s" % (k, yaml_value(v))
                                           for k, v in inst.items()) + "\n"
        return self.conf("network.yaml", text)

    def run_check(self, *insts, args=("--rate", "--json"), timeout=60):
        if insts:
            self.instances(*insts)
        p = subprocess.run([TALLY_BIN, "check", "network", "-c", self.config] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        objs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        return Result(p, objs)


class Result:
    def __init__(self, proc, objs):
        self.proc, self.objs = proc, objs

    def metrics(self, name, *tags):
        return [o for o in self.objs if o.get("metric") == name and
                all(t in o["tags"] for t in tags)]

    def value(self, name, *tags, netns=None):
        """The one value of name with tags; netns=None means the host's (no netns: tag)."""
        ms = [m for m in self.metrics(name, *tags)
              if (netns is None and not any(t.startswith("netns:") for t in m["tags"])) or
              (netns is not None and "netns:" + netns in m["tags"])]
        assert len(ms) == 1, (name, tags, netns, ms, self.proc.stderr)
        return ms[0]["value"]

    def names(self):
        return {o.get("metric") for o in self.objs}


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=30)


class Netns:
    """A namespace NAME with a veth pair: HOST_IF on the host and NS_IF inside, the two ends of
    a link-local /30 picked from the test's pid and n (so concurrent test runs do not share
    one). Deleted at close(), at exit and if setting it up fails."""

    def __init__(self, tag, n):
        self.name = "tly%s%d" % (tag, os.getpid() % 100000)
        self.host_if = ("tlh%s%d" % (tag, os.getpid()))[:15]
        self.ns_if = ("tlp%s%d" % (tag, os.getpid()))[:15]
        block = (os.getpid() * 8 + n) % 16000
        net = "169.254.%d." % (1 + block // 64)
        self.host_ip = net + str((block % 64) * 4 + 1)
        self.ns_ip = net + str((block % 64) * 4 + 2)
        self.procs = []
        self.closed = False
        atexit.register(self.close)
        try:
            sh("ip", "netns", "add", self.name)
            sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            sh("ip", "link", "set", self.ns_if, "netns", self.name)
            sh("ip", "addr", "add", self.host_ip + "/30", "dev", self.host_if)
            sh("ip", "link", "set", self.host_if, "up")
            self.ip("addr", "add", self.ns_ip + "/30", "dev", self.ns_if)
            self.ip("link", "set", self.ns_if, "up")
            self.ip("link", "set", "lo", "up")
        except Exception:
            self.close()
            raise

    def ip(self, *args):
        return sh("ip", "-n", self.name, *args)

    def spawn(self, code):
        """python3 -c code inside the namespace, in its own session; returns the Popen. Its
        first stdout line is awaited (the helper prints when it is ready)."""
        p = subprocess.Popen(["ip", "netns", "exec", self.name, sys.executable, "-c", code],
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(p)
        line = p.stdout.readline()
        assert line.strip() == "ready", ("helper did not start", line)
        return p

    def sys_stat(self, ifname, counter, inside):
        """/sys/class/net/IF/statistics/COUNTER, read in the namespace when inside."""
        path = "/sys/class/net/%s/statistics/%s" % (ifname, counter)
        if not inside:
            with open(path) as f:
                return int(f.read())
        # ip netns exec mounts the namespace's own /sys for the command.
        return int(sh("ip", "netns", "exec", self.name, "cat", path).stdout)

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
            if p.stdout:
                p.stdout.close()
        sh("ip", "link", "del", self.host_if, check=False)  # takes its peer with it
        sh("ip", "netns", "del", self.name, check=False)


class Paced(threading.Thread):
    """Calls send() every period_s on an absolute schedule (late calls catch up), so the
    traffic is steady over any window longer than a few periods."""

    def __init__(self, send, period_s=0.005):
        super().__init__(daemon=True)
        self.send_fn, self.period_s = send, period_s
        self.stop_ev = threading.Event()
        self.calls = 0

    def run(self):
        t = time.monotonic()
        while not self.stop_ev.is_set():
            self.send_fn()
            self.calls += 1
            t += self.period_s
            delay = t - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self):
        self.stop_ev.set()
        self.join(10)


TCP_SINK = """
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5000))
s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    while c.recv(1 << 16):
        pass
    c.close()
"""

# A UDP socket with a tiny receive buffer that is never read: the kernel drops what does not
# fit and counts it in Udp: RcvbufErrors.
UDP_NO_READ = """
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.bind(("0.0.0.0", 5001))
print("ready", flush=True)
time.sleep(3600)
"""


def tcp_sender(ns, chunk):
    c = socket.create_connection((ns.ns_ip, 5000), timeout=10)
    buf = b"x" * chunk
    return c, (lambda: c.sendall(buf))
