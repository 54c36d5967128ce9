"""transcode_media.py: what the transcoding integration tests need besides ng.

Independent codecs for the test side, loaded with ctypes straight from the system
libraries (libopus, libbcg729, libspandsp; G.711 in numpy), so the relay's output is
decoded by something other than the relay's own code; a voice-like test signal; SDP
helpers; an impaired RTP sender (jitter, reordering, duplicates, loss); and the quality
measure (per 200 ms segment, the best-aligned normalised correlation of decoded output
against a reference, averaged).
"""

import ctypes
import random
import socket
import struct
import time

import numpy as np

RATE = 8000


# --- test signal ---------------------------------------------------------------

def voice(n, rate=RATE, amp=8000.0):
    """Voice-like and never periodic: harmonics on a gliding pitch, syllable envelope."""
    t = np.arange(n) / rate
    f0 = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * 140 * t - 40 / 0.7 * np.cos(2 * np.pi * 0.7 * t)
    env = 0.6 + 0.25 * np.sin(2 * np.pi * 3.1 * t) + 0.15 * np.sin(2 * np.pi * 4.7 * t)
    v = np.zeros(n)
    for h in range(1, 13):
        v += np.where(h * f0 < rate / 2, np.sin(h * ph + h * h * 0.4) / h, 0.0)
    return (amp * env * v / 2.5).astype(np.int16)


# --- G.711 µ-law (numpy) ---------------------------------------------------------

def _ulaw_dec_table():
    out = np.zeros(256, dtype=np.int16)
    for c in range(256):
        u = ~c & 0xFF
        t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        out[c] = (0x84 - t) if (u & 0x80) else (t - 0x84)
    return out


ULAW_DEC = _ulaw_dec_table()


def ulaw_encode(pcm):
    x = pcm.astype(np.int32)
    neg = x < 0
    mag = np.where(neg, 0x84 - x - 1, 0x84 + x)
    mag = np.minimum(mag, 0x7FFF)
    seg = np.floor(np.log2(np.maximum(mag, 0xFF))).astype(np.int32) - 7
    code = (seg << 4) | ((mag >> (seg + 3)) & 0x0F)
    return (np.where(neg, 0x7F, 0xFF) ^ code).astype(np.uint8)


def ulaw_decode(data):
    return ULAW_DEC[np.frombuffer(data, dtype=np.uint8)]


# --- codecs through ctypes ---------------------------------------------------------

class Pcmu:
    name, clock, pcm_rate, frame = "PCMU", 8000, 8000, 160

    def encode(self, pcm):
        return ulaw_encode(pcm).tobytes()

    def decode(self, data):
        return ULAW_DEC[np.frombuffer(data, dtype=np.uint8)]


class G722:
    name, clock, pcm_rate, frame = "G722", 8000, 16000, 320
    lib = None

    def __init__(self):
        if G722.lib is None:
            lib = ctypes.CDLL("libspandsp.so.2")
            for f in ("g722_encode_init", "g722_decode_init"):
                getattr(lib, f).restype = ctypes.c_void_p
                getattr(lib, f).argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
            lib.g722_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_int]
            lib.g722_decode.argtypes = lib.g722_encode.argtypes
            G722.lib = lib
        self.enc = self.lib.g722_encode_init(None, 64000, 0)
        self.dec = self.lib.g722_decode_init(None, 64000, 0)

    def encode(self, pcm):
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        out = (ctypes.c_uint8 * (len(pcm) // 2))()
        n = self.lib.g722_encode(self.enc, out, pcm.ctypes.data, len(pcm))
        return bytes(out[:n])

    def decode(self, data):
        pcm = np.zeros(len(data) * 2, dtype=np.int16)
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        n = self.lib.g722_decode(self.dec, pcm.ctypes.data, buf, len(data))
        return pcm[:n]


class G729:
    name, clock, pcm_rate, frame = "G729", 8000, 8000, 160
    lib = None

    def __init__(self):
        if G729.lib is None:
            lib = ctypes.CDLL("libbcg729.so.0")
            lib.initBcg729EncoderChannel.restype = ctypes.c_void_p
            lib.initBcg729EncoderChannel.argtypes = [ctypes.c_uint8]
            lib.initBcg729DecoderChannel.restype = ctypes.c_void_p
            lib.bcg729Encoder.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                          ctypes.c_void_p]
            lib.bcg729Decoder.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint8,
                                          ctypes.c_uint8, ctypes.c_uint8, ctypes.c_uint8,
                                          ctypes.c_void_p]
            G729.lib = lib
        self.enc = self.lib.initBcg729EncoderChannel(0)
        self.dec = self.lib.initBcg729DecoderChannel()

    def encode(self, pcm):
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        out = b""
        for i in range(0, len(pcm), 80):
            buf = (ctypes.c_uint8 * 10)()
            n = ctypes.c_uint8(0)
            self.lib.bcg729Encoder(self.enc, pcm[i:i + 80].ctypes.data, buf, ctypes.byref(n))
            out += bytes(buf[:n.value])
        return out

    def decode(self, data):
        out = []
        for i in range(0, len(data) - 9, 10):
            pcm = np.zeros(80, dtype=np.int16)
            buf = (ctypes.c_uint8 * 10).from_buffer_copy(data[i:i + 10])
            self.lib.bcg729Decoder(self.dec, buf, 10, 0, 0, 0, pcm.ctypes.data)
            out.append(pcm)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


class Opus:
    """Opus on the RTP 48 kHz clock, run at 8 kHz PCM on the test side."""
    name, clock, pcm_rate, frame = "opus", 48000, 8000, 160
    lib = None

    def __init__(self):
        if Opus.lib is None:
            lib = ctypes.CDLL("libopus.so.0")
            lib.opus_encoder_create.restype = ctypes.c_void_p
            lib.opus_decoder_create.restype = ctypes.c_void_p
            lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_void_p]
            lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_void_p]
            lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                        ctypes.c_void_p, ctypes.c_int32]
            lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32,
                                        ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
            Opus.lib = lib
        err = ctypes.c_int(0)
        self.enc = self.lib.opus_encoder_create(8000, 1, 2048, ctypes.byref(err))
        self.dec = self.lib.opus_decoder_create(8000, 1, ctypes.byref(err))
        assert self.enc and self.dec

    def encode(self, pcm):
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        out = (ctypes.c_uint8 * 1500)()
        n = self.lib.opus_encode(self.enc, pcm.ctypes.data, len(pcm), out, 1500)
        assert n > 0
        return bytes(out[:n])

    def decode(self, data):
        pcm = np.zeros(960, dtype=np.int16)
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        n = self.lib.opus_decode(self.dec, buf, len(data), pcm.ctypes.data, 960, 0)
        assert n > 0, "opus_decode: %d" % n
        return pcm[:n]


CODECS = {"PCMU": Pcmu, "G722": G722, "G729": G729, "opus": Opus}


def to_8k(pcm, rate):
    """The test side compares at 8 kHz; the signals are narrowband anyway."""
    return pcm[::rate // RATE] if rate > RATE else pcm


def direct_round_trip(codec_cls, pcm):
    """pcm (at the codec's PCM rate) through a fresh encoder and decoder, frame by frame."""
    c = codec_cls()
    out = [c.decode(c.encode(pcm[i:i + c.frame]))
           for i in range(0, len(pcm) - c.frame + 1, c.frame)]
    return np.concatenate(out)


# --- SDP -------------------------------------------------------------------------

def phone_sdp(port, formats, ptime=20, addr="127.0.0.1"):
    """formats: [(pt, "enc/clock[/ch]", fmtp or None)]"""
    lines = ["v=0", "o=- 1 1 IN IP4 %s" % addr, "s=-", "c=IN IP4 %s" % addr, "t=0 0",
             "m=audio %d RTP/AVP %s" % (port, " ".join(str(f[0]) for f in formats))]
    for pt, rtpmap, fmtp in formats:
        lines.append("a=rtpmap:%d %s" % (pt, rtpmap))
        if fmtp:
            lines.append("a=fmtp:%d %s" % (pt, fmtp))
    if ptime:
        lines.append("a=ptime:%d" % ptime)
    lines.append("a=sendrecv")
    return "\r\n".join(lines) + "\r\n"


def sdp_media(sdp):
    """(addr, port, [pts], {pt: rtpmap}, {pt: fmtp}, ptime) of the first m= line."""
    addr, port, pts, rtpmap, fmtp, ptime = None, None, [], {}, {}, None
    for line in sdp.splitlines():
        if line.startswith("c="):
            addr = line.split()[2]
        elif line.startswith("m=") and port is None:
            f = line.split()
            port, pts = int(f[1]), [int(p) for p in f[3:]]
        elif line.startswith("a=rtpmap:"):
            pt, v = line[9:].split(" ", 1)
            rtpmap[int(pt)] = v
        elif line.startswith("a=fmtp:"):
            pt, v = line[7:].split(" ", 1)
            fmtp[int(pt)] = v
        elif line.startswith("a=ptime:"):
            ptime = int(line[8:])
    return addr, port, pts, rtpmap, fmtp, ptime


def pt_of(sdp, name):
    _, _, pts, rtpmap, _, _ = sdp_media(sdp)
    static = {0: "PCMU", 8: "PCMA", 9: "G722", 18: "G729"}
    for pt in pts:
        enc = rtpmap.get(pt, static.get(pt, "")).split("/")[0]
        if enc.lower() == name.lower():
            return pt
    return None


# --- RTP -------------------------------------------------------------------------

def rtp_packet(pt, seq, ts, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def rtp_parse(pkt):
    """(pt, marker, seq, ts, ssrc, payload) or None (no CSRC/extension expected)."""
    if len(pkt) < 12 or pkt[0] >> 6 != 2:
        return None
    b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", pkt[:12])
    off = 12 + 4 * (b0 & 0x0F)
    return b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc, pkt[off:]


def dtmf_payload(event, end, duration, volume=10):
    return struct.pack("!BBH", event, (0x80 if end else 0) | volume, duration)


class Stream:
    """One sender's packets: audio frames of `codec` (PCM at its rate) plus optional
    RFC 4733 events, in one SSRC/sequence space."""

    def __init__(self, codec_cls, pt, pcm, te_pt=None, dtmf_at=None, te_clock=8000):
        self.packets = []	# (nominal send time s, bytes)
        c = codec_cls()
        te_step = te_clock // 50	# event durations count in the event's own clock
        ssrc, seq, ts0 = random.getrandbits(32), random.randrange(65536), random.getrandbits(32)
        step = c.clock // 50
        nframes = len(pcm) // c.frame
        for i in range(nframes):
            t = i * 0.02
            if dtmf_at is not None and te_pt is not None and abs(t - dtmf_at) < 0.001:
                ets = ts0 + i * step
                for k in range(10):	# 200 ms of '5', then three end packets
                    self.packets.append((t + k * 0.02 + 0.001,
                                         rtp_packet(te_pt, seq, ets, ssrc,
                                                    dtmf_payload(5, False, te_step * (k + 1)),
                                                    marker=(k == 0))))
                    seq += 1
                for k in range(3):
                    self.packets.append((t + 0.2 + 0.002 * k,
                                         rtp_packet(te_pt, seq, ets, ssrc,
                                                    dtmf_payload(5, True, te_step * 10))))
                    seq += 1
            payload = c.encode(pcm[i * c.frame:(i + 1) * c.frame])
            self.packets.append((t, rtp_packet(pt, seq, ts0 + i * step, ssrc, payload,
                                               marker=(i == 0))))
            seq += 1
        self.packets.sort(key=lambda p: p[0])


def impair(packets, loss=0.0, dup=0.0, jitter_ms=0.0, swap_every=0, seed=1):
    """Loss, duplicates, uniform arrival jitter and explicit neighbour swaps."""
    rng = random.Random(seed)
    out = []
    for t, p in packets:
        if rng.random() < loss:
            continue
        t2 = t + rng.uniform(0, jitter_ms) / 1000.0
        out.append((t2, p))
        if rng.random() < dup:
            out.append((t2 + 0.002, p))
    out.sort(key=lambda x: x[0])
    if swap_every:
        for i in range(swap_every, len(out) - 1, swap_every):
            (ta, pa), (tb, pb) = out[i], out[i + 1]
            out[i], out[i + 1] = (ta, pb), (tb, pa)
    return out


def send_all(schedules):
    """schedules: [(socket, (addr, port), [(time s, bytes)])], sent in real time, merged."""
    events = sorted(((t, i, p) for i, (_, _, sched) in enumerate(schedules)
                     for t, p in sched), key=lambda e: e[0])
    start = time.monotonic()
    for t, i, p in events:
        delay = start + t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock, dst, _ = schedules[i]
        sock.sendto(p, dst)


def receive_all(sock, quiet=0.6, limit=15.0):
    got, end = [], time.monotonic() + limit
    sock.settimeout(quiet)
    while time.monotonic() < end:
        try:
            got.append(sock.recv(4096))
        except socket.timeout:
            break
    return got


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    for _ in range(100):
        port = random.randrange(40000, 59000) & ~1
        try:
            s.bind(("127.0.0.1", port))
            return s, port
        except OSError:
            continue
    raise RuntimeError("no free port")


def udp_pair():
    """(rtp socket, rtcp socket, rtp port): RTP on an even port, RTCP on the next."""
    for _ in range(100):
        s, port = udp_socket()
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            c.bind(("127.0.0.1", port + 1))
            return s, c, port
        except OSError:
            s.close()
            c.close()
    raise RuntimeError("no free port pair")


def rtcp_rr(ssrc):
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


# --- decoding what the relay sent, and quality -------------------------------------

def decode_stream(pkts, codec_cls, pt):
    """Decode the audio packets of one received stream into PCM placed by RTP timestamp
    (at the codec's PCM rate). Also returns the parsed headers for checks."""
    c = codec_cls()
    heads = [h for h in (rtp_parse(p) for p in pkts) if h]
    audio = [h for h in heads if h[0] == pt]
    assert audio, "no audio packets with PT %d" % pt
    # in sequence order, across the wrap at 65535 (the relay's first number is random)
    seq0 = audio[0][2]
    audio.sort(key=lambda h: ((h[2] - seq0 + 32768) & 0xFFFF) - 32768)
    ts0 = audio[0][3]
    scale = c.pcm_rate / c.clock
    out = np.zeros(int(((audio[-1][3] - ts0) & 0xFFFFFFFF) * scale) + 4000, dtype=np.int16)
    for h in audio:
        off = int(((h[3] - ts0) & 0xFFFFFFFF) * scale)
        pcm = c.decode(h[5])
        out[off:off + len(pcm)] = pcm[:max(0, len(out) - off)]
    return out, heads


def quality(ref, got, seg=1600, max_lag=4000):
    """Mean over 200 ms segments (first and last two left out) of the best normalised
    correlation of got against ref, searched over lags -seg/2..max_lag samples."""
    ref = ref.astype(np.float64)
    got = got.astype(np.float64)
    vals = []
    for s0 in range(2 * seg, len(ref) - 3 * seg, seg):
        r = ref[s0:s0 + seg]
        g = got[s0 - seg // 2:s0 + seg + max_lag]	# a little lead allowed too
        if len(g) < seg + seg // 2 + max_lag or not r.any():
            continue
        x = np.correlate(g, r, mode="valid")
        e = np.sqrt(np.convolve(g * g, np.ones(seg), mode="valid"))
        c = x / (np.sqrt((r * r).sum()) * np.maximum(e, 1e-9))
        vals.append(c.max())
    assert len(vals) >= 5, "too little audio to compare (%d segments)" % len(vals)
    return float(np.mean(vals))
