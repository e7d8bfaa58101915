"""The container image: built here by packaging/build-image.sh (FROM scratch, no registry)
against a private Docker engine (dockerd.py), then run with the mounts the Datadog and mackerel
images document (the engine's socket as /var/run/docker.sock, /proc as /host/proc and
/sys/fs/cgroup as /host/sys/fs/cgroup, read-only; DD_API_KEY; UDP 8125 published). It must
report the host engine's containers (docker check), read the host's cgroups (cgroup check),
receive DogStatsD sent from the host, answer /health and `tally status` inside, and deliver
to a VictoriaMetrics on the host through DD_DD_URL. Everything is removed at the end."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request

from dockerd import Dockerd
from tallytest import BUILDDIR, SRCDIR, free_port, run, wait_for
from victoria import VM_BIN, Victoria

TAG = "tally:it-%d" % os.getpid()
NAME = "tally-it-%d" % os.getpid()
API_KEY = "itkey0123456789abcdef"


def gateway_ip(d, cid):
    """The bridge address on the host that container cid reaches the host by."""
    gw = d.inspect(cid)["NetworkSettings"]["Gateway"]
    assert gw, d.inspect(cid)["NetworkSettings"]
    return gw


def build_image(d):
    env = dict(os.environ, DOCKER="docker -H " + d.host, BUILDDIR=BUILDDIR)
    p = subprocess.run(["bash", os.path.join(SRCDIR, "packaging", "build-image.sh"), TAG],
                       capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return json.loads(d.docker("image", "inspect", TAG).stdout)[0]


def wait_ct(d, pred, timeout, what, interval=0.2):
    """wait_for, with the container's log tail in the failure."""
    try:
        return wait_for(pred, timeout, what, interval=interval)
    except AssertionError as e:
        raise AssertionError("%s\n--- container log ---\n%s" % (e, logs(d)[-4000:]))


def logs(d):
    p = d.docker("logs", NAME, check=False)
    return p.stdout + p.stderr


class BridgeVictoria(Victoria):
    """VictoriaMetrics listening on the bridge's gateway address, which containers reach."""

    def __init__(self, host):
        super().__init__()
        self.host = host

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        self.log = open(os.path.join(self.dir, "vm.log"), "w")
        self.proc = subprocess.Popen(
            [VM_BIN, "-storageDataPath", os.path.join(self.dir, "data"),
             "-httpListenAddr", "%s:%d" % (self.host, self.port),
             "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, 30, "victoria-metrics /health")
        return self


def test_image_reports_host_containers_and_receives_dogstatsd():
    with Dockerd() as d:
        d.image()
        watched = d.run("tally-watched-%d" % os.getpid(), "sleep", "600")
        vm = None
        try:
            img = build_image(d)
            assert img["Config"]["Entrypoint"][0].endswith("/tally"), img["Config"]
            vm = BridgeVictoria(gateway_ip(d, watched)).start()
            run_container(d, watched, vm)
        finally:
            d.docker("rm", "-f", NAME, check=False)
            d.docker("rm", "-f", watched, check=False)
            d.docker("rmi", "-f", TAG, check=False)
            if vm:
                vm.stop()
                shutil.rmtree(vm.dir, ignore_errors=True)


def run_container(d, watched, vm):
    udp = free_port()
    status = free_port(socket.SOCK_STREAM)
    d.docker("run", "-d", "--name", NAME,
             "-v", "%s:/var/run/docker.sock" % d.sock,
             "-v", "/proc:/host/proc:ro",
             "-v", "/sys/fs/cgroup:/host/sys/fs/cgroup:ro",
             "-e", "DD_API_KEY=" + API_KEY,
             "-e", "DD_DD_URL=%s/datadog" % vm.url,
             "-e", "DD_HOSTNAME=tally-ct",
             "-e", "DD_FLUSH_INTERVAL=1",
             "-e", "DD_OUTPUTS=[{type: console}]",
             "-p", "127.0.0.1:%d:8125/udp" % udp,
             "-p", "127.0.0.1:%d:5000/tcp" % status,
             TAG)
    wait_ct(d, lambda: " ready " in logs(d) or exited(d), 30, "the agent's ready line")
    assert not exited(d), logs(d)[-3000:]

    # DogStatsD from the host, through the published port (UDP may need a retry while the
    # proxy starts).
    def received():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"ct.from_host:1|c|#src:host", ("127.0.0.1", udp))
        s.close()
        return "ct.from_host" in logs(d)
    wait_ct(d, received, 30, "the host's DogStatsD in the container's flushes", interval=0.5)

    # The docker check sees the engine's containers (both running: ours and the watched one).
    wait_ct(d, lambda: "docker.containers.running" in logs(d), 60, "docker.containers.running")
    short = watched[:12]
    out = logs(d)
    assert "docker." in out and ("container_name:tally-watched" in out or short in out), \
        out[-4000:]
    # The cgroup check reads the host's cgroups through /host/sys/fs/cgroup.
    wait_ct(d, lambda: "cgroup." in logs(d) or "container." in logs(d), 60, "cgroup metrics")

    # Status inside the container, /health from the host.
    p = d.docker("exec", NAME, img_tally(d), "status", "-c", img_conf(d), check=False)
    assert p.returncode == 0 and "Checks" in p.stdout and "docker" in p.stdout, \
        p.stdout + p.stderr
    with urllib.request.urlopen("http://127.0.0.1:%d/live" % status, timeout=5) as r:
        assert r.status == 200

    # Through DD_DD_URL to the VictoriaMetrics on the host.
    wait_ct(d, lambda: vm.sum_values('{__name__="ct.from_host"}') > 0, 60,
            "ct.from_host in VictoriaMetrics")
    assert API_KEY not in logs(d)

    t0 = time.monotonic()
    d.docker("stop", "-t", "20", NAME)
    assert time.monotonic() - t0 < 15, "docker stop took too long"
    state = json.loads(d.docker("inspect", NAME).stdout)[0]["State"]
    assert state["ExitCode"] == 0, (state, logs(d)[-3000:])


def exited(d):
    p = d.docker("inspect", "-f", "{{.State.Running}}", NAME, check=False)
    return p.stdout.strip() == "false"


def img_tally(d):
    return json.loads(d.docker("image", "inspect", TAG).stdout)[0]["Config"]["Entrypoint"][0]


def img_conf(d):
    return json.loads(d.docker("image", "inspect", TAG).stdout)[0]["Config"]["Cmd"][-1]


if __name__ == "__main__":
    run([test_image_reports_host_containers_and_receives_dogstatsd])
