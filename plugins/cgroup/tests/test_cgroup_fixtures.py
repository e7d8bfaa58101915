"""The cgroup check (the real cgroup.so under `tally check`) on the fixture layouts this machine
cannot show: co-mounted cpu,cpuacct, pure cgroup v2, Amazon's /cgroup, a containerised agent
(mountinfo, host mounts under /host/), only the host's /proc/mounts; and what it reports when
a hierarchy cannot be read or there are no cgroup mounts at all."""
import os
import shutil
import subprocess
import tempfile
import threading
import time

from cgtest import FIXTURES, CgroupDirs
from tallytest import SRCDIR, TALLY_BIN, run

CID = "4d2a3b6f0c1e8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"
DOCKER = "/docker/" + CID

ROOTS = {  # layout: (procfs_root, cgroupfs_root) inside it
    "hybrid": ("proc", "sys/fs/cgroup"),
    "comounted": ("proc", "sys/fs/cgroup"),
    "purev2": ("proc", "sys/fs/cgroup"),
    "amazon": ("proc", "cgroup"),
    "container": ("host/proc", "host/sys/fs/cgroup"),
    "mountsonly": ("host/proc", "host/sys/fs/cgroup"),
}


def instance(root, procfs, cgroupfs, extra=""):
    return ("  - procfs_root: %s\n    cgroupfs_root: %s\n    include: [/docker/*]\n%s"
            % (os.path.join(root, procfs), os.path.join(root, cgroupfs), extra))


def test_every_layout():
    dirs = CgroupDirs()
    for layout, (procfs, cgroupfs) in ROOTS.items():
        res = dirs.run_check(instance(os.path.join(FIXTURES, layout), procfs, cgroupfs,
                                      "    io_per_device: true\n"))
        assert res.proc.returncode == 0, res.proc.stderr
        v = lambda name, *t: res.value(name, DOCKER, *t)  # noqa: E731
        assert v("cgroup.memory.usage") == 104857600, layout
        assert v("cgroup.memory.rss") == 62914560, layout
        assert v("cgroup.memory.cache") == 41943040, layout
        assert v("cgroup.memory.swap") == 4096, layout
        assert v("cgroup.memory.working_set") == 104857600 - 20971520, layout
        assert v("cgroup.memory.limit") == 268435456, layout
        if layout != "amazon":
            assert v("cgroup.pids.current") == 7, layout
            assert res.has("cgroup.pids.limit", DOCKER) == (layout != "purev2"), layout
        # counters: one sample gives no rate, but the check read them (tally check prints
        # what it would submit; the first sample of a rate submits nothing)
        assert res.svc("cgroup.can_read")["status"] == 0, (layout, res.svc("cgroup.can_read"))
        assert not res.has("cgroup.cpu.usage", DOCKER)


def test_rates_on_a_changing_fixture():
    """Counters moving at known speeds between the two runs of --rate, in a copy of the hybrid
    layout rewritten in place (fixed width, as a kept-open descriptor re-reads it):
    cpuacct.usage at 0.25 s of CPU per second (25% of a core), blkio at 4 MiB/s read on 8:0
    and 1 MiB/s written on 8:16 (this machine's blkio accounts no I/O, so real I/O cannot be
    compared)."""
    dirs = CgroupDirs()
    tmp = tempfile.mkdtemp(prefix="tally-cgfix-")
    stop = threading.Event()
    try:
        shutil.copytree(os.path.join(FIXTURES, "hybrid"), tmp, dirs_exist_ok=True)
        path = os.path.join(tmp, "sys/fs/cgroup/cpuacct", DOCKER.lstrip("/"), "cpuacct.usage")
        fd = os.open(path, os.O_WRONLY)
        blk = os.open(os.path.join(tmp, "sys/fs/cgroup/blkio", DOCKER.lstrip("/"),
                                   "blkio.throttle.io_service_bytes"), os.O_WRONLY | os.O_TRUNC)
        t0 = time.monotonic()

        def bump():
            while not stop.is_set():
                t = time.monotonic() - t0
                os.pwrite(fd, b"%020d\n" % int(t * 0.25e9), 0)
                # 8:0 reads 4 MiB/s, 8:16 writes 1 MiB/s (fixed width: rewritten in place)
                r, w = int(t * (4 << 20)), int(t * (1 << 20))
                os.pwrite(blk, b"8:0 Read %020d\n8:0 Write %020d\n8:16 Read %020d\n"
                          b"8:16 Write %020d\nTotal %020d\n" % (r, 0, 0, w, r + w), 0)
                time.sleep(0.01)

        th = threading.Thread(target=bump)
        th.start()
        res = dirs.run_check(instance(tmp, "proc", "sys/fs/cgroup", "    io_per_device: true\n"),
                             args=("--rate", "--json"))
        stop.set()
        th.join()
        os.close(fd)
        os.close(blk)
        assert res.proc.returncode == 0, res.proc.stderr
        got = res.value("cgroup.cpu.usage", DOCKER)
        assert abs(got - 25.0) <= 25.0 * 0.15, got
        # the fixture's other counters stand still: rate 0
        near = lambda got, want: abs(got - want) <= want * 0.15  # noqa: E731
        assert near(res.value("cgroup.io.read_bytes", DOCKER), 4 << 20), res.objs
        assert near(res.value("cgroup.io.write_bytes", DOCKER), 1 << 20), res.objs
        # io_per_device: each device beside the total
        assert near(res.value("cgroup.io.read_bytes", DOCKER, "device:8:0"), 4 << 20)
        assert res.value("cgroup.io.write_bytes", DOCKER, "device:8:0") == 0
        assert res.value("cgroup.io.read_bytes", DOCKER, "device:8:16") == 0
        assert near(res.value("cgroup.io.write_bytes", DOCKER, "device:8:16"), 1 << 20)
        assert res.value("cgroup.cpu.throttled", DOCKER) == 0
    finally:
        stop.set()
        shutil.rmtree(tmp, ignore_errors=True)


def test_device_names():
    """io_per_device names a device this machine has (its /sys/dev/block link) as device_name:."""
    devs = sorted(os.listdir("/sys/dev/block")) if os.path.isdir("/sys/dev/block") else []
    if not devs:
        return  # nothing to name on this machine; the MAJ:MIN tag is tested above
    devno = devs[0]
    name = os.path.basename(os.readlink("/sys/dev/block/" + devno))
    dirs = CgroupDirs()
    tmp = tempfile.mkdtemp(prefix="tally-cgfix-")
    try:
        shutil.copytree(os.path.join(FIXTURES, "hybrid"), tmp, dirs_exist_ok=True)
        with open(os.path.join(tmp, "sys/fs/cgroup/blkio", DOCKER.lstrip("/"),
                               "blkio.throttle.io_service_bytes"), "w") as f:
            f.write("%s Read 4096\n%s Write 0\n%s Sync 4096\n%s Async 0\n%s Discard 0\n"
                    "%s Total 4096\nTotal 4096\n" % ((devno,) * 6))
        res = dirs.run_check(instance(tmp, "proc", "sys/fs/cgroup", "    io_per_device: true\n"),
                             args=("--rate", "--json"))
        assert res.proc.returncode == 0, res.proc.stderr
        assert res.value("cgroup.io.read_bytes", DOCKER, "device:" + devno,
                         "device_name:" + name) == 0, res.objs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_unreadable_hierarchy_warns():
    dirs = CgroupDirs()
    tmp = tempfile.mkdtemp(prefix="tally-cgfix-")
    try:
        shutil.copytree(os.path.join(FIXTURES, "hybrid"), tmp, dirs_exist_ok=True)
        shutil.rmtree(os.path.join(tmp, "sys/fs/cgroup/blkio"))
        res = dirs.run_check(instance(tmp, "proc", "sys/fs/cgroup"))
        assert res.proc.returncode == 0, res.proc.stderr
        sc = res.svc("cgroup.can_read")
        assert sc["status"] == 1, sc
        assert "blkio" in sc["message"], sc
        # the other hierarchies are still read
        assert res.value("cgroup.memory.usage", DOCKER) == 104857600
        assert not res.has("cgroup.io.read_bytes", DOCKER)
        # one WARNING service check, no log line for it
        assert "blkio" not in res.proc.stderr, res.proc.stderr
        # no cgroup mounts at all: CRITICAL with the reason
        with open(os.path.join(tmp, "proc/mounts"), "w") as f:
            f.write("proc /proc proc rw 0 0\n")
        res = dirs.run_check(instance(tmp, "proc", "sys/fs/cgroup"))
        sc = res.svc("cgroup.can_read")
        assert sc["status"] == 2 and "no cgroup mount" in sc["message"], sc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_configcheck():
    """The example (every key) validates; a misspelt key and a bad value are reported."""
    dirs = CgroupDirs()
    with open(os.path.join(SRCDIR, "conf.d", "cgroup.yaml.example")) as f:
        dirs.conf("cgroup.yaml", f.read())
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", dirs.config], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    for key in ("procfs_root", "cgroupfs_root", "include", "exclude", "max_cgroups",
                "io_per_device", "max_open_files"):
        assert key + ":" in p.stdout, (key, p.stdout)
    path = dirs.conf("cgroup.yaml", "instances:\n  - include: [/docker/*]\n"
                     "    max_cgroup: 5\n    io_per_device: maybe\n")
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", dirs.config], capture_output=True,
                       text=True, timeout=30)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert '%s:3:5: instances[0]: unknown key "max_cgroup"' % path in out, out
    assert "%s:4:20:" % path in out, out


if __name__ == "__main__":
    run([test_every_layout, test_rates_on_a_changing_fixture, test_device_names,
         test_unreadable_hierarchy_warns,
         test_configcheck])
