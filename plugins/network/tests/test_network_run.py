"""The network check under `tally run` (console backend, 1 s interval) against a real
namespace: its interfaces reach a flush tagged netns:<name>; after `ip netns del` the check
logs the namespace as unreadable once and lets go of it, so the kernel destroys the namespace
and its veth pair within a run or two (kept-open descriptors must not keep it alive)."""
import os
import shutil
import subprocess

from nettest import NetDirs, Netns, need_root_ip, sh
from tallytest import Tally, run, wait_for


def test_namespace_released_after_delete():
    need_root_ip()
    d = NetDirs()
    ns = Netns("r", 6)
    t = None
    try:
        d.instances({"namespaces": [ns.name], "min_collection_interval": 1})
        t = Tally(extra=d.config_keys())
        t.start()
        t.wait_series("system.net.bytes_rcvd", "device:" + ns.ns_if, "netns:" + ns.name,
                      timeout=15)
        t.wait_series("system.net.bytes_rcvd", "device:" + ns.host_if, timeout=5)
        sh("ip", "netns", "del", ns.name)

        def link_gone():
            return subprocess.run(["ip", "link", "show", ns.host_if],
                                  capture_output=True).returncode != 0
        wait_for(link_gone, 10, "veth pair destroyed after ip netns del")
        wait_for(lambda: "namespace unreadable netns=" + ns.name in t.stderr(), 5,
                 "the absent namespace logged")
        assert t.stderr().count("namespace unreadable netns=" + ns.name) == 1, t.stderr()
        assert t.alive()
    finally:
        if t is not None:
            if t.proc and t.alive():
                t.stop()
            shutil.rmtree(t.dir, True)
        ns.close()


run([test_namespace_released_after_delete])
