"""dp_media.py: phones and RTP/RTCP packets for the data-plane integration tests.

    a = Phone("127.0.0.1", nmedia=1)         # RTP on an even port, RTCP on +1
    r = ng.offer(cid, "A", a.sdp())           # SDP for B
    tb = relay_targets(r["sdp"])              # [(addr, rtp_port, rtcp_port), ...]
    a.send(0, rtp(seq, ssrc), tb_for_a[0])    # then b.recv(...)

Every socket has a short timeout; nothing here waits unboundedly.
"""

import os
import random
import socket
import struct
import time

from ngclient import sdp_offer

__all__ = ["Phone", "rtp", "rtcp_rr", "relay_targets", "parse_rtp", "drain"]


def rtp(seq, ssrc, pt=0, size=160, ts=None, marker=False):
    ts = seq * 160 if ts is None else ts
    return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq & 0xffff,
                       ts & 0xffffffff, ssrc) + bytes([seq & 0xff]) * size


def rtcp_rr(ssrc):
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def parse_rtp(pkt):
    """(pt, seq, ssrc) of an RTP packet, or None."""
    if len(pkt) < 12 or pkt[0] >> 6 != 2:
        return None
    _, b1, seq, _, ssrc = struct.unpack("!BBHII", pkt[:12])
    return b1 & 0x7f, seq, ssrc


def port_of(sdp):
    """The RTP port of the first m= line of an SDP the relay wrote."""
    return relay_targets(sdp)[0][1]


def relay_targets(sdp):
    """[(address, rtp port, rtcp port)] per m= line of an SDP the relay wrote."""
    out, sess_addr, cur = [], None, None
    for line in sdp.splitlines():
        if line.startswith("c=") and cur is None:
            sess_addr = line.split()[2]
        elif line.startswith("m="):
            port = int(line.split()[1].split("/")[0])
            cur = [sess_addr, port, port + 1]
            out.append(cur)
        elif line.startswith("c=") and cur is not None:
            cur[0] = line.split()[2]
        elif line.startswith("a=rtcp:") and cur is not None:
            cur[2] = int(line[7:].split()[0])
        elif line == "a=rtcp-mux" and cur is not None:
            cur.append("mux")
    return [(t[0], t[1], t[1] if "mux" in t else t[2]) for t in out]


def drain(sock, quiet=0.3, limit=3.0):
    """Every datagram until the socket is quiet for `quiet` s: [(data, addr)]."""
    got, end = [], time.monotonic() + limit
    sock.settimeout(quiet)
    try:
        while time.monotonic() < end:
            try:
                got.append(sock.recvfrom(4096))
            except socket.timeout:
                break
    finally:
        sock.settimeout(1.0)
    return got


class Phone:
    """A SIP phone's media side: for each media an RTP socket on an even port P and an
    RTCP socket on P+1 (none with mux); media n uses P + 2n, as ngclient.sdp_offer
    writes them."""

    def __init__(self, addr="127.0.0.1", nmedia=1, mux=False, pts=(0, 8)):
        self.addr, self.nmedia, self.mux, self.pts = addr, nmedia, mux, pts
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        for _ in range(200):
            base = random.randrange(40000, 59000) & ~1
            socks = []
            try:
                for i in range(2 * nmedia):
                    s = socket.socket(fam, socket.SOCK_DGRAM)
                    socks.append(s)
                    s.bind((addr, base + i))
                    s.settimeout(1.0)
                break
            except OSError:
                for s in socks:
                    s.close()
        else:
            raise RuntimeError("no free port block")
        self.port = base
        self.rtp_socks = socks[0::2]
        self.rtcp_socks = socks[1::2]
        self.ssrc = [random.getrandbits(32) for _ in range(nmedia)]
        self.seq = [random.randrange(0, 1000) for _ in range(nmedia)]

    def close(self):
        for s in self.rtp_socks + self.rtcp_socks:
            s.close()

    def sdp(self, version=1, sess_id=None, port=None):
        media = tuple(("audio" if i == 0 else "video", self.pts if i == 0 else (96,))
                      for i in range(self.nmedia))
        return sdp_offer(addr=self.addr, port=self.port if port is None else port,
                         media=media, version=version, rtcp_mux=self.mux,
                         sess_id=sess_id or (os.getpid() & 0xffff))

    def send_rtp(self, media, target, n=1, pt=None, size=160):
        """Send n RTP packets of media `media` to target (addr, port); returns them."""
        sent = []
        for _ in range(n):
            p = rtp(self.seq[media], self.ssrc[media], self.pts[0] if pt is None else pt,
                    size)
            self.seq[media] = (self.seq[media] + 1) & 0xffff
            self.rtp_socks[media].sendto(p, target)
            sent.append(p)
        return sent

    def send_rtcp(self, media, target):
        p = rtcp_rr(self.ssrc[media])
        sock = self.rtp_socks[media] if self.mux else self.rtcp_socks[media]
        sock.sendto(p, target)
        return p
