"""The forwarder loses nothing: a real VictoriaMetrics goes away for ~20 s while counters keep
arriving, then comes back on the same port and data dir — every increment arrives exactly once;
and with the disk spool, what is still undelivered at SIGTERM is sent by the next start.
(~60-80 s: the outage itself, then the breaker's backoff before the first successful probe.)"""
import glob
import os
import tempfile
import time

from tallytest import Tally, run, wait_for
from victoria import Victoria

API_KEY = "outagekey0123456789"


def dd_extra(vm, more=""):
    return ("api_key: %s\n"
            "dd_url: %s/datadog\n"
            "outputs:\n"
            "  - type: console\n" % (API_KEY, vm.url)) + more


def test_outage_20s_every_increment_arrives_once():
    vm = Victoria().start()
    sent = 0
    try:
        with Tally(flush_interval=1, extra=dd_extra(vm)) as t:
            for _ in range(5):
                t.send("out.c:1|c|#phase:before")
                sent += 1
            wait_for(lambda: vm.sum_values('{__name__="out.c"}') == sent, 15,
                     "pre-outage increments in VM")
            vm.stop()
            end = time.time() + 20
            while time.time() < end:
                t.send("out.c:1|c|#phase:during\nout.c:2|c|#phase:during")
                sent += 3
                time.sleep(0.5)
            # receiving and flushing never stopped during the outage
            wait_for(lambda: t.total("out.c", "phase:during") == sent - 5, 5,
                     "console flushes during the outage")
            vm = Victoria(port=vm.port, data_dir=vm.dir).start()
            for _ in range(4):
                t.send("out.c:1|c|#phase:after")
                sent += 1
            wait_for(lambda: vm.sum_values('{__name__="out.c"}') >= sent, 90,
                     "all %d increments in VM" % sent)
            time.sleep(2)  # anything duplicated would show up now
            got = vm.sum_values('{__name__="out.c"}')
            assert got == sent, "VM holds %s, sent %d" % (got, sent)
            assert vm.sum_values('{__name__="out.c",phase="during"}') == sent - 9
            retried = sum(s[2] for fl in t.flushes()
                          for s in fl.find("tally.forwarder.retried", "endpoint:series"))
            assert retried >= 2, retried
            assert "request failed, will retry" in t.stderr()
            assert t.stop() == 0
    finally:
        vm.stop()


def test_spool_survives_restart():
    vm = Victoria()  # port and data dir chosen, not started: the backend is down
    spool = tempfile.mkdtemp(prefix="tally-spool-it-")
    # a small memory queue so that payloads also spill to disk while running
    more = ("forwarder_storage_path: %s\n"
            "forwarder_retry_queue_max_size: 1200\n"
            "forwarder_stop_timeout: 1\n" % spool)
    try:
        t = Tally(flush_interval=1, extra=dd_extra(vm, more)).start()
        sent = 0
        for i in range(6):
            t.send("sp.c:2|c|#run:first\nsp.g:%d|g" % i)
            sent += 2
            time.sleep(0.5)
        wait_for(lambda: t.total("sp.c") == sent, 10, "console total")
        gauges_printed = sorted(s[2] for fl in t.flushes() for s in fl.find("sp.g"))
        time.sleep(2.5)  # a few more flushes of self-metrics: overflow to disk
        t0 = time.time()
        assert t.stop() == 0, t.stderr()
        assert time.time() - t0 < 6, "the drain did not respect forwarder_stop_timeout"
        files = glob.glob(os.path.join(spool, "datadog", "*-series-*.spool"))
        # spilled while running (queue over its bound) and written at exit
        assert len(files) >= 2, os.listdir(os.path.join(spool, "datadog"))
        assert "oldest moved to disk" in t.stderr(), t.stderr()
        assert "spooled for the next start" in t.stderr(), t.stderr()
        with open(sorted(files)[0], "rb") as f:
            head = f.read(200)
        assert head.startswith(b"TALLY-SPOOL 1\npayload path=/api/v1/series "
                               b"content-type=application/json content-encoding=deflate"), head
        assert API_KEY.encode() not in b"".join(open(p, "rb").read() for p in files)

        vm.start()
        with Tally(flush_interval=1, extra=dd_extra(vm, more)) as t2:
            wait_for(lambda: vm.sum_values('{__name__="sp.c"}') == sent, 30,
                     "spooled sp.c in VM")
            assert vm.sum_values('{__name__="sp.c",run="first"}') == sent
            gauges = sorted(vm.export('{__name__="sp.g"}')[0][1])
            assert gauges == gauges_printed, (gauges, gauges_printed)
            wait_for(lambda: not glob.glob(os.path.join(spool, "datadog", "*.spool")), 15,
                     "spool emptied")
            assert "spooled payloads found" in t2.stderr()
            assert t2.stop() == 0
    finally:
        vm.stop()


if __name__ == "__main__":
    run([test_spool_survives_restart, test_outage_20s_every_increment_arrives_once])
