"""Helpers for the cgroup check's integration tests: a temp checks.d holding the built
cgroup.so and a conf.d/cgroup.yaml, `tally check cgroup --json` parsed, and real cgroups
(made under every v1 hierarchy and the cgroup2 mount) that are removed at exit, after the
processes the test put in them are killed, also when an assertion fails."""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TALLY_SRCDIR") or os.getcwd(), "tests",
                                "integration"))

from checktest import CheckDirs  # noqa: E402
from tallytest import BUILDDIR, SRCDIR, TALLY_BIN, skip  # noqa: E402

CGROUP_SO = os.path.join(BUILDDIR, "checks.d", "cgroup.so")
FIXTURES = os.path.join(SRCDIR, "plugins", "cgroup", "tests", "fixtures")
CG = "/sys/fs/cgroup"
V1 = ("cpu", "cpuacct", "memory", "blkio", "pids")
V2 = CG + "/unified"

_procs = []   # Popen objects we started
_groups = []  # cgroup dirs we made (removed deepest first)


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    for d in sorted(_groups, key=len, reverse=True):
        for _ in range(50):  # a killed task can take a moment to leave the group
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


atexit.register(_cleanup)
# SIGTERM from the harness (a timeout) still cleans up.
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def need_real_cgroups():
    if os.geteuid() != 0:
        skip("needs root to make cgroups")
    for c in V1:
        if not os.path.isdir(os.path.join(CG, c)):
            skip("no cgroup v1 %s hierarchy at %s/%s" % (c, CG, c))
    if not os.path.exists(os.path.join(V2, "cgroup.procs")):
        skip("no cgroup2 mount at %s" % V2)


def make_group(hier_dir, name):
    """Makes hier_dir/name and any missing parent group, each removed at exit."""
    d = hier_dir
    for part in name.strip("/").split("/"):
        d = os.path.join(d, part)
        if not os.path.isdir(d):
            os.mkdir(d)
            _groups.append(d)
    return d


def write(path, text):
    with open(path, "w") as f:
        f.write(str(text))


def read(path):
    with open(path) as f:
        return f.read()


def start(argv, groups=()):
    """Starts argv in its own process group and moves it into each group dir."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    _procs.append(p)
    for d in groups:
        write(os.path.join(d, "cgroup.procs"), p.pid)
    return p


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


BURNER = ["python3", "-c", "print('ready', flush=True)\nwhile True: pass"]


def holder(mib):
    """A process holding mib MiB of touched anonymous memory, printing ready when it does."""
    code = ("b = bytearray(%d << 20)\n"
            "for i in range(0, len(b), 4096): b[i] = 1\n"
            "print('ready', flush=True)\n"
            "import time\n"
            "while True: time.sleep(60)\n" % mib)
    return ["python3", "-c", code]


class CgroupDirs(CheckDirs):
    def __init__(self):
        if not os.path.exists(CGROUP_SO):
            skip("checks.d/cgroup.so is not built (run make)")
        super().__init__(with_tplug=False)
        atexit.register(shutil.rmtree, self.dir, True)
        self.install(CGROUP_SO)

    def run_check(self, instances_yaml, args=("--json",), timeout=60):
        self.conf("cgroup.yaml", "instances:\n" + instances_yaml)
        p = subprocess.run([TALLY_BIN, "check", "cgroup", "-c", self.config] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        objs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        return Result(p, objs)


class Result:
    def __init__(self, proc, objs):
        self.proc, self.objs = proc, objs

    def metrics(self, name, group):
        return [o for o in self.objs if o.get("metric") == name and
                "cgroup:" + group in o["tags"]]

    def value(self, name, group, *tags):
        m = [o for o in self.metrics(name, group) if all(t in o["tags"] for t in tags)]
        if tags == ():
            m = [o for o in m if not any(t.startswith("device:") for t in o["tags"])]
        assert len(m) == 1, "%s %s: %r\nstderr: %s" % (name, group, m, self.proc.stderr)
        return m[0]["value"]

    def has(self, name, group):
        return bool(self.metrics(name, group))

    def svc(self, name):
        s = [o for o in self.objs if o.get("check") == name]
        assert len(s) == 1, "service check %s: %r\n%s" % (name, self.objs, self.proc.stderr)
        return s[0]
