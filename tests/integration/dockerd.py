"""A private Docker engine for integration tests: one helper every docker-based test reuses.

    from dockerd import Dockerd
    with Dockerd() as d:            # starts dockerd, or skips (fails under CI=true)
        d.image()                   # local/busybox:test from Debian's busybox-static
        cid = d.run("burn", "sh", "-c", "while :; do :; done")
        d.docker("stats", "--no-stream")
        d.api("/containers/json")   # the Engine API over the private socket, parsed JSON

The engine gets its own socket, data root, exec root and pid file in a temp dir. Only one
daemon can own the docker0 bridge, so a machine-wide file lock (/tmp/tally-dockerd.lock,
flock) makes a second test program wait until the first is done. Cleanup runs at exit, on
SIGTERM/SIGINT and from __exit__, in the order that leaves nothing behind: `docker rm -f`
every container while the engine still runs (a killed dockerd leaves its shims running the
containers), stop dockerd by its pid, kill every containerd / containerd-shim whose command
line names our exec root (by pid), unmount what is still mounted under our dir, remove it,
remove docker0 and the /docker cgroups if we created them. The engine runs with --iptables=false, so it leaves no
firewall rules behind.
"""
import atexit
import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from tallytest import skip, wait_for

LOCK_PATH = "/tmp/tally-dockerd.lock"
IMAGE = "local/busybox:test"
BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "sleep", "yes", "dd", "nc", "true", "cat", "head", "echo", "ls", "ps", "kill")


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pids_naming(text):
    """Pids whose command line contains text (ours: text is our private dir)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid() and text in _cmdline(int(d)):
            out.append(int(d))
    return out


def docker_cgroups():
    """The engine's parent groups: /sys/fs/cgroup/<hierarchy>/docker (v1) or .../docker."""
    out = []
    root = "/sys/fs/cgroup"
    for d in [root] + [os.path.join(root, h) for h in sorted(os.listdir(root))]:
        g = os.path.join(d, "docker")
        if os.path.isdir(g):
            out.append(g)
    return out


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return st[st.rindex(")") + 2] != "Z"
    except OSError:
        return False


class Dockerd:
    def __init__(self, lock_timeout=900):
        self.lock_timeout = lock_timeout
        self.dir = None
        self.proc = None
        self.lock = None
        self.had_docker0 = True  # known once the lock is held (another engine may own it now)
        self.had_cgroups = None
        self.cleaned = False
        self._log = None

    # -- start / stop ---------------------------------------------------------------------
    def start(self):
        if os.geteuid() != 0:
            skip("dockerd needs root")
        if not shutil.which("dockerd") or not shutil.which("docker"):
            skip("dockerd/docker missing (scripts/install-deps.sh --test installs docker.io)")
        if not os.path.exists(BUSYBOX):
            skip("%s missing (install busybox-static)" % BUSYBOX)
        self._lock()
        self.had_docker0 = os.path.exists("/sys/class/net/docker0")
        self.had_cgroups = set(docker_cgroups())
        atexit.register(self.cleanup)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        # short path: the socket path must fit sun_path (108 bytes)
        self.dir = tempfile.mkdtemp(prefix="tdk-", dir="/tmp")
        self._allow_bridge()
        self.sock = os.path.join(self.dir, "docker.sock")
        self.host = "unix://" + self.sock
        self.log_path = os.path.join(self.dir, "dockerd.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["dockerd", "--host", self.host, "--data-root", os.path.join(self.dir, "data"),
             "--exec-root", os.path.join(self.dir, "exec"),
             "--pidfile", os.path.join(self.dir, "docker.pid"),
             # no iptables rules: dockerd would leave its chains and a FORWARD policy of
             # DROP on the machine after it stops; containers still reach each other over
             # the docker0 bridge, which is all the tests need
             "--iptables=false"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(self._ping_or_dead, 60, "dockerd _ping")
        except AssertionError:
            pass
        if not self.ping():
            why = "dockerd did not start: " + self.log_tail()
            self.cleanup()
            skip(why)
        return self

    # With bridge-nf-call-iptables on, container-to-container traffic crosses FORWARD; a
    # FORWARD policy of DROP (left by an engine that managed iptables) would cut it. One
    # ACCEPT rule for docker0 <-> docker0, removed at cleanup, keeps the tests independent of
    # what the machine's firewall holds.
    BRIDGE_RULE = ["FORWARD", "-i", "docker0", "-o", "docker0", "-j", "ACCEPT",
                   "-m", "comment", "--comment", "tally-dockerd-test"]

    def _allow_bridge(self):
        self.bridge_rule = False
        if not shutil.which("iptables"):
            return
        p = subprocess.run(["iptables", "-I"] + self.BRIDGE_RULE, capture_output=True)
        self.bridge_rule = p.returncode == 0

    def _drop_bridge_rule(self):
        if getattr(self, "bridge_rule", False):
            subprocess.run(["iptables", "-D"] + self.BRIDGE_RULE, capture_output=True)
            self.bridge_rule = False

    def _lock(self):
        self.lock = open(LOCK_PATH, "a+")
        deadline = time.time() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.time() > deadline:
                    raise AssertionError("another test holds %s for too long" % LOCK_PATH)
                time.sleep(0.5)

    def _on_signal(self, signum, frame):
        self.cleanup()
        sys.exit(128 + signum)

    def _ping_or_dead(self):
        return self.proc.poll() is not None or self.ping()

    def ping(self):
        try:
            c = _UnixHTTP(self.sock, timeout=2)
            c.request("GET", "/_ping")
            return c.getresponse().read() == b"OK"
        except OSError:
            return False

    def log_tail(self, n=2000):
        try:
            with open(self.log_path) as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def stop_engine(self):
        """Stops dockerd only (containers keep running under their shims): for outage tests.
        cleanup() later still removes the containers, by restarting nothing: it kills the
        shims and their children by pid."""
        self._stop_dockerd()

    def _stop_dockerd(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _container_pids(self):
        """Init pids of our containers, from the shims' children (works without dockerd)."""
        shims = [p for p in pids_naming(self.dir) if "containerd-shim" in _cmdline(p)]
        kids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            if int(st[st.rindex(")") + 2:].split()[1]) in shims:
                kids.append(int(d))
        return kids

    def cleanup(self):
        if self.cleaned or self.dir is None:
            return
        self.cleaned = True
        try:
            if self.proc and self.proc.poll() is None and self.ping():
                ids = self.docker("ps", "-aq", check=False).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False, timeout=60)
            self._stop_dockerd()
            # a killed engine leaves shims and containers: kill their processes by pid
            victims = self._container_pids() + pids_naming(self.dir)
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            deadline = time.time() + 10
            while time.time() < deadline and any(_alive(p) for p in victims):
                time.sleep(0.1)
            self._unmount_all()
            self._drop_bridge_rule()
            if self._log:
                self._log.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            if not self.had_docker0 and os.path.exists("/sys/class/net/docker0"):
                subprocess.run(["ip", "link", "del", "docker0"], capture_output=True)
            # the engine's parent cgroups (/docker in each hierarchy), once empty
            for g in docker_cgroups():
                if self.had_cgroups is not None and g not in self.had_cgroups:
                    try:
                        os.rmdir(g)
                    except OSError:
                        pass
        finally:
            if self.lock:
                fcntl.flock(self.lock, fcntl.LOCK_UN)
                self.lock.close()
                self.lock = None

    def _unmount_all(self):
        for _ in range(3):
            mounts = []
            with open("/proc/self/mountinfo") as f:
                for line in f:
                    mp = line.split()[4].replace("\\040", " ")
                    if mp == self.dir or mp.startswith(self.dir + "/"):
                        mounts.append(mp)
            if not mounts:
                return
            for mp in sorted(mounts, key=len, reverse=True):
                subprocess.run(["umount", "-l", mp], capture_output=True)

    # -- using it -------------------------------------------------------------------------
    def docker(self, *args, check=True, timeout=120, input=None):
        p = subprocess.run(["docker", "-H", self.host] + list(args), capture_output=True,
                           text=True, timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise AssertionError("docker %s: %s" % (" ".join(args), p.stderr.strip()))
        return p

    def api(self, path, method="GET", timeout=30):
        """GET path on the engine; returns the parsed JSON (or the text)."""
        c = _UnixHTTP(self.sock, timeout=timeout)
        c.request(method, path)
        r = c.getresponse()
        body = r.read()
        if r.status >= 300:
            raise AssertionError("%s %s: %d %s" % (method, path, r.status, body[:200]))
        try:
            return json.loads(body)
        except ValueError:
            return body.decode(errors="replace")

    def image(self, name=IMAGE, extra_files=None):
        """Imports name from a folder with bin/busybox and applet links; extra_files maps a
        path inside the image to a host file (e.g. a static DogStatsD sender)."""
        if name in self.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split():
            return name
        root = os.path.join(self.dir, "img-" + name.replace("/", "_").replace(":", "_"))
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "tmp"))
        shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
        for a in APPLETS:
            os.symlink("busybox", os.path.join(root, "bin", a))
        for dst, src in (extra_files or {}).items():
            full = os.path.join(root, dst.lstrip("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            shutil.copy(src, full)
        tar = subprocess.run(["tar", "-C", root, "-c", "."], capture_output=True, check=True)
        p = subprocess.run(["docker", "-H", self.host, "import", "-", name], input=tar.stdout,
                           capture_output=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError("docker import: %s" % p.stderr.decode(errors="replace"))
        return name

    def run(self, name, *cmd, opts=(), image=IMAGE):
        """docker run -d --name name [opts] image cmd...; returns the full container id."""
        return self.docker("run", "-d", "--name", name, *opts, image, *cmd).stdout.strip()

    def inspect(self, cid):
        return self.api("/containers/%s/json" % cid)

    def stats_cli(self):
        """docker stats --no-stream as {name: row} (the CLI's strings)."""
        out = self.docker("stats", "--no-stream", "--format", "{{json .}}", timeout=60).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return {r["Name"]: r for r in rows}
