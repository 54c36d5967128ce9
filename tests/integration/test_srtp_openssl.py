"""rtprelayd's SRTP on OpenSSL's AES and HMAC (srtp/srtp_openssl.h) against libsrtp2's
own, through the daemon with real packets.

    phone A (pylibsrtp: Debian's libsrtp2, its own AES/HMAC) ──SRTP──▶ relay ──RTP──▶ B
            ◀─SRTP (the relay's libsrtp on OpenSSL)──────────          ◀──RTP──

The daemon says at start which primitives its libsrtp runs on; pylibsrtp in this
process runs on the library's own (NSS on Debian 12), an independent implementation.
For every suite and for payloads of every length class (empty, below one AES block,
one block, odd lengths, several blocks) what A protects the relay unprotects, and what
the relay protects A unprotects, RTP and SRTCP; a packet with a flipped bit is refused.
"""

import pytest

from dp_media import Phone, drain, rtcp_rr, rtp
from srtp_peer import SUITES
from test_srtp_media import SrtpPhone, rtp_stats, sdes_to_plain

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

SIZES = [0, 1, 15, 16, 17, 31, 160, 161, 333, 1000]


def test_daemon_runs_srtp_on_openssl(daemon):
    """The daemon set up libsrtp on OpenSSL before any call (and said so)."""
    assert "SRTP: libsrtp2, AES and HMAC-SHA1 on OpenSSL" in daemon.log_text()


@pytest.mark.parametrize("suite", list(SUITES))
def test_every_suite_every_length_both_ways(daemon, suite):
    a, b = SrtpPhone(suite), Phone()
    with daemon.ng() as ng:
        cid = "len-" + suite
        # AES-192 only when named (srtp/sr_rfc_keys.h); pylibsrtp keys it as rtprelay does
        kw = {"flags": ["SDES-only-" + suite]} if suite.startswith("AES_192") else {}
        (addr_a, rtp_a, rtcp_a), (addr_b, rtp_b, rtcp_b) = sdes_to_plain(ng, cid, a, b, **kw)
        sent = []
        for size in SIZES:
            p = rtp(a.seq[0], a.ssrc[0], 0, size)
            a.seq[0] += 1
            a.rtp_socks[0].sendto(a.tx.protect(p), (addr_a, rtp_a))
            sent.append(p)
        assert [d for d, _ in drain(b.rtp_socks[0])] == sent
        back = [b.send_rtp(0, (addr_b, rtp_b), 1, size=size)[0] for size in SIZES]
        assert a.recv_plain() == back
        # SRTCP both ways (RTCP on its own ports)
        rr = rtcp_rr(a.ssrc[0])
        a.rtcp_socks[0].sendto(a.tx.protect_rtcp(rr), (addr_a, rtcp_a))
        assert [d for d, _ in drain(b.rtcp_socks[0])] == [rr]
        rr_b = rtcp_rr(b.ssrc[0])
        b.rtcp_socks[0].sendto(rr_b, (addr_b, rtcp_b))
        assert [a.rx.unprotect_rtcp(d) for d, _ in drain(a.rtcp_socks[0])] == [rr_b]
        # a flipped bit in the payload is refused, counted, never forwarded
        s = bytearray(a.tx.protect(rtp(a.seq[0], a.ssrc[0], 0, 160)))
        a.seq[0] += 1
        s[20] ^= 0x01
        a.rtp_socks[0].sendto(bytes(s), (addr_a, rtp_a))
        assert drain(b.rtp_socks[0], limit=1.0) == []
        st = rtp_stats(ng, cid, "A")["stats"]
        assert st["SRTP auth failed"] == 1 and st["SRTP errors"] == 0
        assert st["packets"] == len(SIZES)
