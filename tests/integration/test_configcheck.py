"""`tally configcheck` reports every error in one pass, each as FILE:LINE:COL: message (or
PATH: message for a plugin file): several keys of the main file, DD_<KEY> overrides, plugins
the loader refuses (ABI mismatch, world-writable), instances checked against the plugin's
config table in several conf.d files; exit non-zero, and exit 0 when all is well."""
import os
import re
import shutil
import subprocess

from checktest import TPLUG, CheckDirs
from tallytest import TALLY_BIN, run

BAD_ABI = os.path.join(os.path.dirname(TPLUG), "bad_abi.so")
LOC = re.compile(r"^\S+:\d+:\d+: ")


def configcheck(config, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([TALLY_BIN, "configcheck", "-c", config], capture_output=True,
                          text=True, timeout=60, env=e)


def test_every_error_in_one_pass():
    d = CheckDirs(extra="dogstatsd_port: nope\nflush_interval: -3\nno_such_key: 1\n")
    try:
        d.install(BAD_ABI)
        ww = d.install(TPLUG, mode=0o644)
        shutil.copy(ww, os.path.join(d.checksd, "writable.so"))
        os.chmod(os.path.join(d.checksd, "writable.so"), 0o666)
        a = d.conf("tplug.yaml", "init_config:\ninstances:\n"
                   "  - sleep_ms: soon\n    bogus: 1\n  - sleep_ms: 99999999\n")
        b = d.conf("tplug.d/second.yaml", "init_config:\ninstances:\n  - fail_init: maybe\n")
        p = configcheck(d.config, {"DD_DOGSTATSD_BUFFER_SIZE": "huge"})
        err = p.stderr.splitlines()
        assert p.returncode != 0, p.stderr
        want = [d.config + ":%d:" % (n,) for n in (5, 6, 7)]  # the three bad keys
        for w in want:
            assert any(line.startswith(w) for line in err), (w, p.stderr)
        assert any(line.startswith("DD_DOGSTATSD_BUFFER_SIZE: ") for line in err), p.stderr
        assert any(line.startswith(os.path.join(d.checksd, "bad_abi.so") + ": ") and
                   "ABI version" in line for line in err), p.stderr
        assert any(line.startswith(os.path.join(d.checksd, "writable.so") + ": ") and
                   "writable" in line for line in err), p.stderr
        assert any(line.startswith(a + ":3:") and "sleep_ms" in line for line in err), p.stderr
        assert any(line.startswith(a + ":4:") and "bogus" in line for line in err), p.stderr
        assert any(line.startswith(a + ":5:") and "sleep_ms" in line for line in err), p.stderr
        assert any(line.startswith(b + ":3:") for line in err), p.stderr
        located = [line for line in err if LOC.match(line)]
        assert len(located) >= 7, p.stderr
        assert "configcheck: 10 errors" in p.stderr, p.stderr
    finally:
        shutil.rmtree(d.dir, ignore_errors=True)


def test_a_good_config_exits_zero():
    d = CheckDirs()
    try:
        d.conf("tplug.yaml", "init_config:\ninstances:\n  - value: 2\n")
        p = configcheck(d.config)
        assert p.returncode == 0, p.stderr
        assert "tplug:" in p.stdout and "value: 2" in p.stdout, p.stdout
    finally:
        shutil.rmtree(d.dir, ignore_errors=True)


if __name__ == "__main__":
    run([test_every_error_in_one_pass, test_a_good_config_exits_zero])
