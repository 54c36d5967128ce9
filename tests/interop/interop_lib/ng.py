"""Minimal ng control client (bencode over UDP), written for the interop tests.

Only what the tests need: encode/decode bencode, send one command, wait for the
reply with the matching cookie (bounded by a timeout).
"""
import os
import socket
import time


def bencode(value):
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, (bytes, bytearray)):
        return b"%d:%s" % (len(value), bytes(value))
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        pairs = sorted(((k.encode() if isinstance(k, str) else k), v)
                       for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in pairs) + b"e"
    raise TypeError("cannot bencode %r" % type(value))


def _decode(buf, pos, depth):
    if depth > 64:
        raise ValueError("bencode nesting too deep")
    ch = buf[pos:pos + 1]
    if ch == b"i":
        end = buf.index(b"e", pos)
        return int(buf[pos + 1:end]), end + 1
    if ch == b"l":
        pos += 1
        items = []
        while buf[pos:pos + 1] != b"e":
            item, pos = _decode(buf, pos, depth + 1)
            items.append(item)
        return items, pos + 1
    if ch == b"d":
        pos += 1
        items = {}
        while buf[pos:pos + 1] != b"e":
            key, pos = _decode(buf, pos, depth + 1)
            val, pos = _decode(buf, pos, depth + 1)
            items[key.decode(errors="replace") if isinstance(key, bytes) else key] = val
        return items, pos + 1
    if ch.isdigit():
        colon = buf.index(b":", pos)
        length = int(buf[pos:colon])
        start = colon + 1
        if start + length > len(buf):
            raise ValueError("bencode string runs past the end")
        return buf[start:start + length], start + length
    raise ValueError("bad bencode at %d: %r" % (pos, buf[pos:pos + 10]))


def bdecode(buf):
    value, pos = _decode(buf, 0, 0)
    if pos != len(buf):
        raise ValueError("trailing bytes after bencode value")
    return value


def text(value):
    """Recursively turn bytes into str so replies are easy to inspect."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, list):
        return [text(v) for v in value]
    if isinstance(value, dict):
        return {k: text(v) for k, v in value.items()}
    return value


class NgClient:
    """Talks to one relay's ng UDP socket. `sock_factory` creates the UDP socket
    (so that it can be created inside a network namespace)."""

    def __init__(self, addr, sock_factory=None):
        self.addr = addr
        if sock_factory is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        else:
            self.sock = sock_factory(socket.AF_INET, socket.SOCK_DGRAM)
        self.log = []   # (request, reply) pairs, for failure reports

    def close(self):
        self.sock.close()

    def command(self, cmd, timeout=2.0, **params):
        cookie = os.urandom(6).hex()
        msg = {"command": cmd}
        msg.update({k.replace("_", "-"): v for k, v in params.items()})
        self.sock.sendto(cookie.encode() + b" " + bencode(msg), self.addr)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.log.append((msg, None))
                raise TimeoutError("no ng reply to %r from %s:%d" % (cmd, *self.addr))
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            head, _, body = data.partition(b" ")
            if head.decode(errors="replace") != cookie:
                continue   # a late reply to an earlier, timed-out command
            reply = text(bdecode(body))
            self.log.append((msg, reply))
            return reply

    def wait_ready(self, timeout=10.0, alive=lambda: True):
        """Ping until the relay answers 'pong'; give up early if `alive()` turns false."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline and alive():
            try:
                reply = self.command("ping", timeout=0.5)
                if reply.get("result") == "pong":
                    return
                last = reply
            except (TimeoutError, OSError) as exc:
                last = exc
            time.sleep(0.1)
        raise TimeoutError("relay ng socket %s:%d did not answer ping%s: %r"
                           % (*self.addr, "" if alive() else " (relay exited)", last))

    def call_ids(self):
        reply = self.command("list", limit=100)
        assert reply.get("result") == "ok", reply
        return list(reply.get("calls", []))
