"""generate-RTCP with rtpengine's meaning, with real packets: RTCP the phones
send is consumed, and the relay sends each phone its own reports (an SR on
the stream it sends that phone, a report block on the stream it receives
from it, an SDES CNAME), on forwarded and on transcoded legs.

    phone A ──RTP/RTCP──▶ relay ──RTP + relay's SR/RB──▶ phone B   (and back)
"""

import socket
import struct
import time

import pytest

from dp_media import Phone, drain, relay_targets

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def parse_rtcp(pkt):
    """The sub-packets of a compound RTCP packet, checked as RFC 3550 6.1 asks:
    [(pt, count, body)], or an AssertionError naming what is wrong."""
    out, off = [], 0
    while off < len(pkt):
        assert len(pkt) - off >= 4, "truncated header"
        b0, pt, words = struct.unpack("!BBH", pkt[off:off + 4])
        assert b0 >> 6 == 2, "version"
        assert not b0 & 0x20, "padding"
        n = (words + 1) * 4
        assert off + n <= len(pkt), "length beyond the datagram"
        out.append((pt, b0 & 0x1f, pkt[off + 4:off + n]))
        off += n
    assert out and out[0][0] in (200, 201), "first is an SR or RR"
    return out


def parse_sr(pkt):
    """{ssrc, ntp, rtp_ts, packets, octets, blocks: [...], cname} of a relay report."""
    parts = parse_rtcp(pkt)
    pt, rc, body = parts[0]
    assert pt == 200
    ssrc, ntp_hi, ntp_lo, rtp_ts, packets, octets = struct.unpack("!IIIIII", body[:24])
    assert len(body) == 24 + 24 * rc
    blocks = []
    for i in range(rc):
        b = body[24 + 24 * i:48 + 24 * i]
        bssrc, frac_cum, ext_max, jitter, lsr, dlsr = struct.unpack("!IIIIII", b)
        cum = frac_cum & 0xffffff
        if cum & 0x800000:
            cum -= 1 << 24
        blocks.append(dict(ssrc=bssrc, fraction=frac_cum >> 24, cum_lost=cum,
                           ext_max=ext_max, jitter=jitter, lsr=lsr, dlsr=dlsr))
    sdes = [p for p in parts if p[0] == 202]
    assert sdes, "an SDES"
    chunk = sdes[0][2]
    assert struct.unpack("!I", chunk[:4])[0] == ssrc and chunk[4] == 1     # CNAME
    cname = chunk[6:6 + chunk[5]].decode()
    return dict(ssrc=ssrc, ntp=(ntp_hi << 32) | ntp_lo, rtp_ts=rtp_ts, packets=packets,
                octets=octets, blocks=blocks, cname=cname)


def sr_from(ssrc, ntp_mid=0x12345678):
    """An SR (no blocks) a phone sends: NTP chosen so its middle 32 bits are ntp_mid."""
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, ntp_mid >> 16,
                       (ntp_mid & 0xffff) << 16, 0, 0, 0)


def run(a, b, ta, tb, seconds=1.6):
    """A and B send 20 ms RTP both ways and an SR each now and then; returns
    how many RTP packets each sent."""
    n = int(seconds / 0.02)
    for i in range(n):
        a.send_rtp(0, ta)
        b.send_rtp(0, tb)
        if i % 20 == 5:
            a.rtcp_socks[0].sendto(sr_from(a.ssrc[0], 0xa0a00000 + i), ta_rtcp[0])
            b.rtcp_socks[0].sendto(sr_from(b.ssrc[0], 0xb0b00000 + i), tb_rtcp[0])
        time.sleep(0.02)
    return n


ta_rtcp, tb_rtcp = [None], [None]


def rtcp_got(phone):
    return [d for d, _ in drain(phone.rtcp_socks[0], quiet=0.4, limit=3.0)]


def call_setup(ng, cid, a, b, offer_kw, answer_kw=None):
    r = ng.offer(cid, "A", a.sdp(), **offer_kw)
    assert r["result"] == "ok", r
    assert "warning" not in r, r
    r2 = ng.answer(cid, "A", "B", b.sdp(), **(answer_kw or {}))
    assert r2["result"] == "ok", r2
    # where A sends (the relay's side for A: in the answer), where B sends
    t_a = relay_targets(r2["sdp"])[0]
    t_b = relay_targets(r["sdp"])[0]
    ta_rtcp[0], tb_rtcp[0] = (t_a[0], t_a[2]), (t_b[0], t_b[2])
    return (t_a[0], t_a[1]), (t_b[0], t_b[1])


def check_reports(reports, sender, receiver, sent):
    """Reports the receiver's phone got: SRs for the sender's stream, with a
    block on the receiver's stream."""
    assert reports, "no report arrived"
    for pkt in reports:
        sr = parse_sr(pkt)
        assert sr["cname"] == "rtprelay"
        assert sr["ssrc"] == sender.ssrc[0]                 # the forwarded stream's SSRC
        assert 40 <= sr["packets"] <= sent                  # what was relayed by then
        assert sr["octets"] == sr["packets"] * 160
        assert len(sr["blocks"]) == 1
        blk = sr["blocks"][0]
        assert blk["ssrc"] == receiver.ssrc[0]
        assert blk["cum_lost"] == 0 and blk["fraction"] == 0
        first = (receiver.seq[0] - sent) & 0xffff
        assert 40 <= (blk["ext_max"] - first) & 0xffff < sent
        assert blk["jitter"] < 8000                         # under a second
        # the LSR names an SR the receiver sent (its middle 32 bits)
        assert blk["lsr"] >> 16 in (0, receiver.sr_tag)
        assert sr["ntp"] >> 32 > 3800000000                 # 2020 and later, NTP era 0
    return parse_sr(reports[-1])


def test_generate_rtcp_forwarded(daemon):
    a, b = Phone(), Phone()
    a.sr_tag, b.sr_tag = 0xa0a0, 0xb0b0
    with daemon.ng() as ng:
        ta, tb = call_setup(ng, "gr-1", a, b, {"flags": ["generate-RTCP"]})
        sent = run(a, b, ta, tb)
        to_b, to_a = rtcp_got(b), rtcp_got(a)
        # nothing the phones sent came through: only the relay's reports
        for pkt in to_b + to_a:
            assert parse_sr(pkt)["cname"] == "rtprelay"
        sr_b = check_reports(to_b, a, b, sent)
        check_reports(to_a, b, a, sent)
        assert sr_b["blocks"][0]["lsr"] >> 16 == 0xb0b0        # B's SRs were timed
        assert 0 < sr_b["blocks"][0]["dlsr"] < 5 * 65536


def test_generate_rtcp_key_forms(daemon):
    """"generate RTCP": "on" as a key, in the answer only: for both sides;
    "generate-RTCP=off": RTCP passes as before."""
    a, b = Phone(), Phone()
    a.sr_tag, b.sr_tag = 0xa0a0, 0xb0b0
    with daemon.ng() as ng:
        ta, tb = call_setup(ng, "gr-2", a, b, {}, {"generate RTCP": "on"})
        sent = run(a, b, ta, tb, 1.4)
        got = rtcp_got(b)
        assert got and all(parse_sr(p)["ssrc"] == a.ssrc[0] for p in got)
        assert rtcp_got(a)
        del sent
        # "off" in a re-offer: the phones' own RTCP passes again
        r = ng.offer("gr-2", "A", a.sdp(version=2), **{"generate RTCP": "off"})
        assert r["result"] == "ok" and "warning" not in r, r
        assert ng.answer("gr-2", "A", "B", b.sdp(version=2))["result"] == "ok"
        rr = struct.pack("!BBHI", 0x80, 201, 1, a.ssrc[0])
        for _ in range(3):
            a.send_rtp(0, ta)
        a.rtcp_socks[0].sendto(rr, ta_rtcp[0])
        assert rtcp_got(b) == [rr]
    c, d = Phone(), Phone()
    with daemon.ng() as ng:
        tc, td = call_setup(ng, "gr-3", c, d, {"flags": ["generate-RTCP=off"]})
        for _ in range(3):
            c.send_rtp(0, tc)
            d.send_rtp(0, td)
        rr = struct.pack("!BBHI", 0x80, 201, 1, c.ssrc[0])
        c.rtcp_socks[0].sendto(rr, ta_rtcp[0])
        assert rtcp_got(d) == [rr]                      # passed through, untouched


def test_generate_rtcp_transcoded(daemon):
    """PCMU from A transcoded to G.722 for B: the transcoder's SR (its own SSRC)
    now carries a report block on B's stream; A's RTCP is consumed."""
    from transcode_media import (Pcmu, G722, Stream, phone_sdp, pt_of, rtp_packet,
                                 sdp_media, udp_pair, voice)
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        with daemon.ng() as ng:
            r = ng.offer("gr-x", "tagA", phone_sdp(a_port, [(0, "PCMU/8000", None)]),
                         codec={"transcode": ["G722"]}, flags=["generate-RTCP"])
            assert r["result"] == "ok", r
            pt_x = pt_of(r["sdp"], "G722")
            r2 = ng.answer("gr-x", "tagA", "tagB",
                           phone_sdp(b_port, [(pt_x, "G722/8000", None)]))
            assert r2["result"] == "ok", r2
            addr_a, port_a = sdp_media(r2["sdp"])[:2]
            addr_b, port_b = sdp_media(r["sdp"])[:2]
            a_pkts = Stream(Pcmu, 0, voice(8000 * 3)).packets
            b_ssrc = 0x0b0b0b0b
            for i, (_, pkt) in enumerate(a_pkts[:150]):
                sa.sendto(pkt, (addr_a, port_a))
                sb.sendto(rtp_packet(pt_x, 100 + i, 160 * i, b_ssrc, bytes(160)),
                          (addr_b, port_b))
                if i == 10:
                    sa.sendto(sr_from(0x0a0a0a0a), (addr_a, port_a + 1))
                time.sleep(0.02)
            reports = [d for d, _ in drain(cb, quiet=0.5, limit=4.0)]
            assert reports, "no report to B"
            for pkt in reports:
                sr = parse_sr(pkt)
                assert sr["ssrc"] != 0x0a0a0a0a            # A's SR never reaches B
                assert sr["cname"] == "rtprelay"
                assert 100 <= sr["packets"] <= 150 and sr["octets"] == sr["packets"] * 160
                assert len(sr["blocks"]) == 1
                blk = sr["blocks"][0]
                assert blk["ssrc"] == b_ssrc and blk["cum_lost"] == 0
                assert 100 + 60 <= blk["ext_max"] < 100 + 150
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
