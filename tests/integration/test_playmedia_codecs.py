"""test_playmedia_codecs.py: play media into G.729, Opus, transcoded and SRTP legs.

    phone A --codec--> rtprelayd --codec (SRTP)--> phone B     play media to B

For each leg, B decodes what it receives with an independent decoder (bcg729,
libopus through ctypes; SRTP through pylibsrtp) and the played stretch is
correlated against the file; the RTP sequence numbers and timestamps B sees run on
without a jump before, during and after the file, and A's audio comes back after it.
"""

import os
import shutil
import tempfile
import threading
import time
import wave

import numpy as np
import pytest

from srtp_peer import Srtp, crypto_line, crypto_lines, new_key
from transcode_media import (G729, RATE, Opus, Pcmu, Stream, phone_sdp, pt_of, quality,
                             receive_all, rtp_parse, sdp_media, send_all, udp_pair, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


@pytest.fixture
def mediadir():
    d = tempfile.mkdtemp(prefix="rtprelay-media-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def tone(n, rate=8000, f=440.0, amp=9000):
    t = np.arange(n) / rate
    return (amp * np.sin(2 * np.pi * f * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2.1 * t))).astype(
        np.int16)


def write_wav(path, pcm, rate=8000):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


def play(ng, cid, **kw):
    return ng.request(dict({"command": "play media", "call-id": cid, "from-tag": "tagB"}, **kw))


def continuous(heads, step):
    """Every packet's sequence number is the one before plus one, and its timestamp
    the one before plus @step (one SSRC)."""
    assert len({h[4] for h in heads}) == 1, "SSRC changed"
    for a, b in zip(heads, heads[1:]):
        assert (b[2] - a[2]) & 0xFFFF == 1, (a[:4], b[:4])
        assert (b[3] - a[3]) & 0xFFFFFFFF == step, (a[:4], b[:4])


def run_call(ng, mediadir, cid, a_fmts, b_fmts, a_codec, a_pt, play_at=0.6, secs=4.0,
             offer_kw=None, b_rx=None, a_rate=RATE):
    """A sends @secs of voice in @a_codec; at @play_at B is played clip.wav. Returns the
    reply, A's stream and B's received packets (decrypted with @b_rx)."""
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer(cid, "tagA", phone_sdp(a_port, a_fmts), **(offer_kw or {}))
        assert r["result"] == "ok", r
        b_sdp = b_fmts(r["sdp"], b_port) if callable(b_fmts) else phone_sdp(b_port, b_fmts)
        r2 = ng.answer(cid, "tagA", "tagB", b_sdp)
        assert r2["result"] == "ok", r2
        if b_rx is not None:
            b_rx.learn_offer(r["sdp"])
        a = sdp_media(r2["sdp"])
        a_st = Stream(a_codec, a_pt, voice(int(a_rate * secs), rate=a_rate))
        out = {}

        def control():
            time.sleep(play_at)
            out["r"] = play(ng, cid, file="clip.wav")

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, (a[0], a[1]), a_st.packets)])
        th.join()
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    if b_rx is not None:
        got = [b_rx.rx.unprotect(p) for p in got]
    return out["r"], a_st, got


def played_stretch(got, sent):
    """Indexes of B's packets whose payload is not A's (the played ones)."""
    return [i for i, (g, s) in enumerate(zip(got, sent)) if g[12:] != s[12:]]


def test_play_media_g729_leg(daemon_factory, mediadir):
    """G.729 forwarded: the worker's G.729 encoder replaces A's payloads for 2 s;
    B's bcg729 decoder hears the file; A's headers (one stream) all along."""
    clip = tone(16000)
    write_wav(os.path.join(mediadir, "clip.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    fmts = [(18, "G729/8000", "annexb=no")]
    r, a_st, got = run_call(d.ng(), mediadir, "pm-729", fmts, fmts, G729, 18)
    assert r["result"] == "ok" and r["duration"] == 2000, r
    sent = [p for _, p in a_st.packets]
    assert len(got) == len(sent)
    assert [g[:12] for g in got] == [s[:12] for s in sent]
    changed = played_stretch(got, sent)
    assert len(changed) == 100 and changed == list(range(changed[0], changed[0] + 100))
    assert got[changed[-1] + 1:] == sent[changed[-1] + 1:]  # A's audio again
    dec = G729()
    played = np.concatenate([dec.decode(got[i][12:]) for i in changed])
    q = quality(clip, played)
    assert q > 0.9, q


def test_play_media_opus_leg(daemon_factory, mediadir):
    """Opus forwarded (48 kHz clock): payloads are re-encoded from the file's 16 kHz
    copy, their length changes; B's libopus decoder hears the file."""
    clip = tone(32000, rate=16000, f=520.0)
    write_wav(os.path.join(mediadir, "clip.wav"), clip, rate=16000)
    d = daemon_factory("--media-dir=" + mediadir)
    fmts = [(111, "opus/48000/2", None)]
    r, a_st, got = run_call(d.ng(), mediadir, "pm-opus", fmts, fmts, Opus, 111)
    assert r["result"] == "ok" and r["duration"] == 2000, r
    sent = [p for _, p in a_st.packets]
    assert len(got) == len(sent)
    heads = [rtp_parse(g) for g in got]
    assert [h[:5] for h in heads] == [rtp_parse(s)[:5] for s in sent]
    continuous(heads, 960)
    changed = played_stretch(got, sent)
    assert 95 <= len(changed) <= 100, len(changed)
    assert got[changed[-1] + 1:] == sent[changed[-1] + 1:]
    dec = Opus()
    played = np.concatenate([dec.decode(got[i][12:]) for i in range(changed[0],
                                                                     changed[0] + 100)])
    q = quality(clip[::2], played)
    assert q > 0.9, q


def test_play_media_opus_quiet_sender(daemon_factory, mediadir):
    """A sends Opus, then falls silent: the worker makes Opus packets itself, in
    A's SSRC, sequence numbers and timestamps (960 a packet) with no jump, and A's
    later packets are shifted to continue them."""
    clip = tone(16000)
    write_wav(os.path.join(mediadir, "clip.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()
    fmts = [(111, "opus/48000/2", None)]
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer("pm-oq", "tagA", phone_sdp(a_port, fmts))
        r2 = ng.answer("pm-oq", "tagA", "tagB", phone_sdp(b_port, fmts))
        assert r2["result"] == "ok", r2
        a = sdp_media(r2["sdp"])
        st = Stream(Opus, 111, voice(RATE * 4))
        first, later = st.packets[:25], st.packets[25:]  # 0.5 s, then a gap
        send_all([(sa, (a[0], a[1]), first)])
        rr = play(ng, "pm-oq", file="clip.wav")
        assert rr["result"] == "ok", rr
        time.sleep(2.6)
        send_all([(sa, (a[0], a[1]), [(t - later[0][0], p) for t, p in later[:50]])])
        got = receive_all(sb)
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    heads = [rtp_parse(g) for g in got]
    assert heads[0][4] == rtp_parse(first[0][1])[4]
    # sequence numbers without a gap; timestamps forwards, 960 apart while the file
    # plays; where nothing was sent (before the first made packet, and between the
    # file's end and A's return, 0.6 s) they advance by the time that passed
    for i, (x, y) in enumerate(zip(heads, heads[1:])):
        assert (y[2] - x[2]) & 0xFFFF == 1
        dts = (y[3] - x[3]) & 0xFFFFFFFF
        if i == 124:
            assert 0.3 * 48000 < dts < 1.0 * 48000, dts
        else:
            assert 0 < dts <= 960 * 4, (i, dts)
    made = heads[25:125]
    assert len(made) == 100 and all(h[0] == 111 for h in made)
    assert sum((y[3] - x[3]) & 0xFFFFFFFF == 960 for x, y in zip(made, made[1:])) >= 95
    dec = Opus()
    played = np.concatenate([dec.decode(h[5]) for h in made])
    q = quality(clip, played)
    assert q > 0.9, q
    assert len(heads) == 25 + 100 + 50  # A's later packets, shifted, after the file


def test_play_media_transcoded_leg(daemon_factory, mediadir):
    """A sends PCMU, B receives Opus through the transcoder: the file goes into the
    transcoder in A's codec, so B hears it in Opus on the transcoder's own continuous
    stream, then A's voice again."""
    clip = tone(16000, f=380.0)
    write_wav(os.path.join(mediadir, "clip.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    ng = d.ng()

    def b_fmts(offer_sdp, port):
        pt = pt_of(offer_sdp, "opus")
        return phone_sdp(port, [(pt, "opus/48000/2", None)])

    a_pcm_secs = 6.0
    r, a_st, got = run_call(ng, mediadir, "pm-xc", [(0, "PCMU/8000", None)], b_fmts, Pcmu, 0,
                            secs=a_pcm_secs, offer_kw={"codec": {"transcode": ["opus"]}})
    assert r["result"] == "ok" and r["duration"] == 2000, r
    heads = [h for h in (rtp_parse(g) for g in got) if h]
    assert len(heads) >= 190
    continuous(heads, 960)
    dec = Opus()
    pcm = np.concatenate([dec.decode(h[5]) for h in heads])
    # the file from about 0.6 s, then A's voice
    best = max(range(2000, 8000, 40),
               key=lambda o: abs(np.corrcoef(pcm[o:o + 8000].astype(float),
                                             clip[:8000].astype(float))[0, 1]))
    q = quality(clip, pcm[best:best + 16000])
    assert q > 0.85, (best, q)
    a_voice = voice(int(RATE * a_pcm_secs))
    # A's voice from 0.1 s after the file's end, wherever the transcoder's delay puts it
    tail = best + 16000 + 800
    q2 = quality(a_voice[tail:tail + 16000], pcm[tail - 2000:tail + 16000 + 6000])
    # voice through Opus correlates less than a tone; the file does not fit there
    q_file = quality(clip, pcm[tail - 2000:tail + 16000 + 6000])
    assert q2 > 0.5 and q2 > q_file + 0.2, (q2, q_file)


class SrtpB:
    """B answers SRTP (SDES) with a key of its own; learns the relay's key."""

    def __init__(self, suite="AES_CM_128_HMAC_SHA1_80"):
        self.suite, self.key, self.rx = suite, new_key(suite), None

    def sdp(self, offer_sdp, port, fmts):
        lines = [o for o in crypto_lines(offer_sdp) if o[1] == self.suite]
        self.tag = lines[0][0]
        s = phone_sdp(port, fmts).replace("RTP/AVP", "RTP/SAVP")
        return s.replace("a=sendrecv", crypto_line(self.tag, self.suite, self.key) +
                         "\r\na=sendrecv")

    def learn_offer(self, offer_sdp):
        mine = [o for o in crypto_lines(offer_sdp) if o[1] == self.suite]
        self.rx = Srtp(self.suite, mine[0][2], outbound=False)


def test_play_media_srtp_opus_leg(daemon_factory, mediadir):
    """A plain Opus, B SRTP Opus: the played payloads (new lengths) are encrypted
    after the rewrite; B decrypts every packet and hears the file."""
    clip = tone(16000, f=600.0)
    write_wav(os.path.join(mediadir, "clip.wav"), clip)
    d = daemon_factory("--media-dir=" + mediadir)
    fmts = [(111, "opus/48000/2", None)]
    b = SrtpB()
    r, a_st, got = run_call(d.ng(), mediadir, "pm-srtp", fmts,
                            lambda o, port: b.sdp(o, port, fmts), Opus, 111,
                            offer_kw={"transport-protocol": "RTP/SAVP"}, b_rx=b)
    assert r["result"] == "ok", r
    sent = [p for _, p in a_st.packets]
    assert len(got) == len(sent)
    heads = [rtp_parse(g) for g in got]
    continuous(heads, 960)
    changed = played_stretch(got, sent)
    assert 95 <= len(changed) <= 100, len(changed)
    assert got[changed[-1] + 1:] == sent[changed[-1] + 1:]
    dec = Opus()
    played = np.concatenate([dec.decode(got[i][12:]) for i in range(changed[0],
                                                                     changed[0] + 100)])
    assert quality(clip, played) > 0.9
