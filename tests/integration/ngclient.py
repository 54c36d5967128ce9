"""ngclient.py: the ng-protocol client of the Python tests (bencode + JSON, UDP/TCP/unix).

The one Python ng client: the integration tests, tests/interop (interop_lib puts this
directory on sys.path) and kernel-offload/measure_cpu.py use it. (bench/ngclient.c is
the load generator's C client.)

    from ngclient import NgClient
    ng = NgClient.udp(("127.0.0.1", port))          # bencode over UDP
    r = ng.request({"command": "ping"})             # -> {"result": "pong"}
    ng = NgClient.udp(addr, encoding="json")        # JSON over UDP
    ng = NgClient.tcp(addr); ng = NgClient.unix(path)
    ng = NgClient.udp(addr, sock_factory=netns.socket)   # a socket made elsewhere
    ng.command("query", call_id=cid, timeout=2.0)   # keyword names: "_" -> "-"; logged

request() waits for the reply carrying its own cookie (a late reply to an earlier,
timed-out request is skipped); with timeout= the whole wait is bounded, else each
receive is (the client's timeout). Timeouts raise TimeoutError (socket.timeout).
command() also keeps (request, reply) pairs in ng.log (reply None on a timeout) for
failure reports; wait_ready() pings until the relay answers.

Dictionaries returned by the bencode decoder have str keys and str values (bytes are
decoded as UTF-8 with surrogateescape so arbitrary bytes survive a round trip);
integers stay ints, lists stay lists.
"""

import itertools
import json
import os
import socket
import time

__all__ = ["bencode", "bdecode", "BencodeError", "NgClient", "NgError", "sdp_offer"]


class BencodeError(ValueError):
    pass


class NgError(RuntimeError):
    pass


def _to_bytes(s):
    if isinstance(s, bytes):
        return s
    return str(s).encode("utf-8", "surrogateescape")


def bencode(v):
    """Encode str/bytes/int/bool/list/tuple/dict to bencode bytes (dict order kept)."""
    out = []

    def enc(x):
        if isinstance(x, bool):
            out.append(b"i%de" % int(x))
        elif isinstance(x, int):
            out.append(b"i%de" % x)
        elif isinstance(x, (str, bytes)):
            b = _to_bytes(x)
            out.append(b"%d:" % len(b))
            out.append(b)
        elif isinstance(x, (list, tuple)):
            out.append(b"l")
            for i in x:
                enc(i)
            out.append(b"e")
        elif isinstance(x, dict):
            out.append(b"d")
            for k, val in x.items():
                enc(_to_bytes(k))
                enc(val)
            out.append(b"e")
        else:
            raise TypeError("cannot bencode %r" % type(x))

    enc(v)
    return b"".join(out)


def _bdecode_at(buf, i, depth=0):
    if depth > 64:
        raise BencodeError("too deep")
    if i >= len(buf):
        raise BencodeError("truncated")
    c = buf[i:i + 1]
    if c == b"i":
        j = buf.index(b"e", i)
        return int(buf[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        lst = []
        while buf[i:i + 1] != b"e":
            v, i = _bdecode_at(buf, i, depth + 1)
            lst.append(v)
        return lst, i + 1
    if c == b"d":
        i += 1
        d = {}
        while buf[i:i + 1] != b"e":
            k, i = _bdecode_at(buf, i, depth + 1)
            v, i = _bdecode_at(buf, i, depth + 1)
            d[k] = v
        return d, i + 1
    if c.isdigit():
        j = buf.index(b":", i)
        n = int(buf[i:j])
        s = buf[j + 1:j + 1 + n]
        if len(s) != n:
            raise BencodeError("truncated string")
        return s.decode("utf-8", "surrogateescape"), j + 1 + n
    raise BencodeError("bad byte %r at %d" % (c, i))


def bdecode(buf, partial=False):
    """Decode one bencode value. With partial=True return (value, bytes_used)."""
    try:
        v, used = _bdecode_at(bytes(buf), 0)
    except (IndexError, ValueError) as e:
        if isinstance(e, BencodeError):
            raise
        raise BencodeError(str(e)) from e
    if partial:
        return v, used
    if used != len(buf):
        raise BencodeError("trailing data")
    return v


def sdp_offer(addr="127.0.0.1", port=5000, media=(("audio", (0, 8, 101)),), sess_id=1234,
              version=1, extra_media_lines=(), rtcp_mux=False):
    """Build a simple SDP; media: ((type, payload types), ...), ports port, port+2, ..."""
    fam = "IP6" if ":" in addr else "IP4"
    lines = ["v=0", "o=- %d %d IN %s %s" % (sess_id, version, fam, addr), "s=-",
             "c=IN %s %s" % (fam, addr), "t=0 0"]
    for n, (mtype, pts) in enumerate(media):
        lines.append("m=%s %d RTP/AVP %s" % (mtype, port + 2 * n if port else 0,
                                             " ".join(str(p) for p in pts)))
        for pt in pts:
            name = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 18: "G729/8000",
                    101: "telephone-event/8000", 96: "H264/90000",
                    111: "opus/48000/2"}.get(pt)
            if name:
                lines.append("a=rtpmap:%d %s" % (pt, name))
        if rtcp_mux:
            lines.append("a=rtcp-mux")
        lines.extend(extra_media_lines)
        lines.append("a=sendrecv")
    return "\r\n".join(lines) + "\r\n"


class NgClient:
    """One ng connection. request() sends a dict and returns the reply dict."""

    _cookies = itertools.count(1)

    def __init__(self, sock, kind, addr, encoding="bencode", timeout=5.0):
        self.sock = sock
        self.kind = kind          # "udp" | "tcp" | "unix-stream" | "unix-dgram"
        self.addr = addr
        self.encoding = encoding
        self.timeout = timeout
        self.sock.settimeout(timeout)
        self._rxbuf = b""
        self.log = []   # (request, reply) pairs of command(), for failure reports

    @classmethod
    def udp(cls, addr, encoding="bencode", timeout=5.0, sock_factory=None):
        """sock_factory(family, type): makes the socket (e.g. inside a network namespace)"""
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        s = (sock_factory or socket.socket)(fam, socket.SOCK_DGRAM)
        s.connect(addr)
        return cls(s, "udp", addr, encoding, timeout)

    @classmethod
    def tcp(cls, addr, encoding="bencode", timeout=5.0):
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        s = socket.create_connection(addr, timeout=timeout) if fam == socket.AF_INET \
            else socket.socket(fam, socket.SOCK_STREAM)
        if fam == socket.AF_INET6:
            s.settimeout(timeout)
            s.connect(addr)
        return cls(s, "tcp", addr, encoding, timeout)

    @classmethod
    def unix(cls, path, encoding="bencode", timeout=5.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        return cls(s, "unix-stream", path, encoding, timeout)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def new_cookie():
        return "%d_%d" % (os.getpid(), next(NgClient._cookies))

    def encode(self, d, cookie):
        if self.encoding == "json":
            body = json.dumps(d).encode()
        else:
            body = bencode(d)
        return _to_bytes(cookie) + b" " + body

    def send_raw(self, data):
        if self.kind == "udp":
            self.sock.send(data)
        else:
            self.sock.sendall(data)

    def recv_raw(self):
        """One reply message as raw bytes (UDP: one datagram; stream: one framed msg)."""
        if self.kind == "udp":
            return self.sock.recv(1 << 20)
        while True:
            msg = self._split_stream()
            if msg is not None:
                return msg
            chunk = self.sock.recv(65536)
            if not chunk:
                raise NgError("connection closed")
            self._rxbuf += chunk

    def _split_stream(self):
        buf = self._rxbuf
        sp = buf.find(b" ")
        if sp < 0 or sp + 1 >= len(buf):
            return None
        body = buf[sp + 1:]
        if body[:1] == b"{":
            end = _json_end(body)
        else:
            try:
                _, end = bdecode(body, partial=True)
            except BencodeError:
                return None
        if end is None:
            return None
        msg = buf[:sp + 1 + end]
        self._rxbuf = buf[sp + 1 + end:]
        return msg

    @staticmethod
    def parse_reply(raw):
        sp = raw.find(b" ")
        if sp < 0:
            raise NgError("reply without cookie: %r" % raw[:80])
        cookie = raw[:sp].decode()
        body = raw[sp + 1:]
        if body[:1] == b"{":
            return cookie, json.loads(body.decode("utf-8", "surrogateescape"))
        return cookie, bdecode(body)

    def request(self, d, cookie=None, timeout=None):
        cookie = cookie or self.new_cookie()
        self.send_raw(self.encode(d, cookie))
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise socket.timeout("timed out")
                    self.sock.settimeout(left)
                got, reply = self.parse_reply(self.recv_raw())
                if got == cookie:
                    return reply
                # a stale reply from an earlier retransmit or timed-out request: skip it
        finally:
            if deadline is not None:
                self.sock.settimeout(self.timeout)

    def command(self, cmd, timeout=2.0, **params):
        """Send {"command": cmd, params with "_" in names turned into "-"}; return the
        reply; the exchange is kept in self.log."""
        msg = {"command": cmd}
        msg.update({k.replace("_", "-"): v for k, v in params.items()})
        try:
            reply = self.request(msg, timeout=timeout)
        except socket.timeout:
            self.log.append((msg, None))
            raise TimeoutError("no ng reply to %r from %s" % (cmd, self._where())) from None
        self.log.append((msg, reply))
        return reply

    def _where(self):
        if isinstance(self.addr, tuple):
            return "%s:%d" % self.addr[:2]
        return str(self.addr)

    def wait_ready(self, timeout=10.0, alive=lambda: True):
        """Ping until the relay answers 'pong'; give up early once alive() is false."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline and alive():
            try:
                reply = self.command("ping", timeout=0.5)
                if reply.get("result") == "pong":
                    return
                last = reply
            except (TimeoutError, OSError, BencodeError, NgError) as exc:
                last = exc
            time.sleep(0.1)
        raise TimeoutError("relay ng socket %s did not answer ping%s: %r"
                           % (self._where(), "" if alive() else " (relay exited)", last))

    def call_ids(self):
        """The relay's call-ids (ng list)."""
        reply = self.command("list", limit=100)
        assert reply.get("result") == "ok", reply
        return list(reply.get("calls", []))

    def request_raw(self, data):
        """Send raw bytes, return (cookie, reply dict)."""
        self.send_raw(data)
        return self.parse_reply(self.recv_raw())

    # convenience wrappers
    def ping(self):
        return self.request({"command": "ping"})

    def offer(self, call_id, from_tag, sdp, **kw):
        d = {"command": "offer", "call-id": call_id, "from-tag": from_tag, "sdp": sdp}
        d.update(kw)
        return self.request(d)

    def answer(self, call_id, from_tag, to_tag, sdp, **kw):
        d = {"command": "answer", "call-id": call_id, "from-tag": from_tag,
             "to-tag": to_tag, "sdp": sdp}
        d.update(kw)
        return self.request(d)

    def delete(self, call_id, **kw):
        d = {"command": "delete", "call-id": call_id}
        d.update(kw)
        return self.request(d)

    def query(self, call_id, **kw):
        d = {"command": "query", "call-id": call_id}
        d.update(kw)
        return self.request(d)


def _json_end(body):
    """Index just past the first complete JSON object in body, or None."""
    depth = 0
    in_str = False
    esc = False
    for i, ch in enumerate(body):
        if in_str:
            if esc:
                esc = False
            elif ch == 0x5C:
                esc = True
            elif ch == 0x22:
                in_str = False
            continue
        if ch == 0x22:
            in_str = True
        elif ch in (0x7B, 0x5B):
            depth += 1
        elif ch in (0x7D, 0x5D):
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def sdp_media_ports(sdp):
    """[(media type, port), ...] from the m= lines of an SDP."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            f = line[2:].split()
            out.append((f[0], int(f[1].split("/")[0])))
    return out


def sdp_conn_addr(sdp):
    """Every c= address of an SDP, in order."""
    return [line.split()[2] for line in sdp.splitlines() if line.startswith("c=")]
