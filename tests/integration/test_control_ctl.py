"""rtprelay-ctl against a running daemon: list, show, delete, totals (UDP and unix),
and the example config in etc/ starts a working daemon."""

import os
import subprocess
import sys

from ngclient import sdp_offer, sdp_media_ports

HERE = os.path.dirname(os.path.abspath(__file__))
CTL = os.path.join(HERE, "..", "..", "control", "rtprelay-ctl")
EXAMPLE_CONF = os.path.join(HERE, "..", "..", "etc", "rtprelay.conf")


def ctl(daemon, *args, unix=False):
    where = ["-u", daemon.unix_path] if unix else ["-s", "127.0.0.1:%d" % daemon.ng_port]
    p = subprocess.run(["/usr/bin/python3", CTL] + where + list(args), capture_output=True,
                       text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def test_ctl_list_show_delete_totals(daemon):
    with daemon.ng() as ng:
        r = ng.offer("ctl-1", "alice", sdp_offer(port=5000))
        a = ng.answer("ctl-1", "alice", "bob", sdp_offer(port=6000))
        ng.offer("ctl-2", "carol", sdp_offer())
    rc, out, _ = ctl(daemon, "list")
    assert rc == 0 and sorted(out.split()) == ["ctl-1", "ctl-2"]
    rc, out, _ = ctl(daemon, "show", "ctl-1", unix=True)
    assert rc == 0
    assert "tag alice" in out and "tag bob" in out
    assert "127.0.0.1:%d" % sdp_media_ports(a["sdp"])[0][1] in out
    assert "127.0.0.1:%d" % sdp_media_ports(r["sdp"])[0][1] in out
    assert "127.0.0.1:5000" in out
    rc, out, _ = ctl(daemon, "totals")
    assert rc == 0 and "sessionsown" in out and " 2" in out
    rc, out, _ = ctl(daemon, "--json", "show", "ctl-2")
    assert rc == 0 and '"carol"' in out
    rc, out, _ = ctl(daemon, "delete", "ctl-1")
    assert rc == 0
    rc, out, _ = ctl(daemon, "list")
    assert out.split() == ["ctl-2"]
    rc, out, err = ctl(daemon, "show", "ctl-1")
    assert rc == 1 and "error" in err
    rc, out, err = ctl(daemon, "delete", "ctl-1")     # gone: an error, not "deleted"
    assert rc == 1 and "not found" in err


def test_ctl_no_daemon():
    p = subprocess.run(["/usr/bin/python3", CTL, "-s", "127.0.0.1:9", "-t", "0.3", "ping"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 2


def test_example_config_starts(daemon_factory):
    with open(EXAMPLE_CONF) as f:
        text = f.read()
    d = daemon_factory(config=text)
    with d.ng() as ng:
        r = ng.offer("ex", "ft", sdp_offer())
        assert r["result"] == "ok"
        assert "c=IN IP4 127.0.0.1" in r["sdp"]
