"""The network check against real namespaces (root): a namespace and a veth pair made with
`ip`, steady TCP through it, and `tally check network --rate --json` compared with the kernel's
/sys/class/net/*/statistics over the same window, host side and namespace side (by name and
by pid:N), within 10%; UDP to a closed port -> udp.no_ports; an overrun receive buffer ->
udp.rcv_buf_errors; connections by state through sock_diag; exclusions; an absent namespace.
Every namespace, link and helper process is removed at exit, also on failure."""
import os
import shutil
import socket
import time

from nettest import (TCP_SINK, UDP_NO_READ, NetDirs, Netns, Paced, need_root_ip, sh,
                     tcp_sender)
from tallytest import SRCDIR, run


def near(a, b, rel=0.10):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def snmp_counter(ns, prefix, field):
    """A Udp:/Tcp: counter of /proc/net/snmp, read inside ns (None: the host)."""
    if ns is None:
        with open("/proc/net/snmp") as f:
            text = f.read()
    else:
        text = sh("ip", "netns", "exec", ns.name, "cat", "/proc/net/snmp").stdout
    lines = [ln.split() for ln in text.splitlines() if ln.startswith(prefix + ":")]
    return int(lines[1][lines[0].index(field)])


class Window:
    """Kernel counters read just before and just after the check: per-second rates."""

    def __init__(self, read):
        self.read = read

    def __enter__(self):
        self.t0, self.v0 = time.monotonic(), self.read()
        return self

    def __exit__(self, *exc):
        self.t1, self.v1 = time.monotonic(), self.read()

    def rate(self, key):
        return (self.v1[key] - self.v0[key]) / (self.t1 - self.t0)


def test_tcp_rates_match_sysfs():
    need_root_ip()
    d = NetDirs()
    ns = Netns("a", 0)
    try:
        sink = ns.spawn(TCP_SINK)
        conn, send = tcp_sender(ns, 8192)
        pacer = Paced(send, 0.004)  # 2 MB/s, steady
        pacer.start()
        time.sleep(0.5)

        def read():
            return {"h_tx": ns.sys_stat(ns.host_if, "tx_bytes", False),
                    "h_txp": ns.sys_stat(ns.host_if, "tx_packets", False),
                    "n_rx": ns.sys_stat(ns.ns_if, "rx_bytes", True),
                    "n_rxp": ns.sys_stat(ns.ns_if, "rx_packets", True)}

        with Window(read) as w:
            r = d.run_check({"namespaces": [ns.name, "pid:%d" % sink.pid]})
        pacer.stop()
        conn.close()
        assert r.proc.returncode == 0, r.proc.stderr
        dev_h, dev_n = "device:" + ns.host_if, "device:" + ns.ns_if
        assert w.rate("h_tx") > 1e6, w.rate("h_tx")
        got = r.value("system.net.bytes_sent", dev_h)
        assert near(got, w.rate("h_tx")), ("host bytes_sent", got, w.rate("h_tx"))
        got = r.value("system.net.packets_out.count", dev_h)
        assert near(got, w.rate("h_txp")), ("host packets_out", got, w.rate("h_txp"))
        for spec in (ns.name, "pid:%d" % sink.pid):
            got = r.value("system.net.bytes_rcvd", dev_n, netns=spec)
            assert near(got, w.rate("n_rx")), (spec, "bytes_rcvd", got, w.rate("n_rx"))
            got = r.value("system.net.packets_in.count", dev_n, netns=spec)
            assert near(got, w.rate("n_rxp")), (spec, "packets_in", got, w.rate("n_rxp"))
            # the namespace's own lo is excluded by default; no errors on a veth
            assert not r.metrics("system.net.bytes_rcvd", "device:lo", "netns:" + spec)
            assert r.value("system.net.packets_in.error", dev_n, netns=spec) == 0
            # the namespace's TCP counters are its own: the segments received by the sink
            assert r.value("system.net.tcp.in_segs", netns=spec) > 0
            assert r.value("system.net.tcp.current_established", netns=spec) == 1
        # the veth end inside the namespace is not on the host, and the other way round
        assert all("netns:" in " ".join(m["tags"])
                   for m in r.metrics("system.net.bytes_rcvd", dev_n)), r.objs
        assert not any("netns:" in " ".join(m["tags"])
                       for m in r.metrics("system.net.bytes_sent", dev_h))
    finally:
        ns.close()


def test_tcp_counters():
    """Connections opened and closed at a steady pace into the namespace: its passive_opens
    and in_segs rates against its own /proc/net/snmp over the same window, within 10%."""
    need_root_ip()
    d = NetDirs()
    ns = Netns("g", 7)
    try:
        ns.spawn(TCP_SINK)

        def connect():
            socket.create_connection((ns.ns_ip, 5000), timeout=5).close()
        pacer = Paced(connect, 0.02)  # 50 connections a second
        pacer.start()
        time.sleep(0.5)
        with Window(lambda: {"po": snmp_counter(ns, "Tcp", "PassiveOpens"),
                             "in": snmp_counter(ns, "Tcp", "InSegs")}) as w:
            r = d.run_check({"namespaces": [ns.name], "include_host": False})
        pacer.stop()
        assert r.proc.returncode == 0, r.proc.stderr
        assert w.rate("po") > 30, w.rate("po")
        got = r.value("system.net.tcp.passive_opens", netns=ns.name)
        assert near(got, w.rate("po")), ("passive_opens", got, w.rate("po"))
        got = r.value("system.net.tcp.in_segs", netns=ns.name)
        assert near(got, w.rate("in")), ("in_segs", got, w.rate("in"))
        assert r.value("system.net.tcp.active_opens", netns=ns.name) == 0
    finally:
        ns.close()


def udp_flood(ns, port, rate_hz):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)

    def send():
        try:
            s.sendto(b"m:1|c" * 40, (ns.ns_ip, port))
        except (BlockingIOError, ConnectionRefusedError):
            pass
    return s, Paced(send, 1.0 / rate_hz)


def test_udp_no_ports():
    need_root_ip()
    d = NetDirs()
    ns = Netns("b", 1)
    try:
        s, pacer = udp_flood(ns, 5002, 400)  # nothing listens on 5002 in the namespace
        pacer.start()
        time.sleep(0.3)
        with Window(lambda: {"np": snmp_counter(ns, "Udp", "NoPorts")}) as w:
            r = d.run_check({"namespaces": [ns.name], "include_host": False})
        pacer.stop()
        s.close()
        assert r.proc.returncode == 0, r.proc.stderr
        got = r.value("system.net.udp.no_ports", netns=ns.name)
        assert w.rate("np") > 200, w.rate("np")
        assert near(got, w.rate("np")), ("no_ports", got, w.rate("np"))
        assert r.value("system.net.udp.in_datagrams", netns=ns.name) == 0
        assert all("netns:" + ns.name in m["tags"] for m in r.objs), "include_host: false"
    finally:
        ns.close()


def test_udp_rcv_buf_errors():
    need_root_ip()
    d = NetDirs()
    ns = Netns("c", 2)
    try:
        ns.spawn(UDP_NO_READ)
        s, pacer = udp_flood(ns, 5001, 400)
        pacer.start()
        time.sleep(0.3)
        with Window(lambda: {"rb": snmp_counter(ns, "Udp", "RcvbufErrors")}) as w:
            r = d.run_check({"namespaces": [ns.name], "include_host": False})
        pacer.stop()
        s.close()
        assert r.proc.returncode == 0, r.proc.stderr
        got = r.value("system.net.udp.rcv_buf_errors", netns=ns.name)
        assert w.rate("rb") > 200, w.rate("rb")
        assert near(got, w.rate("rb")), ("rcv_buf_errors", got, w.rate("rb"))
        # the kernel counts a dropped datagram in InErrors too
        assert r.value("system.net.udp.in_errors", netns=ns.name) >= got * 0.9
    finally:
        ns.close()


def test_connection_state():
    need_root_ip()
    d = NetDirs()
    ns = Netns("d", 3)
    try:
        ns.spawn(TCP_SINK)
        ns.spawn(UDP_NO_READ)
        conn, _ = tcp_sender(ns, 1)
        # the host's count is compared with ss taken around the run, while the sender's
        # connection is open (parallel tests open and close loopback connections meanwhile)
        ss_est = lambda: len(sh("ss", "-H", "-t4", "-n", "state", "established").stdout.splitlines())
        before = ss_est()
        r = d.run_check({"namespaces": [ns.name], "collect_connection_state": True},
                        args=("--json",))
        after = ss_est()
        conn.close()
        assert r.proc.returncode == 0, r.proc.stderr
        # in the namespace: the sink's listener and its one accepted connection, nothing else
        assert r.value("system.net.tcp4.listen", netns=ns.name) == 1
        assert r.value("system.net.tcp4.established", netns=ns.name) == 1
        assert r.value("system.net.tcp4.time_wait", netns=ns.name) == 0
        assert r.value("system.net.tcp6.established", netns=ns.name) == 0
        assert r.value("system.net.tcp4.opening", netns=ns.name) == 0
        assert r.value("system.net.tcp4.closing", netns=ns.name) == 0
        # the one UDP socket of the namespace, as Datadog's udp4.connections counts it
        assert r.value("system.net.udp4.connections", netns=ns.name) == 1
        assert r.value("system.net.udp6.connections", netns=ns.name) == 0
        # on the host: at least the sender's end, as ss counts them
        got = r.value("system.net.tcp4.established")
        lo, hi = min(before, after), max(before, after)
        assert got >= 1 and lo - max(2, 0.2 * lo) <= got <= hi + max(2, 0.2 * hi), \
            (got, before, after)
        ss = sh("ss", "-H", "-t4", "-l", "-n").stdout.splitlines()
        got = r.value("system.net.tcp4.listen")
        assert abs(got - len(ss)) <= 1, (got, len(ss))
        # a connection closed by the host end: it waits in time_wait in the host namespace
        conn2, _ = tcp_sender(ns, 1)
        conn2.close()
        r = d.run_check({"namespaces": [ns.name], "collect_connection_state": True},
                        args=("--json",))
        assert r.value("system.net.tcp4.time_wait") >= 1, r.proc.stderr
    finally:
        ns.close()


def test_exclusions():
    need_root_ip()
    d = NetDirs()
    ns = Netns("e", 4)
    try:
        r = d.run_check({"excluded_interfaces": [], "excluded_interface_re": "^tlh"},
                        args=("--rate", "--json"))
        assert r.proc.returncode == 0, r.proc.stderr
        devs = {t for m in r.metrics("system.net.bytes_rcvd") for t in m["tags"]}
        assert "device:lo" in devs, devs
        assert "device:" + ns.host_if not in devs, devs
        # matched from the start of the name, as Datadog's check does (re.match)
        r = d.run_check({"excluded_interface_re": "lh"})
        devs = {t for m in r.metrics("system.net.bytes_rcvd") for t in m["tags"]}
        assert "device:" + ns.host_if in devs, devs
        r = d.run_check({})
        devs = {t for m in r.metrics("system.net.bytes_rcvd") for t in m["tags"]}
        assert "device:lo" not in devs and "device:" + ns.host_if in devs, devs
        r = d.run_check({"excluded_interface_re": "("}, args=("--json",))
        assert r.proc.returncode != 0 and "excluded_interface_re" in r.proc.stderr, r.proc
    finally:
        ns.close()


def test_absent_and_deleted_namespace():
    need_root_ip()
    d = NetDirs()
    r = d.run_check({"namespaces": ["tly-absent-ns", "pid:999999999"]})
    assert r.proc.returncode == 0, r.proc.stderr
    assert "tly-absent-ns" in r.proc.stderr, r.proc.stderr
    assert r.value("system.net.tcp.current_established") >= 0
    assert not [m for m in r.objs if any(t.startswith("netns:") for t in m["tags"])]
    r = d.run_check({"namespaces": ["../etc"]})
    assert r.proc.returncode != 0 and "not a name or pid:N" in r.proc.stderr, r.proc.stderr
    # A namespace read and then deleted: nothing of it is left once the check is done
    # (test_network_run.py checks the same while the agent keeps running).
    ns = Netns("f", 5)
    try:
        r = d.run_check({"namespaces": [ns.name], "include_host": False}, args=("--json",))
        assert r.value("system.net.tcp.current_established", netns=ns.name) == 0
    finally:
        ns.close()
    assert sh("ip", "link", "show", ns.host_if, check=False).returncode != 0


def test_default_conf():
    """conf.d/network.yaml.default alone: host interfaces and TCP/UDP counters, no edits."""
    d = NetDirs()
    shutil.copy(os.path.join(SRCDIR, "conf.d", "network.yaml.default"),
                os.path.join(d.confd, "network.yaml.default"))
    r = d.run_check()
    assert r.proc.returncode == 0, r.proc.stderr
    names = r.names()
    for n in ("system.net.bytes_rcvd", "system.net.bytes_sent", "system.net.packets_in.count",
              "system.net.tcp.retrans_segs", "system.net.tcp.in_segs",
              "system.net.udp.in_datagrams", "system.net.udp.rcv_buf_errors",
              "system.net.tcp.current_established", "system.net.tcp.listen_drops"):
        assert n in names, (n, sorted(names))
    assert not r.metrics("system.net.bytes_rcvd", "device:lo")
    assert all(m["value"] >= 0 for m in r.objs)


run([test_tcp_rates_match_sysfs, test_tcp_counters, test_udp_no_ports, test_udp_rcv_buf_errors,
     test_connection_state, test_exclusions, test_absent_and_deleted_namespace,
     test_default_conf])
