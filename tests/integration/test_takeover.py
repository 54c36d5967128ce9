"""Takeover (daemon/takeover.h): a new rtprelayd takes the sockets and calls of the
running one over a unix socket, mid-stream, without losing a packet.

    phones ──RTP/SRTP 50 pps each way──▶ old rtprelayd ──▶ phones
                                   │ takeover-socket (SCM_RIGHTS + call records)
                                   ▼
                          new rtprelayd --takeover=PATH  (same ports, same calls)

Every stream's sequence numbers are checked at the receiver: all sent, all received,
in order, none twice. An ng command answered before the hand-over and retransmitted
across it gets the same answer (the reply cache goes along); a ping sent while the
hand-over runs is answered. Transcoded calls (PCMU <-> PCMA) go along with their
transcoders: the phones see one output stream per direction whose sequence numbers and
timestamps run on without a gap or a jump across the hand-over. A forged or truncated hand-over request leaves the old
daemon running; a forged answer to a successor makes the successor give up.
"""

import os
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import DAEMON_BIN  # noqa: F401  (the binary the fixtures start)
from dp_media import Phone, drain, parse_rtp, relay_targets, rtp
from ngclient import NgClient
from srtp_peer import Srtp, crypto_line, crypto_lines, new_key

MAGIC = b"RTPRTKO\0"
HDR = struct.Struct("=8sIIII")  # magic, protocol, type, payload length, descriptors


class Successor:
    """rtprelayd started with the old one's arguments plus --takeover=PATH."""

    def __init__(self, old, path, tmp):
        self.log_path = os.path.join(tmp, "successor.log")
        self._log = open(self.log_path, "wb")
        argv = [a for a in old.argv if not a.startswith("--takeover")]
        self.proc = subprocess.Popen(argv + ["--takeover=" + path], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                rc = None
        self._log.close()
        return rc


class Stream:
    """One direction of one call: sender socket -> relay -> receiver socket."""

    def __init__(self, name, tx_sock, target, rx_sock, ssrc, protect=None, unprotect=None,
                 seq=1000, pt=0):
        self.name, self.tx, self.target, self.rx = name, tx_sock, target, rx_sock
        self.ssrc, self.protect, self.unprotect = ssrc, protect, unprotect
        self.seq, self.pt = seq, pt
        self.sent, self.got = [], []

    def send(self):
        p = rtp(self.seq, self.ssrc, self.pt)
        self.tx.sendto(self.protect(p) if self.protect else p, self.target)
        self.sent.append(self.seq)
        self.seq = (self.seq + 1) & 0xffff

    def receive(self, data):
        if self.unprotect:
            try:
                data = self.unprotect(data)
            except Exception:  # pylibsrtp: authentication failed
                return
        r = parse_rtp(data)
        if r and r[2] == self.ssrc:
            self.got.append(r[1])


def plain_call(ng, cid):
    a, b = Phone(), Phone()
    r = ng.offer(cid, "A", a.sdp())
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    # A sends where the answer it got says, B where the offer it got says
    to_a, to_b = relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]
    s1 = Stream(cid + " A->B", a.rtp_socks[0], (to_a[0], to_a[1]), b.rtp_socks[0], a.ssrc[0])
    s2 = Stream(cid + " B->A", b.rtp_socks[0], (to_b[0], to_b[1]), a.rtp_socks[0], b.ssrc[0])
    return [s1, s2], [a, b]


def srtp_call(ng, cid):
    """Phone A speaks SDES-SRTP, B plain RTP: the relay decrypts and encrypts."""
    suite = "AES_CM_128_HMAC_SHA1_80"
    a, b = Phone(), Phone()
    key = new_key(suite)
    sdp = a.sdp().replace("RTP/AVP", "RTP/SAVP").replace(
        "a=sendrecv", crypto_line(1, suite, key) + "\r\na=sendrecv")
    r = ng.offer(cid, "A", sdp, **{"transport-protocol": "RTP/AVP"})
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    (_, _, relay_key, _), = crypto_lines(r2["sdp"])
    tx, rx = Srtp(suite, key, outbound=True), Srtp(suite, relay_key, outbound=False)
    to_a, to_b = relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]
    # both directions roll their sequence numbers over before the takeover: the
    # SRTP rollover counters (RFC 3711 3.3.1) must go along, or the new process
    # would encrypt and expect packet indexes 65536 lower
    s1 = Stream(cid + " A->B srtp", a.rtp_socks[0], (to_a[0], to_a[1]), b.rtp_socks[0],
                a.ssrc[0], protect=tx.protect, seq=65500)
    s2 = Stream(cid + " B->A srtp", b.rtp_socks[0], (to_b[0], to_b[1]), a.rtp_socks[0],
                b.ssrc[0], unprotect=rx.unprotect, seq=65500)
    return [s1, s2], [a, b]


class XStream(Stream):
    """A transcoded direction: what arrives is the relay's own stream (its SSRC,
    sequence numbers and timestamps) in payload type `out_pt`; got holds (seq, ts,
    ssrc) of each packet."""

    def __init__(self, *args, out_pt, **kw):
        super().__init__(*args, **kw)
        self.out_pt = out_pt

    def receive(self, data):
        r = parse_rtp(data)
        if r and r[0] == self.out_pt:
            self.got.append((r[1], struct.unpack("!I", data[4:8])[0], r[2]))


def xcode_call(ng, cid):
    """Phone A speaks PCMU only, B PCMA only: the relay transcodes both ways."""
    a, b = Phone(pts=(0,)), Phone(pts=(8,))
    r = ng.offer(cid, "A", a.sdp(), codec={"transcode": ["PCMA"]})
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    assert "PCMU/8000" in r2["sdp"] and "PCMA" not in r2["sdp"], r2["sdp"]
    to_a, to_b = relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]
    s1 = XStream(cid + " A->B xcode", a.rtp_socks[0], (to_a[0], to_a[1]), b.rtp_socks[0],
                 a.ssrc[0], pt=0, out_pt=8)
    s2 = XStream(cid + " B->A xcode", b.rtp_socks[0], (to_b[0], to_b[1]), a.rtp_socks[0],
                 b.ssrc[0], pt=8, out_pt=0)
    return [s1, s2], [a, b]


def check_xcode_stream(s):
    """One SSRC throughout; every sequence number once, in order, no gap; each
    timestamp one 20 ms frame (160) after the one before; about one packet out per
    packet in (the jitter buffer holds a few at the start and the end)."""
    assert len(s.got) >= len(s.sent) - 5 and len(s.sent) >= 200, \
        "%s: sent %d got %d" % (s.name, len(s.sent), len(s.got))
    assert len({g[2] for g in s.got}) == 1, "%s: SSRCs %s" % (s.name, {g[2] for g in s.got})
    for (q0, t0, _), (q1, t1, _) in zip(s.got, s.got[1:]):
        assert q1 == (q0 + 1) & 0xffff, "%s: seq %d after %d" % (s.name, q1, q0)
        assert t1 == (t0 + 160) & 0xffffffff, "%s: ts %d after %d" % (s.name, t1, t0)


def pump(streams, seconds, during=None):
    """Send one packet per stream every 20 ms for `seconds`, receiving all the while;
    `during(elapsed)` is called every tick (it must not block)."""
    by_sock = {}
    for s in streams:
        by_sock.setdefault(s.rx.fileno(), (s.rx, []))[1].append(s)
    for sock, _ in by_sock.values():
        sock.setblocking(False)
    start = next_tick = time.monotonic()
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        if now >= next_tick:
            for s in streams:
                s.send()
            next_tick += 0.020
            if during:
                during(now - start)
        r, _, _ = select.select([v[0] for v in by_sock.values()], [], [],
                                max(0.0, next_tick - time.monotonic()))
        for sock in r:
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    break
                for s in by_sock[sock.fileno()][1]:
                    s.receive(data)
    # what is still on its way
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        r, _, _ = select.select([v[0] for v in by_sock.values()], [], [], 0.2)
        if not r:
            break
        for sock in r:
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    break
                for s in by_sock[sock.fileno()][1]:
                    s.receive(data)


def raw_ng(sock, addr, cookie, body, timeout=5.0):
    """Send `cookie body` from `sock` (one client address) and return the reply bytes."""
    sock.settimeout(timeout)
    sock.sendto(cookie + b" " + body, addr)
    data, _ = sock.recvfrom(65536)
    assert data.startswith(cookie + b" "), data
    return data


def test_takeover_mid_stream_loses_nothing(daemon_factory):
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info", num_threads=2)
    streams, phones, succ = [], [], None
    try:
        with old.ng() as ng:
            for i in range(4):
                s, p = plain_call(ng, "plain-%d" % i)
                streams += s
                phones += p
            for i in range(2):
                s, p = srtp_call(ng, "srtp-%d" % i)
                streams += s
                phones += p
            for i in range(2):
                s, p = xcode_call(ng, "xcode-%d" % i)
                streams += s
                phones += p
            assert ng.offer("victim", "A", Phone().sdp())["result"] == "ok"
        # a delete answered now; its retransmission after the takeover must get the
        # same answer from the cache (running it again would say "Unknown call-id")
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cli.bind(("127.0.0.1", 0))
        ng_addr = ("127.0.0.1", old.ng_port)
        delete = b"d7:command6:delete7:call-id6:victim8:from-tag1:A12:delete-delayi0ee"
        first = raw_ng(cli, ng_addr, b"tko-del-1", delete)
        assert b"6:result2:ok" in first, first

        state = {"started": None, "ping": None}

        def during(t):
            if t >= 1.5 and state["started"] is None:
                nonlocal succ
                succ = Successor(old, path, tmp)
                state["started"] = t

                def ping():
                    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    c.bind(("127.0.0.1", 0))
                    try:
                        state["ping"] = raw_ng(c, ng_addr, b"tko-ping", b"d7:command4:pinge")
                    except OSError as e:
                        state["ping"] = repr(e).encode()
                    c.close()
                threading.Thread(target=ping, daemon=True).start()

        pump(streams, 4.5, during)
        assert succ is not None
        assert old.wait_exit(10) == 0, old.log_text()[-3000:]
        assert succ.proc.poll() is None, succ.log_text()[-3000:]
        assert "handed over" in old.log_text()
        assert "took over 8 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        assert state["ping"] and b"pong" in state["ping"], state["ping"]

        # every stream: every packet, in order, none twice, across the takeover
        for s in streams:
            if isinstance(s, XStream):
                check_xcode_stream(s)
                continue
            if "srtp" in s.name:  # rolled over, well before the hand-over
                assert s.sent.index(0) < 50
            assert s.got == s.sent, "%s: sent %d got %d, missing %s" % (
                s.name, len(s.sent), len(s.got), sorted(set(s.sent) - set(s.got))[:10])
            assert len(s.sent) >= 200

        # the same answer to the retransmitted delete, now from the successor
        again = raw_ng(cli, ng_addr, b"tko-del-1", delete)
        assert again == first
        cli.close()
        with NgClient.udp(ng_addr) as ng:
            calls = ng.call_ids()
            for i in range(4):
                assert "plain-%d" % i in calls
                q = ng.query("plain-%d" % i)
                assert q["result"] == "ok", q
            for i in range(2):
                assert "srtp-%d" % i in calls
                q = ng.query("xcode-%d" % i)
                assert q["result"] == "ok", q
            assert "victim" not in calls
            # the new process serves new calls on the same listener
            s, p = plain_call(ng, "after")
            phones += p
        # TCP and unix listeners were handed over too
        with NgClient.tcp(("127.0.0.1", old.tcp_port)) as t:
            assert t.ping()["result"] == "pong"
        with NgClient.unix(old.unix_path) as u:
            assert u.ping()["result"] == "pong"
        # the successor listens for the next takeover at the same path
        assert "a successor may take over at " + path in succ.log_text()
    finally:
        for p in phones:
            p.close()
        if succ:
            rc = succ.stop()
            assert rc == 0, succ.log_text()[-3000:]
            log = succ.log_text()
            assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]


def test_takeover_carries_dtls_srtp(daemon_factory):
    """A DTLS-SRTP party (pyOpenSSL client, rtprelay the server) and a plain phone:
    the keys the handshake exported go along, so SRTP continues both ways across the
    takeover without a new handshake; the successor uses the old daemon's certificate
    (a re-offer's answer has the same a=fingerprint), keeps the association (query:
    connected, one handshake, same tls-id), and a DTLS restart of the party (new
    tls-id) gets a new handshake with that certificate, whose keys then carry the
    media."""
    pytest.importorskip("OpenSSL")
    from test_dtls_assoc import attr, dtls_of, party_sdp
    from test_dtls_webrtc import DtlsClient

    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    phone = Phone(pts=(0,))
    succ = None
    suite = "AES_CM_128_HMAC_SHA1_80"
    try:
        c = DtlsClient(party)
        pport = party.getsockname()[1]
        with old.ng() as ng:
            r = ng.offer("dtls", "web", party_sdp(pport, c.fingerprint, "t" * 20, 1),
                         flags=["RTP/AVP"])
            assert r["result"] == "ok", r
            a = ng.answer("dtls", "web", "ph", phone.sdp(), DTLS="passive")
            assert a["result"] == "ok", a
            fp_before, tls_before = attr(a["sdp"], "fingerprint"), attr(a["sdp"], "tls-id")
            to_relay = tuple(relay_targets(a["sdp"])[0][:2])
            local, remote = c.handshake(to_relay)
            d = dtls_of(ng.query("dtls"), "web")
            assert d["state"] == "connected", d
        to_phone_side = relay_targets(r["sdp"])[0]
        s1 = Stream("web->phone dtls", party, to_relay, phone.rtp_socks[0], 0x1234,
                    protect=Srtp(suite, local, outbound=True).protect)
        s2 = Stream("phone->web dtls", phone.rtp_socks[0], (to_phone_side[0], to_phone_side[1]),
                    party, phone.ssrc[0], unprotect=Srtp(suite, remote, outbound=False).unprotect)
        state = {}

        def during(t):
            nonlocal succ
            if t >= 1.0 and succ is None:
                succ = Successor(old, path, tmp)
                state["t"] = t

        pump([s1, s2], 3.0, during)
        assert old.wait_exit(10) == 0, old.log_text()[-3000:]
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        for s in (s1, s2):
            assert s.got == s.sent and len(s.sent) >= 100, "%s: sent %d got %d" % (
                s.name, len(s.sent), len(s.got))
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            d = dtls_of(ng.query("dtls"), "web")
            assert d["state"] == "connected", d
            # the party re-offers unchanged: same certificate, same association
            r = ng.offer("dtls", "web", party_sdp(pport, c.fingerprint, "t" * 20, 2),
                         flags=["RTP/AVP"])
            assert r["result"] == "ok", r
            a = ng.answer("dtls", "web", "ph", phone.sdp(), DTLS="passive")
            assert a["result"] == "ok", a
            assert attr(a["sdp"], "fingerprint") == fp_before, a["sdp"]
            assert attr(a["sdp"], "tls-id") == tls_before, a["sdp"]
            # a DTLS restart (new tls-id, same certificate): a new handshake with the
            # successor, whose keys carry the media from then on
            r = ng.offer("dtls", "web", party_sdp(pport, c.fingerprint, "u" * 20, 3),
                         flags=["RTP/AVP"])
            assert r["result"] == "ok", r
            a = ng.answer("dtls", "web", "ph", phone.sdp(), DTLS="passive")
            assert a["result"] == "ok", a
            assert attr(a["sdp"], "fingerprint") == fp_before
            c2 = DtlsClient(party, same_cert_as=c)
            local2, remote2 = c2.handshake(to_relay)
            assert local2 != local
            s3 = Stream("web->phone rekeyed", party, to_relay, phone.rtp_socks[0], 0x5678,
                        protect=Srtp(suite, local2, outbound=True).protect)
            pump([s3], 0.5)
            assert s3.got == s3.sent and s3.sent, (len(s3.sent), len(s3.got))
    finally:
        party.close()
        phone.close()
        if succ:
            rc = succ.stop()
            assert rc == 0, succ.log_text()[-3000:]
            log = succ.log_text()
            assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]


def seqpacket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    return s


def test_forged_handover_request_refused_old_keeps_running(daemon_factory):
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path)
    a, b = Phone(), Phone()
    try:
        with old.ng() as ng:
            streams, _ = plain_call(ng, "keep")
        forged = [
            b"hello",                                          # not a header
            HDR.pack(MAGIC, 1, 1, 0, 0)[:10],                  # truncated header
            HDR.pack(b"XXXXXXX\0", 1, 1, 0, 0),                # bad magic
            HDR.pack(MAGIC, 99, 1, 0, 0),                      # another protocol version
            HDR.pack(MAGIC, 1, 3, 0, 0),                       # a CALL instead of HELLO
            HDR.pack(MAGIC, 1, 1, 7, 0),                       # length that is not there
        ]
        for msg in forged:
            s = seqpacket(path)
            s.send(msg)
            s.settimeout(3)
            assert s.recv(100) == b""   # refused: closed without a word
            s.close()
        log = old.log_text()
        assert log.count("takeover: refused a hand-over request") == len(forged), log[-3000:]
        for why in ("shorter than a header", "bad magic", "another protocol version",
                    "expected HELLO", "payload length does not match"):
            assert why in log, why
        # a successor that says HELLO, takes the first message and goes away: the old
        # daemon reads again and keeps relaying
        s = seqpacket(path)
        s.send(HDR.pack(MAGIC, 1, 1, 0, 0))
        msg, fds, _, _ = socket.recv_fds(s, 1 << 20, 64)
        assert msg[:8] == MAGIC and HDR.unpack(msg[:HDR.size])[2] == 2  # the listeners
        for fd in fds:
            os.close(fd)
        s.close()
        deadline = time.monotonic() + 10
        while "carrying on" not in old.log_text().split("pid")[-1] and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert "hand-over to pid" in old.log_text() and "failed" in old.log_text()
        assert old.alive()
        pump(streams, 1.0)
        for st in streams:
            assert st.got == st.sent and st.sent, st.name
        with old.ng() as ng:
            assert ng.ping()["result"] == "pong"
            assert "keep" in ng.call_ids()
    finally:
        a.close()
        b.close()


def test_successor_refuses_forged_handover(daemon_factory, tmp_path):
    """A 'daemon' at the takeover path that answers HELLO with forged messages: the
    successor logs why and exits 1 without serving anything."""
    old = daemon_factory()  # only for its argv (ports, interface)
    path = str(tmp_path / "fake.sock")
    cases = [
        b"garbage",
        HDR.pack(MAGIC, 2, 2, 0, 0),
        HDR.pack(MAGIC, 1, 3, 4, 0) + b"d1:e",            # a CALL before the listeners
        HDR.pack(MAGIC, 1, 2, 3, 0) + b"d1:",              # listeners: broken bencode
        HDR.pack(MAGIC, 1, 2, 2, 0) + b"de",               # listeners without kinds
    ]
    for i, forged in enumerate(cases):
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if os.path.exists(path):
            os.unlink(path)
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(10)
        log = str(tmp_path / ("succ%d.log" % i))
        argv = old.argv  # its listeners are never bound: they come from the hand-over
        with open(log, "wb") as lf:
            p = subprocess.Popen(argv + ["--takeover=" + path], stdout=lf,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                c, _ = srv.accept()
                hello = c.recv(100)
                assert HDR.unpack(hello[:HDR.size])[0] == MAGIC
                c.send(forged)
                rc = p.wait(15)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait(5)
        c.close()
        srv.close()
        text = open(log, "rb").read().decode("utf-8", "replace")
        assert rc == 1, text
        assert "takeover from " + path + " failed" in text, text


def test_successor_refuses_forged_certificate(daemon_factory, tmp_path):
    """A 'daemon' that hands over no listeners and then a CERT message whose PEM is a
    broken certificate block, or not PEM at all: the successor says why and exits 1."""
    old = daemon_factory()
    path = str(tmp_path / "fake.sock")
    listeners = b"d5:kinds0:9:unix path0:e"
    for i, pem in enumerate((b"-----BEGIN CERTIFICATE-----\nnot base64\n",
                             b"hello" * 10)):
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if os.path.exists(path):
            os.unlink(path)
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(10)
        log = str(tmp_path / ("cert%d.log" % i))
        with open(log, "wb") as lf:
            p = subprocess.Popen(old.argv + ["--takeover=" + path], stdout=lf,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                c, _ = srv.accept()
                c.recv(100)  # HELLO
                c.send(HDR.pack(MAGIC, 1, 2, len(listeners), 0) + listeners)
                c.send(HDR.pack(MAGIC, 1, 8, len(pem), 0) + pem)  # CERT
                rc = p.wait(15)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait(5)
        c.close()
        srv.close()
        text = open(log, "rb").read().decode("utf-8", "replace")
        assert rc == 1, text
        assert "takeover: the DTLS certificate handed over: no PEM certificate" in text, text
        assert "a DTLS certificate that cannot be used" in text, text


def test_sigusr2_starts_a_successor_that_takes_over(daemon_factory):
    """SIGUSR2: the daemon starts its own binary with --takeover; a call survives, the
    old process exits 0 and the new one (its log goes where the old one's went)
    answers on the same ng port."""
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    phones, pid = [], None
    try:
        with old.ng() as ng:
            streams, phones = plain_call(ng, "usr2")
        old.proc.send_signal(signal.SIGUSR2)
        assert old.wait_exit(15) == 0, old.log_text()[-3000:]
        m = re.search(r"takeover: pid (\d+) takes over", old.log_text())
        assert m, old.log_text()[-3000:]
        pid = int(m.group(1))
        deadline = time.monotonic() + 10
        while "rtprelayd started" not in old.log_text().split("handed over")[-1] and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        with old.ng() as ng:
            assert ng.ping()["result"] == "pong"
            assert "usr2" in ng.call_ids()
        pump(streams, 1.0)
        for s in streams:
            assert s.got == s.sent and s.sent, s.name
        assert "took over 1 calls (0 refused)" in old.log_text()
    finally:
        for p in phones:
            p.close()
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)


def pcap_seqs(path, ssrc):
    """RTP sequence numbers of the packets of @ssrc in a pcap, as tshark reads it."""
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "udp.payload"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    seqs = []
    for line in out.split():
        r = parse_rtp(bytes.fromhex(line.replace(":", "")))
        if r and r[2] == ssrc:
            seqs.append(r[1])
    return seqs


def wait_path(path, limit=10.0):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        assert time.monotonic() < end, "%s never appeared" % path
        time.sleep(0.05)


def test_recorded_call_goes_on_recording_after_takeover(daemon_factory):
    """A call recorded to pcap crosses a takeover: the old process completes its file
    (and metadata) before it exits, the successor records the rest into a file of its
    own beside it ("<base>-cont<time>"), and the two files hold every packet sent, each
    exactly once."""
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-rec-")
    path = os.path.join(tmp, "takeover.sock")
    rec = os.path.join(tmp, "rec")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info",
                         "--recording-dir=" + rec, "--recording-method=pcap")
    succ = None
    try:
        a, b = Phone(), Phone()
        with old.ng() as ng:
            r = ng.offer("rec-1", "A", a.sdp(), flags=["record-call"])
            assert r["result"] == "ok", r
            r2 = ng.answer("rec-1", "A", "B", b.sdp())
            assert r2["result"] == "ok", r2
            base = ng.query("rec-1")["recording"]["base"]
        to_a = relay_targets(r2["sdp"])[0]
        s = Stream("rec-1 A->B", a.rtp_socks[0], (to_a[0], to_a[1]), b.rtp_socks[0],
                   a.ssrc[0])

        def during(t):
            nonlocal succ
            if t >= 1.0 and succ is None:
                succ = Successor(old, path, tmp)

        pump([s], 3.0, during)
        assert succ is not None
        assert old.wait_exit(10) == 0, old.log_text()[-3000:]
        assert s.got == s.sent and len(s.sent) >= 140
        ng_addr = ("127.0.0.1", old.ng_port)
        with NgClient.udp(ng_addr) as ng:
            q = ng.query("rec-1")["recording"]
            new_base = q["base"]
            assert re.fullmatch(re.escape(base) + r"-cont\d+", new_base), (base, new_base)
            assert ng.delete("rec-1", **{"delete-delay": 0})["result"] == "ok"
        # the old process's files are complete: pcap and final metadata
        wait_path(base + ".json")
        wait_path(new_base + ".json")
        before = pcap_seqs(base + ".pcap", a.ssrc[0])
        after = pcap_seqs(new_base + ".pcap", a.ssrc[0])
        assert before and after, (len(before), len(after))
        assert before + after == s.sent, (len(before), len(after), len(s.sent))
        assert "recording continues to " + new_base in succ.log_text()
    finally:
        if succ:
            assert succ.stop() == 0, succ.log_text()[-3000:]
