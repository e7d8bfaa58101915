"""Helpers for the exec check's integration tests: a temp checks.d holding the built exec.so,
a conf.d/exec.yaml written from instance dicts, `tally check exec --json` parsed, and the
process checks every test ends with (nothing left in a command's process group, no zombie)."""
import atexit
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TALLY_SRCDIR") or os.getcwd(), "tests",
                                "integration"))

from checktest import CheckDirs  # noqa: E402
from tallytest import BUILDDIR, TALLY_BIN, skip  # noqa: E402

EXEC_SO = os.path.join(BUILDDIR, "checks.d", "exec.so")
PLUGINS = "/usr/lib/nagios/plugins"


def need_plugin(name):
    path = os.path.join(PLUGINS, name)
    if not os.access(path, os.X_OK):
        skip("%s missing (scripts/install-deps.sh --test installs monitoring-plugins-basic)"
             % path)
    return path


def yaml_str(s):
    return json.dumps(s)  # a JSON string is a YAML double-quoted scalar


def instance_yaml(inst):
    lines = []
    for k, v in inst.items():
        if isinstance(v, list):
            v = "[" + ", ".join(yaml_str(x) for x in v) + "]"
        elif isinstance(v, dict):
            v = "{" + ", ".join("%s: %s" % (a, yaml_str(b)) for a, b in v.items()) + "}"
        elif isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, str):
            v = yaml_str(v)
        lines.append("%s: %s" % (k, v))
    return "  - " + "\n    ".join(lines) + "\n"


class ExecDirs(CheckDirs):
    def __init__(self, extra=""):
        if not os.path.exists(EXEC_SO):
            skip("checks.d/exec.so is not built (run make)")
        super().__init__(with_tplug=False, extra=extra)
        atexit.register(shutil.rmtree, self.dir, True)
        self.install(EXEC_SO)

    def instances(self, *insts):
        return self.conf("exec.yaml", "instances:\n" + "".join(instance_yaml(i) for i in insts))

    def run_check(self, *insts, args=("--json",), env=None, timeout=60):
        self.instances(*insts)
        t0 = time.monotonic()
        p = subprocess.run([TALLY_BIN, "check", "exec", "-c", self.config] + list(args),
                           capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
        took = time.monotonic() - t0
        objs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        return Result(p, objs, took)


class Result:
    def __init__(self, proc, objs, took):
        self.proc, self.objs, self.took = proc, objs, took

    def metrics(self, name, exec_name=None):
        return [o for o in self.objs if o.get("metric") == name and
                (exec_name is None or "exec_name:" + exec_name in o["tags"])]

    def value(self, name, exec_name=None):
        m = self.metrics(name, exec_name)
        assert len(m) == 1, "%s: %r\n%s" % (name, m, self.proc.stderr)
        return m[0]["value"]

    def svc(self, name):
        s = [o for o in self.objs if o.get("check") == name]
        assert len(s) == 1, "service check %s: %r\n%s" % (name, self.objs, self.proc.stderr)
        return s[0]


def group_members(pgid):
    """Pids whose process group is pgid (from /proc/PID/stat)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:
            pids.append(int(d))
    return pids


def alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def zombies_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z" and int(fields[1]) == ppid:
            out.append(int(d))
    return out


def read_pids(path):
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def kill_leftovers(pids):
    """Cleanup for a failed test: SIGKILL the pids a test's scripts recorded (ours only)."""
    for pid in pids:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
