"""Call control over ng with real RTP: block/unblock media, silence/unsilence
media, block/unblock DTMF, play DTMF (rtpengine's names, keys and replies).

    phone A ──RTP──▶ relay ──RTP──▶ phone B   (and back)
"""

import struct

import numpy as np

from dp_media import Phone, drain, parse_rtp, relay_targets
from transcode_media import G722, voice

PCMU_SIL, PCMA_SIL = 0xFF, 0xD5


def setup_call(ng, cid, a, b):
    r = ng.offer(cid, "A", a.sdp())
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    # (where B sends to reach A, where A sends to reach B)
    return relay_targets(r["sdp"])[0][:2], relay_targets(r2["sdp"])[0][:2]


def cmd(ng, command, cid, **kw):
    d = {"command": command, "call-id": cid}
    d.update(kw)
    return ng.request(d)


def ok(ng, command, cid, **kw):
    r = cmd(ng, command, cid, **kw)
    assert r["result"] == "ok", r
    return r


def rtp_at(phone, target, n, pt=None, size=160):
    return phone.send_rtp(0, target, n=n, pt=pt, size=size)


def received(phone):
    return [g[0] for g in drain(phone.rtp_socks[0], quiet=0.3)]


def event_pkt(phone, ts, event, end, dur, pt=101, marker=False):
    seq = phone.seq[0]
    phone.seq[0] = (seq + 1) & 0xffff
    return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq, ts & 0xffffffff,
                       phone.ssrc[0]) + bytes([event, (0x80 if end else 0) | 10]) + \
        struct.pack("!H", dur)


def flows(ng, cid, a, b, ta, tb, n=3):
    """(what B got of n packets from A, what A got of n from B)."""
    rtp_at(a, tb, n)
    rtp_at(b, ta, n)
    return received(b), received(a)


def test_block_media_whole_call_and_back(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-1", a, b)
        got_b, got_a = flows(ng, "cc-1", a, b, ta, tb)
        assert len(got_b) == 3 and len(got_a) == 3
        r = ok(ng, "block media", "cc-1")
        assert r == {"result": "ok"}
        got_b, got_a = flows(ng, "cc-1", a, b, ta, tb)
        assert got_b == [] and got_a == []
        ok(ng, "unblock media", "cc-1")
        sent = rtp_at(a, tb, 3)
        assert received(b) == sent


def test_block_media_directional(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-2", a, b)
        flows(ng, "cc-2", a, b, ta, tb)
        ok(ng, "block media", "cc-2", **{"from-tag": "A", "flags": ["directional"]})
        sent_b = rtp_at(b, ta, 3)
        rtp_at(a, tb, 3)
        assert received(b) == []          # A's media is dropped
        assert received(a) == sent_b      # B's still passes
        # the flow A -> B by to-tag: accepted; a tag that is not A's peer is not
        ok(ng, "block media", "cc-2", **{"from-tag": "A", "to-tag": "B",
                                         "flags": ["directional"]})
        r = cmd(ng, "block media", "cc-2", **{"from-tag": "A", "to-tag": "nope",
                                              "flags": ["directional"]})
        assert r["result"] == "error"
        assert r["error-reason"] == "Media flow not found (to-tag not found)"
        # unblocking the whole call leaves A's own block in place ...
        ok(ng, "unblock media", "cc-2")
        rtp_at(a, tb, 2)
        assert received(b) == []
        # ... unless `all` is given
        ok(ng, "unblock media", "cc-2", flags=["all"])
        sent = rtp_at(a, tb, 2)
        assert received(b) == sent


def test_from_tag_without_directional_is_the_whole_call(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-3", a, b)
        flows(ng, "cc-3", a, b, ta, tb)
        ok(ng, "block media", "cc-3", **{"from-tag": "A"})
        got_b, got_a = flows(ng, "cc-3", a, b, ta, tb)
        assert got_b == [] and got_a == []


def test_silence_media_from_tag_alone_is_directional(daemon):
    """As rtpengine, silence media takes a from-tag without the `directional` flag
    as the party to silence: Kamailio's silence_media("directional") sends just the
    from-tag. Only A's media is silenced, B's passes untouched."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-sil-tag", a, b)
        flows(ng, "cc-sil-tag", a, b, ta, tb)
        ok(ng, "silence media", "cc-sil-tag", **{"from-tag": "A"})
        rtp_at(a, tb, 3)
        got = received(b)
        assert len(got) == 3 and all(g[12:] == bytes([PCMU_SIL]) * 160 for g in got), got
        sent_b = rtp_at(b, ta, 3)
        assert received(a) == sent_b
        ok(ng, "unsilence media", "cc-sil-tag", **{"from-tag": "A"})
        sent = rtp_at(a, tb, 2)
        assert received(b) == sent


def test_selection_errors(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "cc-4", a, b)
        for command in ("block media", "unblock media", "silence media", "unsilence media",
                        "block DTMF", "unblock DTMF", "play DTMF"):
            r = cmd(ng, command, "no-such-call", **{"from-tag": "A"})
            assert r == {"result": "error", "error-reason": "Unknown call-ID"}, r
            r = ng.request({"command": command})
            assert r == {"result": "error", "error-reason": "No call-id in message"}, r
        r = cmd(ng, "block media", "cc-4", **{"from-tag": "X", "flags": ["directional"]})
        assert r["error-reason"] == "From-tag given, but no such tag exists"
        r = cmd(ng, "silence media", "cc-4", label="nobody")
        assert r["error-reason"] == "No monologue matching the given label"


def test_silence_media_g711(daemon):
    for pt, sil in ((0, PCMU_SIL), (8, PCMA_SIL)):
        a, b = Phone(pts=(pt, 101)), Phone(pts=(pt, 101))
        cid = "cc-sil-%d" % pt
        with daemon.ng() as ng:
            ta, tb = setup_call(ng, cid, a, b)
            flows(ng, cid, a, b, ta, tb)
            ok(ng, "silence media", cid, **{"from-tag": "A", "flags": ["directional"]})
            sent = rtp_at(a, tb, 3)
            got = received(b)
            assert len(got) == 3
            for s, g in zip(sent, got):
                assert g[:12] == s[:12]                  # header untouched
                assert g[12:] == bytes([sil]) * 160     # payload is silence
            sent_b = rtp_at(b, ta, 2)
            assert received(a) == sent_b                 # the other way is not silenced
            ok(ng, "unsilence media", cid, **{"from-tag": "A", "flags": ["directional"]})
            sent = rtp_at(a, tb, 2)
            assert received(b) == sent


def rms(pcm):
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


def test_silence_media_g722(daemon):
    """A's G.722 voice reaches B as frames that an independent decoder (spandsp)
    turns into silence; unsilenced, the voice is back."""
    a, b = Phone(pts=(9, 101)), Phone(pts=(9, 101))
    enc, pcm = G722(), voice(16000 * 1, rate=16000)
    frames = [enc.encode(pcm[i:i + 320]) for i in range(0, len(pcm), 320)]

    def send(k0, n):
        out = []
        for k in range(k0, k0 + n):
            p = struct.pack("!BBHII", 0x80, 9, k, k * 160, a.ssrc[0]) + frames[k]
            a.rtp_socks[0].sendto(p, tb)
            out.append(p)
        return out

    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-722", a, b)
        sent = send(0, 10)
        assert received(b) == sent
        ok(ng, "silence media", "cc-722")
        send(10, 20)
        got = received(b)
        assert len(got) == 20
        assert all(len(g) == 12 + 160 and len(set(g[12:])) == 1 for g in got)
        dec = G722()
        silent = np.concatenate([dec.decode(g[12:]) for g in got])
        ok(ng, "unsilence media", "cc-722")
        sent = send(30, 20)
        assert received(b) == sent
        loud = np.concatenate([dec.decode(g[12:]) for g in sent])
        assert rms(silent[320:]) < 50, rms(silent[320:])   # after the decoder settles
        assert rms(loud) > 1000


def test_block_dtmf_drop_and_unblock(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-d1", a, b)
        flows(ng, "cc-d1", a, b, ta, tb)
        ok(ng, "block DTMF", "cc-d1")
        audio = rtp_at(a, tb, 2)
        ev = event_pkt(a, 5000, 1, False, 160, marker=True)
        a.rtp_socks[0].sendto(ev, tb)
        assert received(b) == audio                    # the event is dropped, audio passes
        ok(ng, "unblock DTMF", "cc-d1")
        ev = event_pkt(a, 6000, 1, False, 160, marker=True)
        a.rtp_socks[0].sendto(ev, tb)
        assert received(b) == [ev]


def test_block_dtmf_silence_mode(daemon):
    a, b = Phone(pts=(8, 101)), Phone(pts=(8, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-d2", a, b)
        audio = rtp_at(a, tb, 2, pt=8)
        assert received(b) == audio
        ok(ng, "block DTMF", "cc-d2", **{"DTMF-security": "silence"})
        ts0 = 100000
        pkts = [event_pkt(a, ts0, 5, False, 160, marker=True),
                event_pkt(a, ts0, 5, False, 320),
                event_pkt(a, ts0, 5, True, 480),
                event_pkt(a, ts0, 5, True, 480),   # end repeats: nothing new
                event_pkt(a, ts0, 5, True, 480)]
        for p in pkts:
            a.rtp_socks[0].sendto(p, tb)
        got = received(b)
        assert len(got) == 3
        for i, g in enumerate(got):
            pt, seq, ssrc = parse_rtp(g)
            assert pt == 8 and ssrc == a.ssrc[0]
            assert seq == parse_rtp(pkts[i])[1]
            assert struct.unpack("!I", g[4:8])[0] == ts0 + 160 * i
            assert g[12:] == bytes([PCMA_SIL]) * 160


def test_block_dtmf_modes_accepted(daemon):
    """Every mode rtpengine documents is accepted (what each does:
    test_callctl_features.py); an unknown one is an error."""
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "cc-d3", a, b)
        for mode in ("drop", "silence", "tone", "zero", "random", "off"):
            ok(ng, "block DTMF", "cc-d3", **{"DTMF-security": mode})
        ok(ng, "block DTMF", "cc-d3", **{"DTMF-security": "DTMF", "digit": "7"})
        r = cmd(ng, "block DTMF", "cc-d3", **{"DTMF-security": "bogus"})
        assert r["error-reason"] == "Unknown DTMF-security mode"


def events_of(pkts):
    out = []
    for p in pkts:
        pt, seq, ssrc = parse_rtp(p)
        ts = struct.unpack("!I", p[4:8])[0]
        if pt == 101:
            ev, fl, dur = p[12], p[13], struct.unpack("!H", p[14:16])[0]
            out.append(("ev", seq, ts, ssrc, bool(p[1] & 0x80), ev, bool(fl & 0x80), fl & 0x3f,
                        dur, len(p)))
        else:
            out.append(("audio", seq, ts, ssrc))
    return out


def test_play_dtmf_events_in_stream(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-p1", a, b)
        rtp_at(a, tb, 2)
        received(b)
        r = ok(ng, "play DTMF", "cc-p1", **{"from-tag": "A", "digit": "#", "duration": 100,
                                            "volume": -12, "pause": 100})
        assert r == {"result": "ok"}
        sent = rtp_at(a, tb, 20)
        got = received(b)
        assert len(got) == 20
        info = events_of(got)
        seqs = [x[1] for x in info]
        assert seqs == [parse_rtp(s)[1] for s in sent]       # no gap, no renumbering
        assert all(x[3] == a.ssrc[0] for x in info)          # the stream's SSRC
        evs = [x for x in info if x[0] == "ev"]
        # 100 ms at 8000 Hz: durations 160..800, then the end packet three times
        assert [e[8] for e in evs] == [160, 320, 480, 640, 800, 800, 800]
        assert [e[6] for e in evs] == [False] * 4 + [True] * 3
        assert [e[4] for e in evs] == [True] + [False] * 6   # marker on the first only
        assert {e[5] for e in evs} == {11}                   # '#'
        assert {e[7] for e in evs} == {12}                   # volume
        assert {e[9] for e in evs} == {16}
        first = info.index(evs[0])
        assert info[first - 1][0] == "audio"
        assert {e[2] for e in evs} == {struct.unpack("!I", sent[first][4:8])[0]}
        # after the event the audio comes back, with its own timestamps
        rest = info[first + 7:]
        assert rest and all(x[0] == "audio" for x in rest)
        stats = ng.query("cc-p1")
        assert stats["result"] == "ok"


def test_play_dtmf_bad_input(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "cc-p2", a, b)
        base = {"from-tag": "A"}
        for extra, reason in (({}, "No 'code' or 'digit' in message"),
                              ({"code": 16}, "Out of range 'code' specified"),
                              ({"digit": "X"}, "Out of range 'code' specified"),
                              ({"code": 1, "duration": 999999}, "Invalid 'duration' specified"),
                              ({"code": 1, "duration": -5}, "Invalid 'duration' specified"),
                              ({"code": 1, "pause": "soon"}, "Invalid 'pause' specified"),
                              ({"code": 1, "volume": 99}, "Invalid 'volume' specified")):
            r = cmd(ng, "play DTMF", "cc-p2", **dict(base, **extra))
            assert r == {"result": "error", "error-reason": reason}, (extra, r)
        r = cmd(ng, "play DTMF", "cc-p2", code=1)
        assert r["error-reason"] == "No participant party specified"
        r = cmd(ng, "play DTMF", "cc-p2", **{"from-tag": "Z", "code": 1})
        assert r["error-reason"] == "From-tag given, but no such tag exists"
        # out of rtpengine's range but sane: clamped, with a warning
        r = cmd(ng, "play DTMF", "cc-p2", **{"from-tag": "A", "code": 1, "duration": 20})
        assert r["result"] == "ok" and "clamped" in r["warning"], r


def test_play_dtmf_storm_is_bounded(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        setup_call(ng, "cc-p3", a, b)
        results = [cmd(ng, "play DTMF", "cc-p3", **{"from-tag": "A", "code": 3,
                                                     "duration": 400, "pause": 100})
                   for _ in range(40)]
        oks = [r for r in results if r["result"] == "ok"]
        errs = [r for r in results if r["result"] == "error"]
        assert 15 <= len(oks) <= 20          # 10 s of backlog at 500 ms each
        assert errs and {r["error-reason"] for r in errs} == {"Too many DTMF events queued"}
        assert ng.ping()["result"] == "pong"


def test_play_dtmf_without_telephone_event_is_inband(daemon):
    """No telephone-event: in-band tones (test_callctl_features.py), no event."""
    a, b = Phone(pts=(0, 8)), Phone(pts=(0, 8))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-p4", a, b)
        ok(ng, "play DTMF", "cc-p4", **{"from-tag": "A", "code": 1})
        sent = rtp_at(a, tb, 5)
        got = received(b)
        assert [parse_rtp(g) for g in got] == [parse_rtp(s) for s in sent]
        assert all(g[12:] != s[12:] for g, s in zip(got, sent))


def test_silence_media_transcoded(daemon):
    """PCMU from A is transcoded to G.722 for B: silenced, the transcoder is fed
    silence and B decodes (spandsp) near-silence; unsilenced, A's voice again."""
    from test_transcode_media import setup_call as xc_setup
    from transcode_media import Pcmu, Stream, decode_stream, receive_all, send_all, udp_pair

    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        with daemon.ng() as ng:
            relay_for_a, _, pt_x, _ = xc_setup(ng, "G722", a_port, b_port, "cc-xc")
            ok(ng, "silence media", "cc-xc", **{"from-tag": "tagA", "flags": ["directional"]})
            levels = []
            for _ in range(2):
                send_all([(sa, relay_for_a, Stream(Pcmu, 0, voice(8000)).packets)])
                got = receive_all(sb)
                assert len(got) >= 45
                pcm, heads = decode_stream(got, G722, pt_x)
                assert {h[0] for h in heads} == {pt_x}
                levels.append(rms(pcm[3200:12800]))     # the middle 0.6 s
                ok(ng, "unsilence media", "cc-xc", **{"from-tag": "tagA",
                                                       "flags": ["directional"]})
            assert levels[0] < 50, levels
            assert levels[1] > 1000, levels
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_select_by_address_and_label(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        r = ng.offer("cc-sel", "A", a.sdp(), label="caller")
        assert r["result"] == "ok", r
        ta = relay_targets(r["sdp"])[0][:2]
        r = ng.answer("cc-sel", "A", "B", b.sdp().replace("127.0.0.1", "127.0.0.2"))
        assert r["result"] == "ok", r
        tb = relay_targets(r["sdp"])[0][:2]
        flows(ng, "cc-sel", a, b, ta, tb)
        # B's SDP address is 127.0.0.2 (it still sends from 127.0.0.1)
        ok(ng, "block media", "cc-sel", address="127.0.0.2")
        sent = rtp_at(a, tb, 2)
        rtp_at(b, ta, 2)
        assert received(b) == sent and received(a) == []
        ok(ng, "unblock media", "cc-sel", address="127.0.0.2")
        ok(ng, "block media", "cc-sel", label="caller")
        sent = rtp_at(b, ta, 2)
        rtp_at(a, tb, 2)
        assert received(a) == sent and received(b) == []
        r = cmd(ng, "block media", "cc-sel", address="10.9.9.9")
        assert r["error-reason"] == "Failed to match address to any tag"
        r = cmd(ng, "block media", "cc-sel", address="not-an-address")
        assert r["error-reason"] == "Failed to parse network address"


def test_play_dtmf_all_and_directional_dtmf_block(daemon):
    a, b = Phone(pts=(0, 101)), Phone(pts=(0, 101))
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "cc-all", a, b)
        flows(ng, "cc-all", a, b, ta, tb)
        # `all`: each party's stream gets the event
        ok(ng, "play DTMF", "cc-all", code="4", duration=100, flags=["all"])
        rtp_at(a, tb, 10)
        rtp_at(b, ta, 10)
        for got in (received(b), received(a)):
            evs = [x for x in events_of(got) if x[0] == "ev"]
            assert len(evs) == 7 and {e[5] for e in evs} == {4}
        # B's events are blocked, A's pass
        ok(ng, "block DTMF", "cc-all", **{"from-tag": "B", "flags": ["directional"]})
        ev_a = event_pkt(a, 9000, 2, False, 160, marker=True)
        ev_b = event_pkt(b, 9000, 2, False, 160, marker=True)
        a.rtp_socks[0].sendto(ev_a, tb)
        b.rtp_socks[0].sendto(ev_b, ta)
        assert received(b) == [ev_a] and received(a) == []
        # a call-wide unblock with `all` lifts B's own block too
        ok(ng, "unblock DTMF", "cc-all", flags=["all"])
        ev_b = event_pkt(b, 9500, 2, False, 160, marker=True)
        b.rtp_socks[0].sendto(ev_b, ta)
        assert received(a) == [ev_b]
