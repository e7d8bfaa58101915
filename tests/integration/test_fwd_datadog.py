"""The Datadog output into a real VictoriaMetrics (its /datadog/api/v1/series intake): DogStatsD
counters, gauges and histograms sent to `tally run` arrive with exact values, tags as labels and
the host label; the API key never shows in logs."""
from tallytest import Tally, run, wait_for
from victoria import Victoria

API_KEY = "itkey0123456789abcdef"
FLUSH = 2


def dd_extra(vm, more=""):
    return ("api_key: %s\n"
            "dd_url: %s/datadog\n"
            "outputs:\n"
            "  - type: console\n" % (API_KEY, vm.url)) + more


def console_values(t, name):
    """{tags tuple: [values]} of `name` as the console printed every flush."""
    out = {}
    for fl in t.flushes():
        for s in fl.find(name):
            out.setdefault(tuple(sorted(s[3])), []).append(s[2])
    return out


def vm_labels(tags, host="testhost"):
    d = {"host": host}
    for t in tags:
        if t.startswith("host:"):
            continue
        k, _, v = t.partition(":")
        d[k] = v
    return d


def test_counters_gauges_histograms_exact():
    with Victoria() as vm, Tally(flush_interval=FLUSH, extra=dd_extra(vm)) as t:
        # counters: 3 contexts, known totals; sent over two flush intervals
        for _ in range(5):
            t.send("fwd.c:3|c|#env:prod,svc:a\nfwd.c:1|c|#env:dev\nfwd.hits:2|c")
        t.send("fwd.g:42.5|g|#env:prod\nfwd.g:-7|g|#env:dev")
        t.send("fwd.h:" + ":".join(str(i) for i in range(1, 11)) + "|h|#env:prod")
        t.wait_series("fwd.h.max", timeout=10)
        for _ in range(3):
            t.send("fwd.c:3|c|#env:prod,svc:a")

        def delivered():
            return vm.sum_values('{__name__="fwd.c",svc="a"}') * FLUSH == 24
        wait_for(delivered, 30, "fwd.c{svc=a} to sum to 24 in VictoriaMetrics")

        # rate values are stored as sent: value * interval sums to the count
        assert vm.sum_values('{__name__="fwd.c",env="dev"}') * FLUSH == 5
        assert vm.sum_values('{__name__="fwd.hits"}') * FLUSH == 10
        # tags become labels, the host is a label
        got = vm.export('{__name__="fwd.c",svc="a"}')
        assert len(got) == 1 and got[0][0] == {"__name__": "fwd.c", "env": "prod", "svc": "a",
                                               "host": "testhost"}, got
        gauges = {m["env"]: v for m, v, _ in vm.export('{__name__="fwd.g"}')}
        assert gauges["prod"] == [42.5] and gauges["dev"] == [-7], gauges
        assert vm.export('{__name__="fwd.h.max"}')[0][1] == [10]
        assert vm.export('{__name__="fwd.h.avg"}')[0][1] == [5.5]
        assert vm.sum_values('{__name__="fwd.h.count"}') * FLUSH == 10

        # every value VictoriaMetrics holds is exactly what the console printed for that flush
        for name in ("fwd.c", "fwd.g", "fwd.h.median", "fwd.h.95percentile", "fwd.h.max"):
            want = console_values(t, name)
            for tags, values in want.items():
                labels = vm_labels(tags)
                series = [v for m, v, _ in vm.export('{__name__="%s"}' % name)
                          if {k: m[k] for k in m if k != "__name__"} == labels]
                assert series, (name, labels, vm.export('{__name__="%s"}' % name))
                assert sorted(series[0]) == sorted(values), (name, tags, series, values)

        # the forwarder's own counters go out too, tagged by output and endpoint
        wait_for(lambda: vm.export('{__name__="tally.forwarder.sent",endpoint="series",'
                                   'output="datadog"}'), 15, "tally.forwarder.sent in VM")
        assert t.stop() == 0
        logs = t.stderr() + t.stdout()
        assert API_KEY not in logs, "the API key leaked into the logs"
        assert "***bcdef" in t.stderr(), t.stderr()


def test_check_run_and_events_never_hold_series_back():
    # VictoriaMetrics answers 400 to /api/v1/events: dropped and counted, series still flow
    with Victoria() as vm, Tally(flush_interval=1, extra=dd_extra(vm)) as t:
        t.send("_e{5,4}:title|text|#env:x")
        t.send("_sc|fwd.check|1|#env:x|m:hello")
        t.send("fwd.after:1|c")
        t.wait_series("tally.forwarder.dropped", "endpoint:events", "reason:http_400",
                      timeout=10)
        wait_for(lambda: vm.sum_values('{__name__="fwd.after"}') == 1, 15, "fwd.after in VM")
        assert t.stop() == 0


if __name__ == "__main__":
    run([test_counters_gauges_histograms_exact, test_check_run_and_events_never_hold_series_back])
