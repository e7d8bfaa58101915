"""The Graphite output (tagged plaintext over TCP) into a real VictoriaMetrics' graphite
listener: exact values, tags as labels, sanitized names; a Graphite that is down while counters
arrive (console keeps flushing, the queued lines arrive once it is up); the last flush at
SIGTERM still delivered; with forwarder_storage_path, what is undelivered at SIGTERM is spooled
and sent by the next start."""
import glob
import os
import tempfile
import time

from tallytest import Tally, run, wait_for
from victoria import Victoria


def graphite_extra(port, more=""):
    return (more + "outputs:\n"
            "  - type: console\n"
            "  - type: graphite\n"
            "    address: 127.0.0.1:%d\n" % port)


def export_one(vm, match):
    got = vm.export(match)
    assert len(got) == 1, got
    return got[0]


def test_exact_values_and_tags():
    with Victoria(graphite=True) as vm, \
            Tally(flush_interval=1, extra=graphite_extra(vm.graphite_port)) as t:
        for _ in range(5):
            t.send("gr.c:2|c|#env:prod,canary\ngr.c:1|c|#env:dev")
        t.send("gr.g:1|g|#env:prod\ngr.g:-7.25|g|#env:prod")
        t.send("gr.ms:10|ms\ngr.ms:30|ms\ngr.ms:20|ms")
        t.send("gr.odd name;x:1|g|#k=1:a b,bad~:v;w")

        # 1 s flushes: each point is that second's count, so the points sum to the total.
        wait_for(lambda: vm.sum_values('{__name__="gr.c",env="prod"}') == 10, 20,
                 "gr.c{env=prod} to sum to 10")
        wait_for(lambda: vm.sum_values('{__name__="gr.c",env="dev"}') == 5, 10,
                 "gr.c{env=dev} to sum to 5")
        labels = export_one(vm, '{__name__="gr.c",env="prod"}')[0]
        assert labels == {"__name__": "gr.c", "env": "prod", "canary": "true",
                          "host": "testhost"}, labels

        wait_for(lambda: vm.export('{__name__="gr.g"}'), 10, "gr.g")
        g = export_one(vm, '{__name__="gr.g"}')
        assert g[1] == [-7.25] and g[0]["env"] == "prod", g

        wait_for(lambda: vm.export('{__name__="gr.ms.count"}'), 10, "gr.ms.count")
        assert export_one(vm, '{__name__="gr.ms.max"}')[1] == [30]
        assert export_one(vm, '{__name__="gr.ms.avg"}')[1] == [20]
        assert export_one(vm, '{__name__="gr.ms.median"}')[1] == [20]
        assert vm.sum_values('{__name__="gr.ms.count"}') == 3

        # ';', '~', '=' and spaces cannot reach Graphite: they become '_'.
        wait_for(lambda: vm.export('{__name__="gr.odd_name_x"}'), 10, "gr.odd_name_x")
        odd = export_one(vm, '{__name__="gr.odd_name_x"}')
        assert odd[0].get("k_1") == "a_b" and odd[0].get("bad_") == "v_w", odd

        # timestamps are whole seconds near now
        assert all(ts % 1000 == 0 and abs(ts / 1000 - time.time()) < 120
                   for ts in export_one(vm, '{__name__="gr.c",env="prod"}')[2])

        # the output's own health, through itself
        wait_for(lambda: vm.sum_values('{__name__="tally.forwarder.sent",output="graphite"}')
                 > 0, 10, "tally.forwarder.sent{output=graphite}")
        assert t.stop() == 0


def test_graphite_down_then_up_loses_nothing():
    vm = Victoria(graphite=True)  # ports chosen, nothing listening yet
    with Tally(flush_interval=1, extra=graphite_extra(vm.graphite_port)) as t:
        sent = 0
        for _ in range(8):
            t.send("down.c:1|c|#phase:outage")
            sent += 1
            time.sleep(0.5)
        # Receiving and the console never waited for the dead backend.
        wait_for(lambda: t.total("down.c") == sent, 10, "console to show every increment")
        assert len(t.flushes()) >= 3, len(t.flushes())
        queued = t.wait_series("tally.forwarder.queue_bytes", "output:graphite",
                               pred=lambda h: h[-1][2] > 0)
        assert queued[-1][2] > 0, queued
        assert "WARN graphite: cannot send" in t.stderr(), t.stderr()
        with vm:
            wait_for(lambda: vm.sum_values('{__name__="down.c"}') >= sent, 40,
                     "queued down.c lines to arrive")
            time.sleep(1.5)  # anything duplicated would show up by now
            assert vm.sum_values('{__name__="down.c"}') == sent
            assert "INFO graphite: connected" in t.stderr(), t.stderr()
            assert t.stop() == 0


def test_sigterm_delivers_the_last_flush():
    with Victoria(graphite=True) as vm:
        with Tally(flush_interval=3600, extra=graphite_extra(vm.graphite_port)) as t:
            t.send("last.c:4|c\nlast.g:42|g")
            time.sleep(0.3)
            assert t.stop() == 0, t.stderr()
        wait_for(lambda: vm.export('{__name__="last.g"}'), 10, "last.g")
        assert export_one(vm, '{__name__="last.g"}')[1] == [42]
        # a counter is a per-second rate over the (partial) interval, as everywhere else
        assert export_one(vm, '{__name__="last.c"}')[1][0] > 0

def test_spool_survives_restart():
    vm = Victoria(graphite=True)  # ports chosen, nothing listening yet
    spool = tempfile.mkdtemp(prefix="tally-graphite-spool-")
    more = ("forwarder_storage_path: %s\n"
            "forwarder_stop_timeout: 1\n" % spool)
    extra = graphite_extra(vm.graphite_port, more)
    folder = os.path.join(spool, "graphite-127.0.0.1_%d" % vm.graphite_port)
    try:
        with Tally(flush_interval=1, extra=extra) as t:
            sent = 0
            for i in range(6):
                t.send("gsp.c:%d|c|#run:first" % (i + 1))
                sent += i + 1
                time.sleep(0.3)
            wait_for(lambda: t.total("gsp.c") == sent, 10, "console total")
            t0 = time.time()
            assert t.stop() == 0, t.stderr()
            assert time.time() - t0 < 6, "the drain did not respect forwarder_stop_timeout"
            assert "spooled for the next start" in t.stderr(), t.stderr()
            assert "lines not delivered at shutdown" not in t.stderr(), t.stderr()
        files = glob.glob(os.path.join(folder, "*-lines-*.spool"))
        assert files, os.listdir(spool)
        assert b"gsp.c;" in b"".join(open(p, "rb").read() for p in files)

        vm.start()
        with Tally(flush_interval=1, extra=extra) as t2:
            wait_for(lambda: vm.sum_values('{__name__="gsp.c"}') >= sent, 30,
                     "spooled gsp.c in VM")
            wait_for(lambda: not glob.glob(os.path.join(folder, "*.spool")), 15,
                     "spool emptied")
            time.sleep(1.5)  # anything duplicated would show up by now
            assert vm.sum_values('{__name__="gsp.c",run="first"}') == sent
            assert "spooled lines found" in t2.stderr(), t2.stderr()
            assert t2.stop() == 0
    finally:
        vm.stop()


if __name__ == "__main__":
    run([test_exact_values_and_tags, test_graphite_down_then_up_loses_nothing,
         test_sigterm_delivers_the_last_flush, test_spool_survives_restart])
