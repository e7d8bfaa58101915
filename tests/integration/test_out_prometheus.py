"""The Prometheus output (/metrics, text exposition 0.0.4) scraped by a real VictoriaMetrics
every second: counters as <name>_total holding the exact number of increments, gauges with
their last value; the exposition itself read directly (TYPE lines, sanitized names and
labels, content type, 404 elsewhere)."""
import socket
import urllib.error
import urllib.request

from tallytest import Tally, free_port, run, wait_for
from victoria import Victoria

SCRAPE = """scrape_configs:
  - job_name: tally
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:%d"]
"""

T = None
PORT = None


def fetch(path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (PORT, path), timeout=5) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def scalar(vm, promql):
    res = vm.query(promql)
    return float(res[0]["value"][1]) if len(res) == 1 else None


def test_scraped_values_are_exact():
    with Victoria(scrape_config=SCRAPE % PORT) as vm:
        for i in range(12):
            T.send("pr.req:1|c|#env:prod,route:/a\npr.req:1|c|#env:dev")
        T.send("pr.req:3|c|#env:prod,route:/a")
        T.send("pr.temp:20|g\npr.temp:21.5|g")
        T.send("pr.lat:10|ms\npr.lat:20|ms\npr.lat:60|ms")
        wait_for(lambda: scalar(vm, 'pr_req_total{env="prod",route="/a"}') == 15, 30,
                 "pr_req_total{env=prod} == 15 in VictoriaMetrics")
        assert scalar(vm, 'pr_req_total{env="dev"}') == 12
        wait_for(lambda: scalar(vm, 'pr_temp{host="testhost"}') == 21.5, 10, "pr_temp")
        wait_for(lambda: scalar(vm, 'pr_lat_count_total') == 3, 10, "pr_lat_count_total")
        assert scalar(vm, "pr_lat_max") == 60 and scalar(vm, "pr_lat_avg") == 30
        labels = vm.query('pr_req_total{env="prod"}')[0]["metric"]
        assert labels["job"] == "tally" and labels["host"] == "testhost", labels
        assert labels["route"] == "/a", labels

        # More increments later keep adding up: the counter is cumulative across flushes.
        for _ in range(5):
            T.send("pr.req:1|c|#env:dev")
        wait_for(lambda: scalar(vm, 'pr_req_total{env="dev"}') == 17, 20,
                 "pr_req_total{env=dev} == 17")


def test_exposition_text():
    T.send("pr.my-metric.rate:2|c|#tag.with-dots:v\\al\"ue,flag\npr.9g:3|g")
    text = wait_for(lambda: (lambda b: b if "pr_9g" in b and "pr_my_metric" in b else None)(
        fetch("/metrics")[2]), 10, "pr_my_metric and pr_9g in /metrics")
    status, ctype, text = fetch("/metrics")
    assert status == 200
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype
    lines = text.splitlines()
    assert "# TYPE pr_my_metric_rate_total counter" in lines, text
    assert "# TYPE pr_9g gauge" in lines, text
    sample = [l for l in lines if l.startswith("pr_my_metric_rate_total{")]
    assert sample == ['pr_my_metric_rate_total{host="testhost",flag="true",'
                      'tag_with_dots="v\\\\al\\"ue"} 2'], sample
    # one TYPE line per family, and a family's samples together right after it
    types = [l.split()[2] for l in lines if l.startswith("# TYPE ")]
    assert len(types) == len(set(types)), types
    fam = None
    seen = set()
    for l in lines:
        if l.startswith("# TYPE "):
            fam = l.split()[2]
            seen.add(fam)
            continue
        name = l.split("{")[0].split(" ")[0]
        assert name == fam, (name, fam)
    # the output's own series are there too
    assert "tally_prometheus_series" in seen and "tally_prometheus_scrapes_total" in seen, seen


def test_other_paths_are_404():
    for path in ("/", "/metricsx", "/status"):
        try:
            fetch(path)
            raise AssertionError("expected 404 for " + path)
        except urllib.error.HTTPError as e:
            assert e.code == 404, (path, e.code)


def test_listen_conflict_fails_clearly():
    t = Tally(extra="outputs:\n  - type: prometheus\n    listen: 127.0.0.1:%d\n" % PORT)
    try:
        t.start(wait_ready=False)
        assert t.proc.wait(10) != 0
        assert "cannot listen on 127.0.0.1:%d" % PORT in t.stderr(), t.stderr()
    finally:
        t.__exit__()


def test_sigterm_exits_zero():
    assert T.stop() == 0, T.stderr()


if __name__ == "__main__":
    PORT = free_port(socket.SOCK_STREAM)
    T = Tally(flush_interval=1,
              extra="outputs:\n  - type: console\n  - type: prometheus\n"
                    "    listen: 127.0.0.1:%d\n" % PORT).start()
    try:
        run([test_scraped_values_are_exact, test_exposition_text, test_other_paths_are_404,
             test_listen_conflict_fails_clearly, test_sigterm_exits_zero])
    finally:
        T.__exit__()
