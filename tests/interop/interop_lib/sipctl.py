"""Call control through Kamailio: the test plays the operator's tool of
docs/kamailio.md's route[RTP_CONTROL]. It sends an OPTIONS request carrying a live
call's Call-ID and tags and an X-RTP-Control header naming one of the rtpengine
module's functions (block_media, silence_media, play_dtmf, ...); Kamailio calls that
function, which sends the ng command to the relay, and replies 200 (the relay said
ok) or 500 (it refused).
"""
import random
import re
import socket
import time

from .phone import sip_messages

CONTROL_PORT = 5099   # the test's own UDP port in the core namespace


def _tag(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value)
    return m.group(1) if m else None


def dialog_ids(caller):
    """(Call-ID, caller's tag, callee's tag) of the established call, read from the
    200 OK to the INVITE that the caller received."""
    for msg in sip_messages(caller, received=True):
        h = msg["headers"]
        if msg["first"].startswith("SIP/2.0 200") and h.get("cseq", "").endswith("INVITE"):
            ids = (h.get("call-id"), _tag(h.get("from", "")), _tag(h.get("to", "")))
            if all(ids):
                return ids
    raise AssertionError("%s received no 200 INVITE with Call-ID and both tags"
                         % caller.name)


class Controller:
    """Sends control requests to Kamailio from 127.0.0.1:CONTROL_PORT in `netns`."""

    def __init__(self, netns, proxy_addr, proxy_port):
        self.proxy = (proxy_addr, proxy_port)
        self.sock = netns.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", CONTROL_PORT))
        self.cseq = 0
        self.log = []   # (function, flags, status line)
        self.last_reply = ""   # the whole text of the last reply

    def close(self):
        self.sock.close()

    def send(self, function, call_id, from_tag, to_tag, flags="", timeout=5.0):
        """Ask Kamailio to run `function(flags)` for the call, acting on the party
        whose tag is `from_tag`. Returns the reply's status code."""
        self.cseq += 1
        branch = "z9hG4bK-ctl-%d-%d" % (self.cseq, random.randrange(1 << 30))
        lines = [
            "OPTIONS sip:%s:%d SIP/2.0" % self.proxy,
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (CONTROL_PORT, branch),
            "Max-Forwards: 10",
            "From: <sip:control@127.0.0.1>;tag=%s" % from_tag,
            "To: <sip:control@127.0.0.1>;tag=%s" % to_tag,
            "Call-ID: %s" % call_id,
            "CSeq: %d OPTIONS" % self.cseq,
            "X-RTP-Control: %s" % function,
        ]
        if flags:
            lines.append("X-RTP-Flags: %s" % flags)
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), self.proxy)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from Kamailio to %s(%s)" % (function, flags))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536).decode(errors="replace")
            except socket.timeout:
                continue
            if branch not in data:
                continue   # a late reply to an earlier request
            status = data.split("\r\n", 1)[0]
            self.log.append((function, flags, status))
            self.last_reply = data
            return int(status.split()[1])
