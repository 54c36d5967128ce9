"""test_recording_kernel.py: recording streams the kernel forwards (`offload = yes`)
without taking them out of the kernel.

    caller ns --RTP--> tc eBPF (rewrite, redirect) --RTP--> callee ns
                          |
                          +--> BPF ring buffer --> writer thread --> pcap, WAVs, .json

The eBPF program copies each packet of a recorded stream into its ring buffer before
it rewrites and forwards it; the recording writer reads the ring and writes the copies
as it writes user space's. Checked here: the stream stays in the kernel while it is
recorded (the frozen daemon still forwards, `query` says "path": "kernel"), the pcap's
RTP payloads are byte for byte what the caller sent, the caller's WAV correlates with
the sent voice, a pause leaves a gap of the pause's length, and a ring too small for a
burst drops recording copies (counted in `query`, `statistics`, the metrics and the
metadata) while every packet is still forwarded, and a call recorded from its offer is
copied by user space until it settles and by the kernel after, each packet once.
Topology and daemon: test_offload_daemon.py (root).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_offload_daemon import (CALLEE_IP, CALLER_IP, RELAY_IP, SETTLE, RelayDaemon,  # noqa: E402,F401
                                 kernel_forwards, pytestmark, setup_call, talk, topo,
                                 wait_kernel_forwards)
from test_offload_netns import drain, ns_socket  # noqa: E402
from transcode_media import RATE, Pcmu, Stream, quality, voice  # noqa: E402


def send_paced(sock, dst, packets, start):
    """Each (nominal time, bytes) at start + its time; returns how many went out."""
    for t, p in packets:
        delay = start + t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.sendto(p, dst)
    return len(packets)


def read_wav(path):
    with wave.open(path) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def pcap_rtp(path):
    """[(source address, UDP payload)] of every frame, as tshark reads them."""
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "ip.src",
                          "-e", "udp.payload"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 2 and f[1]:
            rows.append((f[0], bytes.fromhex(f[1].replace(":", ""))))
    return rows


def metrics(ns, port):
    """The daemon's /metrics, fetched inside its namespace."""
    code = ("import urllib.request;print(urllib.request.urlopen("
            "'http://127.0.0.1:%d/metrics', timeout=5).read().decode())" % port)
    out = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in out.splitlines() if line and not line.startswith("#")}


def ssrc_of(p):
    return int.from_bytes(p[8:12], "big")


def wait_complete(meta_path, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                meta = json.load(f)
            if meta.get("complete"):
                return meta
        time.sleep(0.05)
    raise AssertionError("%s never completed" % meta_path)


def longest_silence(pcm):
    """Length in samples of the longest run of exact zeros."""
    best = cur = 0
    for v in pcm != 0:
        cur = 0 if v else cur + 1
        best = max(best, cur)
    return best


def test_recorded_kernel_stream_stays_in_kernel(topo):
    rec = tempfile.mkdtemp(prefix="rtprelay-krec-")
    d = RelayDaemon(offload=True, timeout=60,
                    extra_args=["--recording-dir=" + rec, "--recording-method=all"])
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    pcm = voice(RATE * 4)
    st = Stream(Pcmu, 0, pcm)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "krec-1")
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)

            r = ng.request({"command": "start recording", "call-id": "krec-1",
                            "recording-file": "kcall"})
            assert r["result"] == "ok", r
            # still the kernel's: a frozen daemon forwards on
            assert kernel_forwards(d, caller, callee, pa)
            q = ng.query("krec-1")["recording"]
            assert q["path"] == "kernel", q

            # 4 s of voice from the caller; the recording pauses from 1.5 s to 2.5 s
            start = time.monotonic()
            send_paced(caller, (RELAY_IP, pa), [x for x in st.packets if x[0] < 1.5], start)
            t_pause = time.monotonic()
            r = ng.request({"command": "pause recording", "call-id": "krec-1"})
            assert r["result"] == "ok", r
            assert ng.query("krec-1")["recording"]["state"] == "paused"
            send_paced(caller, (RELAY_IP, pa), [x for x in st.packets if 1.5 <= x[0] < 2.5],
                       start)
            t_resume = time.monotonic()
            r = ng.request({"command": "start recording", "call-id": "krec-1"})
            assert r["result"] == "ok", r
            send_paced(caller, (RELAY_IP, pa), [x for x in st.packets if x[0] >= 2.5], start)
            got = [x for x, _ in drain(callee, 0.5)]
            # every packet forwarded, recorded or paused
            assert [g for g in got if ssrc_of(g) == ssrc_of(st.packets[0][1])] == \
                [p for _, p in st.packets]
            q = ng.query("krec-1")
            assert q["recording"]["path"] == "kernel", q["recording"]
            assert q["recording"]["dropped packets"] == 0, q["recording"]
            # the kernel forwarded them: user space saw none of the voice packets
            assert kernel_forwards(d, caller, callee, pa)
            s = ng.request({"command": "statistics"})
            assert s["recording"]["kernelcopiedpackets"] >= 150, s["recording"]
            assert s["recording"]["kernelringdroppedpackets"] == 0, s["recording"]

            r = ng.request({"command": "stop recording", "call-id": "krec-1"})
            assert r["result"] == "ok", r
            assert "recording" not in ng.query("krec-1")
            assert kernel_forwards(d, caller, callee, pa)  # and never left it
        meta = wait_complete(os.path.join(rec, "kcall.json"))
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
        assert "recorded streams stay in the kernel" in log
    finally:
        d.stop()
        caller.close()
        callee.close()
    try:
        sent = [p for _, p in st.packets]
        ssrc = ssrc_of(sent[0])
        rows = pcap_rtp(os.path.join(rec, "kcall.pcap"))
        voice_rows = [p for src, p in rows if src == CALLER_IP and ssrc_of(p) == ssrc]
        # byte for byte what the caller sent, minus the paused second
        not_paused = [p for t, p in st.packets if t < 1.4 or t >= 2.6]
        assert all(p in voice_rows for p in not_paused)
        assert set(voice_rows) <= set(sent)
        assert 80 <= len(voice_rows) <= len(sent) - 40, len(voice_rows)
        # the frozen-daemon bursts went through the kernel too and are in the pcap
        assert any(ssrc_of(p) == 0x1111 for src, p in rows if src == CALLER_IP)
        assert meta["recording"]["ring-dropped-packets"] == 0
        # the caller's WAV: the sent voice, with a gap as long as the pause
        parties = {p["tag"]: p for p in meta["parties"]}
        wa = read_wav(parties["from1"]["wav"])
        nz = np.nonzero(np.abs(wa.astype(np.int32)) > 200)[0]
        first = int(nz[0])
        track = wa[first:first + RATE * 4]
        gap = longest_silence(track) / RATE
        assert abs(gap - (t_resume - t_pause)) < 0.15, (gap, t_resume - t_pause)
        head = track[:int(RATE * 1.4)]
        assert quality(pcm[:len(head)], head, seg=400, max_lag=800) > 0.9
    finally:
        shutil.rmtree(rec, ignore_errors=True)


def test_full_kernel_ring_drops_copies_not_packets(topo):
    """A one-page ring and bursts far beyond it: copies dropped and counted, every
    packet forwarded by the kernel."""
    rec = tempfile.mkdtemp(prefix="rtprelay-krec-")
    d = RelayDaemon(offload=True, timeout=60,
                    extra_args=["--recording-dir=" + rec, "--recording-method=pcap",
                                "--recording-kernel-ring-kb=4", "--listen-http=127.0.0.1:28471"])
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "krec-2")
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)
            r = ng.request({"command": "start recording", "call-id": "krec-2",
                            "recording-file": "full"})
            assert r["result"] == "ok", r
            # with the daemon frozen nothing reads the ring: 5 bursts of 100
            # (the callee reads between them: its socket buffer holds fewer)
            drain(callee, 0.1)
            d.freeze()
            try:
                sent, got = [], []
                for b in range(5):
                    for i in range(100):
                        seq = 20000 + b * 100 + i
                        p = (bytes([0x80, 0]) + seq.to_bytes(2, "big") +
                             (seq * 160).to_bytes(4, "big") + (0x3333).to_bytes(4, "big") +
                             bytes((seq + k) & 0xff for k in range(160)))
                        caller.sendto(p, (RELAY_IP, pa))
                        sent.append(p)
                    got += [x for x, _ in drain(callee, 0.1)]
            finally:
                d.thaw()
            assert got == sent  # the kernel forwarded every one
            # the offload tick reports the kernel's drops to the session
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                q = ng.query("krec-2")["recording"]
                if q["kernel dropped packets"] > 0:
                    break
                time.sleep(0.2)
            assert q["path"] == "kernel", q
            assert q["kernel dropped packets"] >= 400, q
            assert q["dropped packets"] >= q["kernel dropped packets"], q
            s = ng.request({"command": "statistics"})["recording"]
            assert s["kernelringdroppedpackets"] == q["kernel dropped packets"], (s, q)
            # copied + dropped = the packets the kernel forwarded while recorded
            assert s["kernelcopiedpackets"] + s["kernelringdroppedpackets"] == 500, s
            assert s["ringdroppedpackets"] >= s["kernelringdroppedpackets"], s
            m = metrics(topo["relay"], 28471)
            assert m['rtprelay_recording_dropped_total{type="kernel"}'] == \
                s["kernelringdroppedpackets"], m
            assert m["rtprelay_recording_kernel_copies_total"] == s["kernelcopiedpackets"], m
            assert ng.delete("krec-2")["result"] == "ok"
        meta = wait_complete(os.path.join(rec, "full.json"))
        assert meta["recording"]["ring-dropped-packets"] >= 400, meta["recording"]
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
        # what did fit is in the pcap, as sent
        rows = [p for src, p in pcap_rtp(os.path.join(rec, "full.pcap")) if src == CALLER_IP]
        burst = [p for p in rows if ssrc_of(p) == 0x3333]
        assert 0 < len(burst) == s["kernelcopiedpackets"], (len(burst), s)
        assert set(burst) <= set(sent)
    finally:
        d.stop()
        caller.close()
        callee.close()
        shutil.rmtree(rec, ignore_errors=True)


def test_record_call_from_offer_into_kernel(topo):
    """record-call on the offer: the stream is recorded in user space while latching
    settles, then handed to the kernel with its record bit set. Every packet the callee
    got is in the pcap exactly once, whichever path copied it."""
    rec = tempfile.mkdtemp(prefix="rtprelay-krec-")
    d = RelayDaemon(offload=True, timeout=60,
                    extra_args=["--recording-dir=" + rec, "--recording-method=pcap"])
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "krec-3", flags=("record-call",))
            q = ng.query("krec-3")["recording"]
            assert q["state"] == "recording" and q["path"] == "user space", q
            _, before = talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)
            q = ng.query("krec-3")["recording"]
            assert q["path"] == "kernel", q
            _, after = talk(caller, callee, pa, pb, 1.0, first_seq=1000)
            assert ng.delete("krec-3")["result"] == "ok"
        base = os.path.join(rec, "krec-3")
        meta = None
        for root, _, files in os.walk(rec):
            for f in files:
                if f.endswith(".json"):
                    meta = wait_complete(os.path.join(root, f))
                    base = os.path.join(root, f[:-len(".json")])
        assert meta and meta["call-id"] == "krec-3"
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
    finally:
        d.stop()
        caller.close()
        callee.close()
    try:
        rows = [p for src, p in pcap_rtp(base + ".pcap") if src == CALLER_IP]
        talked = [p for p in rows if ssrc_of(p) == 0x1111 and
                  int.from_bytes(p[2:4], "big") < 5000]
        got = [p for p in before + after if ssrc_of(p) == 0x1111 and
               int.from_bytes(p[2:4], "big") < 5000]
        assert len(got) >= int(SETTLE * 50) + 50 - 5, len(got)
        # each forwarded packet once: no copy missing at the hand-over, none twice
        assert sorted(talked) == sorted(got)
        assert any(int.from_bytes(p[2:4], "big") >= 1000 for p in talked)
        assert meta["recording"]["ring-dropped-packets"] == 0
    finally:
        shutil.rmtree(rec, ignore_errors=True)
