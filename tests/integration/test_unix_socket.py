"""The Unix datagram listener: receives, replaces a stale socket, refuses other files, 0722."""
import os
import socket
import stat
import tempfile

from tallytest import Tally, run, wait_for


def test_receives_over_unix_socket_with_mode_0722():
    path = os.path.join(tempfile.mkdtemp(prefix="tally-uds-"), "dsd.socket")
    with Tally(socket_path=path) as t:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o722, oct(os.stat(path).st_mode)
        t.send("uds.c:1|c\nuds.c:1|c", sock_type="uds")
        wait_for(lambda: t.total("uds.c") >= 2, what="uds.c")
        t.wait_series("tally.packets.received", "listener:uds")
        assert t.stop() == 0


def test_stale_socket_is_replaced():
    path = os.path.join(tempfile.mkdtemp(prefix="tally-uds-"), "dsd.socket")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(path)
    stale.close()  # leaves the socket file behind, as a crashed agent would
    with Tally(socket_path=path) as t:
        t.send("uds.stale:1|c", sock_type="uds")
        t.wait_series("uds.stale")
        assert t.stop() == 0


def test_non_socket_file_is_refused():
    path = os.path.join(tempfile.mkdtemp(prefix="tally-uds-"), "precious.txt")
    with open(path, "w") as f:
        f.write("do not delete me")
    t = Tally(socket_path=path)
    t.start(wait_ready=False)
    rc = t.proc.wait(10)
    assert rc != 0, "must refuse to start"
    assert "not a socket" in t.stderr(), t.stderr()
    with open(path) as f:
        assert f.read() == "do not delete me"


if __name__ == "__main__":
    run([test_receives_over_unix_socket_with_mode_0722, test_stale_socket_is_replaced,
         test_non_socket_file_is_refused])
