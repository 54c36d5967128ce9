"""test_playmedia.py: play media / stop media through the real daemon with real RTP.

    phone A --PCMU--> rtprelayd --PCMU--> phone B      play media to B (from-tag B)

While the file plays, B gets the file's audio in A's packets (A's SSRC, sequence
numbers and timestamps: one continuous stream), then A's audio again; stop media ends
it early and says how far it got; bad files, paths and values are refused.
"""

import os
import shutil
import struct
import tempfile
import threading
import time
import wave

import numpy as np
import pytest

from transcode_media import (RATE, Pcmu, Stream, phone_sdp, pt_of, quality, receive_all,
                             sdp_media, send_all, udp_pair, ulaw_decode, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

A_FORMATS = [(0, "PCMU/8000", None)]


@pytest.fixture
def mediadir():
    d = tempfile.mkdtemp(prefix="rtprelay-media-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_wav(path, pcm, rate=8000, channels=1):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


def tone(n, rate=8000, f=440.0, amp=9000):
    t = np.arange(n) / rate
    return (amp * np.sin(2 * np.pi * f * t) * (0.7 + 0.3 * np.sin(2 * np.pi * 1.3 * t))).astype(
        np.int16)


def call(ng, cid, a_port, b_port):
    r = ng.offer(cid, "tagA", phone_sdp(a_port, A_FORMATS))
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "tagA", "tagB", phone_sdp(b_port, A_FORMATS))
    assert r2["result"] == "ok", r2
    a, b = sdp_media(r2["sdp"]), sdp_media(r["sdp"])
    return (a[0], a[1]), (b[0], b[1])


def play(ng, cid, **kw):
    return ng.request(dict({"command": "play media", "call-id": cid, "from-tag": "tagB"}, **kw))


def test_play_media_to_party(daemon_factory, mediadir):
    clip = tone(8000)  # 1 s
    write_wav(os.path.join(mediadir, "hello.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        relay_a, _ = call(ng, "pm-1", a_port, b_port)
        a_pcm = voice(RATE * 5)
        a_st = Stream(Pcmu, 0, a_pcm)
        out = {}

        def control():
            time.sleep(1.0)
            out["reply"] = play(ng, "pm-1", file="hello.wav", **{"repeat-times": 2})

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, relay_a, a_st.packets)])
        th.join()
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    r = out["reply"]
    assert r["result"] == "ok", r
    assert r["duration"] == 2000
    sent = [p for _, p in a_st.packets]
    assert len(got) == len(sent)
    # one continuous stream: A's headers, every one, in order
    assert [g[:12] for g in got] == [s[:12] for s in sent]
    changed = [i for i, (g, s) in enumerate(zip(got, sent)) if g[12:] != s[12:]]
    # 2 s of file = 100 packets, contiguous, starting about 1 s in; A's audio after
    assert len(changed) == 100 and changed == list(range(changed[0], changed[0] + 100))
    assert 40 <= changed[0] <= 70
    assert got[changed[-1] + 1:] == sent[changed[-1] + 1:]
    played = np.concatenate([ulaw_decode(got[i][12:]) for i in changed])
    ref = np.concatenate([clip, clip])
    # G.711 of the file, sample for sample (resampling 8 kHz -> 8 kHz is a copy)
    assert np.corrcoef(played.astype(float), ref.astype(float))[0, 1] > 0.99


def test_stop_media_and_resampled_file(daemon_factory, mediadir):
    stereo = np.repeat(tone(16000 * 2, rate=16000, f=300.0), 2)  # 2 s, 16 kHz stereo
    write_wav(os.path.join(mediadir, "long.wav"), stereo, rate=16000, channels=2)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        relay_a, _ = call(ng, "pm-2", a_port, b_port)
        a_st = Stream(Pcmu, 0, voice(RATE * 3))
        out = {}

        def control():
            time.sleep(0.5)
            out["play"] = play(ng, "pm-2", file=os.path.join(mediadir, "long.wav"),
                               **{"repeat-times": 10, "repeat-duration": 5000})
            time.sleep(0.8)
            out["stop"] = ng.request({"command": "stop media", "call-id": "pm-2",
                                      "from-tag": "tagB"})

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, relay_a, a_st.packets)])
        th.join()
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    assert out["play"]["result"] == "ok", out["play"]
    assert out["play"]["duration"] == 6000  # repeat-duration 5 s, whole repeats of 2 s
    assert out["stop"]["result"] == "ok", out["stop"]
    assert 600 <= out["stop"]["last-frame-pos"] <= 1000, out["stop"]
    sent = [p for _, p in a_st.packets]
    changed = [i for i, (g, s) in enumerate(zip(got, sent)) if g[12:] != s[12:]]
    assert 30 <= len(changed) <= 50, len(changed)  # about 0.8 s, then A again
    assert got[changed[-1] + 1:] == sent[changed[-1] + 1:]


def test_play_media_bad_input(daemon_factory, mediadir, daemon):
    write_wav(os.path.join(mediadir, "ok.wav"), tone(800))
    with open(os.path.join(mediadir, "corrupt.wav"), "wb") as f:
        f.write(b"RIFF\x00\x01\x00\x00WAVEjunkjunkjunk" + os.urandom(200))
    outside = tempfile.NamedTemporaryFile(suffix=".wav", delete=False)
    outside.close()
    write_wav(outside.name, tone(800))
    os.symlink(outside.name, os.path.join(mediadir, "link.wav"))
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        call(ng, "pm-bad", a_port, b_port)
        for kw, why in (({"file": "../x.wav"}, "not found"),
                        ({"file": outside.name}, "outside media-dir"),
                        ({"file": "link.wav"}, "outside media-dir"),
                        ({"file": "missing.wav"}, "not found"),
                        ({"file": "corrupt.wav"}, "Media file"),
                        ({}, "No media file"),
                        ({"file": "ok.wav", "repeat-times": "0"}, "repeat-times"),
                        ({"file": "ok.wav", "repeat-times": "100000"}, "repeat-times"),
                        ({"file": "ok.wav", "repeat-duration": "-5"}, "repeat-duration")):
            r = play(ng, "pm-bad", **kw)
            assert r["result"] == "error" and why in r["error-reason"], (kw, r)
        r = ng.request({"command": "play media", "call-id": "pm-bad", "file": "ok.wav"})
        assert r["result"] == "error" and "participant" in r["error-reason"]
        r = ng.request({"command": "play media", "call-id": "nope", "from-tag": "x",
                        "file": "ok.wav"})
        assert r["result"] == "error"
        assert play(ng, "pm-bad", file="ok.wav")["result"] == "ok"
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
        os.unlink(outside.name)
    # not configured: refused
    ng = daemon.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        call(ng, "pm-off", a_port, b_port)
        r = ng.request({"command": "play media", "call-id": "pm-off", "from-tag": "tagB",
                        "file": "ok.wav"})
        assert r["result"] == "error" and "media-dir" in r["error-reason"]
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_play_media_unplayable_leg_refused(daemon_factory, mediadir):
    """A leg whose codecs rtprelay cannot encode (GSM) is refused with a reason;
    transcoded, G.729 and Opus legs play (test_playmedia_codecs.py)."""
    write_wav(os.path.join(mediadir, "ok.wav"), tone(800))
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    fmts = [(3, "GSM/8000", None)]
    try:
        r = ng.offer("pm-x", "tagA", phone_sdp(a_port, fmts))
        r2 = ng.answer("pm-x", "tagA", "tagB", phone_sdp(b_port, fmts))
        assert r2["result"] == "ok"
        r = play(ng, "pm-x", file="ok.wav")
        assert r["result"] == "error" and "G.729 or Opus" in r["error-reason"], r
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_play_media_g722_leg(daemon_factory, mediadir):
    """A G.722 call (forwarded, no transcoding): the file is encoded in G.722 with
    the encoder's state carried across packets; B decodes the file's audio."""
    from transcode_media import G722
    clip = tone(16000, rate=16000, f=500.0)  # 1 s at 16 kHz
    write_wav(os.path.join(mediadir, "wide.wav"), clip, rate=16000)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    fmts = [(9, "G722/8000", None)]
    try:
        r = ng.offer("pm-w", "tagA", phone_sdp(a_port, fmts))
        r2 = ng.answer("pm-w", "tagA", "tagB", phone_sdp(b_port, fmts))
        assert r2["result"] == "ok", r2
        a = sdp_media(r2["sdp"])
        a_st = Stream(G722, 9, voice(16000 * 3, rate=16000))
        out = {}

        def control():
            time.sleep(0.6)
            out["r"] = play(ng, "pm-w", file="wide.wav")

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, (a[0], a[1]), a_st.packets)])
        th.join()
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    assert out["r"]["result"] == "ok" and out["r"]["duration"] == 1000, out["r"]
    sent = [p for _, p in a_st.packets]
    assert [g[:12] for g in got] == [s[:12] for s in sent]
    changed = [i for i, (g, s) in enumerate(zip(got, sent)) if g[12:] != s[12:]]
    assert len(changed) == 50 and changed == list(range(changed[0], changed[0] + 50))
    dec = G722()
    played = np.concatenate([dec.decode(got[i][12:]) for i in changed])
    # the decoder's output is the file delayed by the codec's few samples
    ref = clip.astype(float)[:15000]
    best = max(np.corrcoef(ref, played.astype(float)[lag:lag + 15000])[0, 1]
               for lag in range(0, 200))
    assert best > 0.95, best
