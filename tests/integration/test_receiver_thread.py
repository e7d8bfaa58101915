"""The receive thread: named tally-rx, at nice -10 when the process may raise it (logged either
way, nothing else reniced), and when the kernel drops datagrams the log says how long the
receiver had been away from its socket and the count matches tally.packets.dropped."""
import os
import re
import shutil
import signal
import socket
import time

from tallytest import Tally, run, wait_for


def threads(pid):
    """{tid: (comm, nice)} of pid's threads."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        with open(base + "comm") as f:
            comm = f.read().strip()
        with open(base + "stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[int(tid)] = (comm, int(fields[16]))  # field 19 of stat: nice
    return out


def all_stopped(pid):
    """SIGSTOP is asynchronous: every thread shows state T once it took effect."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            if f.read().rsplit(")", 1)[1].split()[0] != "T":
                return False
    return True


def test_receiver_thread_named_and_priority():
    t = Tally()
    try:
        with t:
            wait_for(lambda: "receiver thread priority" in t.stderr(), 10, "the priority line")
            err = t.stderr()
            ths = threads(t.proc.pid)
            rx = [n for c, n in ths.values() if c == "tally-rx"]
            assert len(rx) == 1, ths
            others = [n for c, n in ths.values() if c != "tally-rx"]
            base = os.nice(0)  # the agent inherits the test's niceness (CI may run under nice)
            assert others and all(n == base for n in others), (base, ths)
            if "receiver thread priority raised nice=-10" in err:
                assert rx[0] == -10, ths
            else:
                assert "receiver thread priority unchanged nice=0" in err, err
                assert rx[0] == 0, ths
    finally:
        shutil.rmtree(t.dir, ignore_errors=True)


def test_kernel_drops_logged_with_time_away():
    # A small buffer, and a receiver stopped while the sender floods it: drops are certain.
    extra = "dogstatsd_so_rcvbuf: 16384\n"
    t = Tally(extra=extra)
    try:
        _flood_while_stopped(t)
    finally:
        if t.proc and t.proc.poll() is None:
            os.kill(t.proc.pid, signal.SIGCONT)  # never leave it stopped
            t.proc.kill()
            t.proc.wait()
        shutil.rmtree(t.dir, ignore_errors=True)


def _flood_while_stopped(t):
    with t:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.send("rx.warm:1|c")
            t.wait_series("rx.warm", timeout=10)
            os.kill(t.proc.pid, signal.SIGSTOP)
            try:
                wait_for(lambda: all_stopped(t.proc.pid), 5, "tally to stop")
                payload = ("rx.flood:1|c|#k:" + "x" * 900).encode()
                for _ in range(200):
                    s.sendto(payload, ("127.0.0.1", t.port))
                time.sleep(0.3)
            finally:
                os.kill(t.proc.pid, signal.SIGCONT)
            # The kernel stamps its drop count on the datagrams queued after the drops: only
            # the next one tells. It comes up to 0.3 s after the queue was read (less when the
            # receiver was slow to resume), so the receiver was away well over 0.1 s.
            time.sleep(0.3)
            t.send("rx.after:1|c")
            wait_for(lambda: "kernel dropped datagrams=" in t.stderr(), 10, "the drop line")
            m = re.search(r"kernel dropped datagrams=(\d+) total=\d+ "
                          r".*away_from_socket_ms=([0-9.]+)", t.stderr())
            assert m, t.stderr()
            dropped, away = int(m.group(1)), float(m.group(2))
            assert 0 < dropped < 200, m.group(0)
            assert away >= 100, m.group(0)
            # the same count reaches the outputs as tally.packets.dropped reason:kernel
            wait_for(lambda: t.total("tally.packets.dropped", "reason:kernel") >= dropped, 10,
                     "tally.packets.dropped reason:kernel on the console")
            # (a line per second at most: a later line may add a few more)
            time.sleep(1.5)
            assert t.total("tally.packets.dropped", "reason:kernel") >= dropped
        finally:
            s.close()


if __name__ == "__main__":
    run([test_receiver_thread_named_and_priority, test_kernel_drops_logged_with_time_away])
