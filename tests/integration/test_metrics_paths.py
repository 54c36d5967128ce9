"""/metrics for the SRTP path and for recording: SRTP streams and the packets they
dropped (never forwarded) by reason, and the recording writer's sessions, backlog and
losses, each checked against what query and statistics say for the same calls."""

import socket

from conftest import free_port
from dp_media import Phone, drain, relay_targets, rtp
from http_media import metric
from test_metrics_http import http_daemon, wait_metrics
from test_recording import burst_until_copies_drop, plain_call, rec_daemon
from test_recording import recdir  # noqa: F401  (the fixture)
from test_srtp_media import SrtpPhone, rtp_stats, sdes_to_plain
from transcode_media import udp_pair


def test_srtp_streams_and_drops(daemon_factory):
    d = http_daemon(daemon_factory)
    a, b = SrtpPhone(), Phone()
    with d.ng() as ng:
        (addr_a, rtp_a, _), _ = sdes_to_plain(ng, "m-srtp", a, b)
        a.send_srtp((addr_a, rtp_a), 4)
        # one more good packet, then the same bytes again: a replay
        good = a.tx.protect(rtp(a.seq[0], a.ssrc[0], 0))
        a.seq[0] += 1
        a.rtp_socks[0].sendto(good, (addr_a, rtp_a))
        a.send_srtp((addr_a, rtp_a), 2, tamper=True)
        a.rtp_socks[0].sendto(good, (addr_a, rtp_a))
        assert len(drain(b.rtp_socks[0])) == 5
        st = rtp_stats(ng, "m-srtp", "A")["stats"]
        assert st["SRTP auth failed"] == 2 and st["SRTP replayed"] == 1, st
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_srtp_dropped_total",
                                             reason="replayed") == 1)
        # only A's leg speaks SRTP; B's is plain
        assert metric(s, "rtprelay_srtp_streams") == 1
        assert metric(s, "rtprelay_srtp_dropped_total", reason="auth_failed") == 2
        assert metric(s, "rtprelay_srtp_dropped_total", reason="replayed") == 1
        assert metric(s, "rtprelay_srtp_dropped_total", reason="error") == 0
        assert metric(s, "rtprelay_srtp_packets") == st["packets"]
        # the drops outlive the call
        assert ng.delete("m-srtp", **{"delete-delay": 0})["result"] == "ok"
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_srtp_streams") == 0)
        assert metric(s, "rtprelay_srtp_streams") == 0
        assert metric(s, "rtprelay_srtp_dropped_total", reason="auth_failed") == 2
        assert metric(s, "rtprelay_srtp_dropped_total", reason="replayed") == 1
        assert metric(s, "rtprelay_srtp_dropped_total", reason="awaiting_keys") == 0
        # an SRTP callee that sends before its answer: dropped awaiting its keys
        r = ng.offer("m-early", "A", Phone().sdp(), **{"transport-protocol": "RTP/SAVP"})
        assert r["result"] == "ok", r
        target = relay_targets(r["sdp"])[0][:2]
        for _ in range(3):
            b.rtp_socks[0].sendto(rtp(b.seq[0], b.ssrc[0], 0), target)
            b.seq[0] += 1
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_srtp_dropped_total",
                                             reason="awaiting_keys") == 3)
        assert metric(s, "rtprelay_srtp_dropped_total", reason="awaiting_keys") == 3
        assert metric(s, "rtprelay_srtp_dropped_total", reason="error") == 0
        assert ng.delete("m-early", **{"delete-delay": 0})["result"] == "ok"
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_srtp_streams") == 0)
        assert metric(s, "rtprelay_srtp_dropped_total", reason="awaiting_keys") == 3


def test_recording_metrics(daemon_factory, recdir):  # noqa: F811
    http = free_port(socket.SOCK_STREAM)
    d, _ = rec_daemon(daemon_factory, recdir, method="pcap",
                      extra=("--recording-ring-kb=64", "--listen-http=%d" % http))
    d.http_port = http
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        relay_a, _ = plain_call(ng, "m-rec", a_port, b_port, flags=["record-call"])
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_recording_sessions") == 1)
        assert metric(s, "rtprelay_recording_sessions") == 1
        assert metric(s, "rtprelay_recording_ring_bytes") >= 64 * 1024
        assert 0 <= metric(s, "rtprelay_recording_backlog_bytes") <= \
            metric(s, "rtprelay_recording_ring_bytes")
        # bursts faster than the writer drains a 64 KiB ring (test_recording.py):
        # copies are dropped, every packet forwarded
        burst_until_copies_drop(ng, "m-rec", sa, sb, relay_a)
        q = ng.query("m-rec")["recording"]
        assert q["dropped packets"] > 0, q
        s = wait_metrics(d, lambda s: q["dropped packets"] == metric(
            s, "rtprelay_recording_dropped_total", type="userspace"))
        assert metric(s, "rtprelay_recording_dropped_total", type="userspace") == \
            q["dropped packets"]
        assert metric(s, "rtprelay_recording_dropped_total", type="kernel") == 0
        assert metric(s, "rtprelay_recording_disk_lost_bytes_total") == 0
        ng.delete("m-rec")
        s = wait_metrics(d, lambda s: metric(s, "rtprelay_recording_completed_total") == 1)
        assert metric(s, "rtprelay_recording_completed_total") == 1
        assert metric(s, "rtprelay_recording_sessions") == 0
        assert metric(s, "rtprelay_recording_backlog_bytes") == 0
        st = ng.request({"command": "statistics"})["recording"]
        assert st["ringdroppedpackets"] == q["dropped packets"]
    finally:
        for x in (sa, ca, sb, cb):
            x.close()
