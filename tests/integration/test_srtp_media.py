"""SDES-SRTP through rtprelayd with real packets (daemon/sdes.c, dataplane/dp_srtp.c).

    phone A (SRTP, its key KA) ──SRTP──▶ relay ──RTP──▶ phone B (plain)
            ◀─SRTP (relay's key KR)─────        ◀──RTP──

The phones encrypt and decrypt with pylibsrtp (tests/integration/srtp_peer.py),
which shares no code with rtprelay. rtprelay answers each SRTP party with one
a=crypto line on a tag the party offered, with a key of its own, fresh per leg.
"""

import pytest

from dp_media import Phone, drain, parse_rtp, relay_targets, rtp, rtcp_rr
from srtp_peer import (DEFAULT_SUITES, SUITES, Srtp, crypto_line, crypto_lines, new_key)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def savp(phone, lines, proto="RTP/SAVP"):
    sdp = phone.sdp().replace("RTP/AVP", proto)
    return sdp.replace("a=sendrecv", "\r\n".join(list(lines) + ["a=sendrecv"]))


class SrtpPhone(Phone):
    """A phone that offers (or answers) one suite with its own key."""

    def __init__(self, suite="AES_CM_128_HMAC_SHA1_80", tag=1, **kw):
        super().__init__(**kw)
        self.suite, self.tag, self.key = suite, tag, new_key(suite)
        self.tx = Srtp(suite, self.key, outbound=True)
        self.rx = None

    def line(self):
        return crypto_line(self.tag, self.suite, self.key)

    def sdp_savp(self, proto="RTP/SAVP"):
        return savp(self, [self.line()], proto)

    def learn(self, sdp):
        """The relay's key for this phone, from the one a=crypto line it got."""
        lines = crypto_lines(sdp)
        assert len(lines) == 1, sdp
        tag, suite, key, _ = lines[0]
        assert (tag, suite) == (self.tag, self.suite), lines
        self.rx = Srtp(suite, key, outbound=False)
        return key

    def send_srtp(self, target, n=1, tamper=False):
        plain = []
        for _ in range(n):
            p = rtp(self.seq[0], self.ssrc[0], 0)
            self.seq[0] = (self.seq[0] + 1) & 0xffff
            s = self.tx.protect(p)
            if tamper:
                s = s[:-1] + bytes([s[-1] ^ 0x01])
            self.rtp_socks[0].sendto(s, target)
            plain.append(p)
        return plain

    def recv_plain(self, limit=3.0):
        return [self.rx.unprotect(d) for d, _ in drain(self.rtp_socks[0], limit=limit)]


def rtp_stats(ng, cid, tag):
    return ng.query(cid)["tags"][tag]["medias"][0]["streams"][0]


def sdes_to_plain(ng, cid, a, b, **offer_kw):
    r = ng.offer(cid, "A", a.sdp_savp(), **{"transport-protocol": "RTP/AVP", **offer_kw})
    assert r["result"] == "ok", r
    assert "RTP/AVP " in r["sdp"] and "a=crypto" not in r["sdp"], r["sdp"]
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    assert "RTP/SAVP " in r2["sdp"], r2["sdp"]
    kr = a.learn(r2["sdp"])
    assert kr != a.key
    return relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]


def test_sdes_to_plain_both_ways(daemon):
    a, b = SrtpPhone(), Phone()
    with daemon.ng() as ng:
        (addr_a, rtp_a, _), (addr_b, rtp_b, _) = sdes_to_plain(ng, "s-p", a, b)
        sent = a.send_srtp((addr_a, rtp_a), 20)
        assert [d for d, _ in drain(b.rtp_socks[0])] == sent
        back = b.send_rtp(0, (addr_b, rtp_b), 15)
        assert a.recv_plain() == back
        st = rtp_stats(ng, "s-p", "A")
        assert st["crypto suite"] == "AES_CM_128_HMAC_SHA1_80"
        assert st["stats"]["packets"] == 20 and st["stats"]["SRTP auth failed"] == 0
        assert "user space" in st["not offloaded"]
        assert "SDES" in ng.query("s-p")["tags"]["A"]["medias"][0]["flags"]
        assert "crypto suite" not in rtp_stats(ng, "s-p", "B")
