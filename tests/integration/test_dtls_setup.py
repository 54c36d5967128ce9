"""DTLS roles as rtpengine gives them (docs/webrtc.md, "DTLS roles"): rtprelay's own
offer says a=setup:actpass whatever the DTLS key (RFC 5763 5; python3-aiortc 1.4.0
refuses anything else: "DTLS setup attribute must be 'actpass' for an offer"), and
the answer's a=setup picks the role: active makes rtprelay the DTLS server, passive
its client; holdconn is refused with an error-reason. Towards an offerer's actpass
rtprelay answers active, passive when asked.

  - aiortc as the answering WebRTC party, for DTLS=passive, DTLS=active and no DTLS
    key: it accepts the offer, the handshake completes, a tone flows both ways, query
    shows rtprelay as the server (aiortc answers active);
  - a DTLS party of the test's own (pyOpenSSL, no ICE) answering passive, then
    active: rtprelay sends the ClientHello (client) or waits for it (server), the
    handshake completes and SRTP passes both ways, query shows the role;
  - an answer with a=setup:holdconn: a clear error-reason;
  - side by side with rtpengine (Debian rtpengine-daemon 10.5, user space, its own
    ports): the same ng commands give the same a=setup lines in the offer and in
    the answer, for a plain and for a DTLS offerer, with DTLS / DTLS-reverse
    passive / active or no key, answered active or passive.
"""

import random
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

aiortc = pytest.importorskip("aiortc")

from conftest import free_port, media_range  # noqa: E402
from dp_media import Phone, parse_rtp, relay_targets  # noqa: E402
from ngclient import NgClient, sdp_offer  # noqa: E402
from test_dtls_webrtc import (DtlsClient, WebRtcPeer, dtls_of, phone_media,  # noqa: E402
                              run, srtp_stream_to_phone)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

SUITE = "AES_CM_128_HMAC_SHA1_80"
FAKE_FP = "sha-256 " + ":".join(["AB"] * 32)


def setups(sdp):
    return [ln for ln in sdp.splitlines() if ln.startswith("a=setup:")]


def dtls_sdp(port, setup, fingerprint=FAKE_FP, sess_id=1234):
    """A DTLS-SRTP party without ICE, rtcp-mux, PCMU; no a=setup when setup is None."""
    extra = (("a=setup:" + setup,) if setup else ()) + ("a=fingerprint:" + fingerprint,)
    return sdp_offer(port=port, media=(("audio", (0,)),), rtcp_mux=True, sess_id=sess_id,
                     extra_media_lines=extra).replace("RTP/AVP", "UDP/TLS/RTP/SAVPF")


class DtlsServer(DtlsClient):
    """The test's DTLS party in the server role (a=setup:passive): it waits for
    rtprelay's ClientHello on its socket."""

    def __init__(self, sock):
        super().__init__(sock)
        self.conn.set_accept_state()

    def handshake(self, target, timeout=5.0):
        """(local, remote) SRTP keys; the server writes with the second key set
        (RFC 5764 4.2)."""
        client_key, server_key = super().handshake(target, timeout)
        return server_key, client_key


def connected(ng, cid, tag, timeout=3.0):
    """query's DTLS state of tag's stream once it is connected (the party's side of
    the handshake can finish a flight before rtprelay's), or as it is at timeout."""
    end = time.monotonic() + timeout
    while True:
        d = dtls_of(ng.query(cid), tag)
        if d["state"] == "connected" or time.monotonic() > end:
            return d
        time.sleep(0.05)


def srtp_from_phone(phone, relay_to_phone, party, remote_key, n=20):
    """The phone sends n PCMU packets; how many the DTLS party decrypts."""
    from srtp_peer import Srtp
    rx = Srtp(SUITE, remote_key, outbound=False)
    ssrc, seq0 = random.getrandbits(32), random.randrange(0, 30000)
    for i in range(n):
        pkt = struct.pack("!BBHII", 0x80, 0, seq0 + i, (seq0 + i) * 160, ssrc) + b"\x55" * 160
        phone.rtp_socks[0].sendto(pkt, relay_to_phone)
        time.sleep(0.005)
    got = 0
    party.settimeout(0.3)
    try:
        while True:
            d = party.recv(2048)
            if len(d) < 12 or not 128 <= d[0] <= 191:
                continue  # DTLS retransmissions, STUN
            try:
                p = rx.unprotect(d)
            except Exception:
                continue
            if parse_rtp(p) and p[12:] == b"\x55" * 160:
                got += 1
    except socket.timeout:
        pass
    return got


@pytest.mark.parametrize("dtls", [None, "passive", "active"])
def test_aiortc_accepts_relay_offer(ng, dtls):
    """A plain caller's offer goes to aiortc (WebRTC flag) with DTLS=passive,
    DTLS=active or no DTLS key: a=setup:actpass each time, aiortc accepts it and
    answers active, rtprelay is the DTLS server; a tone both ways."""
    cid = "setup-aiortc-%s" % dtls
    extra = {"DTLS": dtls} if dtls else {}

    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            r = ng.offer(cid, "ph", phone.sdp(), flags=["WebRTC"], **extra)
            assert r["result"] == "ok", r
            assert setups(r["sdp"]) == ["a=setup:actpass"], r["sdp"]
            ans = await w.answer(r["sdp"])  # raises on a non-actpass offer
            assert setups(ans) == ["a=setup:active"], ans
            a = ng.answer(cid, "ph", "web", ans, ICE="remove", **extra)
            assert a["result"] == "ok", a
            assert setups(a["sdp"]) == [], a["sdp"]  # the plain phone gets none
            relay_to_phone = tuple(relay_targets(a["sdp"])[0][:2])
            got, loud = await phone_media(phone, relay_to_phone, 5)
            assert got >= 80 and loud >= 40, (got, loud)
            assert w.frames >= 80 and w.loud >= 40, (w.frames, w.loud)
            d = dtls_of(ng.query(cid), "web")
            assert d["state"] == "connected" and d["role"] == "passive (server)", d
            assert d["setup"] == "actpass" and d["handshakes"] == 1, d
        finally:
            await w.close()
            phone.close()
    run(go())


@pytest.mark.parametrize("dtls", [None, "passive", "active"])
def test_answer_picks_the_role(ng, dtls):
    """rtprelay offers actpass to a DTLS party of the test's own; the party answers
    passive: rtprelay is the client (its ClientHello comes to the party); on a
    second call the party answers active: rtprelay is the server. Either way the
    handshake completes and SRTP passes both ways, whatever DTLS key the
    commands carried."""
    extra = {"DTLS": dtls} if dtls else {}
    for answer_setup, role in (("passive", "active (client)"), ("active", "passive (server)")):
        cid = "setup-role-%s-%s" % (dtls, answer_setup)
        party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        party.bind(("127.0.0.1", 0))
        phone = Phone(mux=False, pts=(0,))
        try:
            peer = DtlsServer(party) if answer_setup == "passive" else DtlsClient(party)
            r = ng.offer(cid, "ph", phone.sdp(), **{"transport-protocol": "UDP/TLS/RTP/SAVPF"},
                         **extra)
            assert r["result"] == "ok", r
            assert setups(r["sdp"]) == ["a=setup:actpass"], r["sdp"]
            relay_to_party = tuple(relay_targets(r["sdp"])[0][:2])
            a = ng.answer(cid, "ph", "pa", dtls_sdp(party.getsockname()[1], answer_setup,
                                                    peer.fingerprint), **extra)
            assert a["result"] == "ok", a
            relay_to_phone = tuple(relay_targets(a["sdp"])[0][:2])
            d = dtls_of(ng.query(cid), "pa")
            assert d["role"] == role and d["setup"] == "actpass", d
            local, remote = peer.handshake(relay_to_party)
            d = connected(ng, cid, "pa")
            assert d["state"] == "connected" and d["role"] == role, d
            assert srtp_stream_to_phone(party, relay_to_party, phone, local) == 20
            assert srtp_from_phone(phone, relay_to_phone, party, remote) >= 18
            assert d["handshakes"] == 1, d
        finally:
            party.close()
            phone.close()


@pytest.mark.parametrize("offerer_setup", ["actpass", "active", "passive"])
def test_answer_picks_the_role_dtls_offerer(ng, offerer_setup):
    """The same when the offerer speaks DTLS-SRTP itself (its own association with
    rtprelay, whatever its a=setup): the answerer's passive makes rtprelay its
    client, active its server; the answerer's handshake completes either way."""
    for answer_setup, role in (("passive", "active (client)"), ("active", "passive (server)")):
        cid = "setup-dd-%s-%s" % (offerer_setup, answer_setup)
        a_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a_sock.bind(("127.0.0.1", 0))
        party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        party.bind(("127.0.0.1", 0))
        try:
            peer = DtlsServer(party) if answer_setup == "passive" else DtlsClient(party)
            r = ng.offer(cid, "a", dtls_sdp(a_sock.getsockname()[1], offerer_setup))
            assert r["result"] == "ok", r
            assert setups(r["sdp"]) == ["a=setup:actpass"], r["sdp"]
            a = ng.answer(cid, "a", "pa", dtls_sdp(party.getsockname()[1], answer_setup,
                                                   peer.fingerprint))
            assert a["result"] == "ok", a
            want_a = {"actpass": "active", "active": "passive", "passive": "active"}
            assert setups(a["sdp"]) == ["a=setup:" + want_a[offerer_setup]], a["sdp"]
            peer.handshake(tuple(relay_targets(r["sdp"])[0][:2]))
            d = connected(ng, cid, "pa")
            assert d["state"] == "connected" and d["role"] == role, d
        finally:
            a_sock.close()
            party.close()


def test_answer_holdconn_refused(ng):
    """An answer with a=setup:holdconn to rtprelay's actpass takes no DTLS role:
    an error-reason that names it, and the call ends as after any failed answer."""
    phone = Phone(mux=False, pts=(0,))
    try:
        r = ng.offer("setup-hold", "ph", phone.sdp(),
                     **{"transport-protocol": "UDP/TLS/RTP/SAVPF"})
        assert r["result"] == "ok", r
        a = ng.answer("setup-hold", "ph", "pa", dtls_sdp(7000, "holdconn"))
        assert a["result"] == "error" and "holdconn" in a["error-reason"], a
        # a failed answer ends the call (daemon/offer.c: no half-applied call)
        q = ng.query("setup-hold")
        assert q["result"] == "error" and q["error-reason"] == "Unknown call-id", q
        assert ng.ping()["result"] == "pong"
    finally:
        phone.close()


def test_offerer_actpass_answered_by_flags(ng):
    """A DTLS party's actpass offer: rtprelay answers active by default, passive
    when the offer's command (DTLS or DTLS-reverse) or the answer's command asks."""
    cases = (({}, {}, "active"), ({"DTLS": "passive"}, {}, "passive"),
             ({"DTLS-reverse": "passive"}, {}, "passive"), ({}, {"DTLS": "passive"}, "passive"),
             ({"DTLS": "active"}, {"DTLS": "active"}, "active"))
    for i, (on_offer, on_answer, want) in enumerate(cases):
        cid = "setup-offerer-%d" % i
        r = ng.offer(cid, "pa", dtls_sdp(7100 + 2 * i, "actpass"), flags=["RTP/AVP"], **on_offer)
        assert r["result"] == "ok" and setups(r["sdp"]) == [], r
        a = ng.answer(cid, "pa", "ph", sdp_offer(port=7300 + 2 * i, media=(("audio", (0,)),)),
                      **on_answer)
        assert a["result"] == "ok", a
        assert setups(a["sdp"]) == ["a=setup:" + want], (on_offer, on_answer, a["sdp"])


# --- side by side with rtpengine -------------------------------------------------

@pytest.fixture(scope="module")
def rtpengine():
    """Debian's rtpengine (10.5) in user space (--table=-1) on loopback, its own ng
    port and media range; stopped by its PID."""
    if not shutil.which("rtpengine"):
        pytest.skip("rtpengine (Debian rtpengine-daemon) not installed")
    port = free_port()
    pmin, pmax = media_range(size=400)
    log = tempfile.TemporaryFile()
    p = subprocess.Popen(["rtpengine", "--table=-1", "--interface=127.0.0.1",
                          "--listen-ng=127.0.0.1:%d" % port, "--foreground", "--log-stderr",
                          "--port-min=%d" % pmin, "--port-max=%d" % (pmax - 1),
                          "--num-threads=1", "--log-level=4", "--delete-delay=0"],
                         stdout=log, stderr=subprocess.STDOUT)
    ng = NgClient.udp(("127.0.0.1", port), timeout=5)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if ng.ping().get("result") == "pong":
                    break
            except OSError:
                pass
            assert p.poll() is None and time.monotonic() < deadline, "rtpengine did not start"
            time.sleep(0.1)
        yield ng
    finally:
        ng.close()
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
        log.close()


# (keys on the offer command, keys on the answer command): where rtpengine 10.5
# and rtprelay agree. DTLS=passive on the offer alone is the one difference:
# 10.5 ignores it, newer rtpengine (DTLS and DTLS-reverse combined) and rtprelay
# answer an actpass offerer passive (docs/webrtc.md, "DTLS roles").
SIDE_BY_SIDE_KEYS = (
    ({}, {}),
    ({"DTLS": "passive"}, {"DTLS": "passive"}),
    ({"DTLS": "active"}, {"DTLS": "active"}),
    ({"DTLS-reverse": "passive"}, {}),
    ({"DTLS-reverse": "active"}, {"DTLS-reverse": "active"}),
    ({}, {"DTLS": "passive"}),
)


def test_setup_lines_match_rtpengine(ng, rtpengine):
    """The same offer/answer through rtprelay and rtpengine: the same a=setup lines
    towards the answerer (offer) and towards the offerer (answer)."""
    n = 0
    for offerer in (None, "actpass", "active", "passive"):
        for on_offer, on_answer in SIDE_BY_SIDE_KEYS:
            for answer_setup in ("active", "passive"):
                n += 1
                got = {}
                for name, client in (("rtprelay", ng), ("rtpengine", rtpengine)):
                    cid = "sbs-%d-%s" % (n, name)
                    osdp = (sdp_offer(port=8000 + 2 * n, media=(("audio", (0,)),))
                            if offerer is None else dtls_sdp(8000 + 2 * n, offerer))
                    r = client.offer(cid, "a", osdp,
                                     **{"transport-protocol": "UDP/TLS/RTP/SAVPF"}, **on_offer)
                    assert r["result"] == "ok", (name, r)
                    a = client.answer(cid, "a", "b", dtls_sdp(9000 + 2 * n, answer_setup,
                                                              sess_id=99), **on_answer)
                    assert a["result"] == "ok", (name, a)
                    got[name] = (setups(r["sdp"]), setups(a["sdp"]))
                    client.delete(cid)
                assert got["rtprelay"] == got["rtpengine"], (offerer, on_offer, on_answer,
                                                             answer_setup, got)
                # and what both say is the documented table
                assert got["rtprelay"][0] == ["a=setup:actpass"]
    assert n == 48
