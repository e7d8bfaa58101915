"""The InfluxDB output (line protocol over HTTP) into a real VictoriaMetrics' /write: exact
values, tags as labels (a tag without ':' becomes tag=true), the host label, the db label."""
import time

from tallytest import Tally, run, wait_for
from victoria import Victoria

FLUSH = 2


def influx_extra(vm, url_tail="/write?db=tally"):
    return ("outputs:\n"
            "  - type: console\n"
            "  - type: influxdb\n"
            "    url: %s%s\n" % (vm.url, url_tail))


def test_influx_exact_values_and_tags():
    with Victoria() as vm, Tally(flush_interval=FLUSH, extra=influx_extra(vm)) as t:
        for _ in range(7):
            t.send("inf.c:3|c|#env:prod,canary\ninf.c:1|c|#env:dev")
        t.send("inf.g:0.1|g|#env:prod,path:/a b")
        t.send("inf.h:" + ":".join(str(i) for i in range(1, 11)) + "|h")

        # VictoriaMetrics names an Influx series <measurement>_<field>
        wait_for(lambda: vm.sum_values('{__name__="inf.c_value",env="prod"}') * FLUSH == 21, 20,
                 "inf.c{env=prod} to sum to 21")
        assert vm.sum_values('{__name__="inf.c_value",env="dev"}') * FLUSH == 7
        got = vm.export('{__name__="inf.c_value",env="prod"}')
        assert got[0][0] == {"__name__": "inf.c_value", "env": "prod", "canary": "true",
                             "host": "testhost", "db": "tally"}, got
        g = vm.export('{__name__="inf.g_value"}')
        assert g[0][1] == [0.1], g
        assert g[0][0]["path"] == "/a b", g  # the escaped space survives
        wait_for(lambda: vm.export('{__name__="inf.h.max_value"}'), 10, "inf.h.max")
        assert vm.export('{__name__="inf.h.max_value"}')[0][1] == [10]
        assert vm.export('{__name__="inf.h.avg_value"}')[0][1] == [5.5]

        # second precision was added to the URL: timestamps land on the flush's second
        ts = got[0][2]
        assert all(x % 1000 == 0 for x in ts), ts
        # the forwarder's own series, tagged with the output's stable name
        wait_for(lambda: vm.export('{__name__="tally.forwarder.sent_value",endpoint="write"}'),
                 15, "tally.forwarder.sent for the influx output")
        out = vm.export('{__name__="tally.forwarder.sent_value",endpoint="write"}')[0][0]
        assert out["output"].startswith("influxdb-127.0.0.1_%d_write" % vm.port), out
        assert t.stop() == 0


def test_influx_precision_ns_in_url_is_honoured():
    with Victoria() as vm:
        extra = influx_extra(vm, "/write?db=ns&precision=ns")
        with Tally(flush_interval=1, extra=extra) as t:
            t.send("inf.ns:5|g")
            wait_for(lambda: vm.export('{__name__="inf.ns_value"}'), 15, "inf.ns in VM")
            v = vm.export('{__name__="inf.ns_value"}')[0]
            assert v[1] == [5] and v[0]["db"] == "ns", v
            # a nanosecond timestamp misread as seconds would be far in the future
            assert abs(v[2][0] / 1000 - time.time()) < 60, v
            assert t.stop() == 0


if __name__ == "__main__":
    run([test_influx_exact_values_and_tags, test_influx_precision_ns_in_url_is_honoured])
