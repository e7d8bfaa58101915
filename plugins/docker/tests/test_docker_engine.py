"""The docker check against a real engine (tests/integration/dockerd.py): service_up, counts
per image and totals, images, per-container metrics and their tags (container_name,
docker_image, image_name, image_tag, short_image, labels, container_id opt-in), include /
exclude, and the engine stopped under `tally run`: docker.service_up goes CRITICAL while
DogStatsD keeps flowing."""
import os
import re
import time

import dockertest
from dockertest import DockerDirs  # first: it puts tests/integration on the path
from dockerd import IMAGE, Dockerd
from tallytest import run, wait_for

D = Dockerd()
IDS = {}


def setup():
    D.start()
    D.image()
    IDS["idle"] = D.run("idle", "sleep", "100000", opts=("--label", "team=core",
                                                       "--label", "tier=web"))
    IDS["idle2"] = D.run("idle2", "sleep", "100000")
    IDS["done"] = D.run("done", "true")
    wait_for(lambda: not D.inspect(IDS["done"])["State"]["Running"], 20, "done to exit")


def inst(**kw):
    i = {"url": D.host}
    i.update(kw)
    return i


def test_counts_images_service_up():
    r = DockerDirs().run_check(inst())
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.svc("docker.service_up")["status"] == 0
    assert r.value("docker.containers.running.total") == 2
    assert r.value("docker.containers.stopped.total") == 1
    img = ("docker_image:" + IMAGE, "image_name:local/busybox", "image_tag:test")
    assert r.value("docker.containers.running", *img) == 2
    assert r.value("docker.containers.stopped", *img) == 1
    assert r.value("docker.images.available") == 1
    assert r.value("docker.images.intermediate") == 0


def test_container_tags():
    r = DockerDirs().run_check(inst(collect_labels_as_tags=["team", "nolabel"]))
    m = r.metrics("docker.mem.rss", "container_name:idle")
    assert len(m) == 1, r.objs
    tags = m[0]["tags"]
    for t in ("docker_image:" + IMAGE, "image_name:local/busybox", "image_tag:test",
              "short_image:busybox", "team:core", "env:it"):
        assert t in tags, (t, tags)
    assert not any(t.startswith("container_id:") or t.startswith("tier:") for t in tags), tags
    assert not r.metrics("docker.mem.rss", "container_name:done"), "stopped has metrics"
    # every per-container family is there
    for name in ("docker.mem.cache", "docker.mem.working_set", "docker.thread.count",
                 "docker.uptime"):
        assert r.metrics(name, "container_name:idle"), name
    assert r.value("docker.thread.count", "container_name:idle") >= 1


def test_container_id_opt_in():
    r = DockerDirs().run_check(inst(performance_tags=["container_name", "container_id"]))
    tags = r.metrics("docker.mem.rss", "container_name:idle")[0]["tags"]
    assert "container_id:" + IDS["idle"] in tags, tags
    assert not any(t.startswith("image_name:") for t in tags), tags


def test_rates_need_two_runs():
    r = DockerDirs().run_check(inst(), args=("--json", "--rate"))
    for name in ("docker.cpu.usage", "docker.cpu.user", "docker.cpu.system",
                 "docker.io.read_bytes", "docker.net.bytes_rcvd", "docker.net.bytes_sent"):
        m = r.metrics(name, "container_name:idle")
        assert m, (name, r.objs)
        assert m[0]["type"] == "rate" or m[0]["type"] == "gauge", m
    net = r.metrics("docker.net.bytes_rcvd", "container_name:idle")
    assert any("interface:eth0" in x["tags"] and "docker_network:bridge" in x["tags"]
               for x in net), net


def test_stats_api_fallback():
    """No host procfs or cgroups readable (an agent container without /host mounts): the
    numbers come from the stats API, fetched for all containers at once (about 1 s each
    otherwise, which would not fit the run)."""
    import tempfile
    empty = tempfile.mkdtemp(prefix="tally-noproc-")
    try:
        r = DockerDirs().run_check(inst(procfs_root=empty, cgroupfs_root=empty),
                                   args=("--json", "--rate"))
    finally:
        os.rmdir(empty)
    assert r.proc.returncode == 0, r.proc.stderr
    for name in ("idle", "idle2"):
        assert r.value("docker.mem.rss", "container_name:" + name) > 0, r.objs
        assert r.metrics("docker.cpu.usage", "container_name:" + name), r.objs
        assert r.metrics("docker.net.bytes_rcvd", "container_name:" + name,
                         "interface:eth0"), r.objs
        assert r.value("docker.thread.count", "container_name:" + name) >= 1
    assert r.took < 10, r.took


def test_configured_limits():
    """HostConfig's limits: docker.cpu.limit (% of a core), .cpu.shares, .mem.soft_limit,
    .mem.sw_limit; none for a container without them."""
    D.docker("update", "--cpus", "0.5", "--cpu-shares", "512", "--memory", "256m",
             "--memory-swap", "512m", "--memory-reservation", "64m", "idle2")
    r = DockerDirs().run_check(inst())
    tag = "container_name:idle2"
    assert abs(r.value("docker.cpu.limit", tag) - 50.0) < 1e-6, r.objs
    assert r.value("docker.cpu.shares", tag) == 512
    assert r.value("docker.mem.soft_limit", tag) == 64 << 20
    assert r.value("docker.mem.sw_limit", tag) == 512 << 20
    assert r.value("docker.mem.limit", tag) == 256 << 20
    for name in ("docker.cpu.limit", "docker.mem.soft_limit", "docker.mem.sw_limit"):
        assert not r.metrics(name, "container_name:idle"), name


def test_host_network_has_no_interfaces():
    """A --network host container's net/dev is the host's: no docker.net.* for it."""
    D.run("hostnet", "sleep", "100000", opts=("--network", "host"))
    try:
        r = DockerDirs().run_check(inst(), args=("--json", "--rate"))
        assert r.metrics("docker.mem.rss", "container_name:hostnet"), r.objs
        assert not r.metrics("docker.net.bytes_rcvd", "container_name:hostnet"), r.objs
        assert r.metrics("docker.net.bytes_rcvd", "container_name:idle"), r.objs
    finally:
        D.docker("rm", "-f", "hostnet")


def test_exclude_include():
    r = DockerDirs().run_check(inst(exclude=["container_name:idle"]))
    assert not r.metrics("docker.mem.rss", "container_name:idle")
    assert not r.metrics("docker.mem.rss", "container_name:idle2")  # anchored at start only
    r = DockerDirs().run_check(inst(exclude=["container_name:idle$"]))
    assert not r.metrics("docker.mem.rss", "container_name:idle")
    assert r.metrics("docker.mem.rss", "container_name:idle2")
    assert r.value("docker.containers.running.total") == 1
    r = DockerDirs().run_check(inst(exclude=["image_name:.*"], include=["container_name:idle2"]))
    assert r.metrics("docker.mem.rss", "container_name:idle2")
    assert not r.metrics("docker.mem.rss", "container_name:idle")
    r = DockerDirs().run_check(inst(exclude=["bad rule"]))
    assert r.proc.returncode != 0 and "key:regex" in r.proc.stderr, r.proc.stderr


def test_bad_performance_tag():
    r = DockerDirs().run_check(inst(performance_tags=["container_nmae"]))
    assert r.proc.returncode != 0 and "container_nmae" in r.proc.stderr, r.proc.stderr


def svc_lines(t):
    return [line for line in t.stdout().splitlines()
            if line.startswith("check  docker.service_up")]


def test_default_conf_reports_host_containers():
    """conf.d/docker.yaml.default: tally run with no docker.yaml reports the containers of the
    engine at /var/run/docker.sock (here a link to the private engine's socket, made only when
    the host has no socket there, and removed at the end)."""
    path = "/var/run/docker.sock"
    if os.path.lexists(path):
        print("# %s exists: the default instance would watch the host's engine; not touched"
              % path)
        return
    os.symlink(D.sock, path)
    try:
        # the in-tree conf.d: docker.yaml.default
        with dockertest.agent(extra="", bundled_checks=True) as t:
            hits = t.wait_series("docker.containers.running.total", timeout=30)
            assert hits[0][2] == 2, hits
            t.wait_series("docker.mem.rss", "container_name:idle", timeout=30)
            assert t.stop() == 0
    finally:
        os.unlink(path)


def test_restart_under_run():
    """Between runs the check keeps what inspect said; a restarted container (new pid) is
    inspected again: its uptime starts over and its numbers keep coming."""
    d = DockerDirs()
    d.instances(inst(min_collection_interval=1))
    with dockertest.agent(extra=d.config_keys()) as t:
        t.wait_series("docker.uptime", "container_name:idle2", timeout=20,
                      pred=lambda h: h[0][2] >= 3)
        old_pid = D.inspect("idle2")["State"]["Pid"]
        D.docker("restart", "-t", "0", "idle2")
        assert D.inspect("idle2")["State"]["Pid"] != old_pid
        n0 = len(t.flushes())

        def fresh():
            for fl in t.flushes()[n0:]:
                hits = fl.find("docker.uptime", "container_name:idle2")
                if hits and hits[0][2] < 3 and fl.find("docker.mem.rss",
                                                       "container_name:idle2"):
                    return hits
            return None

        wait_for(fresh, 20, "idle2's uptime to start over")
        assert t.stop() == 0


def event_lines(t):
    return [line for line in t.stdout().splitlines() if line.startswith("event  ")]


def test_events():
    """collect_events: a container started and exiting 3 while tally run watches."""
    d = DockerDirs()
    d.instances(inst(min_collection_interval=1, collect_events=True,
                     exclude=["container_name:hidden"]))
    with dockertest.agent(extra=d.config_keys()) as t:
        wait_for(lambda: any(" OK " in x for x in svc_lines(t)), 20, "service_up OK")
        D.run("evt", "sh", "-c", "exit 3")
        D.run("hidden", "true")
        lines = wait_for(lambda: [x for x in event_lines(t) if '"evt die"' in x], 20,
                         "the die event")
        assert lines[0].startswith("event  [warning/normal]"), lines
        assert "exit code 3" in lines[0] and "container_name:evt" in lines[0], lines
        assert "image_name:local/busybox" in lines[0], lines
        assert any('"evt start"' in x for x in event_lines(t)), event_lines(t)
        time.sleep(2)
        assert not any("hidden" in x for x in event_lines(t)), event_lines(t)
        assert t.stop() == 0
    D.docker("rm", "-f", "evt", "hidden")


def test_engine_stopped_under_run():
    """Last: stops the engine. service_up goes CRITICAL with the reason, DogStatsD goes on."""
    d = DockerDirs()
    d.instances(inst(min_collection_interval=1, timeout=2))
    with dockertest.agent(extra=d.config_keys()) as t:
        wait_for(lambda: any(" OK " in x for x in svc_lines(t)), 20, "service_up OK")
        t.wait_series("docker.mem.rss", "container_name:idle", timeout=20)
        D.stop_engine()
        t0 = time.time()
        crit = wait_for(lambda: [x for x in svc_lines(t) if "CRITICAL" in x], 20,
                        "service_up CRITICAL")
        took = time.time() - t0
        assert re.search(r"docker\.sock", crit[0]), crit
        n0 = len(t.flushes())
        for _ in range(20):
            t.send("app.after:1|c")
            time.sleep(0.1)
        t.wait_series("app.after", timeout=10)
        assert len(t.flushes()) > n0
        assert t.alive()
        assert t.stop() == 0
        assert took < 15, took


if __name__ == "__main__":
    try:
        setup()
        run([test_counts_images_service_up, test_container_tags, test_container_id_opt_in,
             test_rates_need_two_runs, test_stats_api_fallback, test_configured_limits,
             test_host_network_has_no_interfaces, test_exclude_include, test_bad_performance_tag,
             test_default_conf_reports_host_containers, test_restart_under_run, test_events,
             test_engine_stopped_under_run])
    finally:
        D.cleanup()
