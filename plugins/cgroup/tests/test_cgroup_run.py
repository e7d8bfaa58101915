"""`tally run` with the bundled conf.d and no edits reports a systemd service's cgroup: the
check is loaded from the build tree's checks.d, conf.d/cgroup.yaml.default selects
/system.slice/*.service, and a real group made there (with a process holding memory in it)
shows up in the console flushes."""
import os

import shutil
import tempfile

from cgtest import BURNER, CG, V1, holder, make_group, need_real_cgroups, start, stop, write
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
    with Tally(bundled_checks=True) as t:
        hits = t.wait_series("cgroup.memory.usage", "cgroup:" + SERVICE, timeout=20)
        assert hits[0][2] >= 16 << 20, hits
        t.wait_series("cgroup.pids.current", "cgroup:" + SERVICE, timeout=5)
        assert t.stop() == 0
    stop(p)


def test_rates_under_tally_run():
    """Under the agent (not tally check): the rate op's previous sample lives in the agent and
    a burner under a 30% quota shows as cgroup.cpu.usage of about 30 from the second run on."""
    name = "/tally-it-%d-run" % os.getpid()
    grp = {c: make_group(os.path.join(CG, c), name) for c in V1}
    write(os.path.join(grp["cpu"], "cpu.cfs_quota_us"), 30000)
    p = start(BURNER, grp.values())
    assert p.stdout.readline().strip() == "ready"
    confd = tempfile.mkdtemp(prefix="tally-cgconf-")
    try:
        with open(os.path.join(confd, "cgroup.yaml"), "w") as f:
            f.write("instances:\n  - include: [%s]\n    min_collection_interval: 1\n" % name)
        with Tally(extra="confd_path: %s\n" % confd) as t:
            hits = t.wait_series("cgroup.cpu.usage", "cgroup:" + name, timeout=20,
                                 pred=lambda h: h[0][2] > 0)
            assert 5 <= hits[0][2] <= 30 * 1.15, hits
            assert t.stop() == 0
    finally:
        shutil.rmtree(confd, ignore_errors=True)
        stop(p)


if __name__ == "__main__":
    need_real_cgroups()
    run([test_default_confd_reports_services, test_rates_under_tally_run])
