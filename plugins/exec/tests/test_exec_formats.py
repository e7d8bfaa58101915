"""The mackerel and dogstatsd formats, and the child's environment: mackerel-agent style
scripts with garbage lines mixed in (good lines become timestamped gauges with the printed
epoch, bad ones are counted in tally.exec.bad_lines), DogStatsD text through the agent's own
parser, the instance's env map added to a clean PATH/LANG environment, and the agent's API key
and DD_* / TALLY_* variables never reaching a command."""
import os
import time

from exectest import ExecDirs
from tallytest import Tally, parse_console, run, wait_for

MACKEREL = r"""now=$(date +%s)
printf 'custom.app.requests\t42\t%s\n' "$now"
printf 'custom.app.latency\t0.125\t1700000000\n'
echo 'this is not a metric'
printf 'custom.bad.value\tabc\t%s\n' "$now"
printf 'custom.bad.epoch\t1\tyesterday\n'
printf 'only\ttwo\n'
printf '\n\n'
printf 'custom.app.neg\t-3e2\t%s\r\n' "$now"
printf 'too\tmany\tfields\there\n'
printf 'custom.bin\t1\t1700000000\0junk\n'
printf 'custom.last\t7\t1700000123'
"""


def test_mackerel_with_garbage():
    d = ExecDirs()
    script = os.path.join(d.dir, "mk.sh")
    with open(script, "w") as f:
        f.write(MACKEREL)
    before = int(time.time())
    r = d.run_check({"name": "mk", "format": "mackerel", "command": ["/bin/sh", script],
                     "prefix": "mk.", "tags": ["team:ops"]})
    after = int(time.time())
    assert r.proc.returncode == 0, r.proc.stderr
    req = r.metrics("mk.custom.app.requests")
    assert len(req) == 1 and req[0]["value"] == 42 and req[0]["type"] == "gauge", req
    assert before <= req[0]["timestamp"] <= after, req
    assert sorted(req[0]["tags"]) == ["env:it", "exec_name:mk", "team:ops"], req
    lat = r.metrics("mk.custom.app.latency")
    assert lat[0]["value"] == 0.125 and lat[0]["timestamp"] == 1700000000, lat
    assert r.value("mk.custom.app.neg") == -300
    last = r.metrics("mk.custom.last")
    assert last[0]["value"] == 7 and last[0]["timestamp"] == 1700000123, last
    # not a metric, bad value, bad epoch, two fields, four fields, a NUL byte: 6
    assert r.value("tally.exec.bad_lines", "mk") == 6, r.objs
    assert not r.metrics("mk.custom.bad.value") and not r.metrics("mk.custom.bin")
    assert r.svc("mk")["status"] == 0, r.svc("mk")


def test_under_tally_run_epochs_and_statuses():
    """Under `tally run`: the printed epoch is the point's timestamp on the console backend,
    and a Nagios exit status is the service check's status there; the agent's descriptors do
    not reach a command."""
    d = ExecDirs()
    now = int(time.time()) - 30
    d.instances({"name": "ts", "format": "mackerel", "min_collection_interval": 1,
                 "command": ["/bin/sh", "-c", "printf 'mk.ts\\t5\\t%d\\n'" % now]},
                {"name": "crit", "min_collection_interval": 1,
                 "command": ["/bin/sh", "-c", "echo 'CRITICAL: down | v=2'; exit 2"]},
                {"name": "fds", "min_collection_interval": 1, "command": ["/bin/ls", "/proc/self/fd"]})
    with Tally(flush_interval=1, extra=d.config_keys()) as t:
        t.wait_series("mk.ts", "exec_name:ts", timeout=20)
        t.wait_series("v", "exec_name:crit", timeout=20)
        wait_for(lambda: any(c.startswith("crit ") for f in t.flushes() for c in f.checks), 20,
                 "service check crit")
        wait_for(lambda: any(c.startswith("fds ") for f in t.flushes() for c in f.checks), 20,
                 "service check fds")
        rc = t.stop()
        assert rc == 0, t.stderr()
        out = t.stdout()
    lines = [ln for ln in out.splitlines() if ln.startswith("mk.ts ")]
    # the console shows a series' own time when it is not the flush's
    assert lines and all(("ts=%d" % now) in ln for ln in lines), lines
    checks = [c for f in parse_console(out) for c in f.checks if c.startswith("crit ")]
    assert checks and all(c.startswith('crit CRITICAL "CRITICAL: down"') for c in checks), checks
    assert all("exec_name:crit" in c for c in checks), checks
    # ls sees stdin, stdout, stderr and its own directory handle: no descriptor of the agent
    # (its sockets, log, pipes of other instances' commands) leaked into the command.
    fds = [c for f in parse_console(out) for c in f.checks if c.startswith("fds ")]
    assert fds and all(c.startswith('fds OK "0\\n1\\n2\\n3" ') for c in fds), fds


DSD = r"""echo 'dsd.requests:3|c|#route:/a'
echo 'dsd.temp:21.5|g'
echo 'dsd.lat:1:2:3|ms|@0.5'
echo 'dsd.users:alice|s'
echo 'not dogstatsd at all'
echo 'dsd.x:abc|g'
echo '_sc|dsd.up|1|m:degraded'
echo '_e{4,5}:boom|hello|t:error'
"""


def test_dogstatsd_format():
    d = ExecDirs()
    script = os.path.join(d.dir, "dsd.sh")
    with open(script, "w") as f:
        f.write(DSD)
    r = d.run_check({"name": "dsd", "format": "dogstatsd", "command": ["/bin/sh", script],
                     "tags": ["team:ops"]})
    assert r.proc.returncode == 0, r.proc.stderr
    req = r.metrics("dsd.requests")
    assert req and req[0]["type"] == "counter" and req[0]["value"] == 3, req
    assert "route:/a" in req[0]["tags"] and "team:ops" in req[0]["tags"], req
    assert r.metrics("dsd.temp")[0]["type"] == "gauge"
    lat = r.metrics("dsd.lat")
    assert [m["value"] for m in lat] == [1, 2, 3] and lat[0]["sample_rate"] == 0.5, lat
    assert r.metrics("dsd.users")[0]["value"] == "alice"
    assert r.value("tally.exec.bad_lines", "dsd") == 2, r.objs
    up = r.svc("dsd.up")
    assert up["status"] == 1 and up["message"] == "degraded", up
    ev = [o for o in r.objs if o.get("event") == "boom"]
    assert ev and ev[0]["text"] == "hello" and ev[0]["alert_type"] == "error", ev
    assert r.svc("dsd")["status"] == 0


def read_env(path):
    with open(path, "rb") as f:
        return dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)


def test_clean_environment():
    d = ExecDirs()
    dump = os.path.join(d.dir, "env.out")
    secret = "tally-exec-secret-%d" % os.getpid()
    env = {"DD_API_KEY": secret, "TALLY_API_KEY": secret, "DD_SITE": "x", "SECRET_TOKEN": secret}
    r = d.run_check({"name": "env", "command": ["/bin/sh", "-c", "cat /proc/$$/environ > " + dump],
                     "env": {"FOO": "bar baz", "PORT": "8080", "GREETING": "a=b,c"}},
                    {"name": "envlist", "command": ["/usr/bin/env"], "format": "mackerel",
                     "env": ["X=1", "Y=2"]},
                    env=env)
    assert r.proc.returncode == 0, r.proc.stderr
    got = read_env(dump)
    assert got[b"FOO"] == b"bar baz" and got[b"PORT"] == b"8080", got
    assert got[b"GREETING"] == b"a=b,c", got
    assert got[b"LANG"] == b"C" and got[b"PATH"].startswith(b"/usr/local/sbin:"), got
    # /bin/sh adds PWD itself; nothing else of the agent's environment is there.
    assert set(got) <= {b"FOO", b"PORT", b"GREETING", b"LANG", b"PATH", b"PWD"}, got
    with open(dump, "rb") as f:
        assert secret.encode() not in f.read()
    # env as a KEY=VALUE list: env prints X, Y, LANG, PATH: four lines, none a metric.
    assert r.value("tally.exec.bad_lines", "envlist") == 4


def test_env_may_not_set_agent_variables():
    d = ExecDirs()
    r = d.run_check({"name": "bad", "command": ["/bin/true"], "env": {"DD_API_KEY": "x"}})
    assert r.proc.returncode != 0, r.proc.stdout
    assert "DD_* and TALLY_* are never passed" in r.proc.stderr, r.proc.stderr


def test_shell_string_and_argv():
    d = ExecDirs()
    r = d.run_check({"name": "sh", "format": "mackerel", "shell": True,
                     "command": "printf 'a,b\\t1\\t1700000000\\n' | sed 's/,/./'"},
                    {"name": "argv", "format": "mackerel",
                     "command": ["printf", "%s\\t%s\\t%s\\n", "x.y", "2", "1700000000"]},
                    {"name": "twolist", "shell": True, "command": ["echo", "a"]})
    assert r.value("a.b") == 1, r.objs
    assert r.value("x.y") == 2, r.objs
    assert "with shell: true, one string" in r.proc.stderr, r.proc.stderr


if __name__ == "__main__":
    run([test_mackerel_with_garbage, test_under_tally_run_epochs_and_statuses,
         test_dogstatsd_format, test_clean_environment, test_env_may_not_set_agent_variables,
         test_shell_string_and_argv])
