"""webrtc_peer.py: a WebRTC endpoint on one plain UDP socket, for the tests that carry
a WebRTC call across a takeover or a Redis failover (test_takeover_webrtc.py,
test_redis_failover_webrtc.py).

    - ICE: a full, controlling agent towards rtprelay's ICE-lite, built from aioice's
      STUN messages (binding requests with USERNAME, PRIORITY, ICE-CONTROLLING, optional
      USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT); every answer is checked with
      rtprelay's password.
    - DTLS-SRTP: test_dtls_webrtc.DtlsClient (pyOpenSSL, rtprelay the server) on the
      same socket; the exported keys drive pylibsrtp (srtp_peer.Srtp).
    - rtcp-mux, one socket for everything (with BUNDLE: for every media).

A plain socket rather than an asyncio agent so that the socket can be one made in a
network namespace (redis_failover.Topo.sock), and so that a test decides exactly when
a nomination or a consent check is sent: after a hand-over the peer sends no new
nomination, only consent checks, as a browser does.
"""

import os
import socket
import time

from aioice import stun

SUITE = "AES_CM_128_HMAC_SHA1_80"


def _token(n):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
    return "".join(alphabet[b % 64] for b in os.urandom(n))


def attr(sdp, name):
    for ln in sdp.splitlines():
        if ln.startswith("a=%s:" % name):
            return ln.split(":", 1)[1]
    return None


def is_dtls(data):
    """RFC 7983: a first byte of 20..63 is DTLS."""
    return bool(data) and 20 <= data[0] <= 63


def is_stun(data):
    return len(data) >= 20 and data[0] < 4


class WebRtcPeer:
    """One WebRTC party: `sock` bound to (addr, port), own ICE credentials and
    DTLS certificate."""

    def __init__(self, sock):
        from test_dtls_webrtc import DtlsClient
        self.sock = sock
        self.addr, self.port = sock.getsockname()[:2]
        self.ufrag, self.pwd = _token(8), _token(24)
        self.dtls = DtlsClient(sock)
        self.relay_ufrag = self.relay_pwd = None
        self.target = None  # rtprelay's candidate for this party
        self.tx = self.rx = None  # SRTP after the handshake
        self.stray = []  # non-STUN datagrams that arrived while waiting for a STUN answer

    def sdp(self, media=(("audio", "a", "0", ("a=rtpmap:0 PCMU/8000",)),), version=1):
        """An offer/answer with one m= line per (kind, mid, formats, extra lines),
        all on this socket (BUNDLE when more than one), ICE, DTLS actpass, rtcp-mux."""
        lines = ["v=0", "o=- 4711 %d IN IP4 %s" % (version, self.addr), "s=-", "t=0 0"]
        if len(media) > 1:
            lines.append("a=group:BUNDLE " + " ".join(m[1] for m in media))
        for i, (kind, mid, fmts, extra) in enumerate(media):
            lines += ["m=%s %d UDP/TLS/RTP/SAVPF %s" % (kind, self.port, fmts),
                      "c=IN IP4 " + self.addr, "a=mid:" + mid,
                      "a=ice-ufrag:" + self.ufrag, "a=ice-pwd:" + self.pwd,
                      "a=candidate:1 1 UDP 2130706431 %s %d typ host" % (self.addr, self.port),
                      "a=end-of-candidates", "a=setup:actpass",
                      "a=fingerprint:" + self.dtls.fingerprint, "a=rtcp-mux"]
            lines += list(extra)
            lines.append("a=sendrecv")
        return "\r\n".join(lines) + "\r\n"

    def take_answer(self, sdp):
        """rtprelay's credentials and its (one, muxed) host candidate."""
        self.relay_ufrag, self.relay_pwd = attr(sdp, "ice-ufrag"), attr(sdp, "ice-pwd")
        cand = attr(sdp, "candidate")
        assert self.relay_ufrag and self.relay_pwd and cand, sdp
        f = cand.split()
        self.target = (f[4], int(f[5]))

    def check(self, nominate=False, timeout=1.0):
        """One connectivity (or consent, RFC 7675: the same request) check towards
        rtprelay's candidate. The answer's XOR-MAPPED-ADDRESS, after checking its
        integrity with rtprelay's password; None if none came in time."""
        msg = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
        msg.attributes["USERNAME"] = "%s:%s" % (self.relay_ufrag, self.ufrag)
        msg.attributes["PRIORITY"] = 1853824767
        msg.attributes["ICE-CONTROLLING"] = int.from_bytes(os.urandom(8), "big")
        if nominate:
            msg.attributes["USE-CANDIDATE"] = None
        key = self.relay_pwd.encode()
        msg.add_message_integrity(key)
        self.sock.sendto(bytes(msg), self.target)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, BlockingIOError):
                break
            if not is_stun(data):
                self.stray.append(data)
                continue
            ans = stun.parse_message(data, integrity_key=key)
            if ans.transaction_id == msg.transaction_id:
                assert ans.message_class == stun.Class.RESPONSE, ans
                return ans.attributes["XOR-MAPPED-ADDRESS"]
        return None

    def connect(self):
        """Nominate rtprelay's candidate, then the DTLS handshake; SRTP keyed."""
        from srtp_peer import Srtp
        assert self.check(nominate=True) == (self.addr, self.port)
        local, remote = self.dtls.handshake(self.target)
        self.tx, self.rx = Srtp(SUITE, local, outbound=True), Srtp(SUITE, remote, outbound=False)
