"""docker stats parity: `tally check docker --stats` and `--rate --json` against
`docker stats --no-stream` and the engine's stats API, for a CPU burner, a memory holder
with --memory, two containers streaming TCP to each other over the bridge, and a stopped
one. Bounds (issue 10): CPU within 10 points at 100% load, memory within 5%, NET I/O within
10%. Both sides are sampled at the same time (in parallel) so they see the same load."""
import re
import subprocess
import threading
import time

from dockertest import DockerDirs, TALLY_BIN  # first: it puts tests/integration on the path
from dockerd import Dockerd
from tallytest import run, wait_for

D = Dockerd()
UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
         "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4}
NAMES = ("burn", "mem", "srv", "cli")


def size(s):
    m = re.match(r"^([0-9.]+)([A-Za-z]+)$", s.strip())
    assert m, s
    return float(m.group(1)) * UNITS[m.group(2)]


def pair(s):
    a, b = s.split(" / ")
    return size(a), size(b)


def setup():
    D.start()
    D.image()
    D.run("burn", "sh", "-c", "while :; do :; done")
    # 60 MiB in the container's /dev/shm (tmpfs: charged to its memory cgroup, not reclaimable)
    D.run("mem", "sh", "-c", "dd if=/dev/zero of=/dev/shm/hold bs=1M count=60; sleep 100000",
          opts=("--memory", "256m"))
    D.run("srv", "sh", "-c", "sleep 100000 | nc -l -p 5000 > /dev/null")
    ip = D.inspect("srv")["NetworkSettings"]["IPAddress"]
    D.run("cli", "sh", "-c", "while :; do head -c 2000000 /dev/zero; sleep 0.1; done"
          " | nc %s 5000" % ip)
    D.run("stopped", "true")
    wait_for(lambda: D.inspect("mem")["State"]["Running"] and
             D.api("/containers/mem/stats?stream=false&one-shot=true")["memory_stats"]["usage"]
             > 50 << 20, 30, "the memory holder to fill 60 MiB")
    wait_for(lambda: sum(n["tx_bytes"] for n in D.api(
        "/containers/cli/stats?stream=false&one-shot=true")["networks"].values()) > 10e6, 30,
        "the TCP stream to start")


def parse_table(text):
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines and lines[0].startswith("CONTAINER ID"), text
    rows = {}
    for line in lines[1:]:
        f = re.split(r"\s{2,}|\s(?=\d+$)", line.strip())
        # CONTAINER ID, NAME, CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS
        assert len(f) == 8, (line, f)
        rows[f[1]] = {"cpu": float(f[2].rstrip("%")), "mem": pair(f[3]),
                      "memp": float(f[4].rstrip("%")), "net": pair(f[5]), "blk": pair(f[6]),
                      "pids": int(f[7])}
    return rows


def cli_rows():
    out = {}
    for name, r in D.stats_cli().items():
        out[name] = {"cpu": float(r["CPUPerc"].rstrip("%")), "mem": pair(r["MemUsage"]),
                     "memp": float(r["MemPerc"].rstrip("%")), "net": pair(r["NetIO"]),
                     "pids": int(r["PIDs"])}
    return out


def both():
    """tally's table and the CLI's, taken at the same time."""
    d = DockerDirs()
    d.instances({"url": D.host})
    res = {}

    def cli():
        res["cli"] = cli_rows()

    t = threading.Thread(target=cli)
    t.start()
    p = subprocess.run([TALLY_BIN, "check", "docker", "-c", d.config, "--stats"],
                       capture_output=True, text=True, timeout=60)
    t.join()
    assert p.returncode == 0, p.stderr
    return parse_table(p.stdout), res["cli"], p.stdout


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1)


def test_table_columns():
    ours, cli, text = both()
    assert set(ours) == set(NAMES), text  # the stopped one is not listed, as in the CLI
    assert set(cli) == set(NAMES), cli
    for n in NAMES:
        assert ours[n]["pids"] == cli[n]["pids"], (n, ours[n], cli[n])


def test_cpu_parity():
    for attempt in range(3):  # a busy machine can starve one side's window: retry
        ours, cli, text = both()
        if abs(ours["burn"]["cpu"] - cli["burn"]["cpu"]) <= 10:
            break
    assert abs(ours["burn"]["cpu"] - cli["burn"]["cpu"]) <= 10, (ours["burn"], cli["burn"])
    assert ours["burn"]["cpu"] > 20, ours["burn"]
    assert ours["mem"]["cpu"] < 5, ours["mem"]


def test_memory_parity():
    ours, cli, text = both()
    m, c = ours["mem"], cli["mem"]
    assert close(m["mem"][0], c["mem"][0], 0.05), (m, c)
    assert m["mem"][1] == 256 << 20 and close(c["mem"][1], 256 << 20, 0.01), (m, c)
    assert m["mem"][0] > 55 << 20, m
    assert abs(m["memp"] - c["memp"]) <= max(0.05 * c["memp"], 0.1), (m, c)
    # no limit: both show the host's memory
    assert close(ours["burn"]["mem"][1], cli["burn"]["mem"][1], 0.01), (ours["burn"], cli["burn"])


def test_net_parity():
    ours, cli, text = both()
    for n in ("srv", "cli"):
        for k in (0, 1):
            o, c = ours[n]["net"][k], cli[n]["net"][k]
            if max(o, c) > 1e6:
                assert close(o, c, 0.10), (n, k, ours[n], cli[n])
    assert ours["srv"]["net"][0] > 10e6 and ours["cli"]["net"][1] > 10e6, ours


def test_json_against_stats_api():
    """`tally check docker --rate --json` against the engine's raw stats."""
    d = DockerDirs()
    r = d.run_check({"url": D.host}, args=("--json", "--rate"))
    assert r.proc.returncode == 0, r.proc.stderr
    api = D.api("/containers/mem/stats?stream=false&one-shot=true")
    ms = api["memory_stats"]
    ws = ms["usage"] - ms["stats"].get("total_inactive_file", ms["stats"].get("inactive_file", 0))
    assert close(r.value("docker.mem.working_set", "container_name:mem"), ws, 0.05)
    assert r.value("docker.mem.limit", "container_name:mem") == ms["limit"] == 256 << 20
    rss = ms["stats"].get("total_rss", ms["stats"].get("anon"))
    assert close(r.value("docker.mem.rss", "container_name:mem"), rss, 0.05) or \
        abs(r.value("docker.mem.rss", "container_name:mem") - rss) < 1 << 20
    cpu = r.value("docker.cpu.usage", "container_name:burn")
    # a busy machine (make check -j2 on 2 cores) gives the burner less than a core; the
    # 10-point parity is test_cpu_parity's, against the CLI at the same moment
    assert cpu > 20, cpu
    tx = r.value("docker.net.bytes_sent", "container_name:cli", "interface:eth0")
    rx = r.value("docker.net.bytes_rcvd", "container_name:srv", "interface:eth0")
    # the client writes about 2 MB every 0.1 s (less on a busy machine): the same both ways
    assert tx > 1e6 and close(tx, rx, 0.25), (tx, rx)
    assert r.value("docker.containers.running.total") == 4
    assert r.value("docker.containers.stopped.total") == 1


if __name__ == "__main__":
    try:
        setup()
        run([test_table_columns, test_cpu_parity, test_memory_parity, test_net_parity,
             test_json_against_stats_api])
    finally:
        D.cleanup()
