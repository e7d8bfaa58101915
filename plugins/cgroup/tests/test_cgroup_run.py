"""`tally run` with the bundled conf.d and no edits reports a systemd service's cgroup: the
check is loaded from the build tree's checks.d, conf.d/cgroup.yaml.default selects
/system.slice/*.service, and a real group made there (with a process holding memory in it)
shows up in the console flushes."""
import os

from cgtest import CG, holder, make_group, need_real_cgroups, start, stop
from tallytest import BUILDDIR, SRCDIR, Tally, run, skip

SERVICE = "/system.slice/tally-it-%d.service" % os.getpid()


def test_default_confd_reports_services():
    if os.path.exists(os.path.join(SRCDIR, "conf.d", "cgroup.yaml")):
        skip("conf.d/cgroup.yaml exists: the bundled default would not be loaded")
    if not os.path.exists(os.path.join(BUILDDIR, "checks.d", "cgroup.so")):
        skip("checks.d/cgroup.so is not built (run make)")
    groups = [make_group(os.path.join(CG, c), SERVICE) for c in ("memory", "cpuacct", "pids")]
    p = start(holder(16), groups)
    assert p.stdout.readline().strip() == "ready"
    with Tally() as t:
        hits = t.wait_series("cgroup.memory.usage", "cgroup:" + SERVICE, timeout=20)
        assert hits[0][2] >= 16 << 20, hits
        t.wait_series("cgroup.pids.current", "cgroup:" + SERVICE, timeout=5)
        assert t.stop() == 0
    stop(p)


if __name__ == "__main__":
    need_real_cgroups()
    run([test_default_confd_reports_services])
