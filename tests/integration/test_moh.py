"""test_moh.py: playback that does not wait for the sender, and music on hold, through
the real daemon with real RTP.

    phone A --PCMU--> rtprelayd --PCMU--> phone B

play media to B while A sends nothing: the worker makes the packets itself (A's SSRC,
sequence numbers and timestamps continued), and A's packets afterwards continue that
stream. Music on hold: A advertises `moh` with its offer; its re-offer with sendonly
puts B on hold and B hears the file while A sends nothing; A's sendrecv re-offer ends
it and B gets A's audio again, one continuous stream throughout.
"""

import os
import shutil
import tempfile
import threading
import time

import numpy as np
import pytest

from test_playmedia import tone, write_wav
from transcode_media import (RATE, Pcmu, Stream, phone_sdp, receive_all, rtp_parse, sdp_media,
                             send_all, udp_pair, ulaw_decode, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

FMTS = [(0, "PCMU/8000", None)]


@pytest.fixture
def mediadir():
    d = tempfile.mkdtemp(prefix="rtprelay-moh-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def held_sdp(port, direction):
    return phone_sdp(port, FMTS).replace("a=sendrecv", "a=" + direction)


def shifted(stream, dt):
    return [(t + dt, p) for t, p in stream.packets]


def check_continuous(got):
    """One SSRC, consecutive sequence numbers, timestamps that only move forward by
    at least a frame: what a phone's jitter buffer takes as one stream."""
    hs = [rtp_parse(g) for g in got]
    assert len({h[4] for h in hs}) == 1, "SSRC changed"
    seqs = [h[2] for h in hs]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:])), seqs
    steps = [(b[3] - a[3]) & 0xFFFFFFFF for a, b in zip(hs, hs[1:])]
    assert all(160 <= s < 8000 * 5 for s in steps), steps
    return hs


def file_part(got, sent_payloads):
    """Indexes of packets B got whose payload is none of A's."""
    return [i for i, g in enumerate(got) if g[12:] not in sent_payloads]


def test_play_media_to_silent_peer(daemon_factory, mediadir):
    clip = tone(8000, f=600.0)  # 1 s
    write_wav(os.path.join(mediadir, "hello.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer("moh-1", "tagA", phone_sdp(a_port, FMTS))
        r2 = ng.answer("moh-1", "tagA", "tagB", phone_sdp(b_port, FMTS))
        assert r2["result"] == "ok", r2
        a = sdp_media(r2["sdp"])
        # A: 1 s of voice, silence from 1 s to 3 s, then 1 s more of its stream
        a_st = Stream(Pcmu, 0, voice(RATE * 2))
        before, after = a_st.packets[:50], [(t + 2.0, p) for t, p in a_st.packets[50:]]
        out = {}

        def control():
            time.sleep(1.3)
            out["r"] = ng.request({"command": "play media", "call-id": "moh-1",
                                   "from-tag": "tagB", "file": "hello.wav"})

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, (a[0], a[1]), before + after)])
        th.join()
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    assert out["r"]["result"] == "ok" and out["r"]["duration"] == 1000, out["r"]
    sent = [p for _, p in a_st.packets]
    # all of A's packets, the file's 50 made by the worker between them
    assert len(got) == 150, len(got)
    hs = check_continuous(got)
    assert hs[0][4] == rtp_parse(sent[0])[4]  # A's SSRC
    assert [g[12:] for g in got[:50]] == [s[12:] for s in sent[:50]]
    assert [g[12:] for g in got[100:]] == [s[12:] for s in sent[50:]]
    assert [h[2] for h in hs[:50]] == [rtp_parse(s)[2] for s in sent[:50]]
    assert hs[50][1], "marker on the first made packet"
    # made from ~1.3 s on: the timestamp says ~300 ms passed since A's last packet
    gap = (hs[50][3] - hs[49][3]) & 0xFFFFFFFF
    assert 8 * 200 <= gap <= 8 * 700, gap
    played = np.concatenate([ulaw_decode(g[12:]) for g in got[50:100]])
    assert np.corrcoef(played.astype(float), clip.astype(float))[0, 1] > 0.99


def test_moh_hold_and_resume(daemon_factory, mediadir):
    clip = tone(8000 * 2, f=440.0)  # 2 s
    write_wav(os.path.join(mediadir, "moh.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer("moh-2", "tagA", phone_sdp(a_port, FMTS), moh={"file": "moh.wav"})
        assert r["result"] == "ok", r
        r2 = ng.answer("moh-2", "tagA", "tagB", phone_sdp(b_port, FMTS))
        assert r2["result"] == "ok", r2
        a = sdp_media(r2["sdp"])
        a_st = Stream(Pcmu, 0, voice(RATE * 2))
        before, after = a_st.packets[:50], [(t + 2.0, p) for t, p in a_st.packets[50:]]
        out = {}

        def control():
            time.sleep(1.2)  # A went quiet at 1 s: hold
            out["hold"] = ng.offer("moh-2", "tagA", held_sdp(a_port, "sendonly"))
            out["hold_ans"] = ng.answer("moh-2", "tagA", "tagB", held_sdp(b_port, "recvonly"))
            time.sleep(1.7)  # resume, A sends again from 3 s
            out["resume"] = ng.offer("moh-2", "tagA", phone_sdp(a_port, FMTS))
            out["res_ans"] = ng.answer("moh-2", "tagA", "tagB", phone_sdp(b_port, FMTS))

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, (a[0], a[1]), before + after)])
        th.join()
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    for k in ("hold", "hold_ans", "resume", "res_ans"):
        assert out[k]["result"] == "ok", (k, out[k])
    assert "a=sendonly" in out["hold"]["sdp"]  # mode sendonly (default): B is told so
    sent = [p for _, p in a_st.packets]
    hs = check_continuous(got)
    assert hs[0][4] == rtp_parse(sent[0])[4]
    moh = file_part(got, {s[12:] for s in sent})
    # the file from the hold (1.2 s) to the resume (2.9 s): ~85 packets, contiguous,
    # between A's first and second second
    assert 70 <= len(moh) <= 95, len(moh)
    assert moh == list(range(50, 50 + len(moh)))
    assert [g[12:] for g in got[:50]] == [s[12:] for s in sent[:50]]
    assert [g[12:] for g in got[50 + len(moh):]] == [s[12:] for s in sent[50:]]
    played = np.concatenate([ulaw_decode(got[i][12:]) for i in moh]).astype(float)
    assert np.corrcoef(played, clip.astype(float)[:len(played)])[0, 1] > 0.99


def test_moh_mode_sendrecv(daemon_factory, mediadir):
    write_wav(os.path.join(mediadir, "moh.wav"), tone(800))
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer("moh-3", "tagA", phone_sdp(a_port, FMTS),
                     moh={"file": "moh.wav", "mode": "sendrecv"})
        assert r["result"] == "ok", r
        assert ng.answer("moh-3", "tagA", "tagB", phone_sdp(b_port, FMTS))["result"] == "ok"
        r = ng.offer("moh-3", "tagA", held_sdp(a_port, "sendonly"))
        assert r["result"] == "ok", r
        # the held party is told sendrecv, as rtpengine's mode=sendrecv
        assert "a=sendrecv" in r["sdp"] and "a=sendonly" not in r["sdp"], r["sdp"]
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_moh_bad_input(daemon_factory, mediadir, daemon):
    write_wav(os.path.join(mediadir, "ok.wav"), tone(800))
    outside = tempfile.NamedTemporaryFile(suffix=".wav", delete=False)
    outside.close()
    write_wav(outside.name, tone(800))
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    try:
        for i, (moh, why) in enumerate((
                ({"file": outside.name}, "outside media-dir"),
                ({"file": "../" + os.path.basename(outside.name)}, "Media file"),
                ({"file": "missing.wav"}, "not found"),
                ({"blob": "RIFF...."}, "blob"),
                ({"db-id": "12"}, "db-id"),
                ({"mode": "sendonly"}, "sound source"),
                ({"mode": "reflect"}, "in-dialog"),  # an initial offer
                ({"file": "ok.wav", "blob": "RIFF"}, "one sound source"),
                ({"file": "ok.wav", "mode": "bogus"}, "moh mode"),
                ({"file": "ok.wav", "connection": "bogus"}, "connection"))):
            r = ng.offer("moh-bad-%d" % i, "tagA", phone_sdp(40000, FMTS), moh=moh)
            assert r["result"] == "error" and why in r["error-reason"], (moh, r)
            # refused before anything was set up: no call is left
            q = ng.request({"command": "query", "call-id": "moh-bad-%d" % i})
            assert q["result"] == "error", q
        r = ng.offer("moh-ok", "tagA", phone_sdp(40000, FMTS), moh={"file": "ok.wav"})
        assert r["result"] == "ok", r
    finally:
        os.unlink(outside.name)
    # media-dir not configured: refused
    r = daemon.ng().offer("moh-off", "tagA", phone_sdp(40000, FMTS), moh={"file": "ok.wav"})
    assert r["result"] == "error" and "media-dir" in r["error-reason"], r


def test_play_media_srtp_leg_silent_peer(daemon_factory, mediadir):
    """A is an SDES-SRTP phone, B plain and silent: the packets the worker makes for A
    leave encrypted with the relay's key for A, and decrypt (pylibsrtp) to the file."""
    from dp_media import Phone
    from test_srtp_media import SrtpPhone, sdes_to_plain
    clip = tone(8000, f=700.0)  # 1 s
    write_wav(os.path.join(mediadir, "s.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    a, b = SrtpPhone(), Phone()
    try:
        sdes_to_plain(ng, "moh-srtp", a, b)
        r = ng.request({"command": "play media", "call-id": "moh-srtp", "from-tag": "A",
                        "file": "s.wav"})
        assert r["result"] == "ok" and r["duration"] == 1000, r
        got = a.recv_plain(limit=4.0)
    finally:
        a.close()
        b.close()
    assert len(got) == 50, len(got)
    check_continuous(got)
    assert all(g[1] & 0x7F == 0 for g in got)  # PCMU, the first codec of A's SDP
    played = np.concatenate([ulaw_decode(g[12:]) for g in got]).astype(float)
    assert np.corrcoef(played, clip.astype(float))[0, 1] > 0.99
