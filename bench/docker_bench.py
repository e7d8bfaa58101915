#!/usr/bin/env python3
"""docker_bench: what one docker check run costs, against a private engine
(tests/integration/dockerd.py) with N idle containers: wall time and the CPU time of
`tally check docker` (user+sys of the child), reading the host's files (cgroups, net/dev)
versus the engine's stats API only (procfs_root/cgroupfs_root pointed at an empty folder).
Run by hand as root after `make`:  python3 bench/docker_bench.py [N] [RUNS]
"""
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "plugins", "docker", "tests"))
os.environ.setdefault("TALLY_SRCDIR", SRC)
os.environ.setdefault("TALLY_BUILDDIR", SRC)
os.environ.setdefault("TALLY_BIN", os.path.join(SRC, "tally"))

from dockertest import DockerDirs, TALLY_BIN  # noqa: E402
from dockerd import Dockerd  # noqa: E402


def measure(d, runs):
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = subprocess.run([TALLY_BIN, "check", "docker", "-c", d.config, "--json"],
                           capture_output=True, text=True)
        walls.append(time.monotonic() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        assert p.returncode == 0, p.stderr
    walls.sort()
    cpus.sort()
    return walls[len(walls) // 2], cpus[len(cpus) // 2], p.stdout.count("docker.mem.rss")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    empty = tempfile.mkdtemp(prefix="tally-dbench-")
    with Dockerd() as D:
        D.image()
        for i in range(n):
            D.run("idle%d" % i, "sleep", "100000")
        files = DockerDirs()
        files.instances({"url": D.host})
        api = DockerDirs()
        api.instances({"url": D.host, "procfs_root": empty, "cgroupfs_root": empty})
        fw, fc, fn = measure(files, runs)
        aw, ac, an = measure(api, runs)
    os.rmdir(empty)
    print("containers=%d runs=%d (medians)" % (n, runs))
    print("host files: wall %.3f s, cpu %.3f s, %d containers reported" % (fw, fc, fn))
    print("stats API : wall %.3f s, cpu %.3f s, %d containers reported" % (aw, ac, an))
    print("ratio files/api: wall %.2f, cpu %.2f" % (fw / aw, fc / ac if ac else 0))


if __name__ == "__main__":
    main()
