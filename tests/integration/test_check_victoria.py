"""A check's metrics reach a real VictoriaMetrics through `tally run` and the Datadog output:
the test check (tests/plugins/tplug.so) submits a gauge, a count and a monotonic_count every
second; VictoriaMetrics (its /datadog/api/v1/series intake) ends up with the exact values, the
instance and agent tags as labels and the host label."""
from checktest import CheckDirs
from tallytest import Tally, run, wait_for
from victoria import Victoria

API_KEY = "checkkey0123456789abcdef"


def test_check_metrics_reach_victoria():
    d = CheckDirs()
    d.conf("tplug.yaml", "instances:\n"
           "  - {label: vm, value: 42.5, count: 3, step: 7, min_collection_interval: 1,"
           " tags: [team:core]}\n")
    with Victoria() as vm, Tally(flush_interval=1, extra=d.config_keys() +
                                 "api_key: %s\ndd_url: %s/datadog\noutputs:\n"
                                 "  - type: console\n" % (API_KEY, vm.url)) as t:
        t.wait_series("tplug.counter", "label:vm", timeout=20)

        def gauge():
            return vm.export('{__name__="tplug.gauge",label="vm"}')
        got = wait_for(gauge, 30, "tplug.gauge in VictoriaMetrics")
        labels, values, _ = got[0]
        assert labels == {"__name__": "tplug.gauge", "label": "vm", "team": "core",
                          "host": "testhost"}, labels
        assert set(values) == {42.5}, values
        # monotonic_count: +7 per run, sent as a count; count: 3 per run
        wait_for(lambda: vm.export('{__name__="tplug.counter",label="vm"}'), 30,
                 "tplug.counter in VictoriaMetrics")
        counter = vm.export('{__name__="tplug.counter",label="vm"}')[0][1]
        assert counter and set(counter) <= {0, 7, 14}, counter
        counts = vm.export('{__name__="tplug.count",label="vm"}')[0][1]
        assert counts and set(counts) <= {3, 6}, counts
        assert t.stop() == 0
        assert API_KEY not in t.stderr() + t.stdout()


if __name__ == "__main__":
    run([test_check_metrics_reach_victoria])
