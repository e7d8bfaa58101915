"""Origin detection with container tags (the tagger): a container sends DogStatsD through the
Unix socket bind-mounted into it, and its metrics come out of `tally run` tagged with the
tags the docker check published for it (container_name, image_name, ...) besides
container_id. With dogstatsd_origin_detection_client: true, a line naming a container with
|c:ci-<id> or the dd.internal.entity_id tag gets them as well (the entity tag is dropped);
without it such a line gets nothing."""
import os
import shutil
import subprocess
import tempfile

import dockertest
from dockertest import DockerDirs  # first: it puts tests/integration on the path
from dockerd import Dockerd
from tallytest import SRCDIR, run, skip, wait_for

D = Dockerd()
TMP = tempfile.mkdtemp(prefix="tally-dorig-", dir="/tmp")
ST = {}


def build_sender():
    exe = os.path.join(TMP, "dsd_send")
    src = os.path.join(SRCDIR, "plugins", "docker", "tests", "dsd_send.c")
    p = subprocess.run(["gcc", "-static", "-O2", "-o", exe, src], capture_output=True,
                       text=True)
    if p.returncode != 0:
        skip("cannot build a static sender (gcc, libc6-dev): " + p.stderr[-300:])
    return exe


def setup():
    exe = build_sender()
    D.start()
    D.image("local/dsd:test", extra_files={"/bin/dsd_send": exe})
    os.makedirs(os.path.join(TMP, "sock"))
    ST["sock"] = os.path.join(TMP, "sock", "dsd.sock")
    ST["id"] = D.run("sender", "dsd_send", "/dsd/dsd.sock", "app.req:1|c|#route:a", "0", "100",
                     opts=("-v", os.path.join(TMP, "sock") + ":/dsd",
                           "--label", "team=payments"),
                     image="local/dsd:test")


def agent(client=False):
    d = DockerDirs()
    d.instances({"url": D.host, "min_collection_interval": 1,
                 "collect_labels_as_tags": ["team"]})
    extra = d.config_keys()
    if client:
        extra += "dogstatsd_origin_detection_client: true\n"
    return dockertest.agent(extra=extra, socket_path=ST["sock"])


def test_container_traffic_gets_its_tags():
    with agent() as t:
        cid = "container_id:" + ST["id"]
        hits = t.wait_series("app.req", cid, "container_name:sender", timeout=30)
        tags = hits[0][3]
        for want in ("route:a", "image_name:local/dsd", "image_tag:test", "team:payments",
                     "short_image:dsd", "docker_image:local/dsd:test"):
            assert want in tags, (want, tags)
        assert t.stop() == 0


def test_client_origin_field_and_entity_tag():
    with agent(client=True) as t:
        t.wait_series("docker.mem.rss", "container_name:sender", timeout=30)
        # the tagger now knows the container: lines naming it get its tags

        def both_tagged():
            t.send("app.ci:1|c|c:ci-%s" % ST["id"])
            t.send("app.eid:1|c|#k:v,dd.internal.entity_id:%s" % ST["id"])
            fl = t.flushes()
            return fl and fl[-1].find("app.ci", "container_name:sender") and \
                fl[-1].find("app.eid", "container_name:sender")

        wait_for(both_tagged, 20, "app.ci and app.eid tagged with container_name:sender")
        eid = t.wait_series("app.eid", "container_name:sender")[0][3]
        assert "k:v" in eid and "container_id:" + ST["id"] in eid, eid
        assert not any(x.startswith("dd.internal.entity_id") for x in eid), eid
        assert t.stop() == 0


def test_client_origin_off_by_default():
    with agent(client=False) as t:
        t.wait_series("docker.mem.rss", "container_name:sender", timeout=30)
        for _ in range(10):
            t.send("app.ci:1|c|c:ci-%s" % ST["id"])
        hits = t.wait_series("app.ci", timeout=10)
        assert not any("container_name:sender" in h[3] for h in hits), hits
        assert t.stop() == 0


if __name__ == "__main__":
    try:
        setup()
        run([test_container_traffic_gets_its_tags, test_client_origin_field_and_entity_tag,
             test_client_origin_off_by_default])
    finally:
        D.cleanup()
        shutil.rmtree(TMP, True)
