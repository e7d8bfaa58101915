"""`tally check NAME [--json] [--rate]` and the checks part of `tally configcheck`, with the real
binary and the real test check (tests/plugins/tplug.so) in a temp checks.d."""
import json
import os
import subprocess
import time

from checktest import CheckDirs
from tallytest import TALLY_BIN, Tally, run


def json_lines(p):
    assert p.returncode == 0, (p.returncode, p.stderr)
    lines = p.stdout.splitlines()
    assert lines, p.stderr
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_json_lines_have_the_documented_shape():
    d = CheckDirs()
    d.conf("tplug.yaml", "init_config:\ninstances:\n"
           "  - label: web\n    value: 99.8\n    tags: [container_name:web]\n")
    p = d.check("tplug", "--json")
    objs = json_lines(p)
    # Exactly the DESIGN.md line, byte for byte, for the gauge.
    assert p.stdout.splitlines()[0] == (
        '{"metric":"tplug.gauge","type":"gauge","value":99.8,'
        '"tags":["container_name:web","env:it","label:web"],"host":"h1"}'), p.stdout
    by_name = {o.get("metric", o.get("check")): o for o in objs}
    assert by_name["tplug.hist"]["type"] == "histogram"
    assert by_name["tplug.up"] == {"check": "tplug.up", "status": 0, "message": "", "host": "h1",
                                   "tags": ["container_name:web", "env:it", "label:web"]}
    # One run: a rate and a monotonic_count have only their baseline, so nothing is printed.
    assert "tplug.counter" not in by_name and "tplug.rate" not in by_name, objs
    assert p.stderr == "", p.stderr


def test_rate_runs_twice_and_prints_derived_values():
    d = CheckDirs()
    d.conf("tplug.yaml", "instances:\n  - {label: r, step: 10}\n")
    objs = json_lines(d.check("tplug", "--json", "--rate"))
    by_name = {o.get("metric", o.get("check")): o for o in objs}
    assert by_name["tplug.counter"]["type"] == "monotonic_count"
    assert by_name["tplug.counter"]["value"] == 10
    assert by_name["tplug.rate"]["type"] == "rate"
    assert 5 <= by_name["tplug.rate"]["value"] <= 10, by_name["tplug.rate"]  # 10 per >= 1 s
    # Only the second run is printed: each gauge once.
    assert [o["metric"] for o in objs if o.get("metric") == "tplug.gauge"] == ["tplug.gauge"]


def test_count_event_and_every_instance():
    d = CheckDirs()
    d.conf("tplug.yaml", "instances:\n  - {label: a, count: 3, event: true}\n  - {label: b}\n")
    d.conf("tplug.d/more.yaml", "instances:\n  - {label: c}\n")
    objs = json_lines(d.check("tplug", "--json"))
    gauges = sorted(t for o in objs if o.get("metric") == "tplug.gauge" for t in o["tags"]
                    if t.startswith("label:"))
    assert gauges == ["label:a", "label:b", "label:c"], objs
    counts = [o for o in objs if o.get("metric") == "tplug.count"]
    assert len(counts) == 1 and counts[0]["type"] == "count" and counts[0]["value"] == 3
    events = [o for o in objs if "event" in o]
    assert len(events) == 1 and events[0]["event"] == "tplug ran", objs


def test_table_output():
    d = CheckDirs()
    d.conf("tplug.yaml", "instances:\n  - {label: t}\n")
    p = d.check("tplug")
    assert p.returncode == 0, p.stderr
    assert "METRIC" in p.stdout and "TYPE" in p.stdout, p.stdout
    line = [l for l in p.stdout.splitlines() if l.startswith("tplug.gauge ")]
    assert line and "gauge" in line[0] and "label:t" in line[0] and "host:h1" in line[0], p.stdout
    assert "service check tplug.up OK" in p.stdout, p.stdout


def test_failing_check_exits_non_zero():
    d = CheckDirs()
    d.conf("tplug.yaml", "instances:\n  - {fail_always: true}\n")
    p = d.check("tplug", "--json")
    assert p.returncode == 1, p
    assert "told to fail run 1" in p.stderr, p.stderr
    d.conf("tplug.yaml", "instances:\n  - {fail_init: true}\n")
    p = d.check("tplug", "--json")
    assert p.returncode == 1 and "init failed: told to fail init" in p.stderr, p.stderr


def test_unknown_or_unconfigured_check_exits_non_zero():
    d = CheckDirs()
    p = d.check("nosuch", "--json")
    assert p.returncode == 1 and "no check named nosuch" in p.stderr, p.stderr
    assert p.stdout == ""
    p = d.check("tplug", "--json")  # no conf.d/tplug.yaml
    assert p.returncode == 1 and "has no instance" in p.stderr, p.stderr


def test_refused_plugin_exits_non_zero():
    d = CheckDirs()
    d.conf("tplug.yaml", "instances:\n  - {}\n")
    os.chmod(os.path.join(d.checksd, "tplug.so"), 0o666)
    p = d.check("tplug", "--json")
    assert p.returncode == 1, p
    assert "group- or world-writable" in p.stderr, p.stderr


def test_conf_errors_are_file_line_col():
    d = CheckDirs()
    path = d.conf("tplug.yaml", "instances:\n  - label: x\n    valu: 3\n  - value: lots\n")
    p = d.check("tplug", "--json")
    assert p.returncode == 1, p
    assert '%s:3:5: instances[0]: unknown key "valu" for check tplug' % path in p.stderr, p.stderr
    assert ('%s:4:12: instances[1].value: expected a number, got "lots"' % path
            in p.stderr), p.stderr
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", d.config], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0
    assert '%s:3:5: instances[0]: unknown key "valu"' % path in p.stderr, p.stderr


def test_configcheck_prints_resolved_instances():
    d = CheckDirs()
    d.conf("tplug.yaml", "init_config:\n  step: 5\ninstances:\n"
           "  - {label: web, min_collection_interval: 30, tags: [a:b]}\n")
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", d.config], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "tplug:" in out and "min_collection_interval: 30" in out, out
    assert 'label: "web"' in out and "step: 5" in out and '"a:b"' in out, out
    # A conf.d file whose check is missing is an error.
    orphan = d.conf("ghost.yaml", "instances: [{}]\n")
    p = subprocess.run([TALLY_BIN, "configcheck", "-c", d.config], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0 and orphan + ": no check plugin ghost.so" in p.stderr, p.stderr


def test_run_past_its_timeout_is_abandoned():
    d = CheckDirs()
    path = d.conf("tplug.yaml", "instances:\n  - {label: slow, sleep_ms: 30000, timeout: 1}\n"
                  "  - {label: fast}\n")
    start = time.monotonic()
    p = d.check("tplug", "--json")
    took = time.monotonic() - start
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert ("tally check: check tplug instance 0 (%s:2): run timed out after 1 s" % path
            in p.stderr), p.stderr
    assert took < 10, took  # did not wait for the 30 s run
    # The other instance still ran and printed.
    gauges = [o for o in map(json.loads, p.stdout.splitlines()) if o.get("metric") == "tplug.gauge"]
    assert [o["tags"] for o in gauges] == [["env:it", "label:fast"]], p.stdout


def test_status_shows_check_config_errors():
    d = CheckDirs()
    path = d.conf("tplug.yaml", "instances:\n  - label: x\n    valu: 3\n  - {label: ok}\n")
    orphan = d.conf("ghost.yaml", "instances: [{}]\n")
    with Tally(extra=d.config_keys()) as t:
        p = subprocess.run([TALLY_BIN, "status", "--json", "-c", t.config_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        doc = json.loads(p.stdout)
        assert isinstance(doc["checks"], list) and len(doc["checks"]) == 1, doc["checks"]
        errors = doc["check_errors"]
        assert '%s:3:5: instances[0]: unknown key "valu" for check tplug' % path in errors, errors
        assert orphan + ": no check plugin ghost.so in checksd_path" in errors, errors
        p = subprocess.run([TALLY_BIN, "status", "-c", t.config_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        assert "Configuration errors (2)" in p.stdout and "%s:3:5: " % path in p.stdout, p.stdout
        assert t.stop() == 0


if __name__ == "__main__":
    run([test_json_lines_have_the_documented_shape,
         test_rate_runs_twice_and_prints_derived_values,
         test_count_event_and_every_instance,
         test_table_output,
         test_failing_check_exits_non_zero,
         test_unknown_or_unconfigured_check_exits_non_zero,
         test_refused_plugin_exits_non_zero,
         test_conf_errors_are_file_line_col,
         test_configcheck_prints_resolved_instances,
         test_run_past_its_timeout_is_abandoned,
         test_status_shows_check_config_errors])
