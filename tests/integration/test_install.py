"""`make install DESTDIR=...` puts the binary, every bundled check of checkplugin_LTLIBRARIES in
$(pkglibdir)/checks.d, the conf.d examples and defaults, the header, the man page and the systemd
unit in place; the installed binary then runs with the installed plugins (configcheck, `tally
check exec`, `tally run` receiving DogStatsD). The DESTDIR is removed afterwards."""
import glob
import os
import shutil
import subprocess
import tempfile

from tallytest import BUILDDIR, SRCDIR, Tally, run, skip


def make_install(dest):
    make = shutil.which("make")
    if not make or not os.path.exists(os.path.join(BUILDDIR, "Makefile")):
        skip("no make or no configured build tree")
    p = subprocess.run([make, "-C", BUILDDIR, "install", "DESTDIR=" + dest],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    p = subprocess.run([make, "-s", "--no-print-directory", "-C", BUILDDIR,
                        "print-install-dirs"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    dirs = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    return {k: dest + v for k, v in dirs.items()}, dirs


def bundled_checks():
    """Names of the check .so files the build makes for checks.d (checkplugin_LTLIBRARIES)."""
    with open(os.path.join(BUILDDIR, "Makefile")) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("checkplugin_LTLIBRARIES ="):
            return [os.path.basename(w)[:-3] for w in line.split("=", 1)[1].split()]
    return []


def verify_unit(unit, bindir, binary, dest):
    """systemd-analyze verify on the unit (its binary path pointed at the DESTDIR copy)."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("note: no systemd-analyze, unit not verified")
        return
    path = os.path.join(dest, "tally.service")
    with open(path, "w") as f:
        f.write(unit.replace(bindir + "/tally", binary))
    p = subprocess.run([analyze, "verify", path], capture_output=True, text=True, timeout=60)
    # The man page is in DESTDIR, not installed: that one complaint is expected.
    bad = [line for line in (p.stdout + p.stderr).splitlines()
           if line.strip() and "man tally(8)" not in line]
    assert not bad, bad


def test_install_tree_and_run_installed_binary():
    dest = tempfile.mkdtemp(prefix="tally-destdir-")
    try:
        d, real = make_install(dest)
        binary = os.path.join(d["bindir"], "tally")
        checksd = d["checkplugindir"]
        confd = d["tallyconfddir"]
        assert os.access(binary, os.X_OK)
        names = bundled_checks()
        assert "exec" in names, names
        for n in names:
            assert os.path.isfile(os.path.join(checksd, n + ".so")), (n, os.listdir(checksd))
        assert not glob.glob(os.path.join(checksd, "*.la"))
        for f in glob.glob(os.path.join(SRCDIR, "conf.d", "*.yaml.example")) + \
                glob.glob(os.path.join(SRCDIR, "conf.d", "*.yaml.default")):
            assert os.path.isfile(os.path.join(confd, os.path.basename(f))), f
        assert os.path.isfile(os.path.join(d["tallyconfdir"], "tally.yaml"))
        assert os.path.isfile(os.path.join(d["pkgincludedir"], "check.h"))
        man = os.path.join(d["man8dir"], "tally.8")
        text = open(man).read()
        assert text.startswith(".\\\"") and ".TH TALLY 8" in text, text[:200]
        for cmd in ("run", "check", "configcheck", "status", "health", "version"):
            assert ".B tally %s" % cmd in text, cmd
        unit = open(os.path.join(d["systemdunitdir"], "tally.service")).read()
        for want in ("User=tally", "SupplementaryGroups=docker", "Restart=on-failure",
                     "ExecStart=%s/tally run -c %s/tally.yaml" % (real["bindir"],
                                                                  real["tallyconfdir"]),
                     "NoNewPrivileges=yes", "ProtectSystem=strict"):
            assert want in unit, want
        assert "@" not in unit.split("[Service]")[1].split("ExecReload")[0], unit
        verify_unit(unit, real["bindir"], binary, dest)

        # The installed binary with the installed plugins: one exec instance.
        with open(os.path.join(confd, "exec.yaml"), "w") as f:
            f.write("init_config:\ninstances:\n  - name: inst\n    command: [/bin/echo, 'installed.ok:1|g']\n"
                    "    format: dogstatsd\n    min_collection_interval: 1\n")
        paths = "confd_path: %s\nchecksd_path: %s\n" % (confd, checksd)
        cfg = os.path.join(dest, "tally-test.yaml")
        with open(cfg, "w") as f:
            f.write(paths + "hostname: inst\n")
        p = subprocess.run([binary, "configcheck", "-c", cfg], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        assert "exec:" in p.stdout and checksd in p.stdout, p.stdout
        p = subprocess.run([binary, "check", "exec", "-c", cfg, "--json"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0 and "installed.ok" in p.stdout, (p.stdout, p.stderr)
        t = Tally(extra=paths)
        t.args = ["run", "-c", t.config_path]
        import tallytest
        saved = tallytest.TALLY_BIN
        tallytest.TALLY_BIN = binary
        try:
            t.start()
            t.send("inst.c:1|c")
            t.wait_series("inst.c")
            t.wait_series("installed.ok")
            assert t.stop() == 0
        finally:
            tallytest.TALLY_BIN = saved
            t.__exit__()
            shutil.rmtree(t.dir, ignore_errors=True)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


if __name__ == "__main__":
    run([test_install_tree_and_run_installed_binary])
