"""Recording and playback on a live call, driven by Kamailio's rtpengine module:
`start_recording()` / `stop_recording()` and `play_media()` / `stop_media()` through
docs/kamailio.md's route[RTP_CONTROL], and the `record-call=on` flag on the offer.

What the relay wrote is read back with the tools an operator would use: tshark for the
call's pcap (the RTP of both parties, decoded here to find each phone's tone), the
per-party WAVs (each holds the tone that party's phone sent). What a phone hears of an
announcement is read from baresip's own recording of what it decoded.
"""
import glob
import json
import os
import subprocess
import time

import pytest

from interop_lib import checks
from interop_lib.kamailio import DEFAULT_FLAGS
from interop_lib.relay import relay_kind
from interop_lib.sipctl import Controller, dialog_ids
from interop_lib.sniff import ulaw_to_linear
from interop_lib.tone import analyse, goertzel_power, read_wav
from interop_lib.topology import CALLEE_TONE, CALLER_TONE, SIP_PORT

from test_calls import assert_full_dialog, dial, hang_up
from test_callctl import control

RECORD_SECONDS = 3.0
# the announcement: 1 s of ANNOUNCE_TONES[0] then 1 s of ANNOUNCE_TONES[1], so the
# order in which the phone hears it is checked too
ANNOUNCE_TONES = (1400, 1800)
ALL_TONES = (CALLER_TONE, CALLEE_TONE) + ANNOUNCE_TONES
TSHARK_TIMEOUT = 20

# rtpengine writes recordings for its separate recording daemon (no WAVs, no metadata
# file of this layout without it) and has no media-dir: these checks are rtprelay's
pytestmark = pytest.mark.skipif(relay_kind() == "rtpengine",
                                reason="rtprelay's recording and media-dir layout")
COMPLETE_TIMEOUT = 5.0


def relay_dirs(tmp_path):
    rec, media = str(tmp_path / "rec"), str(tmp_path / "media")
    os.makedirs(rec)
    os.makedirs(media)
    return rec, media


def start_call(make_world, tmp_path, offer_flags=DEFAULT_FLAGS):
    """A PCMU call alice -> bob through Kamailio and a relay that records into
    tmp/rec (pcap and WAVs) and plays from tmp/media."""
    rec, media = relay_dirs(tmp_path)
    args = ["--recording-dir=" + rec, "--recording-method=all", "--media-dir=" + media]
    world = make_world(offer_flags=offer_flags, relays=[{"weight": 1, "args": args}])
    call_id = dial(world)
    sip_call_id, alice_tag, bob_tag = dialog_ids(world.alice)
    assert sip_call_id == call_id, (sip_call_id, call_id)
    return world, call_id, alice_tag, bob_tag, rec, media


def recording_files(rec, call_id, timeout=COMPLETE_TIMEOUT):
    """The one completed recording's metadata (its JSON file) and directory. The
    relay's writer thread finishes the files after `stop recording`/`delete` has been
    answered (it runs 400 ms behind real time), so wait until the metadata (renamed
    into place whole) says `complete`."""
    deadline = time.monotonic() + timeout
    while True:
        metas = glob.glob(os.path.join(rec, "**", "*.json"), recursive=True)
        assert len(metas) <= 1, "expected one recording metadata file in %s: %r" % (
            rec, metas)
        meta = None
        if metas:
            with open(metas[0]) as f:
                meta = json.load(f)
            if meta.get("complete") is True:
                break
        assert time.monotonic() < deadline, \
            "no complete recording in %s after %.0fs: %r" % (rec, timeout, meta)
        time.sleep(0.1)
    assert meta.get("call-id") == call_id, meta
    return meta, os.path.dirname(metas[0])


def pcap_rtp(path, relay_ports):
    """{(src ip, src port): [payload bytes, ...]} of the PCMU RTP in the pcap that
    was sent to one of the relay's ports, read with tshark, and the capture's span
    in seconds."""
    cmd = ["tshark", "-n", "-r", path]
    for port in relay_ports:
        cmd += ["-d", "udp.port==%d,rtp" % port]
    cmd += ["-Y", "rtp && rtp.p_type == 0", "-T", "fields", "-E", "separator=;",
            "-e", "frame.time_epoch", "-e", "ip.src", "-e", "udp.srcport",
            "-e", "udp.dstport", "-e", "rtp.payload"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=TSHARK_TIMEOUT)
    assert out.returncode == 0, "tshark failed on %s: %s" % (path, out.stderr[-2000:])
    flows, times = {}, []
    for line in out.stdout.splitlines():
        t, src, sport, dport, payload = line.split(";")
        assert int(dport) in relay_ports, line
        flows.setdefault((src, int(sport)), []).append(bytes.fromhex(payload.replace(":", "")))
        times.append(float(t))
    return flows, (max(times) - min(times) if times else 0.0)


def tone_fractions(samples, rate, freqs):
    """Share of the samples' energy in each of `freqs` (see tone.analyse)."""
    energy = sum(x * x for x in samples) / max(len(samples), 1)
    # a pure sine of energy E per sample gives a Goertzel power of E * N / 2
    scale = energy * len(samples) / 2 or 1.0
    return {f: goertzel_power(samples, rate, f) / scale for f in freqs}


def assert_recording(meta, rec_dir, world, alice_tag, bob_tag, seconds):
    """The pcap holds PCMU RTP from both phones for about `seconds`, each with its
    phone's tone; each party's WAV is `seconds` long and holds its phone's tone."""
    files = meta["files"]
    pcaps = [f for f in files if f.endswith(".pcap")]
    assert len(pcaps) == 1, files
    ports = [checks.parse_sdp(checks.received_sdps(p, what)[0])["port"]
             for p, what in ((world.bob, "INVITE"), (world.alice, "200"))]
    flows, span = pcap_rtp(os.path.join(rec_dir, pcaps[0]), ports)
    assert len(flows) == 2, "the pcap should hold RTP from both phones: %r" % {
        k: len(v) for k, v in flows.items()}
    assert span >= seconds - 0.5, "pcap spans %.1fs, recorded %.1fs" % (span, seconds)
    heard = {}
    for src, payloads in flows.items():
        assert len(payloads) >= 0.8 * 50 * seconds, \
            "only %d packets from %r in the pcap (%.1fs recorded)" % (len(payloads), src,
                                                                      seconds)
        samples = [float(ulaw_to_linear(b)) for p in payloads for b in p]
        fr = tone_fractions(samples, 8000, (CALLER_TONE, CALLEE_TONE))
        heard[src] = max(fr, key=fr.get)
        assert fr[heard[src]] > 0.5, "pcap RTP from %r: tone fractions %r" % (src, fr)
    assert sorted(heard.values()) == sorted((CALLER_TONE, CALLEE_TONE)), heard

    for tag, tone, other in ((alice_tag, CALLER_TONE, CALLEE_TONE),
                             (bob_tag, CALLEE_TONE, CALLER_TONE)):
        # the metadata maps each party's tag to its WAV (a party whose tag was not
        # known yet when the recording started, the callee with record-call on the
        # offer, has a file named leg<N>)
        wavs = [p["wav"] for p in meta["parties"] if p.get("tag") == tag]
        assert len(wavs) == 1 and wavs[0] in files, \
            "one WAV for party %s expected: %r" % (tag, meta["parties"])
        info = analyse(os.path.join(rec_dir, wavs[0]), (tone, other))
        assert abs(info["seconds"] - seconds) < 0.7, \
            "%s is %.2fs long, recorded %.1fs" % (wavs[0], info["seconds"], seconds)
        assert info["active_seconds"] >= seconds - 0.8 and info["fraction"][tone] > 0.5 \
            > info["fraction"][other], "%s: %r" % (wavs[0], info)
    mixed = [f for f in files if f.endswith("-mix.wav")]
    assert len(mixed) == 1, files
    info = analyse(os.path.join(rec_dir, mixed[0]), (CALLER_TONE, CALLEE_TONE))
    assert all(info["fraction"][f] > 0.25 for f in (CALLER_TONE, CALLEE_TONE)), \
        "the mixed WAV should hold both tones: %r" % info


def test_start_and_stop_recording(make_world, tmp_path):
    """start_recording() a second into the call, stop_recording() RECORD_SECONDS
    later: the recording is complete before the call ends and holds both phones'
    RTP (pcap) and audio (per-party WAVs) for that window only."""
    world, call_id, alice_tag, bob_tag, rec, _ = start_call(make_world, tmp_path)
    ctl = Controller(world.core, world.core_addr, SIP_PORT)
    try:
        time.sleep(1.0)
        started = control(ctl, "start_recording", call_id, alice_tag, bob_tag)
        time.sleep(RECORD_SECONDS)
        stopped = control(ctl, "stop_recording", call_id, alice_tag, bob_tag)
        control(ctl, "start_recording", "no-such-call@test", alice_tag, bob_tag, expect=500)
        # complete while the call goes on
        meta, rec_dir = recording_files(rec, call_id)
        time.sleep(0.5)
    finally:
        ctl.close()
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
    assert_recording(meta, rec_dir, world, alice_tag, bob_tag, stopped - started)


def test_record_call_flag_on_offer(make_world, tmp_path):
    """`record-call=on` on rtpengine_offer() records the whole call; the BYE's
    rtpengine_delete() completes the files."""
    world, call_id, alice_tag, bob_tag, rec, _ = start_call(
        make_world, tmp_path, offer_flags=DEFAULT_FLAGS + " record-call=on")
    time.sleep(RECORD_SECONDS)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
    meta, rec_dir = recording_files(rec, call_id)
    length = (meta["stop-us"] - meta["start-us"]) / 1e6
    assert RECORD_SECONDS <= length < RECORD_SECONDS + 5, meta
    assert_recording(meta, rec_dir, world, alice_tag, bob_tag, length)


def tone_runs(path, freqs=ALL_TONES, block_s=0.1):
    """The recording as runs of [tone, seconds]: each 100 ms block that is not
    silent is labelled with the one of `freqs` holding most of its energy (None if
    none holds half), and equal neighbours are merged."""
    samples, rate = read_wav(path)
    block = int(rate * block_s)
    runs = []
    for start in range(0, len(samples) - block + 1, block):
        chunk = samples[start:start + block]
        if sum(x * x for x in chunk) / block < 1e4:
            label = "silence"
        else:
            fr = tone_fractions(chunk, rate, freqs)
            best = max(fr, key=fr.get)
            label = best if fr[best] > 0.5 else None
        if runs and runs[-1][0] == label:
            runs[-1][1] += block_s
        else:
            runs.append([label, block_s])
    return runs


def main_runs(runs, minimum=0.25):
    """`runs` without the short ones (a block straddling a switch, a lost packet)
    and without the silence before the first and after the last audio, equal
    neighbours merged again."""
    while runs and runs[0][0] == "silence":
        runs = runs[1:]
    while runs and runs[-1][0] == "silence":
        runs = runs[:-1]
    out = []
    for label, secs in runs:
        if secs < minimum:
            continue
        if out and out[-1][0] == label:
            out[-1][1] += secs
        else:
            out.append([label, secs])
    return out


def test_play_media_announcement(make_world, tmp_path):
    """play_media("file=...") with alice's From tag: alice hears the announcement (a
    WAV the test makes with sox in media-dir) in place of bob's tone, both of its
    parts in order, then bob's tone again; Kamailio's media_duration gets the
    relay's duration. A 20 s announcement (repeat-times=10) stopped with
    stop_media() 0.6 s into it gives way to bob's tone at once. bob hears only
    alice throughout; a missing file and one outside media-dir are refused (500)."""
    world, call_id, alice_tag, bob_tag, _, media = start_call(make_world, tmp_path)
    ann = os.path.join(media, "announcement.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", ann,
                    "synth", "1", "sine", str(ANNOUNCE_TONES[0]), "vol", "0.3", ":",
                    "synth", "1", "sine", str(ANNOUNCE_TONES[1]), "vol", "0.3"],
                   check=True, timeout=20)
    ctl = Controller(world.core, world.core_addr, SIP_PORT)
    try:
        time.sleep(1.5)
        control(ctl, "play_media", call_id, alice_tag, bob_tag, "file=announcement.wav")
        assert "X-Media-Duration: 2000" in ctl.last_reply, ctl.last_reply
        time.sleep(2.0 + 1.5)
        control(ctl, "play_media", call_id, alice_tag, bob_tag,
                "file=announcement.wav repeat-times=10")
        assert "X-Media-Duration: 20000" in ctl.last_reply, ctl.last_reply
        time.sleep(0.6)
        control(ctl, "stop_media", call_id, alice_tag, bob_tag)
        time.sleep(1.5)
        # refusals: a file that is not there, one outside media-dir
        control(ctl, "play_media", call_id, alice_tag, bob_tag, "file=missing.wav",
                expect=500)
        control(ctl, "play_media", call_id, alice_tag, bob_tag, "file=/etc/passwd",
                expect=500)
    finally:
        ctl.close()
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)

    files = world.alice.recordings("dec")
    assert len(files) == 1, files
    runs = main_runs(tone_runs(files[0]))
    labels = [label for label, _ in runs]
    first, second = ANNOUNCE_TONES
    want = [CALLEE_TONE, first, second, CALLEE_TONE, first, CALLEE_TONE]
    assert labels == want, "alice heard %r, expected the tones %r" % (runs, want)
    assert 0.8 <= runs[1][1] <= 1.2 and 0.8 <= runs[2][1] <= 1.2, \
        "the announcement's parts should last 1 s each: %r" % runs
    assert 0.3 <= runs[4][1] <= 1.0, "stop_media came 0.6 s into it: %r" % runs
    assert runs[3][1] >= 1.2 and runs[5][1] >= 1.0, runs

    bob = main_runs(tone_runs(world.bob.recordings("dec")[0]))
    assert [label for label, _ in bob] == [CALLER_TONE], "bob heard %r" % bob
