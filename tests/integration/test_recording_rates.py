"""test_recording_rates.py: per-leg WAVs at the leg's decoded rate, the mix at the
highest.

    phone A --G.722 / Opus--> rtprelayd --> phone B      record-call, method wav

A G.722 call gives 16 kHz WAVs whose content is the sent audio, including a 6 kHz
tone that an 8 kHz file could not hold; an Opus call gives 48 kHz WAVs; the mixed
file has the highest rate and the recording's length.
"""

import json
import os
import shutil
import tempfile

import numpy as np
import pytest

from test_recording import NOTIFY, read_wav, wait_file
from transcode_media import (G722, RATE, Opus, Stream, phone_sdp, quality, receive_all,
                             sdp_media, send_all, udp_pair, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


@pytest.fixture
def recdir():
    d = tempfile.mkdtemp(prefix="rtprelay-rrate-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def record_call(daemon_factory, recdir, cid, fmts, a_st, b_st):
    notify = os.path.join(recdir, "notify.sh")
    with open(notify, "w") as f:
        f.write(NOTIFY)
    os.chmod(notify, 0o755)
    d = daemon_factory("--recording-dir=" + os.path.join(recdir, "rec"),
                       "--recording-method=wav", "--recording-notify=" + notify)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer(cid, "tagA", phone_sdp(a_port, fmts), flags=["record-call"])
        assert r["result"] == "ok", r
        r2 = ng.answer(cid, "tagA", "tagB", phone_sdp(b_port, fmts))
        assert r2["result"] == "ok", r2
        a, b = sdp_media(r2["sdp"]), sdp_media(r["sdp"])
        send_all([(sa, (a[0], a[1]), a_st.packets), (sb, (b[0], b[1]), b_st.packets)])
        receive_all(sb)
        receive_all(sa)
        assert ng.delete(cid)["result"] == "ok"
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    wait_file(notify + ".out")
    meta_path = open(notify + ".out").read().split()[0]
    meta = json.load(open(meta_path))
    return meta, meta_path[:-len(".json")], {p["tag"]: p for p in meta["parties"]}


def from_onset(pcm):
    """@pcm from a little before its first sound (the call's start is silence)."""
    return pcm[max(0, int(np.argmax(np.abs(pcm) > 200)) - 400):]


def band_energy(pcm, rate, f, width=200):
    spec = np.abs(np.fft.rfft(pcm.astype(float)))
    freqs = np.fft.rfftfreq(len(pcm), 1.0 / rate)
    return spec[(freqs > f - width) & (freqs < f + width)].sum() / spec.sum()


def test_g722_call_records_16k(daemon_factory, recdir):
    wide = 16000
    t = np.arange(wide * 3) / wide
    a_pcm = (voice(wide * 3, rate=wide) * 0.7 + 3000 * np.sin(2 * np.pi * 6000 * t)).astype(
        np.int16)
    b_pcm = (voice(wide * 3, rate=wide)[::-1] * 0.8).astype(np.int16)
    fmts = [(9, "G722/8000", None)]
    meta, base, parties = record_call(daemon_factory, recdir, "rr-722", fmts,
                                      Stream(G722, 9, a_pcm), Stream(G722, 9, b_pcm))
    wa = read_wav(parties["tagA"]["wav"], 16000)
    wb = read_wav(parties["tagB"]["wav"], 16000)
    mix = read_wav(base + "-mix.wav", 16000)
    length = (meta["stop-us"] - meta["start-us"]) / 1e6
    assert len(wa) == len(wb) == len(mix)
    assert abs(len(mix) / 16000.0 - length) < 0.05
    # the content at 16 kHz: each leg its own audio (the decoders' delay searched)
    assert quality(a_pcm, from_onset(wa), max_lag=2000) > 0.8
    assert quality(b_pcm, from_onset(wb), max_lag=2000) > 0.8
    # the 6 kHz tone A sent is in A's file (above what 8 kHz can hold), not in B's
    assert band_energy(wa, 16000, 6000) > 0.1
    assert band_energy(wb, 16000, 6000) < 0.02


def test_opus_call_records_48k(daemon_factory, recdir):
    a_pcm = voice(RATE * 3)
    b_pcm = (voice(RATE * 3)[::-1] * 0.8).astype(np.int16)
    fmts = [(111, "opus/48000/2", None)]
    meta, base, parties = record_call(daemon_factory, recdir, "rr-opus", fmts,
                                      Stream(Opus, 111, a_pcm), Stream(Opus, 111, b_pcm))
    wa = read_wav(parties["tagA"]["wav"], 48000)
    wb = read_wav(parties["tagB"]["wav"], 48000)
    mix = read_wav(base + "-mix.wav", 48000)
    length = (meta["stop-us"] - meta["start-us"]) / 1e6
    assert len(wa) == len(wb) == len(mix)
    assert abs(len(mix) / 48000.0 - length) < 0.05
    # narrowband audio in a 48 kHz file: compared at 8 kHz (Opus band-limits it)
    a8, b8 = [w[:len(w) // 6 * 6].reshape(-1, 6).mean(axis=1).astype(np.int16)
              for w in (wa, wb)]
    q_a = quality(a_pcm, from_onset(a8), max_lag=2000)
    q_b = quality(b_pcm, from_onset(b8), max_lag=2000)
    q_cross = quality(b_pcm, from_onset(a8), max_lag=2000)
    # the voice through Opus correlates less than through G.711 (~0.75 here); the
    # other party's voice in this file does not correlate at all
    assert q_a > 0.65 and q_b > 0.65 and q_cross < min(q_a, q_b) - 0.2, (q_a, q_b, q_cross)
