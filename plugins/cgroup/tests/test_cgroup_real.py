"""The cgroup check against real cgroups on this hybrid host: groups made in each v1
hierarchy (cpu, cpuacct, memory, blkio, pids) and in the cgroup2 mount at
/sys/fs/cgroup/unified, a CPU burner under a CFS quota, a process holding a known amount of
memory under a memory and pids limit; `tally check cgroup --rate --json` compared with the
kernel's own files over the same window."""
import os
import time

from cgtest import (BURNER, CG, V1, V2, CgroupDirs, holder, make_group, need_real_cgroups,
                    read, start, stop, write)
from tallytest import run

NAME = "/tally-it-%d" % os.getpid()


def within(got, want, rel, what):
    assert abs(got - want) <= rel * max(abs(want), 1e-9), \
        "%s: got %.3f, kernel says %.3f (more than %d%% apart)" % (what, got, want, rel * 100)


def wait_ready(p):
    assert p.stdout.readline().strip() == "ready", "helper did not start"


def test_v1_cpu_memory_pids():
    dirs = CgroupDirs()
    cpu = {c: make_group(os.path.join(CG, c), NAME + "/burn") for c in V1}
    mem = {c: make_group(os.path.join(CG, c), NAME + "/hold") for c in ("memory", "pids")}
    # Half a core: the rate is steady whatever else the machine runs, and throttled.
    write(os.path.join(cpu["cpu"], "cpu.cfs_period_us"), 100000)
    write(os.path.join(cpu["cpu"], "cpu.cfs_quota_us"), 50000)
    write(os.path.join(mem["memory"], "memory.limit_in_bytes"), 256 << 20)
    write(os.path.join(mem["pids"], "pids.max"), 20)
    burner = start(BURNER, cpu.values())
    hold = start(holder(64), mem.values())
    wait_ready(burner)
    wait_ready(hold)
    time.sleep(0.3)

    usage = os.path.join(cpu["cpuacct"], "cpuacct.usage")
    t0, u0 = time.monotonic(), int(read(usage))
    res = dirs.run_check("  - include: [%s/*]\n" % NAME, args=("--rate", "--json"))
    t1, u1 = time.monotonic(), int(read(usage))
    assert res.proc.returncode == 0, res.proc.stderr
    kernel_pct = (u1 - u0) / 1e7 / (t1 - t0)
    burn, hld = NAME + "/burn", NAME + "/hold"
    within(res.value("cgroup.cpu.usage", burn), kernel_pct, 0.15, "cgroup.cpu.usage")
    # the quota caps it (a busy machine may give it less, never more)
    assert res.value("cgroup.cpu.usage", burn) <= 50.0 * 1.15, res.value("cgroup.cpu.usage", burn)
    user_sys = res.value("cgroup.cpu.user", burn) + res.value("cgroup.cpu.system", burn)
    within(user_sys, kernel_pct, 0.35, "cgroup.cpu.user + system (USER_HZ ticks)")
    assert res.value("cgroup.cpu.throttled", burn) > 0, "a 50% quota throttles"
    assert res.value("cgroup.cpu.throttled.time", burn) > 0
    # memory: usage within 10% of the kernel's, the limit exact
    kernel_mem = int(read(os.path.join(mem["memory"], "memory.usage_in_bytes")))
    within(res.value("cgroup.memory.usage", hld), kernel_mem, 0.10, "cgroup.memory.usage")
    assert res.value("cgroup.memory.rss", hld) >= 60 << 20
    assert res.value("cgroup.memory.limit", hld) == 256 << 20
    assert res.value("cgroup.memory.working_set", hld) <= res.value("cgroup.memory.usage", hld)
    assert not res.has("cgroup.memory.limit", burn), "no limit set: no limit metric"
    # pids: exact
    assert res.value("cgroup.pids.current", hld) == int(read(os.path.join(mem["pids"],
                                                                           "pids.current")))
    assert res.value("cgroup.pids.current", hld) == 1
    assert res.value("cgroup.pids.limit", hld) == 20
    assert not res.has("cgroup.pids.limit", burn)
    # hold is only in memory and pids: what those hold, no cpu, no io
    assert not res.has("cgroup.cpu.usage", hld)
    assert not res.has("cgroup.io.read_bytes", hld)
    assert res.has("cgroup.io.read_bytes", burn)
    assert res.svc("cgroup.can_read")["status"] == 0
    stop(burner)
    stop(hold)


def test_v2_cpu_and_pressure():
    """A group only in the cgroup2 mount: CPU from cpu.stat usage_usec, and PSI."""
    dirs = CgroupDirs()
    g = make_group(V2, NAME + "-v2")
    burner = start(BURNER, [g])
    wait_ready(burner)
    time.sleep(0.3)
    stat = os.path.join(g, "cpu.stat")

    def usage_usec():
        return int(read(stat).split("usage_usec ")[1].split()[0])

    t0, u0 = time.monotonic(), usage_usec()
    res = dirs.run_check("  - include: [%s-v2]\n" % NAME, args=("--rate", "--json"))
    t1, u1 = time.monotonic(), usage_usec()
    assert res.proc.returncode == 0, res.proc.stderr
    name = NAME + "-v2"
    within(res.value("cgroup.cpu.usage", name), (u1 - u0) / 1e4 / (t1 - t0), 0.15,
           "cgroup.cpu.usage (v2)")
    assert res.value("cgroup.cpu.user", name) > 0
    for m in ("cgroup.cpu.pressure.some", "cgroup.memory.pressure.some",
              "cgroup.memory.pressure.full", "cgroup.io.pressure.some",
              "cgroup.io.pressure.full"):
        v = res.value(m, name)
        assert 0 <= v <= 100.5, "%s = %r is not a percent of wall time" % (m, v)
    # no memory or pids controller in this cgroup2 mount
    assert not res.has("cgroup.memory.usage", name)
    assert not res.has("cgroup.pids.current", name)
    stop(burner)


def test_selection_and_excess():
    dirs = CgroupDirs()
    for i in range(5):
        make_group(os.path.join(CG, "memory"), "%s-sel/g%d" % (NAME, i))
    make_group(os.path.join(CG, "memory"), "%s-sel/skip" % NAME)
    res = dirs.run_check("  - include: [%s-sel/*]\n    exclude: ['/*/skip']\n"
                         "    max_cgroups: 3\n" % NAME)
    assert res.proc.returncode == 0, res.proc.stderr
    got = sorted({t for o in res.objs if o.get("metric") == "cgroup.memory.usage"
                  for t in o["tags"] if t.startswith("cgroup:")})
    assert got == ["cgroup:%s-sel/g%d" % (NAME, i) for i in range(3)], got
    assert [o["value"] for o in res.objs if o.get("metric") == "cgroup.excess"] == [2]
    assert "max_cgroups reached" in res.proc.stderr, res.proc.stderr


if __name__ == "__main__":
    need_real_cgroups()
    run([test_v1_cpu_memory_pids, test_v2_cpu_and_pressure, test_selection_and_excess])
