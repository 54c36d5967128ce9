"""query and delete replies in rtpengine's shape after real RTP and RTCP: call and
tag timestamps, per-stream counters and totals that match what was sent, the
media's "ingress SSRCs" and the top-level "SSRC" dictionary with the sender's
figures, and the MOS (lib/mos.h) once RTCP gives a round trip: none before, one
consistent with the reported round trip, jitter and loss after."""

import struct
import time

from dp_media import Phone, drain, relay_targets


def call(ng, cid):
    a, b = Phone(), Phone()
    r = ng.offer(cid, "A", a.sdp())
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    # where A sends (advertised to A in the answer), where B sends
    return a, b, relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]


def rtcp_sr(ssrc, ntp_sec, ntp_frac):
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, ntp_sec, ntp_frac, 0, 0, 0)


def rtcp_rr_block(ssrc, about, lsr, dlsr):
    return struct.pack("!BBHI", 0x81, 201, 7, ssrc) + struct.pack(
        "!IIIIII", about, 0, 0, 0, lsr, dlsr)


def mos10(rtt_us, jitter_ms, loss_pct):
    """lib/mos.h's formulae, for cross-checking the daemon's figure."""
    d = rtt_us / 2000 + 2 * jitter_ms + 10
    r = 93.2 - (0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0)) \
        - 95 * loss_pct / (loss_pct + 25.1)
    r = max(0, min(100, r))
    return round(10 * (1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)))


def streams(reply, tag):
    (media,) = reply["tags"][tag]["medias"]
    return media, media["streams"]


def test_query_shape_and_counters_after_rtp(ng):
    a, b, (addr_a, rtp_a, _), (addr_b, rtp_b, _) = call(ng, "q-shape")
    try:
        before = time.time()
        a.send_rtp(0, (addr_a, rtp_a), n=30)
        b.send_rtp(0, (addr_b, rtp_b), n=20, size=80)
        assert len(drain(b.rtp_socks[0])) == 30
        assert len(drain(a.rtp_socks[0])) == 20
        q = ng.query("q-shape")
        assert q["result"] == "ok"
        assert q["created"] <= before and 0 <= q["created_us"] < 1000000
        assert q["created_ts"] == q["created"] * 1000000 + q["created_us"]
        assert q["last signal"] >= q["created"] and q["last redis update"] == 0
        assert set(q["tags"]) == {"A", "B"}
        for tag, other, n, size, ssrc in (("A", "B", 30, 160, a.ssrc[0]),
                                          ("B", "A", 20, 80, b.ssrc[0])):
            t = q["tags"][tag]
            assert t["tag"] == tag and t["in dialogue with"] == other
            assert t["created"] >= q["created"]
            media, (srtp, srtcp) = streams(q, tag)
            assert media["index"] == 1 and media["type"] == "audio"
            assert media["protocol"] == "RTP/AVP" and "initialized" in media["flags"]
            assert srtp["stats"]["packets"] == n
            assert srtp["stats"]["bytes"] == n * (12 + size)
            assert srtp["family"] == "IPv4" and srtp["SSRC"] == ssrc
            assert "RTP" in srtp["flags"] and "RTCP" in srtcp["flags"]
            assert srtp["last packet"] >= int(before)
            assert media["ingress SSRCs"] == [{"SSRC": ssrc}]
            e = q["SSRC"][str(ssrc)]
            assert e["packets"] == n and e["bytes"] == n * (12 + size)
            assert e["cumulative loss"] == 0 and e["jitter"] >= 0
            # no RTCP yet: no round trip, no MOS
            assert "average MOS" not in e and "MOS progression" not in e
        assert q["totals"]["RTP"] == {"packets": 50, "bytes": 30 * 172 + 20 * 92,
                                      "errors": 0}
        assert q["totals"]["RTCP"]["packets"] == 0
        # delete answers with the same statistics
        d = ng.delete("q-shape", **{"delete-delay": 0})
        assert d["result"] == "ok" and d["totals"] == q["totals"]
        assert set(d["SSRC"]) == set(q["SSRC"]) and d["created"] == q["created"]
    finally:
        a.close()
        b.close()


def test_mos_from_rtcp_round_trip_and_loss(ng):
    a, b, (addr_a, rtp_a, rtcp_a), (addr_b, rtp_b, rtcp_b) = call(ng, "q-mos")
    try:
        # A's stream loses 10 of 100 packets (every tenth never sent)
        for i in range(100):
            if i % 10 == 5:
                a.seq[0] = (a.seq[0] + 1) & 0xffff
                continue
            a.send_rtp(0, (addr_a, rtp_a))
        b.send_rtp(0, (addr_b, rtp_b), n=20)
        drain(b.rtp_socks[0])
        drain(a.rtp_socks[0])
        # A's SR goes through the relay to B; B answers 150 ms later with a
        # report on A's SSRC saying it held the SR 50 ms: the relay's leg to B
        # is about 100 ms
        a.rtcp_socks[0].sendto(rtcp_sr(a.ssrc[0], 0x11112222, 0x33334444), (addr_a, rtcp_a))
        b.rtcp_socks[0].settimeout(1.0)
        b.rtcp_socks[0].recvfrom(4096)
        time.sleep(0.15)
        b.rtcp_socks[0].sendto(rtcp_rr_block(b.ssrc[0], a.ssrc[0], 0x22223333, 65536 // 20),
                               (addr_b, rtcp_b))
        assert drain(a.rtcp_socks[0])
        q = ng.query("q-mos")
        e = q["SSRC"][str(a.ssrc[0])]
        assert e["packets"] == 90 and e["cumulative loss"] == 10
        avg = e["average MOS"]
        assert 90000 <= avg["round-trip time leg"] <= 600000, avg
        assert avg["round-trip time"] == avg["round-trip time leg"]  # A sent no report
        assert avg["packet loss"] == 10 and avg["samples"] == 1
        assert abs(avg["MOS"] - mos10(avg["round-trip time"], avg["jitter"], 10)) <= 1
        assert 20 <= avg["MOS"] <= 40   # 10 % loss: well below a clean call's 44
        for k in ("lowest MOS", "highest MOS"):
            assert e[k]["MOS"] == avg["MOS"] and e[k]["reported at"] >= q["created"]
        (entry,) = e["MOS progression"]["entries"]
        assert entry["MOS"] == avg["MOS"]
        # B's stream: no loss, the same round trip (B's leg reported on A's SR
        # does not describe B's stream's receiver, A, which sent no report)
        eb = q["SSRC"][str(b.ssrc[0])]
        assert eb["cumulative loss"] == 0
        assert eb["average MOS"]["round-trip time leg"] == 0
        assert eb["average MOS"]["MOS"] >= avg["MOS"]
        # an RR naming an SR the relay never saw changes nothing
        b.rtcp_socks[0].sendto(rtcp_rr_block(b.ssrc[0], a.ssrc[0], 0xdeadbeef, 0),
                               (addr_b, rtcp_b))
        drain(a.rtcp_socks[0])
        q2 = ng.query("q-mos")
        assert q2["SSRC"][str(a.ssrc[0])]["average MOS"]["round-trip time leg"] == \
            avg["round-trip time leg"]
    finally:
        a.close()
        b.close()


def test_query_unknown_call_and_tag(ng):
    r = ng.query("nosuch")
    assert r["result"] == "error" and r["error-reason"]
