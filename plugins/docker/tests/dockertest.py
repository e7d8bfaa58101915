"""Helpers for the docker check's integration tests: a temp checks.d holding the built
docker.so, conf.d/docker.yaml written from instance dicts, `tally check docker` parsed."""
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
from tallytest import BUILDDIR, TALLY_BIN, Tally, skip  # noqa: E402

DOCKER_SO = os.path.join(BUILDDIR, "checks.d", "docker.so")


def yaml_val(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(json.dumps(x) for x in v) + "]"
    return json.dumps(v)


class DockerDirs(CheckDirs):
    def __init__(self, extra=""):
        if not os.path.exists(DOCKER_SO):
            skip("checks.d/docker.so is not built (run make)")
        super().__init__(with_tplug=False, extra=extra)
        atexit.register(shutil.rmtree, self.dir, True)
        self.install(DOCKER_SO)

    def instances(self, *insts):
        text = "instances:\n"
        for inst in insts:
            text += "  - " + "\n    ".join("%s: %s" % (k, yaml_val(v))
                                         for k, v in inst.items()) + "\n"
        return self.conf("docker.yaml", text)

    def run_check(self, *insts, args=("--json",), timeout=60):
        if insts:
            self.instances(*insts)
        t0 = time.monotonic()
        p = subprocess.run([TALLY_BIN, "check", "docker", "-c", self.config] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        took = time.monotonic() - t0
        objs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        return Result(p, objs, took)


class Result:
    def __init__(self, proc, objs, took):
        self.proc, self.objs, self.took = proc, objs, took

    def metrics(self, name, *tags):
        return [o for o in self.objs if o.get("metric") == name and
                all(t in o["tags"] for t in tags)]

    def value(self, name, *tags):
        m = self.metrics(name, *tags)
        assert len(m) == 1, "%s %s: %r\n%s" % (name, tags, m, self.proc.stderr)
        return m[0]["value"]

    def svc(self, name):
        s = [o for o in self.objs if o.get("check") == name]
        assert len(s) == 1, "service check %s: %r\n%s" % (name, self.objs, self.proc.stderr)
        return s[0]


def agent(**kw):
    """A tallytest.Tally whose temp dir is removed at exit (the tests leave nothing behind)."""
    t = Tally(**kw)
    atexit.register(shutil.rmtree, t.dir, True)
    return t
