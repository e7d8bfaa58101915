"""Origin detection on the Unix socket: a sender inside a container's cgroup gets its
container_id tag, others do not. The "container" is a real cgroup named as docker names them
(/sys/fs/cgroup/<controller>/docker/<64 hex>), with the sending process moved into it."""
import os
import secrets
import subprocess
import sys
import tempfile

from tallytest import Tally, run, skip, wait_for

CONTROLLERS = ("pids", "memory", "cpu", "unified")


def make_container_cgroup():
    """Returns (procs file, dirs to remove, id), or skips when no cgroup can be made."""
    cid = secrets.token_hex(32)
    for ctrl in CONTROLLERS:
        root = os.path.join("/sys/fs/cgroup", ctrl)
        if not os.path.isdir(root):
            continue
        parent = os.path.join(root, "tally-it-%d" % os.getpid())
        group = os.path.join(parent, "docker", cid)
        try:
            os.makedirs(group)
        except OSError:
            continue
        return os.path.join(group, "cgroup.procs"), [group, os.path.dirname(group), parent], cid
    skip("cannot create a cgroup under /sys/fs/cgroup (needs root and a writable hierarchy)")


SENDER = r"""
import socket, sys
with open(sys.argv[1], "w") as f:      # move this very process into the container cgroup
    f.write("0")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"origin.c:1|c|#src:container\n_sc|origin.sc|0|m:ok", sys.argv[2])
"""


def test_container_sender_is_tagged():
    procs, dirs, cid = make_container_cgroup()
    path = os.path.join(tempfile.mkdtemp(prefix="tally-origin-"), "dsd.socket")
    try:
        with Tally(socket_path=path) as t:
            p = subprocess.run([sys.executable, "-c", SENDER, procs, path],
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stderr
            t.send("origin.host:1|c|#src:host", sock_type="uds")
            hits = t.wait_series("origin.c", "container_id:" + cid)
            assert "src:container" in hits[0][3], hits
            host_hits = t.wait_series("origin.host")
            assert not any(tag.startswith("container_id:") for tag in host_hits[0][3]), host_hits
            wait_for(lambda: any(c.startswith("origin.sc OK") and ("container_id:" + cid) in c
                                 for f in t.flushes() for c in f.checks), what="service check")
            assert t.stop() == 0
    finally:
        for d in dirs:
            try:
                os.rmdir(d)
            except OSError:
                pass


if __name__ == "__main__":
    run([test_container_sender_is_tagged])
