"""Call control beyond the basics, over ng with real RTP: rtpengine's DTMF
security modes (tone, zero, DTMF, random), play DTMF as in-band tones where
telephone-event is not negotiated (also into a transcoded stream), from-tags
selecting several parties, the per-command counters of `statistics`, and
absurd values.

    phone A ──RTP──▶ relay ──RTP──▶ phone B   (and back)
"""

import numpy as np
import pytest

from dp_media import Phone, parse_rtp
from test_callctl import cmd, event_pkt, flows, ok, received, rtp_at, setup_call
from transcode_media import ulaw_decode, voice

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def control_stats(ng):
    r = ng.request({"command": "statistics"})
    assert r["result"] == "ok", r
    return r["statistics"]["controlstatistics"]


def test_statistics_count_call_control_commands(daemon):
    """Each call-control command has its counters in rtpengine's shape: the
    lower-case short name + "count" per proxy and as total..., plus the keys
    rtpengine's documentation writes without "count"; errors are counted too."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "st-1", a, b)
        for command, n in (("block media", 2), ("unblock media", 1), ("silence media", 1),
                           ("unsilence media", 1), ("block DTMF", 3), ("unblock DTMF", 1)):
            for _ in range(n):
                ok(ng, command, "st-1")
        ok(ng, "play DTMF", "st-1", **{"from-tag": "A", "code": 1})
        # an error is counted under its command and as an error
        r = cmd(ng, "play DTMF", "no-such-call", **{"from-tag": "A", "code": 1})
        assert r["result"] == "error"
        c = control_stats(ng)
        want = {"blkmedia": 2, "unblkmedia": 1, "slnmedia": 1, "unslnmedia": 1,
                "blkdtmf": 3, "unblkdtmf": 1, "playdtmf": 2}
        for k, v in want.items():
            assert c["total%scount" % k] == v, (k, c)
        assert c["totalblkmedia"] == 2 and c["totalunblkmedia"] == 1
        assert c["totalplaydtmf"] == 2
        px = c["proxies"][0]
        for k, v in want.items():
            assert px["%scount" % k] == v, (k, px)
            assert float(px["%sduration" % k]) >= 0
        assert px["blkmedia"] == 2 and px["playdtmf"] == 2
        assert px["errorcount"] >= 1
        # timings of the new commands in rtpengine's "min<cmd>duration" shape
        assert float(c["maxblkdtmfduration"]) >= float(c["minblkdtmfduration"]) > 0


# ---- block DTMF: rtpengine's DTMF-security modes ----

def goertzel(pcm, f, rate=8000):
    """Power of f Hz in pcm (a float array), per sample squared."""
    n = len(pcm)
    w = 2 * np.pi * f / rate
    c = 2 * np.cos(w)
    s1 = s2 = 0.0
    for x in pcm:
        s1, s2 = x + c * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n)


DTMF_ROWS, DTMF_COLS = (697, 770, 852, 941), (1209, 1336, 1477, 1633)


def dominant(pcm, freqs, rate=8000):
    """The frequency of `freqs` strongest in pcm, and its margin over the next (dB)."""
    p = sorted(((goertzel(pcm, f, rate), f) for f in freqs), reverse=True)
    return p[0][1], 10 * np.log10(p[0][0] / max(p[1][0], 1e-9))


def send_event(a, tb, ts, event, dur, end=False, marker=False):
    p = event_pkt(a, ts, event, end, dur, marker=marker)
    a.rtp_socks[0].sendto(p, tb)
    return p


def test_block_dtmf_zero_dtmf_random(daemon):
    """zero: every event becomes '0'; DTMF: the digit given; random: another
    digit than the one sent, the same for all packets of one event. The
    events keep their timestamps, durations and end bits; the volume is the
    one given (default 10)."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "ds-1", a, b)
        flows(ng, "ds-1", a, b, ta, tb)
        ok(ng, "block DTMF", "ds-1", **{"DTMF-security": "zero"})
        sent = [send_event(a, tb, 1000, 7, 160, marker=True),
                send_event(a, tb, 1000, 7, 320, end=True)]
        got = received(b)
        assert [g[12] for g in got] == [0, 0]
        assert [g[13] for g in got] == [10, 0x80 | 10]
        assert [g[:12] + g[14:] for g in got] == [s[:12] + s[14:] for s in sent]
        ok(ng, "block DTMF", "ds-1", **{"DTMF-security": "DTMF", "digit": "#", "volume": 20})
        send_event(a, tb, 2000, 3, 160, marker=True)
        got = received(b)
        assert got[0][12] == 11 and got[0][13] == 20
        ok(ng, "block DTMF", "ds-1", **{"DTMF-security": "random"})
        seen = set()
        for i in range(12):
            digit = i % 10
            g1 = send_event(a, tb, 3000 + 1000 * i, digit, 160, marker=True)
            g2 = send_event(a, tb, 3000 + 1000 * i, digit, 320, end=True)
            got = received(b)
            assert len(got) == 2 and got[0][12] == got[1][12], got
            assert got[0][12] != digit and got[0][12] <= 15
            seen.add(got[0][12])
            del g1, g2
        assert len(seen) >= 3        # not one fixed substitute
        # DTMF-security=off ends blocking: the event passes unchanged
        ok(ng, "block DTMF", "ds-1", **{"DTMF-security": "off"})
        p = send_event(a, tb, 20000, 9, 160, marker=True)
        assert received(b) == [p]


def test_block_dtmf_tone(daemon):
    """tone: each event packet becomes one PCMA frame of a sine, 400 Hz by
    default, the frequencies of `frequencies` in turn for each new event, at
    the volume asked for."""
    a, b = Phone(pts=(8, 101)), Phone(pts=(8, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "ds-2", a, b)
        audio = rtp_at(a, tb, 2, pt=8)
        assert received(b) == audio
        ok(ng, "block DTMF", "ds-2", **{"DTMF-security": "tone"})
        for k in range(3):
            send_event(a, tb, 50000, 1, 160 * (k + 1), marker=k == 0)
        got = received(b)
        assert len(got) == 3
        pcm = np.concatenate([alaw_decode(g[12:]) for g in got]).astype(float)
        assert all(parse_rtp(g)[0] == 8 and len(g) == 172 for g in got)
        f, margin = dominant(pcm, (300, 400, 500, 1000))
        assert f == 400 and margin > 20
        # -10 dBm0 default: RMS of a sine at 22718 * 10^(-10/20) / sqrt 2
        want = 22718 * 10 ** (-10 / 20) / np.sqrt(2)
        assert abs(20 * np.log10(np.sqrt(np.mean(pcm ** 2)) / want)) < 1.5
        ok(ng, "block DTMF", "ds-2", **{"DTMF-security": "tone", "frequencies": [1000, 2000],
                                         "volume": 30})
        tones = []
        for e in range(3):
            ts = 60000 + 2000 * e
            send_event(a, tb, ts, 2, 160, marker=True)
            send_event(a, tb, ts, 2, 320)
            pcm = np.concatenate([alaw_decode(g[12:]) for g in received(b)]).astype(float)
            f, margin = dominant(pcm, (400, 1000, 2000))
            assert margin > 20
            tones.append(f)
            level = 20 * np.log10(np.sqrt(np.mean(pcm ** 2)) / want)
            assert abs(level + 20) < 1.5                        # -30 dBm0: 20 dB below -10
        assert tones == [1000, 2000, 1000]
        # the comma-separated string form is the same list
        ok(ng, "block DTMF", "ds-2", **{"DTMF-security": "tone", "frequency": "700,1000"})
        send_event(a, tb, 70000, 2, 160, marker=True)
        pcm = np.concatenate([alaw_decode(g[12:]) for g in received(b)]).astype(float)
        assert dominant(pcm, (400, 700, 1000))[0] == 700


def test_block_dtmf_bad_values(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "ds-3", a, b)
        for extra, reason in (
                ({"DTMF-security": "DTMF"}, "DTMF-security=DTMF needs 'digit' or 'code'"),
                ({"DTMF-security": "DTMF", "digit": "Q"}, "Out of range 'code' specified"),
                ({"DTMF-security": "tone", "frequency": "0"},
                 "Invalid 'frequency' specified (1..4000 Hz)"),
                ({"DTMF-security": "tone", "frequency": "99999999999"},
                 "Invalid 'frequency' specified (1..4000 Hz)"),
                ({"DTMF-security": "tone", "frequencies": "400,,x"},
                 "Invalid 'frequency' specified (1..4000 Hz)"),
                ({"DTMF-security": "tone", "frequencies": ",".join(["400"] * 9)},
                 "Too many frequencies specified"),
                ({"DTMF-security": "tone", "volume": 64}, "Invalid 'volume' specified"),
                ({"DTMF-security": "zero", "volume": "-99999999999999999999"},
                 "Invalid 'volume' specified"),
                ({"DTMF-security": "bogus"}, "Unknown DTMF-security mode")):
            r = cmd(ng, "block DTMF", "ds-3", **extra)
            assert r == {"result": "error", "error-reason": reason}, (extra, r)
        assert ng.ping()["result"] == "pong"


# ---- play DTMF as in-band tones ----

def alaw_decode(data):
    out = np.empty(len(data), dtype=np.int16)
    for i, v in enumerate(data):
        v ^= 0x55
        t = (v & 0x0f) << 4
        seg = (v & 0x70) >> 4
        t = t + 8 if seg == 0 else (t + 0x108) << (seg - 1)
        out[i] = t if v & 0x80 else -t
    return out


def test_play_dtmf_inband_pcmu(daemon):
    """No telephone-event on the call: play DTMF writes the digit's two tones
    into A's own PCMU packets (header, sequence and timestamps untouched) for
    the duration, then A's audio passes again."""
    a, b = Phone(pts=(0, 8)), Phone(pts=(0, 8))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "ib-1", a, b)
        rtp_at(a, tb, 2)
        received(b)
        ok(ng, "play DTMF", "ib-1", **{"from-tag": "A", "digit": "9", "duration": 200,
                                        "volume": 6})
        sent = rtp_at(a, tb, 20)
        got = received(b)
        assert len(got) == 20
        assert [g[:12] for g in got] == [s[:12] for s in sent]      # headers untouched
        changed = [i for i in range(20) if got[i][12:] != sent[i][12:]]
        assert changed == list(range(10))       # 200 ms = 10 packets of 20 ms
        pcm = np.concatenate([ulaw_decode(g[12:]) for g in got[:10]]).astype(float)
        row, m1 = dominant(pcm, DTMF_ROWS)
        col, m2 = dominant(pcm, DTMF_COLS)
        assert (row, col) == (852, 1477) and m1 > 20 and m2 > 20     # '9'
        # -6 dBm0 for the pair: each at half the amplitude
        amp = 22718 * 10 ** (-6 / 20) / 2
        assert abs(np.sqrt(np.mean(pcm ** 2)) - amp) < amp * 0.15
        stats = ng.query("ib-1")
        assert stats["result"] == "ok"


def test_play_dtmf_inband_into_transcoded_stream(daemon):
    """PCMU from A is transcoded to G.722 for B, B has no telephone-event:
    the tones go into A's PCMU before the transcoder, and B decodes them
    from G.722."""
    from test_transcode_media import setup_call as xc_setup
    from transcode_media import G722, Pcmu, Stream, decode_stream, receive_all, send_all, \
        udp_pair

    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        with daemon.ng() as ng:
            relay_for_a, _, pt_x, _ = xc_setup(ng, "G722", a_port, b_port, "ib-xc")
            ok(ng, "play DTMF", "ib-xc", **{"from-tag": "tagA", "code": "1",
                                             "duration": 400})
            send_all([(sa, relay_for_a, Stream(Pcmu, 0, voice(8000, amp=300)).packets)])
            got = receive_all(sb)
            assert len(got) >= 45
            pcm, heads = decode_stream(got, G722, pt_x)
            assert {h[0] for h in heads} == {pt_x}
            # 16 kHz output; look at 100..300 ms, inside the 400 ms digit
            seg = pcm[1600:4800].astype(float)
            row, m1 = dominant(seg, DTMF_ROWS, 16000)
            col, m2 = dominant(seg, DTMF_COLS, 16000)
            assert (row, col) == (697, 1209) and m1 > 10 and m2 > 10, (row, col, m1, m2)
            later = pcm[9600:16000].astype(float)       # 0.6..1 s: the voice again
            assert goertzel(later, 697, 16000) < goertzel(seg, 697, 16000) / 100
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_play_dtmf_inband_needs_g711_or_g722(daemon):
    a, b = Phone(pts=(18,)), Phone(pts=(18,))
    with daemon.ng() as ng:
        setup_call(ng, "ib-2", a, b)
        r = cmd(ng, "play DTMF", "ib-2", **{"from-tag": "A", "code": 1})
        assert r["result"] == "error"
        assert "telephone-event" in r["error-reason"] and "G.711" in r["error-reason"]


def test_play_dtmf_storm_leaves_other_calls_alone(daemon):
    """Hundreds of play DTMF (and absurd values) on one call: its queue is
    bounded, the rest refused with a reason, and media of another call flows
    unchanged meanwhile."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    c, d = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "storm-1", a, b)
        tc, td = setup_call(ng, "storm-2", c, d)
        reasons = {}
        for i in range(300):
            extra = ({"duration": 100, "pause": 100}, {"duration": 10 ** 12},
                     {"volume": 10 ** 9}, {"pause": -1})[i % 4]
            r = cmd(ng, "play DTMF", "storm-1", **dict({"from-tag": "A", "code": i % 16},
                                                        **extra))
            reasons[r.get("error-reason", "ok")] = reasons.get(r.get("error-reason", "ok"), 0) + 1
        assert set(reasons) == {"ok", "Too many DTMF events queued",
                                "Invalid 'duration' specified", "Invalid 'volume' specified",
                                "Invalid 'pause' specified"}, reasons
        assert reasons["ok"] <= 50          # 10 s of backlog at 200 ms each
        sent = rtp_at(c, td, 20)
        assert received(d) == sent          # the other call: untouched
        assert ng.ping()["result"] == "pong"


# ---- from-tags ----

def test_from_tags_select_several_parties(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "ft-1", a, b)
        flows(ng, "ft-1", a, b, ta, tb)
        ok(ng, "block media", "ft-1", **{"from-tags": ["A"]})
        sent_b = rtp_at(b, ta, 2)
        rtp_at(a, tb, 2)
        assert received(b) == [] and received(a) == sent_b
        # the flags spelling "from-tags-<tag>", two parties, one unknown tag skipped
        ok(ng, "block media", "ft-1", flags=["from-tags-A", "from-tags-B", "from-tags-X"])
        got_b, got_a = flows(ng, "ft-1", a, b, ta, tb)
        assert got_b == [] and got_a == []
        ok(ng, "unblock media", "ft-1", **{"from-tags": ["A", "B"]})
        got_b, got_a = flows(ng, "ft-1", a, b, ta, tb)
        assert len(got_b) == 3 and len(got_a) == 3
        r = cmd(ng, "block media", "ft-1", **{"from-tags": ["X", "Y"]})
        assert r == {"result": "error", "error-reason": "No medias found (no monologues matched)"}
        # play DTMF for each party named
        ok(ng, "play DTMF", "ft-1", **{"from-tags": ["A", "B"], "code": 4, "duration": 100})
        rtp_at(a, tb, 10)
        rtp_at(b, ta, 10)
        for got in (received(b), received(a)):
            assert any(parse_rtp(g)[0] == 101 and g[12] == 4 for g in got)


# ---- drop-traffic ----

def test_drop_traffic_start_stop(daemon):
    """drop-traffic=start in an offer or answer drops all RTP of the call
    (events too) whatever the call control says; stop (which wins when both
    are given) lets it pass again, and leaves block media commands alone."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        r = ng.offer("dt-1", "A", a.sdp(), **{"drop-traffic": "start"})
        assert r["result"] == "ok" and "warning" not in r, r
        r2 = ng.answer("dt-1", "A", "B", b.sdp())
        assert r2["result"] == "ok", r2
        from dp_media import relay_targets
        ta, tb = relay_targets(r2["sdp"])[0][:2], relay_targets(r["sdp"])[0][:2]
        got_b, got_a = flows(ng, "dt-1", a, b, tb, ta)
        a.rtp_socks[0].sendto(event_pkt(a, 100, 1, False, 160, marker=True), ta)
        assert got_b == [] and got_a == [] and received(b) == []
        r = ng.offer("dt-1", "A", a.sdp(version=2),
                     **{"flags": ["drop-traffic=start", "drop-traffic=stop"]})
        assert r["result"] == "ok", r
        r2 = ng.answer("dt-1", "A", "B", b.sdp(version=2))
        assert r2["result"] == "ok", r2
        got_b, got_a = flows(ng, "dt-1", a, b, tb, ta)
        assert len(got_b) == 3 and len(got_a) == 3
        # a block media command is not lifted by drop-traffic=stop
        ok(ng, "block media", "dt-1", **{"from-tag": "A", "flags": ["directional"]})
        r = ng.offer("dt-1", "A", a.sdp(version=3), **{"drop-traffic": "stop"})
        assert r["result"] == "ok", r
        got_b, got_a = flows(ng, "dt-1", a, b, tb, ta)
        assert got_b == [] and len(got_a) == 3


# ---- block DTMF triggers ----

def test_block_dtmf_triggers(daemon):
    """rtpengine's trigger keys: events pass ("off" before the trigger) until
    the digits of `trigger` were sent; then DTMF-security-trigger applies
    until `trigger-end` (or trigger-end-digits more digits), then
    DTMF-security-trigger-end. A trigger's last digit is judged by the mode
    before it."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "tr-1", a, b)
        flows(ng, "tr-1", a, b, ta, tb)
        ok(ng, "block DTMF", "tr-1", **{"trigger": "*9", "DTMF-security-trigger": "drop",
                                         "trigger-end": "#", "DTMF-security-trigger-end": "zero"})
        ts = [30000]

        def press(digit):
            ts[0] += 2000
            p1 = send_event(a, tb, ts[0], digit, 160, marker=True)
            p2 = send_event(a, tb, ts[0], digit, 320, end=True)
            return [p1, p2], received(b)

        for digit in (1, 10, 9):                  # 1, *, 9: before and at the trigger
            sent, got = press(digit)
            assert got == sent, digit
        for digit in (5, 11):                     # 5, #: dropped; # ends it
            assert press(digit)[1] == []
        sent, got = press(7)                      # the end mode: zero
        assert [g[12] for g in got] == [0, 0]

        # trigger-end-digits: two digits dropped after the trigger, then "off"
        ok(ng, "block DTMF", "tr-1", **{"trigger": "4", "DTMF-security-trigger": "drop",
                                         "trigger-end-digits": 2})
        assert press(4)[1] != []                  # the trigger itself passes
        assert press(1)[1] == [] and press(2)[1] == []
        sent, got = press(3)
        assert got == sent
        # trigger-end-time, on the stream's clock (presses are 250 ms apart)
        ok(ng, "block DTMF", "tr-1", **{"trigger": "4", "DTMF-security-trigger": "drop",
                                         "trigger-end-time": 600})
        assert press(4)[1] != []
        assert press(1)[1] == [] and press(2)[1] == []      # 250, 500 ms
        sent, got = press(3)                                # 750 ms: over
        assert got == sent
        # bad trigger values are errors
        for extra, reason in (
                ({"trigger": "12X"}, "Invalid 'trigger' specified (up to 16 of 0-9*#A-D)"),
                ({"trigger": "1" * 17}, "Invalid 'trigger' specified (up to 16 of 0-9*#A-D)"),
                ({"trigger": "1", "DTMF-security-trigger": "loud"},
                 "Unknown DTMF-security-trigger mode"),
                ({"trigger": "1", "trigger-end-time": "-1"},
                 "Invalid 'trigger-end-time' specified"),
                ({"trigger": "1", "trigger-end-digits": 10 ** 6},
                 "Invalid 'trigger-end-digits' specified")):
            r = cmd(ng, "block DTMF", "tr-1", **extra)
            assert r == {"result": "error", "error-reason": reason}, (extra, r)
