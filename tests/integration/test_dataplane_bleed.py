"""RTP bleed: a third party sprays the relay's whole media port range before, during
and after a call, with junk and with RTP-looking packets (version 2, an allowed payload
type, a fresh SSRC and sequence number each time, as a port-scanning attacker must).

    sprayer ──junk/RTP──▶ every relay port
    phone A ◀──RTP──▶ relay ◀──RTP──▶ phone B

Default settings: the sprayer never receives any of the call's media, and the media of
A and B all arrive at B and A (not diverted). With strict-source the sprayer's packets
that hit the call's ports are dropped and counted, and nothing of it is forwarded.
"""

import os
import random
import socket
import struct
import threading
import time

from dp_media import Phone, drain, parse_rtp, relay_targets


class Sprayer(threading.Thread):
    def __init__(self, ports, rate_pps=4000):
        super().__init__(daemon=True)
        self.ports = list(ports)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.gap = len(self.ports) / rate_pps
        self.stop_evt = threading.Event()
        self.sent = 0
        self.received = []

    def packet(self):
        if random.random() < 0.3:
            return os.urandom(random.randrange(1, 200))
        return struct.pack("!BBHII", 0x80, random.choice((0, 8)), random.getrandbits(16),
                           random.getrandbits(32), random.getrandbits(32)) + bytes(160)

    def poll(self):
        while True:
            try:
                self.received.append(self.sock.recvfrom(4096))
            except (BlockingIOError, ConnectionRefusedError):
                return

    def run(self):
        while not self.stop_evt.is_set():
            for p in self.ports:
                try:
                    self.sock.sendto(self.packet(), ("127.0.0.1", p))
                    self.sent += 1
                except OSError:
                    pass            # ICMP port unreachable from an earlier send
            self.poll()
            time.sleep(self.gap)
        self.poll()

    def stop(self):
        self.stop_evt.set()
        self.join(10)
        time.sleep(0.2)
        self.poll()
        self.sock.close()


def talk(a, b, ta, tb, n):
    """A and B each send n packets, interleaved at ~100 pps each."""
    sent_a, sent_b = [], []
    for _ in range(n):
        sent_a += a.send_rtp(0, ta[0][:2])
        sent_b += b.send_rtp(0, tb[0][:2])
        time.sleep(0.01)
    return sent_a, sent_b


def of_ssrc(got, ssrc):
    return [g[0] for g in got if (parse_rtp(g[0]) or (0, 0, None))[2] == ssrc]


def test_sprayer_never_gets_media(daemon):
    spray = Sprayer(range(daemon.port_min, daemon.port_max + 1))
    spray.start()
    time.sleep(0.5)                                     # before the call
    a, b = Phone(), Phone()
    with daemon.ng() as ng:
        r = ng.offer("bleed", "A", a.sdp())
        tb = relay_targets(r["sdp"])
        r2 = ng.answer("bleed", "A", "B", b.sdp())
        ta = relay_targets(r2["sdp"])
        sent_a, sent_b = talk(a, b, ta, tb, 150)        # during
        got_b, got_a = drain(b.rtp_socks[0]), drain(a.rtp_socks[0])
        assert of_ssrc(got_b, a.ssrc[0]) == sent_a
        assert of_ssrc(got_a, b.ssrc[0]) == sent_b
        q = ng.query("bleed")["tags"]
        assert q["A"]["medias"][0]["streams"][0]["endpoint"]["port"] == a.port
        assert q["B"]["medias"][0]["streams"][0]["endpoint"]["port"] == b.port
        assert ng.delete("bleed", **{"delete-delay": 0})["result"] == "ok"
    time.sleep(0.5)                                     # after
    spray.stop()
    assert spray.sent > 1000
    assert spray.received == []
    a.close()
    b.close()


def test_strict_source_drops_and_counts(daemon):
    a, b = Phone(), Phone()
    spray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    spray.bind(("127.0.0.1", 0))
    with daemon.ng() as ng:
        r = ng.offer("strict", "A", a.sdp(), flags=["strict-source"])
        tb = relay_targets(r["sdp"])
        r2 = ng.answer("strict", "A", "B", b.sdp(), flags=["strict-source"])
        ta = relay_targets(r2["sdp"])
        call_ports = [ta[0][1], ta[0][2], tb[0][1], tb[0][2]]
        dropped0 = ng.request({"command": "statistics"})["totalstatistics"]["dropped"]
        sent_a, sent_b, sprayed = [], [], 0
        for i in range(50):
            sent_a += a.send_rtp(0, ta[0][:2])
            sent_b += b.send_rtp(0, tb[0][:2])
            for p in call_ports:
                # well-formed RTP, as consistent as an attacker can make it
                spray.sendto(struct.pack("!BBHII", 0x80, 0, i, i * 160, 0x5eed) + bytes(160),
                             ("127.0.0.1", p))
                sprayed += 1
            time.sleep(0.005)
        got_b, got_a = drain(b.rtp_socks[0]), drain(a.rtp_socks[0])
        # only the parties' own media was forwarded, all of it, in order
        assert [g[0] for g in got_b] == sent_a
        assert [g[0] for g in got_a] == sent_b
        assert drain(a.rtcp_socks[0], quiet=0.1) == []
        assert drain(b.rtcp_socks[0], quiet=0.1) == []
        dropped1 = ng.request({"command": "statistics"})["totalstatistics"]["dropped"]
        assert dropped1 - dropped0 == sprayed
        spray.settimeout(0.2)
        try:
            data = spray.recv(4096)
        except (socket.timeout, ConnectionRefusedError):
            data = None
        assert data is None
    spray.close()
    a.close()
    b.close()
