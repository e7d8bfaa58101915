"""Bad input never hurts the agent: it keeps running, keeps the good lines, counts the bad."""
import os
import random
import socket

from tallytest import Tally, run, wait_for

T = None


def test_bad_lines_do_not_affect_good_ones():
    T.send("ok.a:1|c\n:1|c\nnopipe:1\nok.a:1|c\nbad:x|c\nbad:1|c|@zz\nbad:1|x\nok.a:1|c\n|\n\n")
    wait_for(lambda: T.total("ok.a") >= 3, what="ok.a == 3")
    assert T.total("ok.a") == 3
    for reason in ("empty_name", "bad_type", "bad_value", "bad_rate", "no_pipe"):
        T.wait_series("tally.parse_errors", "reason:" + reason)


def test_garbage_bytes_and_nul():
    rng = random.Random(42)
    for _ in range(200):
        T.send(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))))
    T.send(b"nul.x:1|c\x00|#a:b\nok.after.nul:1|c")
    T.wait_series("ok.after.nul")
    T.wait_series("tally.parse_errors", "reason:nul_byte")
    assert T.alive()


def test_oversized_datagram_keeps_complete_lines():
    # buffer is 1024 bytes: the kernel cuts the datagram; lines before the cut still count.
    lines = ["big.ok:1|c"] * 50 + ["big.cut:1|c|#" + "x" * 2000]
    T.send("\n".join(lines))
    wait_for(lambda: T.total("big.ok") >= 50, what="big.ok 50")
    assert T.total("big.ok") == 50, T.total("big.ok")
    assert T.total("big.cut") == 0
    T.wait_series("tally.packets.dropped", "reason:truncated")


def test_extreme_values_rejected():
    T.send("ev.a:NaN|g\nev.b:Inf|g\nev.c:1e999|g\nev.d:-inf|c\nev.ok:1e300|g")
    T.wait_series("ev.ok")
    names = {s[0] for f in T.flushes() for s in f.series}
    assert not {"ev.a", "ev.b", "ev.c", "ev.d"} & names, names


def test_flood_of_contexts_beyond_limit_is_counted():
    # Its own agent: a full context table must not starve the other tests.
    with Tally(extra="dogstatsd_context_limit: 200\n") as t:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(0, 300, 30):
            s.sendto("\n".join("lim.%d:1|g" % j for j in range(i, i + 30)).encode(),
                     ("127.0.0.1", t.port))
        s.close()
        t.wait_series("tally.contexts.dropped", "reason:limit", pred=lambda h: h[0][2] > 0)
        dropped = t.total("tally.contexts.dropped", "reason:limit")
        kept = {s[0] for f in t.flushes() for s in f.series if s[0].startswith("lim.")}
        assert dropped + len(kept) == 300 and len(kept) <= 200, (dropped, len(kept))
        assert t.stop() == 0


def test_type_conflict_dropped_and_counted():
    T.send("tc.x:1|g\ntc.x:1|c")
    T.wait_series("tally.contexts.dropped", "reason:type_conflict")


def test_still_alive_and_exits_cleanly():
    T.send("final:1|c")
    T.wait_series("final")
    assert T.stop() == 0
    assert "reason=" in T.stderr()  # bad lines were logged, rate-limited
    assert T.stderr().count("dropped unparsable line") < 20, "log not rate-limited"


if __name__ == "__main__":
    T = Tally(extra="dogstatsd_buffer_size: 1024\n").start()
    try:
        run([test_bad_lines_do_not_affect_good_ones, test_garbage_bytes_and_nul,
             test_oversized_datagram_keeps_complete_lines, test_extreme_values_rejected,
             test_flood_of_contexts_beyond_limit_is_counted, test_type_conflict_dropped_and_counted,
             test_still_alive_and_exits_cleanly])
    finally:
        T.__exit__()
