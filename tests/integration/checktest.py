"""Helpers for the check integration tests: temp checks.d / conf.d folders holding the real
test check (tests/plugins/tplug.so, built by `make check`) and a config pointing at them."""
import os
import shutil
import subprocess
import tempfile

from tallytest import BUILDDIR, TALLY_BIN, skip

TPLUG = os.path.join(BUILDDIR, "tests", "plugins", ".libs", "tplug.so")


class CheckDirs:
    """A temp folder with checks.d/ and conf.d/; .config is a tally.yaml using both."""

    def __init__(self, with_tplug=True, extra=""):
        if with_tplug and not os.path.exists(TPLUG):
            skip("tests/plugins/tplug.so is not built (run `make check`)")
        self.dir = tempfile.mkdtemp(prefix="tally-checks-")
        self.checksd = os.path.join(self.dir, "checks.d")
        self.confd = os.path.join(self.dir, "conf.d")
        os.makedirs(self.checksd)
        os.makedirs(self.confd)
        if with_tplug:
            self.install(TPLUG)
        self.config = os.path.join(self.dir, "tally.yaml")
        with open(self.config, "w") as f:
            f.write(self.config_keys() + "hostname: h1\ntags: [env:it]\n" + extra)

    def config_keys(self):
        return "confd_path: %s\nchecksd_path: %s\n" % (self.confd, self.checksd)

    def install(self, so, mode=0o644):
        dst = os.path.join(self.checksd, os.path.basename(so))
        shutil.copy(so, dst + ".tmp")
        os.chmod(dst + ".tmp", mode)
        os.rename(dst + ".tmp", dst)
        return dst

    def conf(self, name, text):
        path = os.path.join(self.confd, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, name, *args, config=None):
        return subprocess.run([TALLY_BIN, "check", name, "-c", config or self.config] +
                              list(args), capture_output=True, text=True, timeout=60)
