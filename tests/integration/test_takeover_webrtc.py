"""Takeover (daemon/takeover.h) of the calls rtpengine's users report losing on a
restart: WebRTC (ICE + DTLS-SRTP + rtcp-mux), BUNDLE (audio and video on one 5-tuple)
and forked calls (one caller, two branches); and `systemctl reload` as systemd sees
it (sd_notify MAINPID= and READY=1 from the successor).

The WebRTC party (webrtc_peer.py) nominates rtprelay's candidate and handshakes once,
before the hand-over. Afterwards it sends no new nomination: the successor must
answer its consent checks (same ufrag/pwd, RFC 7675), keep sending to the nominated
address, decrypt and encrypt with the keys of the one handshake (no DTLS datagram
from rtprelay, no handshake counted by the successor), every packet both ways
arriving in order.
"""

import os
import re
import signal
import socket
import struct
import tempfile
import time

import pytest

from dp_media import Phone, parse_rtp, relay_targets, rtp
from ngclient import NgClient
from test_takeover import Stream, Successor, pump
from webrtc_peer import WebRtcPeer, is_dtls, is_stun

pytest.importorskip("OpenSSL")
pytest.importorskip("aioice")


class WebStream(Stream):
    """Towards the WebRTC party: counts the DTLS and STUN datagrams it receives
    besides the SRTP it checks."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.dtls = self.stun = 0

    def receive(self, data):
        if is_dtls(data):
            self.dtls += 1
        elif is_stun(data):
            self.stun += 1
        else:
            super().receive(data)


def takeover_env(daemon_factory, *extra):
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info", *extra)
    return old, path, tmp


def hand_over(old, path, tmp, streams, seconds=2.5, at=0.8):
    """Media both ways; a successor started `at` s in; the old daemon gone."""
    box = {}

    def during(t):
        if t >= at and "s" not in box:
            box["s"] = Successor(old, path, tmp)

    pump(streams, seconds, during)
    succ = box.get("s")
    assert succ is not None
    assert old.wait_exit(10) == 0, old.log_text()[-3000:]
    return succ


def stop_successor(succ):
    if succ:
        rc = succ.stop()
        log = succ.log_text()
        assert rc == 0, log[-3000:]
        assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]


def once_per_datagram(unprotect):
    """The party's streams share its socket and its one SRTP session: each datagram
    is unprotected once (a second time would be a replay) and the result shared."""
    last = {}

    def f(data):
        if last.get("in") is not data:
            last["in"] = data
            try:
                last["out"], last["err"] = unprotect(data), None
            except Exception as e:  # pylibsrtp: authentication or replay check failed
                last["out"], last["err"] = None, e
        if last["err"]:
            raise last["err"]
        return last["out"]
    return f


def web_streams(ng, cid, peer, phone, media=(("audio", "a", "0", ("a=rtpmap:0 PCMU/8000",)),)):
    """The WebRTC party offers, the phone answers, the party connects; one
    (web->phone, phone->web) pair of streams per media."""
    r = ng.offer(cid, "web", peer.sdp(media), ICE="remove", **{"rtcp-mux": ["demux"],
                 "transport-protocol": "RTP/AVP"})
    assert r["result"] == "ok", r
    a = ng.answer(cid, "web", "ph", phone.sdp(), DTLS="passive")
    assert a["result"] == "ok", a
    assert "a=ice-lite" in a["sdp"] and "a=rtcp-mux" in a["sdp"], a["sdp"]
    peer.take_answer(a["sdp"])
    peer.connect()
    to_phone = relay_targets(r["sdp"])
    streams, unprotect = [], once_per_datagram(peer.rx.unprotect)
    for i, (kind, mid, fmts, _) in enumerate(media):
        pt = int(fmts.split()[0])
        streams.append(Stream("web->phone " + kind, peer.sock, peer.target,
                              phone.rtp_socks[i], 0x1000 + i, protect=peer.tx.protect, pt=pt))
        streams.append(WebStream("phone->web " + kind, phone.rtp_socks[i],
                                 tuple(to_phone[i][:2]), peer.sock, phone.ssrc[i],
                                 unprotect=unprotect, pt=pt))
    return streams, a["sdp"]


def web_state(ng, cid, i=0):
    q = ng.query(cid)
    assert q["result"] == "ok", q
    st = q["tags"]["web"]["medias"][i]["streams"][0]
    return st["ICE"], st["DTLS"]


def check_all_arrived(streams):
    for s in streams:
        assert len(s.sent) >= 50 and s.got == s.sent, "%s: sent %d got %d" % (
            s.name, len(s.sent), len(s.got))


def test_webrtc_call_crosses_takeover(daemon_factory):
    old, path, tmp = takeover_env(daemon_factory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    peer, phone, succ = WebRtcPeer(sock), Phone(pts=(0,)), None
    try:
        with old.ng() as ng:
            streams, answer = web_streams(ng, "tko-web", peer, phone)
            ice, dtls = web_state(ng, "tko-web")
            assert ice["state"] == "nominated" and dtls["state"] == "connected", (ice, dtls)
            assert dtls["handshakes"] == 1, dtls
        succ = hand_over(old, path, tmp, streams)
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        check_all_arrived(streams)
        # no nomination since: consent checks with the credentials of the call are
        # answered by the successor (it counts them), and media still goes to the
        # nominated address
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            before, _ = web_state(ng, "tko-web")
            for _ in range(3):
                assert peer.check(nominate=False) == ("127.0.0.1", peer.port)
            ice, dtls = web_state(ng, "tko-web")
            assert ice["state"] == "nominated" and ice["bad checks"] == 0, ice
            assert ice["checks"] >= before["checks"] + 3, (before, ice)
            assert dtls["state"] == "connected" and dtls["handshakes"] == 0, dtls
            assert dtls["failures"] == 0, dtls
            # the party's re-offer (same credentials, certificate, tls-id) changes nothing
            r = ng.offer("tko-web", "web", peer.sdp(version=2), ICE="remove",
                         **{"rtcp-mux": ["demux"], "transport-protocol": "RTP/AVP"})
            assert r["result"] == "ok", r
            a = ng.answer("tko-web", "web", "ph", phone.sdp(version=2), DTLS="passive")
            assert a["result"] == "ok", a
            for k in ("ice-ufrag", "ice-pwd", "fingerprint"):
                assert re.search("a=%s:.*" % k, a["sdp"]).group(0) == \
                    re.search("a=%s:.*" % k, answer).group(0), k
        for s in streams:
            s.sent, s.got = [], []
        pump(streams, 1.0)
        check_all_arrived(streams)
        for s in streams:
            assert getattr(s, "dtls", 0) == 0, "%s: %d DTLS datagrams" % (s.name, s.dtls)
        assert not any(is_dtls(d) for d in peer.stray), peer.stray[:3]
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            assert web_state(ng, "tko-web")[1]["handshakes"] == 0
    finally:
        sock.close()
        phone.close()
        stop_successor(succ)


MID_EXT = "urn:ietf:params:rtp-hdrext:sdes:mid"


class MidStream(Stream):
    """web -> phone over the bundle: the packet carries the MID header extension."""

    def __init__(self, *a, mid, **kw):
        super().__init__(*a, **kw)
        self.mid = mid

    def send(self):
        ext = bytes([(3 << 4) | (len(self.mid) - 1)]) + self.mid.encode()
        ext += b"\0" * (-len(ext) % 4)
        p = bytearray(rtp(self.seq, self.ssrc, self.pt))
        p[0] |= 0x10
        p = bytes(p[:12]) + struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext + bytes(p[12:])
        self.tx.sendto(self.protect(p), self.target)
        self.sent.append(self.seq)
        self.seq = (self.seq + 1) & 0xffff


def test_bundle_call_crosses_takeover(daemon_factory):
    """Audio and video bundled on one 5-tuple towards the WebRTC party (ICE, DTLS,
    MID header extension), two ports towards the phone: across the takeover every
    packet of each media reaches the right port of the phone and the phone's audio
    and video reach the party from the one bundle port."""
    old, path, tmp = takeover_env(daemon_factory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    peer, phone, succ = WebRtcPeer(sock), Phone(nmedia=2, pts=(0,)), None
    media = (("audio", "a", "0", ("a=rtpmap:0 PCMU/8000", "a=extmap:3 " + MID_EXT)),
             ("video", "v", "96", ("a=rtpmap:96 VP8/90000", "a=extmap:3 " + MID_EXT)))
    try:
        with old.ng() as ng:
            streams, answer = web_streams(ng, "tko-bundle", peer, phone, media)
            assert "a=group:BUNDLE a v" in answer, answer
            ports = {ln.split()[1] for ln in answer.splitlines() if ln.startswith("m=")}
            assert len(ports) == 1, answer
        # the party's streams name their media by MID
        for i, s in enumerate((streams[0], streams[2])):
            streams[2 * i] = MidStream(s.name, s.tx, s.target, s.rx, s.ssrc, protect=s.protect,
                                       pt=s.pt, mid=media[i][1])
        # both phone streams arrive on the one party socket: told apart by SSRC
        succ = hand_over(old, path, tmp, streams)
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        check_all_arrived(streams)
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            assert peer.check() == ("127.0.0.1", peer.port)
            q = ng.query("tko-bundle")
            lead, member = (q["tags"]["web"]["medias"][i]["streams"][0] for i in (0, 1))
            assert lead["DTLS"]["state"] == "connected" and lead["DTLS"]["handshakes"] == 0
            assert member["bundle port"] == lead["local port"], (lead, member)
            assert lead["stats"]["bundle unknown"] == 0, lead
        for s in streams:
            assert getattr(s, "dtls", 0) == 0, s.name
    finally:
        sock.close()
        phone.close()
        stop_successor(succ)


def received(phone, quiet=0.3):
    got = set()
    phone.rtp_socks[0].settimeout(quiet)
    for _ in range(1000):
        try:
            d = phone.rtp_socks[0].recv(2048)
        except socket.timeout:
            break
        if parse_rtp(d):
            got.add(parse_rtp(d)[2])
    return got


def test_forked_call_crosses_takeover(daemon_factory):
    """One caller, two early branches (via-branch br-1/br-2, to-tags T1/T2): both go
    along with their own ports and media; afterwards a delete by via-branch ends
    branch 2 only (its ports freed, the caller's media turns to branch 1), and a
    delete by to-tag of the last branch ends the call."""
    from test_control_forking import forked_call, port_is_free
    old, path, tmp = takeover_env(daemon_factory)
    a, b1, b2 = Phone(pts=(0,)), Phone(pts=(0,)), Phone(pts=(0,))
    succ = None
    try:
        with old.ng() as ng:
            p1, p2, pa, _ = forked_call(ng, "tko-fork", a, b1, b2)
            assert ng.query("tko-fork")["tags"]["A"]["in dialogue with"] == "T2"
        to = {"b1": ("127.0.0.1", p1), "b2": ("127.0.0.1", p2), "a": ("127.0.0.1", pa)}
        streams = [Stream("b1->a", b1.rtp_socks[0], to["b1"], a.rtp_socks[0], b1.ssrc[0]),
                   Stream("b2->a", b2.rtp_socks[0], to["b2"], a.rtp_socks[0], b2.ssrc[0]),
                   Stream("a->b2", a.rtp_socks[0], to["a"], b2.rtp_socks[0], a.ssrc[0])]
        succ = hand_over(old, path, tmp, streams)
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        check_all_arrived(streams)
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            tags = ng.query("tko-fork")["tags"]
            assert set(tags) == {"A", "T1", "T2"}, tags
            assert tags["A"]["in dialogue with"] == "T2", tags["A"]
            assert {t: tags[t]["medias"][0]["streams"][0]["local port"]
                    for t in ("T1", "T2")} == {"T1": p1, "T2": p2}
            r = ng.delete("tko-fork", **{"from-tag": "A", "via-branch": "br-2",
                                         "delete-delay": 0})
            assert r["result"] == "ok" and "warning" not in r, r
            tags = ng.query("tko-fork")["tags"]
            assert set(tags) == {"A", "T1"} and tags["A"]["in dialogue with"] == "T1", tags
            assert port_is_free(p2)
            a.send_rtp(0, to["a"], n=5)
            assert received(b1) == {a.ssrc[0]}
            assert received(b2, quiet=0.2) == set()
            b1.send_rtp(0, to["b1"], n=5)
            assert received(a) == {b1.ssrc[0]}
            r = ng.delete("tko-fork", **{"from-tag": "A", "to-tag": "T1", "delete-delay": 0})
            assert r["result"] == "ok", r
            assert "tko-fork" not in ng.request({"command": "list"})["calls"]
            assert port_is_free(p1)
    finally:
        for p in (a, b1, b2):
            p.close()
        stop_successor(succ)


def notifications(sock, want, timeout):
    """Datagrams on the NOTIFY_SOCKET until one has every `want` line (a dict of
    its KEY=VALUE lines) or `timeout`; all of them, as dicts."""
    got, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        kv = dict(ln.split("=", 1) for ln in data.decode().splitlines() if "=" in ln)
        got.append(kv)
        if all(kv.get(k) == v for k, v in want.items()):
            break
    return got


def test_systemd_reload_by_takeover(daemon_factory, tmp_path):
    """As under etc/rtprelay.service (Type=notify, NotifyAccess=all, ExecReload=kill
    -USR2 $MAINPID): the daemon says READY=1 on NOTIFY_SOCKET at start; SIGUSR2 starts
    a successor that says MAINPID=<its pid> and READY=1 once it took over, the old
    pid exits 0, and the call goes on through the successor."""
    unit = open(os.path.join(os.path.dirname(__file__), "..", "..", "etc",
                             "rtprelay.service")).read()
    for line in ("Type=notify", "NotifyAccess=all", "ExecReload=/bin/kill -USR2 $MAINPID"):
        assert line in unit, (line, unit)
    nsock_path = str(tmp_path / "notify.sock")
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nsock.bind(nsock_path)
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info",
                         env={"NOTIFY_SOCKET": nsock_path})
    from test_takeover import plain_call
    phones, new_pid = [], None
    try:
        got = notifications(nsock, {"READY": "1"}, 5)
        assert any(kv.get("READY") == "1" for kv in got), got
        assert not any("MAINPID" in kv for kv in got), got  # the first start: systemd knows
        with old.ng() as ng:
            streams, phones = plain_call(ng, "sd-reload")
        old.proc.send_signal(signal.SIGUSR2)
        got = notifications(nsock, {"READY": "1"}, 15)
        ready = [kv for kv in got if kv.get("READY") == "1"]
        assert ready and "MAINPID" in ready[-1], got
        new_pid = int(ready[-1]["MAINPID"])
        assert new_pid != old.proc.pid
        assert old.wait_exit(10) == 0, old.log_text()[-3000:]
        m = re.search(r"takeover: pid (\d+) takes over", old.log_text())
        assert m and int(m.group(1)) == new_pid, old.log_text()[-3000:]
        os.kill(new_pid, 0)  # the successor runs
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            assert "sd-reload" in ng.call_ids()
        pump(streams, 1.0)
        check_all_arrived(streams)
    finally:
        nsock.close()
        for p in phones:
            p.close()
        if new_pid:
            os.kill(new_pid, signal.SIGTERM)
            for _ in range(100):
                try:
                    os.kill(new_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
