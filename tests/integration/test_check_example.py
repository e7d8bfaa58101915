"""Exactly what checks.d/example/README.md tells a newcomer: install the public header only
(`make install-pkgincludeHEADERS DESTDIR=...`, a real automake install rule), build
checks.d/example/example.c outside the tree with `cc -shared -fPIC -I<installed include dir>`,
drop it into a checks.d, write conf.d/example.yaml, see it with `tally check example --json`,
then see its metrics come out of `tally run` (console output), and a SIGHUP pick up a new
instance."""
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile

from checktest import CheckDirs
from tallytest import BUILDDIR, SRCDIR, TALLY_BIN, Tally, run, skip, wait_for


def install_header():
    """make install-pkgincludeHEADERS into a temp DESTDIR; returns the include dir."""
    dest = tempfile.mkdtemp(prefix="tally-destdir-")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-C", BUILDDIR, "install-pkgincludeHEADERS", "DESTDIR=" + dest],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    headers = glob.glob(os.path.join(dest, "**", "tally", "check.h"), recursive=True)
    assert len(headers) == 1, headers
    return os.path.dirname(os.path.dirname(headers[0]))


def build_example(include_dir, out_dir):
    """cc -shared -fPIC -I<include dir> example.c -o example.so, outside the tree."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        skip("no C compiler (cc)")
    work = tempfile.mkdtemp(prefix="tally-mycheck-")
    src = os.path.join(work, "example.c")
    shutil.copy(os.path.join(SRCDIR, "checks.d", "example", "example.c"), src)
    so = os.path.join(work, "example.so")
    p = subprocess.run([cc, "-shared", "-fPIC", "-I" + include_dir, src, "-o", so],
                       capture_output=True, text=True, cwd=work, timeout=120)
    assert p.returncode == 0, p.stderr
    return so


def conf(counter_file, tags):
    return ("init_config:\n\ninstances:\n"
            "  - min_collection_interval: 1\n"
            "    tags: [%s]\n"
            "    counter_file: %s\n" % (tags, counter_file))


def test_readme_steps_end_to_end():
    include_dir = install_header()
    d = CheckDirs(with_tplug=False)
    d.install(build_example(include_dir, d.checksd))
    counter = os.path.join(d.dir, "counter")
    with open(counter, "w") as f:
        f.write("1000\n")
    d.conf("example.yaml", conf(counter, "team:core"))

    # tally check example --json
    p = d.check("example", "--json")
    assert p.returncode == 0, p.stderr
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    load1 = [o for o in objs if o.get("metric") == "example.load.1"]
    assert load1 and load1[0]["type"] == "gauge" and "team:core" in load1[0]["tags"], objs
    assert {"check": "example.can_read", "status": 0, "message": "", "host": "h1",
            "tags": ["env:it", "source:counter_file", "team:core"]} in objs, objs

    # tally run: its metrics on the console
    with Tally(flush_interval=1, extra=d.config_keys()) as t:
        t.wait_series("example.load.1", "team:core", timeout=15)
        t.wait_series("example.procs.total", "team:core", timeout=15)
        with open(counter + ".tmp", "w") as f:
            f.write("1500\n")
        os.rename(counter + ".tmp", counter)
        hits = t.wait_series("example.counter", "team:core", "source:counter_file", timeout=15,
                             pred=lambda h: any(s[2] == 500 for s in h))
        assert all(s[1] == "count" for s in hits), hits
        wait_for(lambda: "check  example.can_read OK" in t.stdout(), 10, "service check")

        # tally status: the instance, its runs and what it sent
        p = subprocess.run([TALLY_BIN, "status", "--json", "-c", t.config_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        checks = json.loads(p.stdout)["checks"]
        assert len(checks) == 1 and checks[0]["check"] == "example", checks
        assert checks[0]["status"] in ("ok", "running"), checks
        assert checks[0]["runs"] >= 2 and checks[0]["metrics"] >= 5, checks
        assert checks[0]["last_error"] is None, checks

        # SIGHUP: a second instance in conf.d/example.d/ starts without a restart
        d.conf("example.d/second.yaml", conf(counter, "team:two"))
        t.proc.send_signal(signal.SIGHUP)
        t.wait_series("example.load.1", "team:two", timeout=15)
        assert t.alive()
        assert t.stop() == 0, t.stderr()


if __name__ == "__main__":
    run([test_readme_steps_end_to_end])
