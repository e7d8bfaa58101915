"""The real agent over UDP: every DogStatsD type comes out of a flush with the agent's values."""
from tallytest import Tally, run, approx, wait_for

T = None


def test_counter_rate_and_sample_rate():
    T.send("it.c:1|c\nit.c:2|c\nit.c:3|c|@0.5")
    # interval 1 s: each flush's rate is its count; summed over flushes it is 1 + 2 + 3/0.5.
    wait_for(lambda: T.total("it.c") >= 9, what="it.c total 9")
    assert T.total("it.c") == 9, T.total("it.c")
    assert all(s[1] == "rate" for fl in T.flushes() for s in fl.find("it.c"))


def test_gauge_last_value_wins():
    T.send("it.g:1|g\nit.g:-7.5|g\nit.g:+4|g")
    hits = T.wait_series("it.g")
    assert hits[-1][2] == 4 and hits[-1][1] == "gauge", hits


def test_set_counts_distinct_members():
    T.send("it.s:alice|s\nit.s:bob|s\nit.s:alice|s\nit.s:a:b|s")
    hits = T.wait_series("it.s")
    assert hits[0][2] == 3 and hits[0][1] == "gauge", hits


def test_histogram_aggregates_and_percentile():
    T.send("it.h:" + ":".join(str(i) for i in range(1, 101)) + "|h")
    fl = T.wait_series("it.h.max")
    got = {}
    for f in T.flushes():
        for s in f.series:
            if s[0].startswith("it.h."):
                got[s[0]] = (s[1], s[2])
    assert got["it.h.max"] == ("gauge", 100), got
    assert got["it.h.median"] == ("gauge", 50), got
    assert approx(got["it.h.avg"][1], 50.5), got
    assert got["it.h.count"] == ("rate", 100), got
    assert got["it.h.95percentile"] == ("gauge", 95), got


def test_timer_is_a_histogram():
    T.send("it.ms:10|ms\nit.ms:30|ms")
    T.wait_series("it.ms.avg")
    got = {s[0]: s[2] for f in T.flushes() for s in f.series if s[0].startswith("it.ms.")}
    assert got["it.ms.avg"] == 20 and got["it.ms.max"] == 30, got


def test_distribution_percentiles_within_one_percent():
    T.send("it.d:" + ":".join(str(i) for i in range(1, 1001)) + "|d")
    T.wait_series("it.d.p99")
    got = {s[0]: s[2] for f in T.flushes() for s in f.series if s[0].startswith("it.d.")}
    for name, exact in (("p50", 500), ("p75", 750), ("p90", 900), ("p95", 950), ("p99", 990)):
        v = got["it.d." + name]
        assert abs(v - exact) / exact <= 0.011, (name, v)
    assert got["it.d.min"] == 1 and got["it.d.max"] == 1000, got
    assert got["it.d.sum"] == 500500 and got["it.d.count"] == 1000, got


def test_tag_order_and_duplicates_are_one_context():
    T.send("it.t:1|c|#b:2,a:1\nit.t:1|c|#a:1,b:2,a:1")
    wait_for(lambda: T.total("it.t") >= 2, what="it.t")
    contexts = {tuple(s[3]) for f in T.flushes() for s in f.find("it.t")}
    assert contexts == {("a:1", "b:2", "host:testhost")}, contexts


def test_host_tag_overrides_host():
    T.send("it.host:1|c|#host:other,env:x")
    hits = T.wait_series("it.host", "host:other")
    assert "env:x" in hits[0][3] and "host:testhost" not in hits[0][3], hits


def test_service_check_and_event():
    T.send("_sc|it.sc|2|#svc:web|m:disk full")
    T.send("_e{8,12}:it.event|line1\\nline2|t:warning|#svc:web")
    wait_for(lambda: any(f.checks for f in T.flushes()), what="service check")
    wait_for(lambda: any(f.events for f in T.flushes()), what="event")
    checks = [c for f in T.flushes() for c in f.checks]
    events = [e for f in T.flushes() for e in f.events]
    assert any(c.startswith('it.sc CRITICAL "disk full" svc:web') for c in checks), checks
    assert any("[warning/normal]" in e and '"it.event"' in e for e in events), events


def test_timestamped_sample_keeps_its_time():
    T.send("it.ts:5|g|T1700000000")
    T.wait_series("it.ts")
    assert "ts=1700000000" in T.stdout()


def test_self_metrics_count_what_arrived():
    before = T.total("tally.metrics.received")
    T.send("it.self:1|c\nit.self:1|c\nit.self:1|c")
    wait_for(lambda: T.total("tally.metrics.received") >= before + 3, what="self metrics")
    T.wait_series("tally.packets.received", "listener:udp")
    T.wait_series("tally.contexts")


def test_sigterm_exits_zero():
    assert T.stop() == 0, T.stderr()


if __name__ == "__main__":
    T = Tally().start()
    try:
        run([test_counter_rate_and_sample_rate, test_gauge_last_value_wins,
             test_set_counts_distinct_members, test_histogram_aggregates_and_percentile,
             test_timer_is_a_histogram, test_distribution_percentiles_within_one_percent,
             test_tag_order_and_duplicates_are_one_context, test_host_tag_overrides_host,
             test_service_check_and_event, test_timestamped_sample_keeps_its_time,
             test_self_metrics_count_what_arrived, test_sigterm_exits_zero])
    finally:
        T.__exit__()
