"""srtp_peer.py: the phone's side of SDES-SRTP for the integration tests, with
pylibsrtp (libsrtp2 through cffi), independent of rtprelay's own code.

    line = crypto_line(1, "AES_CM_128_HMAC_SHA1_80", key)   # "a=crypto:1 ..."
    tx = Srtp(suite, key, outbound=True); tx.protect(rtp)     # what the phone sends
    rx = Srtp(*parse_crypto(sdp_line), outbound=False)        # what it receives

pylibsrtp's Policy only names four profiles and declares libsrtp's
srtp_crypto_policy_t opaque; every suite is written into that structure here
(six ints: cipher, cipher key length, auth, auth key length, tag length,
services; the values of libsrtp's crypto_types.h, RFC 4568/6188/7714).
"""

import base64
import os
import struct

import pylibsrtp
from pylibsrtp._binding import ffi

# suite: (cipher, key+salt length, auth, auth key length, RTP tag, RTCP tag, services)
SUITES = {
    "AES_CM_128_HMAC_SHA1_80": (1, 30, 3, 20, 10, 10, 3),
    "AES_CM_128_HMAC_SHA1_32": (1, 30, 3, 20, 4, 10, 3),
    "AES_192_CM_HMAC_SHA1_80": (4, 38, 3, 20, 10, 10, 3),
    "AES_192_CM_HMAC_SHA1_32": (4, 38, 3, 20, 4, 10, 3),
    "AES_256_CM_HMAC_SHA1_80": (5, 46, 3, 20, 10, 10, 3),
    "AES_256_CM_HMAC_SHA1_32": (5, 46, 3, 20, 4, 10, 3),
    "AEAD_AES_128_GCM": (6, 28, 0, 0, 16, 16, 3),
    "AEAD_AES_256_GCM": (7, 44, 0, 0, 16, 16, 3),
    "NULL_HMAC_SHA1_80": (0, 30, 3, 20, 10, 10, 2),
    "NULL_HMAC_SHA1_32": (0, 30, 3, 20, 4, 10, 2),
}
# what rtprelay offers by its own choice (daemon/sdes.c default_suites): not
# AES_192_CM_*, which libsrtp keys unlike RFC 6188 (srtp/sr_rfc_keys.h); pylibsrtp is
# libsrtp, so these phones key AES-192 as rtprelay does when SDES-only- names it
DEFAULT_SUITES = [s for s in list(SUITES)[:8] if not s.startswith("AES_192")]


def new_key(suite):
    return os.urandom(SUITES[suite][1])


def crypto_line(tag, suite, key, params=""):
    k = base64.b64encode(key).decode().rstrip("=")
    return "a=crypto:%d %s inline:%s%s" % (tag, suite, k, (" " + params) if params else "")


def crypto_lines(sdp):
    """[(tag, suite, key bytes, rest)] of every a=crypto line of an SDP."""
    out = []
    for line in sdp.splitlines():
        if not line.startswith("a=crypto:"):
            continue
        tag, suite, inline, *rest = line[9:].split()
        b64 = inline[len("inline:"):].split("|")[0]
        key = base64.b64decode(b64 + "=" * (-len(b64) % 4))
        out.append((int(tag), suite, key, rest))
    return out


class Srtp:
    """One direction of one SRTP session: protect (outbound) or unprotect."""

    def __init__(self, suite, key, outbound):
        cipher, klen, auth, alen, tag, ctag, serv = SUITES[suite]
        assert len(key) == klen, (suite, len(key))
        pol = pylibsrtp.Policy(key=bytes(30), ssrc_type=(
            pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND))
        p = pol._policy
        assert ffi.sizeof("srtp_crypto_policy_t") == 24
        for cp, t in ((p.rtp, tag), (p.rtcp, ctag)):
            ffi.buffer(ffi.addressof(cp))[:] = struct.pack("=6i", cipher, klen, auth, alen, t,
                                                           serv)
        self._key = ffi.new("unsigned char[]", key)
        p.key = self._key
        self.session = pylibsrtp.Session(policy=pol)

    def protect(self, pkt):
        return self.session.protect(pkt)

    def protect_rtcp(self, pkt):
        return self.session.protect_rtcp(pkt)

    def unprotect(self, pkt):
        return self.session.unprotect(pkt)

    def unprotect_rtcp(self, pkt):
        return self.session.unprotect_rtcp(pkt)
