"""test_recording.py: call recording through the real daemon with real RTP.

    phone A --RTP--> rtprelayd --RTP--> phone B    (and back)
                        |
                        +--> ring --> writer thread --> pcap, A.wav, B.wav, mix.wav, .json

Checks what the files hold against what the phones sent: the pcap (read by tshark)
carries every RTP packet as sent, the per-leg WAVs hold each phone's audio
(correlation against the source signal), the mixed WAV is as long as the recording,
a pause leaves a silent gap of the pause's length, a transcoded call is recorded in
both codecs, a full disk costs recording data and no forwarded packet, and bad
paths, patterns and calls are refused.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import wave

import numpy as np
import pytest

from transcode_media import (G722, RATE, Pcmu, Stream, phone_sdp, pt_of, quality, receive_all,
                             sdp_media, send_all, to_8k, udp_pair, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

A_FORMATS = [(0, "PCMU/8000", None)]
NOTIFY = """#!/bin/sh
printf '%s\\n' "$@" > "$0.out.tmp" && mv "$0.out.tmp" "$0.out"
"""


@pytest.fixture
def recdir():
    d = tempfile.mkdtemp(prefix="rtprelay-rec-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def rec_daemon(daemon_factory, recdir, method="all", extra=()):
    notify = os.path.join(recdir, "notify.sh")
    with open(notify, "w") as f:
        f.write(NOTIFY)
    os.chmod(notify, 0o755)
    d = daemon_factory("--recording-dir=" + os.path.join(recdir, "rec"),
                       "--recording-method=" + method, "--recording-notify=" + notify, *extra)
    return d, notify + ".out"


def wait_file(path, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise AssertionError("%s never appeared" % path)


def read_wav(path, rate=8000):
    with wave.open(path) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def onset(pcm, thr=200):
    nz = np.nonzero(np.abs(pcm.astype(np.int32)) > thr)[0]
    assert len(nz), "silent track"
    return int(nz[0])


def leg_quality(ref, got):
    """Correlation of a recorded track against its source, aligned at the onset."""
    s = max(0, onset(got) - 400)
    return quality(ref, got[s:], max_lag=2000)


def pcap_payloads(path):
    """[(src port, dst port, UDP payload bytes)] of every frame, as tshark reads them."""
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "udp.srcport",
                          "-e", "udp.dstport", "-e", "udp.payload"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 3 and f[2]:
            rows.append((int(f[0]), int(f[1]), bytes.fromhex(f[2].replace(":", ""))))
    return rows


def plain_call(ng, cid, a_port, b_port, **offer_kw):
    r = ng.offer(cid, "tagA", phone_sdp(a_port, A_FORMATS), label="caller", **offer_kw)
    assert r["result"] == "ok", r
    to_b = r["sdp"]
    r2 = ng.answer(cid, "tagA", "tagB", phone_sdp(b_port, A_FORMATS), label="callee")
    assert r2["result"] == "ok", r2
    a = sdp_media(r2["sdp"])
    b = sdp_media(to_b)
    return (a[0], a[1]), (b[0], b[1])


def signals(seconds):
    a = voice(RATE * seconds)
    b = (voice(RATE * seconds)[::-1] * 0.8).astype(np.int16)  # voice-like, unlike A
    return a, b


def test_record_plain_call(daemon_factory, recdir):
    d, notified = rec_daemon(daemon_factory, recdir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        t0 = time.monotonic()
        relay_a, relay_b = plain_call(ng, "rec-1", a_port, b_port, flags=["record-call"],
                                      metadata="agent:42|queue:sales")
        a_pcm, b_pcm = signals(3)
        a_st, b_st = Stream(Pcmu, 0, a_pcm), Stream(Pcmu, 0, b_pcm)
        send_all([(sa, relay_a, a_st.packets), (sb, relay_b, b_st.packets)])
        got_b, got_a = receive_all(sb), receive_all(sa)
        q = ng.query("rec-1")
        assert q["recording"]["state"] == "recording"
        assert q["recording"]["dropped packets"] == 0
        assert q["recording"]["packets"] >= 2 * len(a_st.packets) - 10
        assert ng.delete("rec-1")["result"] == "ok"
        t1 = time.monotonic()
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    assert len(got_b) == len(a_st.packets) and len(got_a) == len(b_st.packets)
    wait_file(notified)
    args = open(notified).read().split()
    meta_path = args[0]
    assert meta_path.endswith(".json") and meta_path.startswith(os.path.join(recdir, "rec"))
    meta = json.load(open(meta_path))
    base = meta_path[:-len(".json")]
    assert sorted(args[1:]) == sorted(meta["files"])
    assert meta["call-id"] == "rec-1" and meta["complete"] is True
    assert meta["metadata"] == "agent:42|queue:sales"
    parties = {p["tag"]: p for p in meta["parties"]}
    assert set(parties) == {"tagA", "tagB"}
    assert parties["tagA"]["label"] == "caller" and parties["tagB"]["label"] == "callee"
    assert [c["codec"] for c in parties["tagA"]["codecs"]] == ["PCMU"]
    assert 0 < (meta["stop-us"] - meta["start-us"]) / 1e6 <= t1 - t0 + 0.2
    assert meta["recording"]["ring-dropped-packets"] == 0
    assert meta["recording"]["disk-lost-bytes"] == 0
    # pcap: every RTP packet each phone sent, byte for byte, towards the relay's port
    rows = pcap_payloads(base + ".pcap")
    from_a = [p for sp, dp, p in rows if sp == a_port]
    from_b = [p for sp, dp, p in rows if sp == b_port]
    assert from_a == [p for _, p in a_st.packets]
    assert from_b == [p for _, p in b_st.packets]
    assert {dp for sp, dp, p in rows if sp == a_port} == {relay_a[1]}
    # per-leg WAVs: each phone's audio, not the other's
    wa, wb = read_wav(parties["tagA"]["wav"]), read_wav(parties["tagB"]["wav"])
    assert leg_quality(a_pcm, wa) > 0.95
    assert leg_quality(b_pcm, wb) > 0.95
    assert leg_quality(b_pcm, wa) < 0.6
    # the mix: both, as long as the recording (start to delete)
    mix = read_wav(base + "-mix.wav")
    length = len(mix) / 8000.0
    assert abs(length - (meta["stop-us"] - meta["start-us"]) / 1e6) < 0.05
    assert len(wa) == len(wb) == len(mix)
    assert leg_quality(a_pcm, (mix - wb).astype(np.int16)) > 0.95


def test_pause_resume_leaves_gap(daemon_factory, recdir):
    d, notified = rec_daemon(daemon_factory, recdir, method="wav")
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        relay_a, _ = plain_call(ng, "rec-p", a_port, b_port)
        r = ng.request({"command": "start recording", "call-id": "rec-p"})
        assert r["result"] == "ok", r
        a_pcm = voice(RATE * 4)
        a_st = Stream(Pcmu, 0, a_pcm)
        import threading
        marks = {}

        def control():
            time.sleep(1.0)
            marks["pause"] = time.monotonic()
            assert ng.request({"command": "pause recording", "call-id": "rec-p"})["result"] == "ok"
            assert ng.query("rec-p")["recording"]["state"] == "paused"
            time.sleep(1.2)
            marks["resume"] = time.monotonic()
            assert ng.request({"command": "start recording",
                               "call-id": "rec-p"})["result"] == "ok"

        th = threading.Thread(target=control)
        th.start()
        send_all([(sa, relay_a, a_st.packets)])
        th.join()
        got_b = receive_all(sb)
        r = ng.request({"command": "stop recording", "call-id": "rec-p"})
        assert r["result"] == "ok"
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    assert len(got_b) == len(a_st.packets)  # forwarding never paused
    wait_file(notified)
    meta = json.load(open(open(notified).read().split()[0]))
    wa = read_wav({p["tag"]: p for p in meta["parties"]}["tagA"]["wav"])
    s = onset(wa)
    voiced = np.abs(wa[s:s + 4 * 8000].astype(np.int32)) > 0
    # the longest run of exact silence inside A's 4 s of voice is the pause
    runs, cur = [], 0
    for v in voiced:
        cur = 0 if v else cur + 1
        runs.append(cur)
    gap = max(runs) / 8000.0
    want = marks["resume"] - marks["pause"]
    assert abs(gap - want) < 0.1, (gap, want)


def test_record_transcoded_call(daemon_factory, recdir):
    d, notified = rec_daemon(daemon_factory, recdir, method="wav")
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer("rec-x", "tagA", phone_sdp(a_port, A_FORMATS), codec={"transcode": ["G722"]},
                     **{"record call": "yes"})
        assert r["result"] == "ok", r
        to_b = r["sdp"]
        pt_x = pt_of(to_b, "G722")
        r2 = ng.answer("rec-x", "tagA", "tagB", phone_sdp(b_port, [(pt_x, "G722/8000", None)]))
        assert r2["result"] == "ok", r2
        a, b = sdp_media(r2["sdp"]), sdp_media(to_b)
        a_pcm = voice(RATE * 3)
        b_pcm = (voice(16000 * 3, rate=16000)[::-1] * 0.8).astype(np.int16)
        a_st, b_st = Stream(Pcmu, 0, a_pcm), Stream(G722, pt_x, b_pcm)
        send_all([(sa, (a[0], a[1]), a_st.packets), (sb, (b[0], b[1]), b_st.packets)])
        receive_all(sb)
        receive_all(sa)
        ng.delete("rec-x")
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    wait_file(notified)
    meta = json.load(open(open(notified).read().split()[0]))
    parties = {p["tag"]: p for p in meta["parties"]}
    assert "G722" in [c["codec"] for c in parties["tagB"]["codecs"]]
    assert leg_quality(a_pcm, read_wav(parties["tagA"]["wav"])) > 0.95
    # B's leg is G.722: its WAV keeps 16 kHz (test_recording_rates.py checks the band)
    assert leg_quality(to_8k(b_pcm, 16000), to_8k(read_wav(parties["tagB"]["wav"], 16000),
                                                   16000)) > 0.8


def test_full_disk_keeps_forwarding(daemon_factory, recdir):
    rec = os.path.join(recdir, "rec")
    os.makedirs(rec)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", rec], check=True,
                   timeout=10)
    try:
        d, _ = rec_daemon(daemon_factory, recdir)
        ng = d.ng()
        sa, ca, a_port = udp_pair()
        sb, cb, b_port = udp_pair()
        try:
            relay_a, relay_b = plain_call(ng, "rec-full", a_port, b_port,
                                          flags=["record-call"])
            a_pcm, b_pcm = signals(4)
            a_st, b_st = Stream(Pcmu, 0, a_pcm), Stream(Pcmu, 0, b_pcm)
            send_all([(sa, relay_a, a_st.packets), (sb, relay_b, b_st.packets)])
            got_b, got_a = receive_all(sb), receive_all(sa)
            time.sleep(0.6)  # the writer's horizon
            q = ng.query("rec-full")["recording"]
            st = ng.request({"command": "statistics"})["recording"]
            ng.delete("rec-full")
        finally:
            for s in (sa, ca, sb, cb):
                s.close()
        # zero loss on the forwarded media, recording data lost and counted
        assert len(got_b) == len(a_st.packets) and len(got_a) == len(b_st.packets)
        assert q["lost bytes"] > 0 and q["file error"] == "yes", q
        assert st["active"] == 1 and st["disklostbytes"] >= q["lost bytes"], st
        assert d.alive()
        assert "recording data is lost" in d.log_text()
        assert d.log_text().count("recording data is lost") == 1  # logged once
        # every WAV is well-formed up to what fit
        for f in os.listdir(rec):
            for g in ([f] if not os.path.isdir(os.path.join(rec, f)) else
                      [os.path.join(f, x) for x in os.listdir(os.path.join(rec, f))]):
                if g.endswith(".wav"):
                    with wave.open(os.path.join(rec, g)) as w:
                        n = w.getnframes()
                    assert os.path.getsize(os.path.join(rec, g)) == 44 + 2 * n
    finally:
        subprocess.run(["umount", "-l", rec], timeout=10)


def test_recording_bad_input(daemon_factory, recdir):
    d, _ = rec_daemon(daemon_factory, recdir)
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        plain_call(ng, "rec-bad", a_port, b_port)

        def start(**kw):
            return ng.request(dict({"command": "start recording", "call-id": "rec-bad"}, **kw))

        for kw in ({"recording-file": "../escape"}, {"recording-file": "/etc/passwd"},
                   {"recording-file": "a/../../b"}, {"recording-dir": "/tmp"},
                   {"recording-dir": ".."}, {"recording-pattern": "%c/../%r"},
                   {"recording-pattern": "%x"}, {"metadata": "x" * 5000}):
            r = start(**kw)
            assert r["result"] == "error", (kw, r)
            assert r["error-reason"], r
        assert "recording" not in ng.query("rec-bad")
        r = ng.request({"command": "start recording", "call-id": "nope"})
        assert r["result"] == "error" and r["error-reason"] == "Unknown call-id"
        r = ng.request({"command": "stop recording", "call-id": "nope"})
        assert r["result"] == "error"
        r = ng.request({"command": "start recording"})
        assert r["result"] == "error" and "call-id" in r["error-reason"]
        # inside the directory: accepted, and the files are where it said
        r = start(**{"recording-file": os.path.join(recdir, "rec", "sub", "mine")})
        assert r["result"] == "ok", r
        assert ng.query("rec-bad")["recording"]["base"] == os.path.join(recdir, "rec", "sub",
                                                                         "mine")
        assert ng.request({"command": "stop recording", "call-id": "rec-bad"})["result"] == "ok"
        wait_file(os.path.join(recdir, "rec", "sub", "mine.json"))
        assert not os.path.exists(os.path.join(recdir, "escape.pcap"))
        # rtpengine's statistics count them: 8 refused, 1 unknown call, 1 without a
        # call-id, 1 accepted start; 1 stop of an unknown call, 1 stop
        c = ng.request({"command": "statistics"})["statistics"]["controlstatistics"]
        assert c["totalstartreccount"] == 11, c
        assert c["totalstopreccount"] == 2, c
        assert c["proxies"][0]["startreccount"] == 11
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_recording_not_configured(daemon):
    ng = daemon.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        r = ng.offer("rec-off", "tagA", phone_sdp(a_port, A_FORMATS), flags=["record-call"])
        assert r["result"] == "ok"
        assert "not recorded" in r.get("warning", ""), r  # never silently unrecorded
        r = ng.request({"command": "start recording", "call-id": "rec-off"})
        assert r["result"] == "error" and "not configured" in r["error-reason"]
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_shutdown_completes_files(daemon_factory, recdir):
    d, notified = rec_daemon(daemon_factory, recdir, method="all")
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        relay_a, _ = plain_call(ng, "rec-sd", a_port, b_port, flags=["record-call"])
        a_st = Stream(Pcmu, 0, voice(RATE * 2))
        send_all([(sa, relay_a, a_st.packets)])
        d.stop()
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    wait_file(notified)
    meta = json.load(open(open(notified).read().split()[0]))
    assert meta["complete"] is True
    for f in meta["files"]:
        if f.endswith(".wav"):
            with wave.open(f) as w:
                assert w.getnframes() * 2 + 44 == os.path.getsize(f)
                assert w.getnframes() > 8000


def burst_until_copies_drop(ng, cid, sa, sb, relay_a, tries=4):
    """Bursts of 1000 packets, 100 at a time every 4 ms: about 25 000 packets/s, within
    what the relay's socket buffers take, while about 400 copies (90 KiB) reach a 64 KiB
    ring per writer tick (20 ms). A burst the writer happened to keep up with drops
    nothing: send another (at most @tries). Every packet must be forwarded. Returns
    (sent, received)."""
    sent, got = 0, []
    for _ in range(tries):
        burst = [p for _, p in Stream(Pcmu, 0, voice(RATE * 20)).packets]
        for i in range(0, len(burst), 100):
            for p in burst[i:i + 100]:
                sa.sendto(p, relay_a)
            time.sleep(0.004)
        sent += len(burst)
        got += receive_all(sb)
        assert len(got) == sent, "the relay lost packets: %d of %d" % (len(got), sent)
        if ng.query(cid)["recording"]["dropped packets"]:
            break
    return sent, got


def test_full_ring_costs_recording_not_forwarding(daemon_factory, recdir):
    """A 64 KiB ring and a burst far faster than the writer drains it: copies are
    dropped and counted (query, metadata), every packet is still forwarded."""
    d, notified = rec_daemon(daemon_factory, recdir, method="pcap",
                             extra=("--recording-ring-kb=64",))
    ng = d.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        relay_a, _ = plain_call(ng, "rec-ring", a_port, b_port, flags=["record-call"])
        sent, got_b = burst_until_copies_drop(ng, "rec-ring", sa, sb, relay_a)
        q = ng.query("rec-ring")["recording"]
        ng.delete("rec-ring")
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
    assert len(got_b) == sent
    assert q["dropped packets"] > 0, q
    assert q["packets"] + q["dropped packets"] == sent, q
    wait_file(notified)
    meta = json.load(open(open(notified).read().split()[0]))
    assert meta["recording"]["ring-dropped-packets"] == q["dropped packets"]
    assert "falls behind" in d.log_text()
    st = ng.request({"command": "statistics"})["recording"]
    assert st["ringdroppedpackets"] == q["dropped packets"] and st["completed"] == 1, st
