#!/usr/bin/env python3
"""bench/exec_bench.py: what running command plugins costs the agent.

Starts the built ./tally (`tally run`) twice in one go: once with no exec instance (the
baseline) and once with N instances (default 100) of a trivial command every INTERVAL seconds
(default 10), and reads the agent's own CPU time (utime + stime of /proc/PID/stat, which does
not include its children's) over DURATION seconds after a warm-up. Prints the agent's CPU as a
percentage of one core for both, their ratio, and the children's CPU (cutime + cstime) apart.
The issue's bar: the 100-instance agent under 2% of a core.

  python3 bench/exec_bench.py [--instances 100] [--interval 10] [--duration 60]
                              [--command /bin/true] [--format nagios]
Run from the build tree after `make`; needs no network.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDDIR = os.environ.get("TALLY_BUILDDIR") or os.path.dirname(HERE)
TALLY = os.environ.get("TALLY_BIN") or os.path.join(BUILDDIR, "tally")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[11..14]: utime stime cutime cstime (man 5 proc, counted from state = 0)
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def measure(n, args):
    work = tempfile.mkdtemp(prefix="tally-exec-bench-")
    try:
        confd = os.path.join(work, "conf.d")
        os.makedirs(confd)
        if n:
            with open(os.path.join(confd, "exec.yaml"), "w") as f:
                f.write("instances:\n")
                for i in range(n):
                    f.write("  - name: bench%d\n    command: %s\n    format: %s\n"
                            "    min_collection_interval: %g\n"
                            % (i, json.dumps([args.command]), args.format, args.interval))
        config = os.path.join(work, "tally.yaml")
        with open(config, "w") as f:
            f.write("hostname: bench\ndogstatsd_port: %d\nflush_interval: 10\nlog_level: warn\n"
                    "status_listen: 127.0.0.1:%d\nconfd_path: %s\nchecksd_path: %s\n"
                    % (free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM), confd,
                       os.path.join(BUILDDIR, "checks.d")))
        with open(os.path.join(work, "stderr"), "w") as err:
            p = subprocess.Popen([TALLY, "run", "-c", config], stdout=subprocess.DEVNULL,
                                 stderr=err)
            try:
                time.sleep(args.warmup)
                if p.poll() is not None:
                    sys.exit("tally exited: " + open(os.path.join(work, "stderr")).read())
                t0, (a0, c0) = time.monotonic(), cpu_ticks(p.pid)
                time.sleep(args.duration)
                t1, (a1, c1) = time.monotonic(), cpu_ticks(p.pid)
            finally:
                p.terminate()
                p.wait(30)
        wall = t1 - t0
        return (a1 - a0) / TICK / wall * 100, (c1 - c0) / TICK / wall * 100, wall
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=12)
    ap.add_argument("--command", default="/bin/true")
    ap.add_argument("--format", default="nagios")
    args = ap.parse_args()
    base, base_children, wall0 = measure(0, args)
    load, children, wall1 = measure(args.instances, args)
    runs = args.instances * wall1 / args.interval
    print("baseline (no exec instance): agent %.3f%% of a core over %.0f s" % (base, wall0))
    print("%d x %s every %g s: agent %.3f%% of a core over %.0f s (~%.0f runs), "
          "children %.3f%%" % (args.instances, args.command, args.interval, load, wall1, runs,
                               children))
    print("agent CPU per command run: %.3f ms" % (load / 100 * wall1 / max(runs, 1) * 1000))
    if base > 0:
        print("ratio loaded / baseline: %.2f" % (load / base))
    else:
        print("baseline under one clock tick (< %.3f%%): no ratio" % (100.0 / TICK / wall0))
    print("bar: agent < 2%% of a core: %s" % ("PASS" if load < 2 else "FAIL"))
    return 0 if load < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
