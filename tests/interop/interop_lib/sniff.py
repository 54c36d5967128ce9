"""Capture the RTP the relay sends, to check the audio independently of the phones'
own recordings (baresip's sndfile stops recording at the first hold re-INVITE).

An AF_PACKET socket on one interface of a namespace keeps every UDP/IPv4 packet
whose source port is in the relay's media range. G.711 payloads are decoded here.
"""
import socket
import struct
import threading
import time

from .tone import goertzel_power

ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def ulaw_to_linear(byte):
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + 0x84) << ((byte >> 4) & 0x07)
    return 0x84 - magnitude if byte & 0x80 else magnitude - 0x84


_ULAW = [ulaw_to_linear(b) for b in range(256)]


def rtp_payload(data):
    """(payload type, payload) of an RTP packet, or None if it is not RTP."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    pt = data[1] & 0x7F
    if 72 <= pt <= 79:   # RTCP sent on the RTP port (rtcp-mux); not audio
        return None
    off = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        if len(data) < off + 4:
            return None
        off += 4 + 4 * struct.unpack("!H", data[off + 2:off + 4])[0]
    if off > len(data):
        return None
    end = len(data)
    if data[0] & 0x20 and end > off:
        end -= data[-1]
    return pt, data[off:max(off, end)]


class _Capture:
    """Receives every IPv4/UDP packet on one interface of a namespace in a thread
    and hands (ip header length, packet) to `_handle`."""

    def __init__(self, netns, ifname, outgoing=False):
        # outgoing: keep what this namespace sends too (on an interface other than
        # loopback, where each packet shows up once, as incoming or as outgoing)
        self._netns, self._ifname, self._outgoing = netns, ifname, outgoing
        self._stop = threading.Event()
        self.sock = None
        self._thread = None

    def start(self):
        # an AF_PACKET socket binds to an interface of the namespace it lives in
        # only an ETH_P_ALL socket is shown what the namespace sends
        proto = ETH_P_ALL if self._outgoing else ETH_P_IP
        self.sock = self._netns.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                       socket.htons(proto))
        self.sock.bind((self._ifname, proto))
        self.sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            # on loopback each packet shows up twice: keep the incoming copy
            if (addr[2] == PACKET_OUTGOING and not self._outgoing) or addr[1] != ETH_P_IP \
                    or len(data) < 28 or data[9] != 17:
                continue
            self._handle((data[0] & 0x0F) * 4, data)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self.sock is not None:
            self.sock.close()


class RelaySniffer(_Capture):
    def __init__(self, netns, ifname, port_min, port_max):
        super().__init__(netns, ifname)
        self.port_min, self.port_max = port_min, port_max
        self.packets = []   # (monotonic time, (dst addr, dst port), pt, payload)

    def _handle(self, ihl, data):
        sport, dport = struct.unpack("!HH", data[ihl:ihl + 4])
        if not self.port_min <= sport <= self.port_max:
            return
        rtp = rtp_payload(data[ihl + 8:])
        if rtp is not None:
            dst = socket.inet_ntoa(data[16:20])
            self.packets.append((time.monotonic(), (dst, dport), rtp[0], rtp[1]))

    def pcmu_tone(self, dst, since, freqs):
        """Goertzel powers (normalised to the signal energy) of the PCMU audio the
        relay sent to `dst` after monotonic time `since`, and the seconds of audio."""
        samples = []
        for t, where, pt, payload in list(self.packets):
            if t >= since and where == dst and pt == 0:
                samples.extend(_ULAW[b] for b in payload)
        block = 800
        usable = len(samples) - len(samples) % block
        # a pure sine gives a per-block Goertzel power of (block energy) / 2
        scale = sum(float(x) * x for x in samples[:usable]) / 2 or 1.0
        fractions = {}
        for f in freqs:
            total = 0.0
            for start in range(0, usable, block):
                total += goertzel_power(samples[start:start + block], 8000, f)
            fractions[f] = total / scale
        return fractions, len(samples) / 8000.0


class NgSniffer(_Capture):
    """Records the proxy <-> relay ng datagrams (UDP to/from one of the relays' ng
    `ports` on loopback), so that a failing test can show exactly what Kamailio asked
    and the relay answered, and a test can check which relay got which command."""

    def __init__(self, netns, ports, ifname="lo"):
        # on "lo" each datagram is seen once as incoming; elsewhere the proxy's
        # requests leave the namespace (outgoing) and the replies come in
        super().__init__(netns, ifname, outgoing=ifname != "lo")
        self.ports = {ports} if isinstance(ports, int) else set(ports)
        # (monotonic time, 'proxy>relay' | 'relay>proxy', relay's ng port, raw bytes)
        self.messages = []

    def _handle(self, ihl, data):
        sport, dport = struct.unpack("!HH", data[ihl:ihl + 4])
        if dport in self.ports or sport in self.ports:
            way = "proxy>relay" if dport in self.ports else "relay>proxy"
            port = dport if dport in self.ports else sport
            self.messages.append((time.monotonic(), way, port, data[ihl + 8:]))

    def decoded(self, decode):
        """[(direction, relay's ng port, cookie, dictionary or None)] in capture order."""
        out = []
        for _, way, port, raw in list(self.messages):
            cookie, _, body = raw.partition(b" ")
            try:
                msg = decode(body)
            except ValueError:
                msg = None
            out.append((way, port, cookie.decode(errors="replace"), msg))
        return out

    def exchange(self, decode):
        """Readable lines: direction, relay's ng port, cookie, decoded dictionary (or
        raw bytes)."""
        out = []
        for (way, port, cookie, msg), (_, _, _, raw) in zip(self.decoded(decode),
                                                            list(self.messages)):
            shown = msg if msg is not None else raw.partition(b" ")[2][:2000]
            out.append("%s:%d %s %r" % (way, port, cookie, shown))
        return out
