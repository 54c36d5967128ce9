"""The HTTP listener (`listen-http`): Prometheus /metrics checked by promtool and
against what the daemon carries, the token, loopback by default, and hostile clients
(slow, huge headers, floods) that must not stop it from answering or relaying."""

import os
import socket
import subprocess
import time

import pytest

from conftest import free_port
from http_media import Calls, http_get, metric, metric_sum, parse_metrics

PROMTOOL = "/usr/bin/promtool"


def http_daemon(daemon_factory, *args, **kw):
    port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % port, *args, **kw)
    d.http_port = port
    return d


def scrape(d, token=None):
    st, hdr, body = http_get(d.http_port, "/metrics", token=token)
    assert st == 200, (st, body)
    assert hdr["content-type"].startswith("text/plain; version=0.0.4")
    return body.decode()


def wait_metrics(d, pred, timeout=5.0, token=None):
    """Scrape until pred(samples) holds (the document is rendered once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        s = parse_metrics(scrape(d, token))
        if pred(s) or time.monotonic() > deadline:
            return s
        time.sleep(0.2)


@pytest.mark.skipif(not os.path.exists(PROMTOOL), reason="Debian prometheus not installed")
def test_metrics_promtool_and_values(daemon_factory, tmp_path):
    d = http_daemon(daemon_factory)
    with d.ng() as ng:
        calls = Calls(ng, 3)
        calls.send(20)
        assert ng.request({"command": "query", "call-id": "nope"})["result"] == "error"
        s = wait_metrics(d, lambda s: metric(s, "rtpengine_sessions", type="own") == 3 and
                         metric_sum(s, "rtpengine_packets_total") >= 120)
        text = scrape(d)
        path = tmp_path / "metrics.txt"
        path.write_text(text)
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
        assert metric(s, "rtpengine_sessions", type="own") == 3
        assert metric(s, "rtprelay_calls", state="answered") == 3
        assert metric(s, "rtpengine_sessions_total") == 3
        assert metric(s, "rtpengine_requests_total", request="offer", result="ok") == 3
        assert metric(s, "rtpengine_requests_total", request="answer", result="ok") == 3
        assert metric(s, "rtpengine_requests_total", request="query", result="error") == 1
        assert metric(s, "rtprelay_ng_request_duration_seconds_count", request="offer",
                      result="ok") == 3
        # 3 calls x 2 parties, each one RTP stream in user space
        assert metric(s, "rtpengine_mediastreams", type="userspace") == 6
        assert metric(s, "rtpengine_packets_total", type="userspace") == 120
        assert metric(s, "rtprelay_packets_forwarded_total", type="userspace") == 120
        assert metric(s, "rtpengine_interface_packets", name="default", address="127.0.0.1",
                      direction="ingress") == 120
        # each party holds an RTP/RTCP port pair
        assert metric(s, "rtpengine_ports_used", name="default", address="127.0.0.1") == 12
        assert metric(s, "rtprelay_worker_busy_ratio", worker="0") <= 1.0
        assert metric(s, "rtprelay_draining") == 0
        # a deleted call: its two RTP streams become quality samples, the packet
        # counters keep what it carried
        assert ng.delete(calls.ids[0], **{"delete-delay": 0})["result"] == "ok"
        s = wait_metrics(d, lambda s: metric(s, "rtpengine_sessions", type="own") == 2)
        assert metric(s, "rtpengine_sessions", type="own") == 2
        assert metric(s, "rtprelay_stream_loss_percent_count") == 2
        assert metric(s, "rtprelay_stream_loss_percent_bucket", le="0") == 2
        assert metric(s, "rtprelay_stream_jitter_seconds_count") == 2
        assert metric(s, "rtpengine_closed_sessions_total", reason="terminated") == 1
        assert metric(s, "rtpengine_interface_packets", name="default", address="127.0.0.1",
                      direction="ingress") == 120
        calls.close()


def test_token_required(daemon_factory):
    d = http_daemon(daemon_factory, "--http-token=s3cret")
    for path in ("/metrics", "/", "/status.json"):
        st, hdr, _ = http_get(d.http_port, path)
        assert st == 401 and "bearer" in hdr.get("www-authenticate", "").lower()
        assert http_get(d.http_port, path, token="wrong")[0] == 401
        assert http_get(d.http_port, path + "?token=s3cre")[0] == 401
    assert http_get(d.http_port, "/metrics", token="s3cret")[0] == 200
    assert http_get(d.http_port, "/status.json?token=s3cret")[0] == 200
    assert http_get(d.http_port, "/?token=s3cret")[0] == 200
    # the document is rendered once a second
    s = wait_metrics(d, lambda s: metric(s, "rtprelay_http_refused_total", code="401") >= 9,
                     token="s3cret")
    assert metric(s, "rtprelay_http_refused_total", code="401") >= 9


def test_loopback_default_and_public_needs_token(daemon_factory):
    d = http_daemon(daemon_factory)
    # a bare port binds 127.0.0.1 only: another loopback address is refused
    with pytest.raises(ConnectionRefusedError):
        http_get(d.http_port, "/metrics", host="127.0.0.2")
    assert http_get(d.http_port, "/metrics")[0] == 200
    bad = daemon_factory("--listen-http=0.0.0.0:%d" % free_port(socket.SOCK_STREAM),
                         expect_fail=True)
    assert bad.wait_exit(10) == 2
    assert "needs 'http-token'" in bad.log_text()


def test_methods_paths_and_huge_headers(daemon_factory):
    d = http_daemon(daemon_factory)
    assert http_get(d.http_port, "/metrics", method="POST")[0] == 405
    assert http_get(d.http_port, "/nothing")[0] == 404
    assert http_get(d.http_port, "/" + "a" * 5000)[0] in (404, 414, 431)
    # headers beyond the per-connection memory: refused, the connection closed
    try:
        st = http_get(d.http_port, "/metrics", headers={"X-Big": "x" * 100000})[0]
        assert st in (413, 431, 400)
    except (ConnectionError, OSError):
        pass
    st, hdr, body = http_get(d.http_port, "/metrics", method="HEAD")
    assert st == 200 and body == b""
    assert http_get(d.http_port, "/metrics")[0] == 200
    with d.ng() as ng:
        assert ng.ping()["result"] == "pong"


def test_slow_clients_and_flood(daemon_factory):
    """Idle and trickling connections from one address fill only that address's share;
    a scraper from another address is still answered at once, media still flows, and
    the idle connections are closed after the timeout."""
    d = http_daemon(daemon_factory)
    slow = []
    for i in range(40):  # more than the per-address limit
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", d.http_port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        except OSError:
            s.close()
            continue
        slow.append(s)
    # a flood: many short connections from a third address, sent and dropped
    flood_ok = 0
    for i in range(300):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind(("127.0.0.3", 0))
            s.connect(("127.0.0.1", d.http_port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            flood_ok += 1
        except OSError:
            pass
        finally:
            s.close()
    assert flood_ok > 0
    t0 = time.monotonic()
    st, _, body = http_get(d.http_port, "/metrics", timeout=3)
    assert st == 200 and b"rtpengine_sessions" in body
    assert time.monotonic() - t0 < 2.0
    with d.ng() as ng:
        calls = Calls(ng, 1, prefix="slow")
        calls.send(10)
        for a, b in calls.pairs:
            assert len(b.rtp_socks[0].recv(2048)) > 0
        calls.close()
    # the half-sent requests: refused at once past the per-address limit, the
    # others closed by the server's idle timeout (10 s)
    deadline = time.monotonic() + 16
    closed = 0
    for s in slow:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            closed += s.recv(1024) == b""
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
        s.close()
    assert closed >= len(slow) // 2, "idle connections not closed: %d of %d" % (
        closed, len(slow))
    assert http_get(d.http_port, "/metrics")[0] == 200
    assert d.alive()


def test_transcoded_call_path(daemon_factory):
    """A PCMU caller and a G.722-only callee: both streams are on the transcoding
    path in /metrics and /status.json, with each party's own codecs."""
    import json
    from dp_media import Phone, relay_targets
    from transcode_media import phone_sdp

    d = http_daemon(daemon_factory)
    a, b = Phone(pts=(0,)), Phone(pts=(9,))
    with d.ng() as ng:
        r = ng.offer("xc", "A", phone_sdp(a.port, [(0, "PCMU/8000", None)]),
                     codec={"transcode": ["G722"]})
        assert r["result"] == "ok", r
        pt = [int(x) for x in r["sdp"].split("m=audio ")[1].split("\r\n")[0].split()[2:]]
        assert 9 in pt
        r2 = ng.answer("xc", "A", "B", phone_sdp(b.port, [(9, "G722/8000", None)]))
        assert r2["result"] == "ok", r2
        ta, tb = relay_targets(r2["sdp"])[0][:2], relay_targets(r["sdp"])[0][:2]
        for _ in range(25):
            a.send_rtp(0, ta, 1, pt=0)
            time.sleep(0.02)
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_transcoded_packets_total") >= 25)
        assert metric(s, "rtpengine_mediastreams", type="transcoded") == 2
        assert metric(s, "rtpengine_mediastreams", type="userspace") == 0
        assert metric(s, "rtpengine_transcoded_media") == 1
        assert metric(s, "rtprelay_transcoded_packets_total") == 25
        st = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            st = json.loads(http_get(d.http_port, "/status.json")[2])
            if st["calls"] and st["calls"][0]["parties"][0]["media"][0]["packets"] == 25:
                break
            time.sleep(0.3)
        legs = {p["tag"]: p["media"][0] for p in st["calls"][0]["parties"]}
        assert legs["A"]["path"] == legs["B"]["path"] == "transcode"
        assert legs["A"]["codecs"] == "PCMU/8000"
        assert legs["B"]["codecs"] == "G722/8000"
        assert legs["A"]["packets"] == 25
    a.close()
    b.close()
