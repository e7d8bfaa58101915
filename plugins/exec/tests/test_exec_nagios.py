"""Real Monitoring Plugins (Debian's monitoring-plugins-basic) run by the exec check through
`./tally check exec --json`: their status and perfdata checked against what the plugin printed
itself when run directly, and against the system (/proc/loadavg, statvfs as df uses it, the
process count, a real TCP listener). Also: the exit-code mapping (0..3, anything else and a
signal -> UNKNOWN), long output with perfdata on later lines, quoted labels, and `c` counters."""
import os
import re
import socket
import subprocess

from exectest import ExecDirs, need_plugin
from tallytest import run

MiB = 1024 * 1024


def direct(argv):
    """The plugin run by the test itself: (exit code, first line, {label: value, uom})."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    text, _, perf = p.stdout.partition("|")
    items = {}
    for m in re.finditer(r"('(?:[^']|'')+'|[^ =]+)=([-0-9.]+)([a-zA-Z%]*)", perf):
        items[m.group(1).strip("'")] = (float(m.group(2)), m.group(3))
    return p.returncode, text.splitlines()[0].strip() if text else "", items


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def test_check_load():
    plugin = need_plugin("check_load")
    argv = [plugin, "-w", "1000,1000,1000", "-c", "2000,2000,2000"]
    d = ExecDirs()
    before = loadavg()
    r = d.run_check({"name": "load", "command": argv, "prefix": "nagios.", "tags": ["t:load"]})
    after = loadavg()
    assert r.proc.returncode == 0, r.proc.stderr
    code, first, items = direct(argv)
    sc = r.svc("load")
    assert sc["status"] == code == 0, (sc, code)
    assert sc["message"].startswith("LOAD OK - total load average: "), sc
    assert first.startswith("LOAD OK - total load average: "), first
    assert "exec_name:load" in sc["tags"] and "t:load" in sc["tags"], sc
    assert set(items) == {"load1", "load5", "load15"}, items
    for i, label in enumerate(("load1", "load5", "load15")):
        v = r.value("nagios." + label)
        # The kernel's numbers around the run, as the plugin prints them (2-3 decimals).
        lo, hi = min(before[i], after[i]) - 0.01, max(before[i], after[i]) + 0.01
        assert lo <= v <= hi, (label, v, before, after)
        m = r.metrics("nagios." + label)[0]
        assert m["type"] == "gauge" and "exec_name:load" in m["tags"], m
    # The message is the plugin's own first line, numbers and all.
    nums = [float(x) for x in re.findall(r"[0-9]+\.[0-9]+", sc["message"])]
    assert nums == [r.value("nagios.load1"), r.value("nagios.load5"),
                    r.value("nagios.load15")], (nums, sc)
    assert r.value("tally.exec.bad_lines", "load") == 0


def test_check_load_warning_and_critical():
    plugin = need_plugin("check_load")
    d = ExecDirs()
    # check_load warns above (strictly) its thresholds: with 0 any load but 0.00 warns.
    warn = [plugin, "-w", "0,0,0", "-c", "9999,9999,9999"]
    crit = [plugin, "-w", "0,0,0", "-c", "0,0,0"]
    r = d.run_check({"name": "warn", "command": warn, "prefix": "w."},
                    {"name": "crit", "command": crit, "prefix": "c."})
    for name, argv, want in (("warn", warn, 1), ("crit", crit, 2)):
        code, first, _ = direct(argv)
        sc = r.svc(name)
        loads = [r.value(name[0] + "." + k) for k in ("load1", "load5", "load15")]
        expect = want if any(v > 0 for v in loads) else 0
        assert sc["status"] == expect, (sc, loads)
        assert code == expect or not any(loadavg()), (code, first)
        assert sc["message"].split(" - ")[0] == first.split(" - ")[0], (sc, first)


def test_check_disk_against_statvfs():
    plugin = need_plugin("check_disk")
    argv = [plugin, "-w", "0", "-c", "0", "-p", "/"]
    d = ExecDirs()
    r = d.run_check({"name": "disk", "command": argv, "prefix": "disk."})
    code, first, items = direct(argv)
    sc = r.svc("disk")
    assert sc["status"] == code == 0, (sc, code)
    assert sc["message"].split(" ")[:5] == first.split(" ")[:5], (sc, first)
    # The label "/" becomes "_" in the name; the plugin's unit says how to read its number.
    used = r.value("disk._")
    val, uom = items["/"]
    mult = {"B": 1, "KB": 1024, "MB": MiB, "GB": 1024 * MiB}[uom]
    assert abs(used - val * mult) <= 256 * MiB, (used, val, uom)  # others write meanwhile
    st = os.statvfs("/")
    df_used = (st.f_blocks - st.f_bfree) * st.f_frsize
    assert abs(used - df_used) <= 256 * MiB, (used, df_used)
    assert 0 < used < st.f_blocks * st.f_frsize


def proc_count():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def test_check_procs():
    plugin = need_plugin("check_procs")
    d = ExecDirs()
    before = proc_count()
    r = d.run_check({"name": "procs", "command": [plugin, "-w", "100000", "-c", "200000"]},
                    {"name": "toomany", "command": [plugin, "-w", "1", "-c", "100000"]})
    after = proc_count()
    assert r.svc("procs")["status"] == 0 and r.svc("procs")["message"].startswith("PROCS OK")
    assert r.svc("toomany")["status"] == 1, r.svc("toomany")
    assert r.svc("toomany")["message"].startswith("PROCS WARNING"), r.svc("toomany")
    n = [m["value"] for m in r.metrics("procs", "procs")][0]
    # Other helpers start processes too; the plugin's number must be near what /proc holds.
    assert min(before, after) - 40 <= n <= max(before, after) + 40, (n, before, after)
    msg_n = int(re.search(r"([0-9]+) processes", r.svc("procs")["message"]).group(1))
    assert msg_n == n, (msg_n, n)


def test_check_dummy_statuses():
    plugin = need_plugin("check_dummy")
    d = ExecDirs()
    insts = [{"name": "dummy%d" % i, "command": [plugin, str(i), "text %d" % i]}
             for i in range(4)]
    insts.append({"name": "dummy4", "command": [plugin, "4", "x"]})
    insts.append({"name": "exit7", "command": ["/bin/sh", "-c", "echo SEVEN; exit 7"]})
    insts.append({"name": "signal", "command": ["/bin/sh", "-c", "echo HALF; kill -9 $$"]})
    r = d.run_check(*insts)
    for i in range(4):
        code, first, _ = direct([plugin, str(i), "text %d" % i])
        sc = r.svc("dummy%d" % i)
        assert sc["status"] == code == i, (sc, code)
        assert sc["message"] == first, (sc, first)
        assert first.endswith("text %d" % i)
    assert r.svc("dummy4")["status"] == 3, r.svc("dummy4")
    assert r.svc("exit7")["status"] == 3 and r.svc("exit7")["message"] == "SEVEN"
    sig = r.svc("signal")
    assert sig["status"] == 3 and "signal 9" in sig["message"], sig


def test_check_tcp_against_a_real_listener():
    plugin = need_plugin("check_tcp")
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        port = srv.getsockname()[1]
        closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]  # bound, not listening: refused
        d = ExecDirs()
        argv = [plugin, "-H", "127.0.0.1", "-p", str(port)]
        r = d.run_check({"name": "tcp", "command": argv, "prefix": "tcp."},
                        {"name": "tcp_closed",
                         "command": [plugin, "-H", "127.0.0.1", "-p", str(closed_port)]})
        closed.close()
        code, first, items = direct(argv)
        sc = r.svc("tcp")
        assert sc["status"] == code == 0, (sc, code)
        assert sc["message"].startswith("TCP OK - ") and first.startswith("TCP OK - "), sc
        assert "port %d" % port in sc["message"], sc
        assert items["time"][1] == "s", items
        t = r.value("tcp.time")
        assert 0 <= t < 5, t  # seconds: s stays s
        assert r.svc("tcp_closed")["status"] == 2, r.svc("tcp_closed")
        assert "refused" in r.svc("tcp_closed")["message"], r.svc("tcp_closed")
    finally:
        srv.close()


LONG = r"""printf '%s\n' \
  "DISK WARNING - free space: /a 100 MB | /a=100MB;;;0;200" \
  "/b 2 GB" \
  "/c 3 KB | '/b space'=2GB;;;; /c=3KB" \
  "t1=250ms t2=7us t3=1.5s p=93.5%" \
  "pk=$(cat "$0.n")c bad=1furlong"
echo $(( $(cat "$0.n") + 100 )) > "$0.n"
exit 1
"""


def test_long_output_units_counters():
    d = ExecDirs()
    script = os.path.join(d.dir, "long.sh")
    with open(script, "w") as f:
        f.write(LONG)
    with open(script + ".n", "w") as f:
        f.write("1000\n")
    r = d.run_check({"name": "long", "command": ["/bin/sh", script], "prefix": "p."},
                    args=("--json", "--rate"))
    assert r.proc.returncode == 0, r.proc.stderr
    sc = r.svc("long")
    assert sc["status"] == 1, sc
    assert sc["message"] == "DISK WARNING - free space: /a 100 MB\n/b 2 GB\n/c 3 KB", sc
    want = {"p._a": 100 * MiB, "p._b_space": 2 * 1024 * MiB, "p._c": 3 * 1024,
            "p.t1": 0.25, "p.t2": 7e-6, "p.t3": 1.5, "p.p": 93.5}
    for name, v in want.items():
        got = [m["value"] for m in r.metrics(name)]
        assert got and abs(got[-1] - v) <= 1e-12 * max(1, v), (name, got, v)
    # c: a monotonic count; --rate runs twice, the second sends the delta of 100.
    pk = r.metrics("p.pk")
    assert pk and pk[-1]["type"] == "monotonic_count" and pk[-1]["value"] == 100, pk
    bad = [m["value"] for m in r.metrics("tally.exec.bad_lines", "long")]
    assert bad and all(b == 1 for b in bad), bad


if __name__ == "__main__":
    run([test_check_load, test_check_load_warning_and_critical, test_check_disk_against_statvfs,
         test_check_procs, test_check_dummy_statuses, test_check_tcp_against_a_real_listener,
         test_long_output_units_counters])
