"""Misbehaving commands cannot hang, flood or leak into the agent: a command that hangs with a
grandchild is killed whole at its timeout (nothing left in its process group), one that ignores
SIGTERM gets SIGKILL a second later, 50 MB of output is cut at max_output and counted, endless
output is stopped by the deadline, a missing or non-executable file is an UNKNOWN service check
saying why, and under `tally run` a hanging instance leaves the agent and its other instances
unaffected, with no zombie ever left behind."""
import os
import time

from exectest import (ExecDirs, alive, group_members, kill_leftovers, read_pids, zombies_of)
from tallytest import Tally, run, wait_for

HANG = r"""echo $$ > "$0.pids"
sleep 300 &
echo $! >> "$0.pids"
sh -c 'sleep 300' &
echo $! >> "$0.pids"
echo 'STARTED | a=1'
wait
"""

STUBBORN = r"""trap '' TERM
echo $$ > "$0.pids"
sh -c 'trap "" TERM; sleep 300' &
echo $! >> "$0.pids"
while :; do sleep 1; done
"""


def script(d, name, text):
    path = os.path.join(d.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def assert_group_gone(pids):
    pgid = pids[0]
    wait_for(lambda: not group_members(pgid), 5, "process group %d empty" % pgid)
    for pid in pids:
        assert not alive(pid), "pid %d survived" % pid


def test_hang_with_grandchild_killed_at_timeout():
    d = ExecDirs()
    hang = script(d, "hang.sh", HANG)
    try:
        r = d.run_check({"name": "hang", "command": ["/bin/sh", hang], "timeout": 1.5})
        pids = read_pids(hang + ".pids")
        assert len(pids) == 3, pids
        assert 1.4 <= r.took < 6, r.took
        sc = r.svc("hang")
        assert sc["status"] == 3 and "timed out after 1.5 s" in sc["message"], sc
        assert "terminated (SIGTERM)" in sc["message"], sc
        # what it printed before the deadline still counts
        assert r.value("a") == 1, r.objs
        assert_group_gone(pids)
    finally:
        kill_leftovers(read_pids(hang + ".pids"))


def test_sigterm_ignored_gets_sigkill():
    d = ExecDirs()
    stub = script(d, "stubborn.sh", STUBBORN)
    try:
        r = d.run_check({"name": "stub", "command": ["/bin/sh", stub], "timeout": 1})
        pids = read_pids(stub + ".pids")
        assert len(pids) == 2, pids
        # SIGTERM at 1 s, SIGKILL at 2 s
        assert 1.9 <= r.took < 7, r.took
        sc = r.svc("stub")
        assert sc["status"] == 3 and "killed (SIGKILL)" in sc["message"], sc
        assert_group_gone(pids)
    finally:
        kill_leftovers(read_pids(stub + ".pids"))


def test_50mb_output_is_bounded_and_counted():
    d = ExecDirs()
    total = 50 * 1024 * 1024
    r = d.run_check({"name": "flood", "format": "mackerel", "max_output": 1048576,
                     "command": ["/bin/sh", "-c", "yes | head -c %d" % total]},
                    {"name": "small", "format": "mackerel", "max_output": 1000,
                     "command": ["/bin/sh", "-c",
                                 "printf 'kept\\t1\\t1700000000\\n'; yes | head -c 5000"]})
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.took < 20, r.took
    assert r.value("tally.exec.discarded_bytes", "flood") == total - 1048576
    # the kept MiB is "y\n" lines: none a metric, every one counted
    assert r.value("tally.exec.bad_lines", "flood") == 1048576 // 2
    assert r.svc("flood")["status"] == 0, r.svc("flood")
    assert r.value("kept") == 1
    assert r.value("tally.exec.discarded_bytes", "small") == 18 + 5000 - 1000
    assert "printed over max_output" in r.proc.stderr, r.proc.stderr


def test_endless_output_stopped_by_deadline():
    d = ExecDirs()
    r = d.run_check({"name": "endless", "format": "mackerel", "command": ["yes"],
                     "timeout": 1})
    assert 0.9 <= r.took < 6, r.took
    assert r.svc("endless")["status"] == 3, r.svc("endless")
    assert r.value("tally.exec.discarded_bytes", "endless") > 0


def test_cannot_start():
    d = ExecDirs()
    noexec = script(d, "noexec.sh", "echo hi\n")
    os.chmod(noexec, 0o644)
    r = d.run_check({"name": "missing", "command": [os.path.join(d.dir, "does-not-exist")]},
                    {"name": "nopath", "command": ["tally-exec-no-such-program"]},
                    {"name": "noexec", "command": [noexec]})
    assert r.proc.returncode == 0, r.proc.stderr
    for name, why in (("missing", "No such file or directory"),
                      ("nopath", "No such file or directory"),
                      ("noexec", "Permission denied")):
        sc = r.svc(name)
        assert sc["status"] == 3 and sc["message"].startswith("cannot run ") and \
            sc["message"].endswith(why), sc
        assert "exec_name:" + name in sc["tags"], sc


def test_agent_unaffected_and_no_zombies():
    d = ExecDirs()
    hang = script(d, "hang.sh", HANG)
    d.instances({"name": "hang", "command": ["/bin/sh", hang], "timeout": 2,
                 "min_collection_interval": 1},
                {"name": "ok", "format": "mackerel", "min_collection_interval": 1,
                 "command": ["/bin/sh", "-c", "printf 'alive\\t1\\t%s\\n' $(date +%s)"]})
    try:
        with Tally(flush_interval=1, extra=d.config_keys()) as t:
            t0 = time.monotonic()
            # the healthy instance keeps reporting every second while the other one hangs
            t.wait_series("alive", "exec_name:ok", timeout=15)
            seen = []

            def many():
                n = len([f for f in t.flushes() if f.find("alive", "exec_name:ok")])
                seen.append(n)
                return n >= 5
            wait_for(many, 20, "5 flushes with the healthy instance")
            assert time.monotonic() - t0 < 20
            first = read_pids(hang + ".pids")
            wait_for(lambda: read_pids(hang + ".pids") != first, 15, "a second hanging run")
            assert t.alive(), t.stderr()
            assert not zombies_of(t.proc.pid), zombies_of(t.proc.pid)
            assert_group_gone(first)
            assert "timed out after 2 s" in t.stderr(), t.stderr()
            rc = t.stop()
            assert rc == 0, t.stderr()
        wait_for(lambda: not group_members(read_pids(hang + ".pids")[0]), 5, "last group gone")
    finally:
        kill_leftovers(read_pids(hang + ".pids"))


if __name__ == "__main__":
    run([test_hang_with_grandchild_killed_at_timeout, test_sigterm_ignored_gets_sigkill,
         test_50mb_output_is_bounded_and_counted, test_endless_output_stopped_by_deadline,
         test_cannot_start, test_agent_unaffected_and_no_zombies])
