"""Idle transcoded calls cost the data plane nothing (dataplane/dp_xcode.h, the
tick list): a transcoder that has received no media is never pulled by the
transcoding timer, and the timer does not run at all while every transcoder is
idle. Media starts the ticks (concealment stays on time), and once the sender
has gone quiet only the RTCP sender reports are left, for which the timer fires
once per report rather than every 5 ms.

    phone A --PCMU--> relay (PCMU -> G.722) --G.722--> phone B
"""

import socket
import time

import pytest

from conftest import free_port
from dp_media import Phone, drain, parse_rtp, relay_targets
from http_media import http_get, metric, parse_metrics
from transcode_media import phone_sdp

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

TICKS, PULLS = "rtprelay_transcode_ticks_total", "rtprelay_transcode_tick_pulls_total"


def http_daemon(daemon_factory):
    port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % port)
    d.http_port = port
    return d


def scrape(d):
    st, _, body = http_get(d.http_port, "/metrics")
    assert st == 200, (st, body)
    return parse_metrics(body.decode())


def settled(d, pred, timeout=5.0):
    """Scrape until pred(samples) holds (the document is rendered once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        s = scrape(d)
        if pred(s) or time.monotonic() > deadline:
            return s
        time.sleep(0.25)


def transcoded_call(ng, cid, a, b):
    """A offers PCMU, B answers G.722 only: both directions transcoded."""
    r = ng.offer(cid, "A", phone_sdp(a.port, [(0, "PCMU/8000", None)]),
                 codec={"transcode": ["G722"]})
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", phone_sdp(b.port, [(9, "G722/8000", None)]))
    assert r2["result"] == "ok", r2
    return relay_targets(r2["sdp"])[0][:2]   # where A sends


def test_idle_transcoders_are_never_ticked(daemon_factory):
    d = http_daemon(daemon_factory)
    phones = [(Phone(pts=(0,)), Phone(pts=(9,))) for _ in range(10)]
    try:
        with d.ng() as ng:
            targets = [transcoded_call(ng, "idle-%d" % i, a, b)
                       for i, (a, b) in enumerate(phones)]
            s = settled(d, lambda s: metric(s, "rtpengine_mediastreams",
                                            type="transcoded") == 20)
            assert metric(s, "rtpengine_mediastreams", type="transcoded") == 20
            time.sleep(1.0)   # 200 ticks of the old always-running 5 ms timer
            s = scrape(d)
            assert metric(s, TICKS) == 0, s
            assert metric(s, PULLS) == 0, s

            # Media on one call: its transcoder joins the tick list.
            a, b = phones[0]
            a.send_rtp(0, targets[0], 1, pt=0)
            for _ in range(24):
                time.sleep(0.02)
                a.send_rtp(0, targets[0], 1, pt=0)
            got = [parse_rtp(p) for p, _ in drain(b.rtp_socks[0], quiet=0.5)]
            assert len(got) >= 24, len(got)
            assert {g[0] for g in got} == {9}   # G.722 out
            s = settled(d, lambda s: metric(s, TICKS) > 0)
            ticks, pulls = metric(s, TICKS), metric(s, PULLS)
            assert ticks >= 20 and pulls >= 20, (ticks, pulls)
            # ... and one transcoder is all they pulled: never more pulls
            # than ticks, the 19 idle ones are not visited
            assert pulls <= ticks + 2, (ticks, pulls)

            # Quiet again: the clock stopped, only the sender reports remain
            # (one every 5 s), so the timer fires a few times, not 200 a second.
            time.sleep(1.0)
            t0 = metric(scrape(d), TICKS)
            time.sleep(2.0)
            t1 = metric(scrape(d), TICKS)
            assert t1 - t0 <= 4, (t0, t1)
            # The reports still go out to B's RTCP port on the one-shot timer:
            # the next one after those already there (every 5 s).
            drain(b.rtcp_socks[0], quiet=0.05)
            b.rtcp_socks[0].settimeout(7.0)
            sr = b.rtcp_socks[0].recv(2048)
            assert sr[1] == 200, sr[:8]       # RTCP SR
    finally:
        for a, b in phones:
            a.close()
            b.close()
