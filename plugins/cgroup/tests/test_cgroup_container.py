"""A containerised agent's view, made for real with a private mount namespace (unshare -m):
the host's /sys/fs/cgroup bind-mounted at <tmp>/host/sys/fs/cgroup and the agent's own
/sys/fs/cgroup covered by an empty tmpfs, so only correctly re-rooted paths can be read.
- only the host's mounts file at <tmp>/host/proc/mounts (host paths: /sys/fs/cgroup/memory
  must be read at <tmp>/host/sys/fs/cgroup/memory);
- /proc/self/mounts listing both sets of cgroup mounts (the Docker 1.8 case).
The namespace ends with the command; nothing is mounted on the host."""
import json
import os
import shutil
import subprocess
import tempfile

from cgtest import CG, CgroupDirs, Result, holder, make_group, need_real_cgroups, start, stop, \
    write
from tallytest import TALLY_BIN, run, skip

NAME = "/tally-it-%d-ct" % os.getpid()


def mounted_under(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4].startswith(path) for line in f)


def in_container_ns(tmp, dirs, procfs_root):
    """tally check cgroup inside a private mount namespace; returns a Result."""
    dirs.conf("cgroup.yaml", "instances:\n  - procfs_root: %s\n    cgroupfs_root: %s\n"
              "    include: [%s/*]\n" % (procfs_root, tmp + "/host/sys/fs/cgroup", NAME))
    script = ("set -e; mount --rbind %s %s/host/sys/fs/cgroup; mount -t tmpfs none %s; "
              "exec %s check cgroup -c %s --json" % (CG, tmp, CG, TALLY_BIN, dirs.config))
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    objs = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return Result(p, objs)


def test_containerised_views():
    if not shutil.which("unshare"):
        skip("unshare (util-linux) missing")
    dirs = CgroupDirs()
    grp = {c: make_group(os.path.join(CG, c), NAME + "/app") for c in ("memory", "pids")}
    write(os.path.join(grp["memory"], "memory.limit_in_bytes"), 128 << 20)
    p = start(holder(32), grp.values())
    assert p.stdout.readline().strip() == "ready"
    tmp = tempfile.mkdtemp(prefix="tally-ct-")
    try:
        os.makedirs(tmp + "/host/proc")
        os.makedirs(tmp + "/host/sys/fs/cgroup")
        shutil.copy("/proc/mounts", tmp + "/host/proc/mounts")  # the host's, host paths
        for procfs_root in (tmp + "/host/proc", "/proc"):
            res = in_container_ns(tmp, dirs, procfs_root)
            assert res.proc.returncode == 0, res.proc.stderr
            app = NAME + "/app"
            assert res.value("cgroup.memory.limit", app) == 128 << 20, (procfs_root, res.objs)
            assert res.value("cgroup.memory.usage", app) >= 32 << 20
            assert res.value("cgroup.pids.current", app) == 1
            assert res.svc("cgroup.can_read")["status"] == 0, res.svc("cgroup.can_read")
    finally:
        stop(p)
        # never rmtree through a mount: that would remove real cgroups
        if not mounted_under(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    need_real_cgroups()
    run([test_containerised_views])
