"""test_offload_srtp.py: with `offload = yes`, SRTP never goes to the eBPF fast path
(kernel-offload/README.md, "Encrypted streams stay in user space"; the DP_SRTP test in
dataplane/dp_offload.c). Two calls side by side, past the learning window that hands a
plain call to the kernel:

  1. SDES caller <-> plain callee: the caller's SRTP is decrypted, the callee's RTP
     encrypted, both in user space. A forged (tampered) SRTP packet sent to the relay
     after the streams settled is dropped and counted, never reaching the callee.
  2. SDES caller <-> SDES callee, both offering the very same key: rtprelay still gives
     each leg a key of its own and decrypts and re-encrypts (its only mode, `recrypt`),
     so nothing is passed through as plain forwarding.

Proof of "user space": the daemon is frozen with SIGSTOP and nothing flows (the kernel
would keep forwarding, test_offload_daemon.py), the streams carry no "kernelized" flag,
and `query` says why in "not offloaded". A plain call beside them in the same daemon
does go to the kernel (so offload is on and working in this run).

Needs root; skipped otherwise. Topology and daemon from test_offload_daemon.py.
"""

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import sdp_media_ports  # noqa: E402
from srtp_peer import Srtp, crypto_line, crypto_lines, new_key  # noqa: E402
from test_offload_daemon import (CALLEE_IP, CALLER_IP, CLI, RELAY_IP, SETTLE,  # noqa: E402,F401
                                 RelayDaemon, rtp_pkt, sdp, take, topo,
                                 wait_kernel_forwards)
from test_offload_netns import drain, ns_socket  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not os.path.exists(CLI), reason="built without offload"),
]


def savp(addr, port, key):
    return sdp(addr, port).replace("RTP/AVP", "RTP/SAVP").replace(
        "a=sendrecv", crypto_line(1, SUITE, key) + "\r\na=sendrecv")


class Party:
    """One phone in a namespace: plain, or SRTP with its own key (`tx`) and the key
    the relay gave it (`rx`, set once the SDP says)."""

    def __init__(self, ns, addr, port, ssrc, key=None):
        self.sock = ns_socket(ns, addr, port)
        self.ssrc, self.seq, self.key = ssrc, 0, key
        self.tx = Srtp(SUITE, key, outbound=True) if key else None
        self.rx = None

    def learn(self, sdp_text):
        (line,) = crypto_lines(sdp_text)
        assert line[1] == SUITE and line[2] != self.key, line
        self.rx = Srtp(SUITE, line[2], outbound=False)
        return line[2]

    def packet(self):
        """The next packet on the wire, and what it carries in the clear."""
        p = rtp_pkt(self.seq, self.ssrc)
        self.seq += 1
        return (self.tx.protect(p) if self.tx else p), p

    def send(self, port):
        wire, plain = self.packet()
        self.sock.sendto(wire, (RELAY_IP, port))
        return plain

    def opened(self, got):
        return [self.rx.unprotect(d) for d in got] if self.rx else got

    def close(self):
        self.sock.close()


def streams(q, tag):
    return q["tags"][tag]["medias"][0]["streams"]


def test_srtp_stays_in_user_space_with_offload(topo):  # noqa: F811
    d = RelayDaemon(offload=True, timeout=30)
    key = new_key(SUITE)
    a1 = Party(topo["caller"], CALLER_IP, 5000, 0x1111, new_key(SUITE))
    b1 = Party(topo["callee"], CALLEE_IP, 6000, 0x2222)
    a2 = Party(topo["caller"], CALLER_IP, 5010, 0x3333, key)
    b2 = Party(topo["callee"], CALLEE_IP, 6010, 0x4444, key)  # the same key as a2
    a3 = Party(topo["caller"], CALLER_IP, 5020, 0x5555)
    b3 = Party(topo["callee"], CALLEE_IP, 6020, 0x6666)
    try:
        with d.ng() as ng:
            # 1: SDES caller, plain callee
            r = ng.offer("sdes-plain", "from1", savp(CALLER_IP, 5000, a1.key),
                         **{"transport-protocol": "RTP/AVP"})
            assert r["result"] == "ok" and "a=crypto" not in r["sdp"], r
            pb1 = sdp_media_ports(r["sdp"])[0][1]
            r = ng.answer("sdes-plain", "from1", "to1", sdp(CALLEE_IP, 6000))
            assert r["result"] == "ok", r
            a1.learn(r["sdp"])
            pa1 = sdp_media_ports(r["sdp"])[0][1]
            # 2: both SDES with one key; the relay keys each leg itself
            r = ng.offer("sdes-same", "from1", savp(CALLER_IP, 5010, key),
                         flags=["SDES-only-" + SUITE])
            assert r["result"] == "ok", r
            relay_key_b = b2.learn(r["sdp"])
            pb2 = sdp_media_ports(r["sdp"])[0][1]
            r = ng.answer("sdes-same", "from1", "to1", savp(CALLEE_IP, 6010, key))
            assert r["result"] == "ok", r
            relay_key_a = a2.learn(r["sdp"])
            assert len({key, relay_key_a, relay_key_b}) == 3
            pa2 = sdp_media_ports(r["sdp"])[0][1]
            # 3: plain, for contrast
            r = ng.offer("plain", "from1", sdp(CALLER_IP, 5020))
            assert r["result"] == "ok", r
            pb3 = sdp_media_ports(r["sdp"])[0][1]
            r = ng.answer("plain", "from1", "to1", sdp(CALLEE_IP, 6020))
            assert r["result"] == "ok", r
            pa3 = sdp_media_ports(r["sdp"])[0][1]

            # talk past the learning window; every packet arrives, decrypted
            # with the relay's key for that leg
            legs = ((a1, pa1, b1), (b1, pb1, a1), (a2, pa2, b2), (b2, pb2, a2),
                    (a3, pa3, b3), (b3, pb3, a3))
            sent = {id(p): [] for p, _, _ in legs}
            got = {id(p): [] for p, _, _ in legs}
            for _ in range(int(SETTLE * 50)):
                for p, port, _ in legs:
                    sent[id(p)].append(p.send(port))
                time.sleep(0.02)
                for p, _, _ in legs:
                    got[id(p)] += take(p.sock)
            for p, _, _ in legs:
                got[id(p)] += [x for x, _ in drain(p.sock, 0.5)]
            for p, _, to in legs:
                assert to.opened(got[id(to)]) == sent[id(p)], "leg %x" % p.ssrc

            # the plain call went to the kernel; the SRTP calls did not
            wait_kernel_forwards(d, a3.sock, b3.sock, pa3)
            for cid in ("sdes-plain", "sdes-same"):
                q = ng.query(cid)
                for tag in ("from1", "to1"):
                    for s in streams(q, tag):
                        assert "kernelized" not in s["flags"], (cid, tag, s)
                        assert "user space" in s["not offloaded"], (cid, tag, s)
            q = ng.query("sdes-plain")
            assert streams(q, "from1")[0]["crypto suite"] == SUITE
            assert streams(q, "to1")[0]["not offloaded"] == \
                "forwards into SRTP, encrypted in user space"
            assert "kernelized" in streams(ng.query("plain"), "from1")[0]["flags"]

            # frozen daemon: no SRTP leg moves in either direction
            for p, _, _ in legs[:4]:
                drain(p.sock, 0.1)
            d.freeze()
            try:
                time.sleep(0.2)  # SIGSTOP reaches every thread, not just the first
                for _ in range(10):
                    for p, port, _ in legs[:4]:
                        p.send(port)
                frozen = {id(p): drain(p.sock, 0.5) for p, _, _ in legs[:4]}
            finally:
                d.thaw()
            assert all(v == [] for v in frozen.values()), frozen
            time.sleep(0.5)  # user space forwards what waited in the sockets
            for p, _, _ in legs[:4]:
                drain(p.sock, 0.5)

            # a forged SRTP packet (one bit off in its tag) after the streams
            # settled: dropped and counted, the callee gets nothing; the next
            # genuine packet still passes
            before = streams(ng.query("sdes-plain"), "from1")[0]["stats"]
            wire, _ = a1.packet()
            a1.sock.sendto(wire[:-1] + bytes([wire[-1] ^ 1]), (RELAY_IP, pa1))
            assert drain(b1.sock, 0.5) == []
            good = a1.send(pa1)
            assert [x for x, _ in drain(b1.sock, 0.5)] == [good]
            after = streams(ng.query("sdes-plain"), "from1")[0]["stats"]
            assert after["SRTP auth failed"] == before["SRTP auth failed"] + 1, after
            assert after["forwarded"] == before["forwarded"] + 1, after
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
        assert "offload: eBPF fast path on" in log
    finally:
        d.stop()
        for p in (a1, b1, a2, b2, a3, b3):
            p.close()
