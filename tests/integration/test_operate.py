"""Operating a running relay with rtprelay-ctl: drain (no new calls, existing ones
keep their media, exit 0 when the last ends), reload (SIGHUP or the `reload` command:
the keys that can change are applied, the others named, a bad file changes nothing),
metrics over HTTP as text and JSON, and call logs in key=value form."""

import json
import os
import signal
import socket
import subprocess
import time

from conftest import free_port
from dp_media import drain
from http_media import Calls, http_get, metric, parse_metrics
from ngclient import sdp_offer

HERE = os.path.dirname(os.path.abspath(__file__))
CTL = os.path.join(HERE, "..", "..", "control", "rtprelay-ctl")


def ctl(daemon, *args):
    p = subprocess.run(["/usr/bin/python3", CTL, "-s", "127.0.0.1:%d" % daemon.ng_port]
                       + list(args), capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def test_drain_keeps_calls_refuses_new_and_exits(daemon_factory):
    http_port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % http_port)
    with d.ng() as ng:
        calls = Calls(ng, 2, prefix="dr")
        rc, out, err = ctl(d, "drain")
        assert rc == 0 and "draining: 2 call(s)" in out, out + err
        r = ng.offer("dr-new", "X", calls.pairs[0][0].sdp(), supports=["load limit"])
        assert r == {"result": "load limit", "message": "Relay is draining: no new calls"}
        r = ng.offer("dr-new2", "X", calls.pairs[0][0].sdp())
        assert r["result"] == "error"
        assert r["error-reason"] == "Parallel session limit reached"  # rtpengine's words
        # a re-offer within an existing call is not a new call
        a, b = calls.pairs[0]
        assert ng.offer("dr-0", "A0", a.sdp(version=2))["result"] == "ok"
        # media of the existing calls still flows both ways
        for (a, b), _ in zip(calls.pairs, calls.ids):
            drain(a.rtp_socks[0], quiet=0.05)
            drain(b.rtp_socks[0], quiet=0.05)
        calls.send(5)
        for a, b in calls.pairs:
            assert len(drain(b.rtp_socks[0], quiet=0.3)) == 5
            assert len(drain(a.rtp_socks[0], quiet=0.3)) == 5
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            s = parse_metrics(http_get(http_port, "/metrics")[2].decode())
            if metric(s, "rtprelay_draining") == 1:
                break
            time.sleep(0.2)
        assert metric(s, "rtprelay_draining") == 1
        assert metric(s, "rtpengine_requests_total", request="offer", result="load_limit") == 1
        assert ng.delete("dr-0", **{"delete-delay": 0})["result"] == "ok"
        time.sleep(1.5)
        assert d.alive(), "exited with a call left"
        assert ng.delete("dr-1", **{"delete-delay": 0})["result"] == "ok"
    assert d.wait_exit(5) == 0
    log = d.log_text()
    assert "drained: no call left" in log and "rtprelayd stopped" in log
    calls.close()


CONF = """[rtprelay]
timeout = 60
max-sessions = %s
opus-complexity = 5
offload = %s
"""


def test_reload_by_ctl_and_sighup(daemon_factory):
    d = daemon_factory(config=CONF % (0, "no"))
    cfg = os.path.join(d.tmp.name, "rtprelay.conf")
    with d.ng() as ng:
        assert ng.offer("rl-1", "A", sdp_offer())["result"] == "ok"
        # max-sessions 1 and a new timeout: applied; the kernel path: named, not started
        with open(cfg, "w") as f:
            f.write(CONF.replace("timeout = 60", "timeout = 30") % (1, "yes"))
        rc, out, err = ctl(d, "--json", "reload")
        assert rc == 0, err
        r = json.loads(out)
        assert sorted(r["changed"]) == ["max-sessions", "timeout"]
        assert r["restart needed"] == ["offload"]
        r = ng.offer("rl-2", "A", sdp_offer())
        assert r["result"] == "error" and "session limit" in r["error-reason"]
        # SIGHUP (systemd's ExecReload) does the same
        with open(cfg, "w") as f:
            f.write(CONF % (0, "no"))
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "applied [timeout max-sessions]" not in d.log_text() and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert "reload: applied [timeout max-sessions]" in d.log_text()
        assert ng.offer("rl-2", "A", sdp_offer())["result"] == "ok"
        # a file that does not parse: refused, nothing changes
        with open(cfg, "w") as f:
            f.write(CONF % ("lots", "no"))
        rc, out, err = ctl(d, "reload")
        assert rc == 1 and "max-sessions" in err
        assert ng.offer("rl-3", "A", sdp_offer())["result"] == "ok"
        rc, out, err = ctl(d, "reload")
        assert rc == 1
    assert d.alive()


def test_ctl_metrics_and_kv_logs(daemon_factory):
    http_port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % http_port, "--http-token=tok")
    with d.ng() as ng:
        calls = Calls(ng, 2, prefix="kv call")
        time.sleep(1.2)  # the next rendering of /metrics
        base = ["--http", "127.0.0.1:%d" % http_port]
        rc, out, err = ctl(d, *base, "--token", "tok", "metrics")
        assert rc == 0 and 'rtpengine_sessions{type="own"} 2' in out
        rc, out, err = ctl(d, *base, "--token", "tok", "--json", "metrics")
        m = json.loads(out)
        own = [s for s in m["rtpengine_sessions"] if s["labels"] == {"type": "own"}]
        assert own == [{"labels": {"type": "own"}, "value": 2.0}]
        rc, out, err = ctl(d, *base, "metrics")
        assert rc == 1 and "HTTP 401" in err
        calls.close()
    log = d.log_text()
    # values with blanks are quoted; every command line names its call and tags
    assert 'ng: command=offer call-id="kv call-0" from-tag=A0 to-tag="" result=ok' in log
    assert 'ng: command=answer call-id="kv call-1" from-tag=A1 to-tag=B1 result=ok' in log
    assert 'call created call-id="kv call-0"' in log
