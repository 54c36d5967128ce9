"""redis_failover.py: the active/standby topology of the Redis failover test and of
bench/failover.py, in network namespaces it makes and deletes.

    ns C (10.77.0.10 on bridge br0): redis-server, the phones, the ng client
       |-- veth --> ns A: 10.77.0.1 + the service address 10.77.0.100 (active)
       |-- veth --> ns B: 10.77.0.2 (standby; gets 10.77.0.100 on failover)

Both relays use `interface = 10.77.0.100`; the standby binds its restored calls'
sockets there with IP_FREEBIND before the address is its own. fail_over() kills the
active (SIGKILL), moves the address (ip addr del/add) and sends a gratuitous ARP from
B (a raw packet written here: arping is not always installed) so that C's neighbour
entry follows, as keepalived does.

Calls (Calls.add): "plain" (PCMU both ways), "srtp" (SDES-SRTP party A, plain B),
"xcode" (A PCMU, B PCMA: transcoded), "srtp-xcode" (A SDES-SRTP PCMU, B plain PCMA).
MediaPump sends one packet per leg and period
both ways and notes each arrival's time; SRTP legs are encrypted and decrypted with
pylibsrtp (srtp_peer.py), so a packet that arrives but does not authenticate counts as
an auth failure, not an arrival.
"""

import ctypes
import os
import selectors
import signal
import socket
import struct
import subprocess
import threading
import time

from dp_media import relay_targets, rtp
from dp_netns import Netns, sh, veth
from ngclient import NgClient
from srtp_peer import Srtp, crypto_line, crypto_lines, new_key

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

C_ADDR, A_ADDR, B_ADDR, VIP = "10.77.0.10", "10.77.0.1", "10.77.0.2", "10.77.0.100"
NG_PORT = 2223


def resp_get(s, key):
    """GET @key over the connected socket @s (Redis protocol): bytes, or None
    if there is no such key."""
    k = key.encode()
    s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k))
    buf = b""
    while b"\r\n" not in buf:
        buf += s.recv(65536)
    head, rest = buf.split(b"\r\n", 1)
    n = int(head[1:])
    if n < 0:
        return None
    while len(rest) < n + 2:
        rest += s.recv(65536)
    return rest[:n]


def in_ns(name, fn):
    """fn() run by a thread that entered namespace `name`; its result."""
    out = {}

    def body():
        fd = os.open("/run/netns/" + name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            out["v"] = fn()
        except Exception as e:  # handed to the caller
            out["e"] = e
        finally:
            os.close(fd)

    t = threading.Thread(target=body)
    t.start()
    t.join(10)
    if "e" in out:
        raise out["e"]
    return out.get("v")


def garp(ns, dev, ip):
    """One gratuitous ARP request for `ip` out of `dev` in namespace `ns`."""
    def send():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
        try:
            s.bind((dev, 0))
            mac = s.getsockname()[4]
            a = socket.inet_aton(ip)
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, a, b"\0" * 6, a)
            s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp)
        finally:
            s.close()
    in_ns(ns, send)


class Topo:
    def __init__(self, prefix):
        self.c, self.a, self.b = (Netns(prefix + x) for x in ("c", "a", "b"))

    def __enter__(self):
        for ns in (self.c, self.a, self.b):
            ns.__enter__()
        c = self.c
        c.run("ip", "link", "add", "br0", "type", "bridge")
        c.run("ip", "addr", "add", C_ADDR + "/24", "dev", "br0")
        c.run("ip", "link", "set", "br0", "up")
        for ns, port, addr in ((self.a, "pa", A_ADDR), (self.b, "pb", B_ADDR)):
            veth("eth0", ns.name, port, c.name)
            c.run("ip", "link", "set", port, "master", "br0")
            c.run("ip", "link", "set", port, "up")
            ns.run("ip", "addr", "add", addr + "/24", "dev", "eth0")
            ns.run("ip", "link", "set", "eth0", "up")
        self.a.run("ip", "addr", "add", VIP + "/24", "dev", "eth0")
        # the bridge forwards at once (no STP listening/learning delay)
        c.run("ip", "link", "set", "br0", "type", "bridge", "forward_delay", "0")
        return self

    def __exit__(self, *exc):
        for ns in (self.a, self.b, self.c):
            ns.delete()

    def sock(self, port=0):
        return self.c.socket(socket.AF_INET, (C_ADDR, port))

    def ng(self, addr, timeout=5.0):
        return NgClient.udp((addr, NG_PORT), timeout=timeout,
                            sock_factory=lambda fam, typ: self.c.socket(fam, (C_ADDR, 0)))

    def move_vip(self):  # noqa: D401
        """The service address leaves A and arrives on B, announced by a GARP."""
        self.a.run("ip", "addr", "del", VIP + "/24", "dev", "eth0", check=False)
        self.b.run("ip", "addr", "add", VIP + "/24", "dev", "eth0")
        garp(self.b.name, "eth0", VIP)


class Redis:
    def __init__(self, topo, port, logdir):
        self.port = port
        self.log = open(os.path.join(logdir, "redis.log"), "wb")
        # K: keyspace events, $: string commands (SET), g: generic (DEL, EXPIRE)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", topo.c.name, "redis-server", "--bind", C_ADDR, "--port",
             str(port), "--save", "", "--appendonly", "no", "--protected-mode", "no",
             "--notify-keyspace-events", "K$g"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.topo = topo
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def cli(self, *args):
        r = self.topo.c.run("redis-cli", "-h", C_ADDR, "-p", str(self.port), *args, check=False)
        return r.stdout

    def command(self, *args):
        """One command in RESP over a TCP socket made in C (binary-safe values);
        the reply's first line."""
        def run():
            s = socket.create_connection((C_ADDR, self.port), timeout=5)
            try:
                parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
                msg = b"*%d\r\n" % len(parts) + b"".join(
                    b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
                s.sendall(msg)
                return s.recv(65536).split(b"\r\n")[0]
            finally:
                s.close()
        return in_ns(self.topo.c.name, run)

    def get(self, key):
        """The value of `key` (bytes), None if there is none."""
        def run():
            s = socket.create_connection((C_ADDR, self.port), timeout=5)
            try:
                return resp_get(s, key)
            finally:
                s.close()
        return in_ns(self.topo.c.name, run)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


class Relay:
    """rtprelayd in a namespace; `ip netns exec` execs it, so the PID is the daemon's."""

    def __init__(self, ns, bin_path, own_addr, role, redis_port, logdir, extra=()):
        self.ns, self.addr = ns, own_addr
        self.log_path = os.path.join(logdir, "rtprelayd-%s.log" % role)
        self.log = open(self.log_path, "wb")
        argv = ["ip", "netns", "exec", ns.name, bin_path, "--foreground",
                "--interface=" + VIP, "--listen-ng=%s:%d" % (own_addr, NG_PORT),
                "--allow-from=" + C_ADDR, "--port-min=30000", "--port-max=39999",
                "--num-threads=1", "--log-level=info", "--timeout=120", "--delete-delay=0"]
        if redis_port:  # None: a relay without Redis (bench/failover.py's baseline)
            argv += ["--redis=%s:%d" % (C_ADDR, redis_port), "--redis-role=" + role]
        argv += list(extra)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def wait_ready(topo, addr, timeout=10.0):
    deadline = time.monotonic() + timeout
    with topo.ng(addr, timeout=0.5) as ng:
        while time.monotonic() < deadline:
            try:
                if ng.request({"command": "ping"}).get("result") == "pong":
                    return
            except (TimeoutError, OSError):
                time.sleep(0.1)
    raise RuntimeError("relay at %s not ready" % addr)


def phone_sdp(port, pts, proto="RTP/AVP", extra=()):
    names = {0: "PCMU/8000", 8: "PCMA/8000"}
    lines = ["v=0", "o=- 1 1 IN IP4 " + C_ADDR, "s=-", "c=IN IP4 " + C_ADDR, "t=0 0",
             "m=audio %d %s %s" % (port, proto, " ".join(map(str, pts)))]
    lines += ["a=rtpmap:%d %s" % (p, names[p]) for p in pts]
    lines += list(extra) + ["a=sendrecv"]
    return "\r\n".join(lines) + "\r\n"


class Leg:
    """One phone's RTP socket on an even port, and the RTCP port above it held (the
    relay's transcoder sends RTCP reports there; the phone sends none). Ports come
    from a counter in namespace C, which only these phones use."""

    _next_port = [20000]

    def __init__(self, topo, pt):
        for _ in range(20000):  # bounded: every even port of the range once
            p = Leg._next_port[0]
            Leg._next_port[0] = 20000 if p >= 59998 else p + 2
            try:
                self.sock = topo.sock(p)
                self.rtcp_sock = topo.sock(p + 1)
                break
            except OSError:
                if getattr(self, "sock", None):
                    self.sock.close()
                    self.sock = None
        else:
            raise RuntimeError("no free even/odd port pair in namespace C")
        self.port = p
        self.pt, self.seq, self.ssrc = pt, 1, int.from_bytes(os.urandom(4), "big")
        self.target = None  # where it sends: the relay's address for it
        self.tx = self.rx = None  # SRTP towards / from the relay
        self.arrivals = []  # (monotonic time, RTP seq) of packets received (authenticated)
        self.auth_failed = []  # (monotonic time, RTP seq, why) of packets that did not
        self.sent_at = {}  # RTP seq -> monotonic time this leg sent it
        self.hdrs = []  # (monotonic time, SSRC, seq, timestamp) of the packets in arrivals

    def packet(self):
        p = rtp(self.seq, self.ssrc, self.pt)
        self.sent_at[self.seq & 0xffff] = time.monotonic()
        self.seq += 1
        return self.tx.protect(p) if self.tx else p

    def received(self, data, now):
        seq = int.from_bytes(data[2:4], "big") if len(data) >= 12 else -1  # clear in SRTP too
        if self.rx:
            try:
                self.rx.unprotect(data)
            except Exception as e:  # pylibsrtp: authentication or replay check failed
                self.auth_failed.append((now, seq, "%s, %d bytes" % (e, len(data))))
                return
        self.arrivals.append((now, seq))
        if len(data) >= 12:
            self.hdrs.append((now, int.from_bytes(data[8:12], "big"), seq,
                              int.from_bytes(data[4:8], "big")))


class Call:
    def __init__(self, cid, kind, a, b):
        self.cid, self.kind, self.a, self.b = cid, kind, a, b


def setup_call(topo, ng, cid, kind):
    """Offer from A, answer from B through the relay; a Call whose legs know their
    targets (and SRTP keys)."""
    suite = "AES_CM_128_HMAC_SHA1_80"
    if kind == "plain":
        a, b = Leg(topo, 0), Leg(topo, 0)
        r = ng.offer(cid, "A", phone_sdp(a.port, [0, 8]))
    elif kind == "srtp":
        a, b = Leg(topo, 0), Leg(topo, 0)
        key = new_key(suite)
        a.tx = Srtp(suite, key, outbound=True)
        r = ng.offer(cid, "A", phone_sdp(a.port, [0, 8], "RTP/SAVP",
                                         [crypto_line(1, suite, key)]),
                     **{"transport-protocol": "RTP/AVP"})
    elif kind == "xcode":
        a, b = Leg(topo, 0), Leg(topo, 8)
        r = ng.offer(cid, "A", phone_sdp(a.port, [0]), codec={"transcode": ["PCMA"]})
    elif kind == "srtp-xcode":  # A SDES-SRTP PCMU, B plain PCMA
        a, b = Leg(topo, 0), Leg(topo, 8)
        key = new_key(suite)
        a.tx = Srtp(suite, key, outbound=True)
        r = ng.offer(cid, "A", phone_sdp(a.port, [0], "RTP/SAVP",
                                         [crypto_line(1, suite, key)]),
                     codec={"transcode": ["PCMA"]}, **{"transport-protocol": "RTP/AVP"})
    else:
        raise ValueError(kind)
    assert r["result"] == "ok", r
    b.target = relay_targets(r["sdp"])[0][:2]
    r2 = ng.answer(cid, "A", "B", phone_sdp(b.port, [8] if "xcode" in kind else [0, 8]))
    assert r2["result"] == "ok", r2
    a.target = relay_targets(r2["sdp"])[0][:2]
    if kind in ("srtp", "srtp-xcode"):
        lines = crypto_lines(r2["sdp"])
        assert len(lines) == 1, r2["sdp"]
        a.relay_key = lines[0][2]
        a.rx = Srtp(lines[0][1], lines[0][2], outbound=False)
    return Call(cid, kind, a, b)


class MediaPump:
    """Both legs of every call send one packet each `period` s; arrivals are noted."""

    def __init__(self, calls, period=0.02):
        self.calls, self.period = calls, period
        self.stop_ev = threading.Event()
        self.sel = selectors.DefaultSelector()
        for c in calls:
            for leg in (c.a, c.b):
                leg.sock.setblocking(False)
                self.sel.register(leg.sock, selectors.EVENT_READ, leg)
        self.sent, self.elapsed = 0, 0.0
        self.t = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.t.start()

    def run(self):
        t0 = nxt = time.monotonic()
        while not self.stop_ev.is_set():
            now = time.monotonic()
            if now >= nxt:
                for c in self.calls:
                    for leg in (c.a, c.b):
                        try:
                            leg.sock.sendto(leg.packet(), leg.target)
                            self.sent += 1
                        except OSError:
                            pass  # unreachable while the address moves
                nxt += self.period
                if nxt < now:  # fell behind: skip, do not burst
                    nxt = now + self.period
            for key, _ in self.sel.select(max(0.0, min(nxt - time.monotonic(), 0.005))):
                leg = key.data
                for _ in range(64):
                    try:
                        data = leg.sock.recv(2048)
                    except (BlockingIOError, OSError):
                        break
                    leg.received(data, time.monotonic())
        self.elapsed = time.monotonic() - t0

    def stop(self):
        self.stop_ev.set()
        self.t.join(10)


def continued(rx, t_after):
    """Packets `rx` received after t_after (its receiving thread's clock)."""
    return sum(1 for t, _ in rx.arrivals if t > t_after)


def media_gap(rx, tx, t0):
    """The silence that spans t0 on the sender's clock, as the receiver lived it: the
    send time of the first packet `rx` got that `tx` sent after t0, minus that of the
    last one it got that was sent before (one period when nothing was lost). Times
    are the sender's, so a receiving thread that falls behind does not stretch it.
    None when nothing sent after t0 arrived (the relay renumbers transcoded media:
    not measurable there)."""
    sent = [tx.sent_at.get(seq) for _, seq in rx.arrivals]
    before = [t for t in sent if t is not None and t <= t0]
    after = [t for t in sent if t is not None and t > t0]
    if not before or not after:
        return None
    return min(after) - max(before)


def resumed_after(rx, tx, t0):
    """How long after t0 (the address move starting) `tx` sent the first packet that
    reached `rx`, on the sender's clock; None if none did."""
    sent = [tx.sent_at.get(seq) for _, seq in rx.arrivals]
    after = [t for t in sent if t is not None and t >= t0]
    return min(after) - t0 if after else None


def percentile(v, p):
    s = sorted(v)
    if not s:
        return None
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]
