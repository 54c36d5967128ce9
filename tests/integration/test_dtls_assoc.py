"""DTLS-SRTP associations against a DTLS endpoint of the test's own (pyOpenSSL,
an independent OpenSSL stack driven from Python; no ICE, so rtprelay takes its
SDP address):

- the daemon's certificate: ECDSA P-256 by default, RSA with
  dtls-cert-cipher = RSA (and dtls-rsa-key-size); the certificate the client
  receives in the handshake is of that type and matches rtprelay's
  a=fingerprint in the hash DTLS-fingerprint chose;
- a=tls-id (RFC 8842): rtprelay writes its own; a re-offer with the party's
  tls-id unchanged keeps the association (same keys, one handshake, same
  tls-id back); a new tls-id with the same certificate is a new association:
  a new handshake re-keys, rtprelay's tls-id changes, the old keys are refused;
- RTCP on its own port (no rtcp-mux, RFC 5764 4.1), rtprelay the server or the
  client: a second association on the RTCP port; SRTCP flows both ways keyed
  from it (not from the RTP association's keys), RTP from the RTP one;
- hostile a=tls-id values are only compared."""

import random
import re
import socket
import struct
import time

import pytest

pytest.importorskip("OpenSSL")
pytest.importorskip("pylibsrtp")

from dp_media import Phone, relay_targets  # noqa: E402
from ngclient import sdp_offer  # noqa: E402
from srtp_peer import Srtp  # noqa: E402
from test_dtls_webrtc import DtlsClient, dtls_party_sdp, srtp_stream_to_phone  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

SUITE = "AES_CM_128_HMAC_SHA1_80"


def dtls_of(q, tag, stream=0):
    return q["tags"][tag]["medias"][0]["streams"][stream].get("DTLS")


def attr(sdp, name):
    """The value of the first a=<name>: line, None if there is none."""
    for ln in sdp.splitlines():
        if ln.startswith("a=%s:" % name):
            return ln.split(":", 1)[1]
    return None


def handshake_cert(ng, call, extra_offer=None):
    """A DTLS party offers; rtprelay answers as the server; the party's client
    runs the handshake. (the certificate rtprelay presented, its a=fingerprint
    value in the answer)."""
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    phone = Phone(mux=False, pts=(0,))
    try:
        c = DtlsClient(party)
        r = ng.offer(call, "web", dtls_party_sdp(party.getsockname()[1], c.fingerprint),
                     flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer(call, "web", "ph", phone.sdp(), DTLS="passive", **(extra_offer or {}))
        assert a["result"] == "ok", a
        target = tuple(relay_targets(a["sdp"])[0][:2])
        local, _ = c.handshake(target)
        # media passes: the keys the client exported are the ones rtprelay uses
        assert srtp_stream_to_phone(party, target, phone, local) == 20
        assert dtls_of(ng.query(call), "web")["state"] == "connected"
        return c.conn.get_peer_certificate(), attr(a["sdp"], "fingerprint")
    finally:
        party.close()
        phone.close()


def test_default_certificate_is_ecdsa_p256(ng):
    """Default: the certificate in the handshake is ECDSA on P-256 and its
    sha-256 digest is the answer's a=fingerprint."""
    from cryptography.hazmat.primitives.asymmetric import ec
    cert, fp = handshake_cert(ng, "cert-ec")
    pub = cert.to_cryptography().public_key()
    assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1"
    assert fp == "sha-256 " + cert.digest("sha256").decode(), fp


def test_rsa_certificate_with_chosen_hash(daemon_factory):
    """dtls-cert-cipher = RSA, dtls-rsa-key-size = 3072: the handshake's
    certificate is RSA 3072; DTLS-fingerprint=sha-384 and sha-1 print the
    matching digest of that certificate."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    # a 3072-bit key takes a while to make (more under the sanitizers)
    d = daemon_factory("--dtls-cert-cipher=RSA", "--dtls-rsa-key-size=3072", expect_fail=True)
    d.wait_ready(timeout=60)
    assert "DTLS certificate: RSA 3072" in d.log_text()
    with d.ng() as ng:
        cert, fp = handshake_cert(ng, "cert-rsa", {"DTLS-fingerprint": "sha-384"})
        pub = cert.to_cryptography().public_key()
        assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 3072
        assert fp == "sha-384 " + cert.digest("sha384").decode(), fp
        cert1, fp1 = handshake_cert(ng, "cert-rsa-2", {"DTLS-fingerprint": "sha-1"})
        assert cert1.digest("sha256") == cert.digest("sha256")  # one per daemon
        assert fp1 == "sha-1 " + cert.digest("sha1").decode(), fp1


def test_bad_certificate_config_refused(daemon_factory):
    """An unknown cipher or an absurd key size stops the daemon at start with
    the key named."""
    for arg, key in (("--dtls-cert-cipher=DSA", "dtls-cert-cipher"),
                     ("--dtls-rsa-key-size=100000", "dtls-rsa-key-size"),
                     ("--dtls-rsa-key-size=512", "dtls-rsa-key-size")):
        d = daemon_factory(arg, expect_fail=True)
        assert d.wait_exit(10) not in (0, None), arg
        assert key in d.log_text(), d.log_text()


TLS_ID_RE = re.compile(r"^[A-Za-z0-9+/_-]{20,255}$")


def party_sdp(port, fingerprint, tls_id, version, mux=True, setup="actpass"):
    lines = ["a=setup:" + setup, "a=fingerprint:" + fingerprint]
    if tls_id:
        lines.append("a=tls-id:" + tls_id)
    return sdp_offer(port=port, media=(("audio", (0,)),), rtcp_mux=mux, version=version,
                     extra_media_lines=lines).replace("RTP/AVP", "UDP/TLS/RTP/SAVP")


def test_tls_id_keeps_or_restarts_the_association(ng):
    """RFC 8842: rtprelay's answer carries its own a=tls-id. A re-offer with
    the same tls-id (and certificate) keeps the association: same tls-id
    back, no handshake, the old keys still pass. A re-offer with a new tls-id
    but the same certificate is a new association: rtprelay answers a new
    tls-id, a new handshake re-keys, the old keys are refused."""
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    port = party.getsockname()[1]
    phone = Phone(mux=False, pts=(0,))
    try:
        c1 = DtlsClient(party)
        tid1 = "%032x" % random.getrandbits(128)
        r = ng.offer("tlsid-1", "web", party_sdp(port, c1.fingerprint, tid1, 1),
                     flags=["RTP/AVP"])
        assert r["result"] == "ok" and attr(r["sdp"], "tls-id") is None, r  # plain side
        a = ng.answer("tlsid-1", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok", a
        ours1 = attr(a["sdp"], "tls-id")
        assert ours1 and TLS_ID_RE.match(ours1) and ours1 != tid1, a["sdp"]
        target = tuple(relay_targets(a["sdp"])[0][:2])
        k1, _ = c1.handshake(target)
        assert srtp_stream_to_phone(party, target, phone, k1) == 20
        d = dtls_of(ng.query("tlsid-1"), "web")
        assert d["handshakes"] == 1 and d["tls-id"] == ours1, d

        # same tls-id: the association stays
        r = ng.offer("tlsid-1", "web", party_sdp(port, c1.fingerprint, tid1, 2),
                     flags=["RTP/AVP"])
        a = ng.answer("tlsid-1", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok" and attr(a["sdp"], "tls-id") == ours1, a
        time.sleep(0.3)
        assert srtp_stream_to_phone(party, target, phone, k1) == 20
        d = dtls_of(ng.query("tlsid-1"), "web")
        assert d["handshakes"] == 1 and d["state"] == "connected", d

        # new tls-id, same certificate: a new association
        c2 = DtlsClient(party, same_cert_as=c1)
        assert c2.fingerprint == c1.fingerprint
        tid2 = "%032x" % random.getrandbits(128)
        r = ng.offer("tlsid-1", "web", party_sdp(port, c1.fingerprint, tid2, 3),
                     flags=["RTP/AVP"])
        a = ng.answer("tlsid-1", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok", a
        ours2 = attr(a["sdp"], "tls-id")
        assert ours2 and TLS_ID_RE.match(ours2) and ours2 != ours1, a["sdp"]
        k2, _ = c2.handshake(target)
        assert k2 != k1
        assert srtp_stream_to_phone(party, target, phone, k2) == 20
        assert srtp_stream_to_phone(party, target, phone, k1) == 0
        q = ng.query("tlsid-1")
        d = dtls_of(q, "web")
        assert d["handshakes"] == 2 and d["tls-id"] == ours2, d
        assert q["tags"]["web"]["medias"][0]["streams"][0]["stats"]["SRTP auth failed"] >= 20
    finally:
        party.close()
        phone.close()


def test_offer_to_dtls_party_has_tls_id(ng):
    """rtprelay offering DTLS (WebRTC flag) writes a=tls-id as well; a
    re-offer of the same call keeps it."""
    phone = Phone(mux=False, pts=(0,))
    try:
        r = ng.offer("tlsid-2", "ph", phone.sdp(), flags=["WebRTC"])
        assert r["result"] == "ok", r
        t = attr(r["sdp"], "tls-id")
        assert t and TLS_ID_RE.match(t), r["sdp"]
        r = ng.offer("tlsid-2", "ph", phone.sdp(version=2), flags=["WebRTC"])
        assert r["result"] == "ok" and attr(r["sdp"], "tls-id") == t, r
    finally:
        phone.close()


def rtcp_rr(ssrc):
    """An RTCP receiver report without report blocks (RFC 3550 6.4.2)."""
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def recv_all(sock, quiet=0.4):
    out = []
    sock.settimeout(quiet)
    try:
        while len(out) < 1000:
            out.append(sock.recv(2048))
    except socket.timeout:
        pass
    return out


def test_rtcp_port_has_its_own_association(ng):
    """A DTLS-SRTP party that does not multiplex RTCP: rtprelay (the server)
    runs a second handshake on its RTCP port. SRTCP the party protects with
    the RTCP association's key reaches the phone as RTCP; the phone's RTCP
    reaches the party as SRTCP that opens with the RTCP association's key
    (and not with the RTP association's); RTP flows on the RTP keys. query
    shows a DTLS dictionary on both streams."""
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(50):  # an even/odd pair of ports
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        try:
            if port % 2 == 0:
                rtcp.bind(("127.0.0.1", port + 1))
                break
        except OSError:
            pass
        rtp.close()
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    else:
        pytest.skip("no free even/odd port pair")
    phone = Phone(mux=False, pts=(0,))
    try:
        c_rtp = DtlsClient(rtp)
        c_rtcp = DtlsClient(rtcp, same_cert_as=c_rtp)
        r = ng.offer("rtcpdtls", "web", party_sdp(port, c_rtp.fingerprint, None, 1, mux=False),
                     flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("rtcpdtls", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok" and "a=rtcp-mux" not in a["sdp"], a
        addr, t_rtp, t_rtcp = relay_targets(a["sdp"])[0]
        assert t_rtcp != t_rtp
        k_rtp, r_rtp = c_rtp.handshake((addr, t_rtp))
        k_rtcp, r_rtcp = c_rtcp.handshake((addr, t_rtcp))
        assert k_rtcp != k_rtp and r_rtcp != r_rtp
        # RTP on the RTP association's keys
        assert srtp_stream_to_phone(rtp, (addr, t_rtp), phone, k_rtp) == 20
        q = ng.query("rtcpdtls")
        d0, d1 = dtls_of(q, "web", 0), dtls_of(q, "web", 1)
        assert d0["state"] == "connected" and d0["handshakes"] == 1, d0
        assert d1 and d1["state"] == "connected" and d1["handshakes"] == 1, d1
        assert d1["role"] == "passive (server)" and d1["SRTP profile"], d1

        # party -> phone: SRTCP keyed from the RTCP association
        tx = Srtp(SUITE, k_rtcp, outbound=True)
        ssrc = random.getrandbits(32)
        for _ in range(5):
            rtcp.sendto(tx.protect_rtcp(rtcp_rr(ssrc)), (addr, t_rtcp))
            time.sleep(0.02)
        got = [p for p in recv_all(phone.rtcp_socks[0]) if p == rtcp_rr(ssrc)]
        assert len(got) == 5, got
        # SRTCP under the RTP association's key is refused
        tx_wrong = Srtp(SUITE, k_rtp, outbound=True)
        for _ in range(3):
            rtcp.sendto(tx_wrong.protect_rtcp(rtcp_rr(ssrc ^ 1)), (addr, t_rtcp))
        assert not [p for p in recv_all(phone.rtcp_socks[0]) if p == rtcp_rr(ssrc ^ 1)]

        # phone -> party: the phone's RTCP arrives as SRTCP of the RTCP association
        to_relay = relay_targets(r["sdp"])[0]
        pssrc = random.getrandbits(32)
        recv_all(rtcp, 0.1)
        for _ in range(5):
            phone.rtcp_socks[0].sendto(rtcp_rr(pssrc), (to_relay[0], to_relay[2]))
            time.sleep(0.02)
        pkts = recv_all(rtcp)
        assert len(pkts) >= 5, pkts
        rx = Srtp(SUITE, r_rtcp, outbound=False)
        plain = [rx.unprotect_rtcp(p) for p in pkts]
        assert all(p == rtcp_rr(pssrc) for p in plain), plain
        rx_wrong = Srtp(SUITE, r_rtp, outbound=False)
        with pytest.raises(Exception):
            rx_wrong.unprotect_rtcp(pkts[0])
    finally:
        rtp.close()
        rtcp.close()
        phone.close()


def test_hostile_tls_id_values(ng):
    """a=tls-id values outside RFC 8842 (empty, 400 characters, characters it
    does not allow) are only ever compared: each offer is answered, the
    association is made, an unchanged long value keeps it and a changed one
    (in its first 255 characters) restarts it; rtprelay's own tls-id stays
    well formed."""
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    port = party.getsockname()[1]
    phone = Phone(mux=False, pts=(0,))
    try:
        c = DtlsClient(party)
        for v, tid in enumerate(("", "x" * 400, "<>%\"'{}", "y" * 400), 1):
            r = ng.offer("tlsid-bad", "web", party_sdp(port, c.fingerprint, tid, v),
                         flags=["RTP/AVP"])
            assert r["result"] == "ok", (tid, r)
            a = ng.answer("tlsid-bad", "web", "ph", phone.sdp(), DTLS="passive")
            assert a["result"] == "ok" and TLS_ID_RE.match(attr(a["sdp"], "tls-id")), a
        d = dtls_of(ng.query("tlsid-bad"), "web")
        assert d["state"] == "handshaking" and TLS_ID_RE.match(d["tls-id"]), d
        target = tuple(relay_targets(a["sdp"])[0][:2])
        k, _ = c.handshake(target)
        assert srtp_stream_to_phone(party, target, phone, k) == 20
        ours = dtls_of(ng.query("tlsid-bad"), "web")["tls-id"]
        # the same 400-character value again: kept
        r = ng.offer("tlsid-bad", "web", party_sdp(port, c.fingerprint, "y" * 400, 5),
                     flags=["RTP/AVP"])
        a = ng.answer("tlsid-bad", "web", "ph", phone.sdp(), DTLS="passive")
        assert attr(a["sdp"], "tls-id") == ours, a
        assert dtls_of(ng.query("tlsid-bad"), "web")["handshakes"] == 1
        # changed at character 200: a new association
        r = ng.offer("tlsid-bad", "web",
                     party_sdp(port, c.fingerprint, "y" * 200 + "z" * 200, 6), flags=["RTP/AVP"])
        a = ng.answer("tlsid-bad", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok" and attr(a["sdp"], "tls-id") != ours, a
        c2 = DtlsClient(party, same_cert_as=c)
        k2, _ = c2.handshake(target)
        assert srtp_stream_to_phone(party, target, phone, k2) == 20
        assert dtls_of(ng.query("tlsid-bad"), "web")["handshakes"] == 2
    finally:
        party.close()
        phone.close()


class DtlsServer(DtlsClient):
    """The same DTLS-SRTP endpoint as the server (the party answered passive)."""

    def __init__(self, sock, same_cert_as=None):
        super().__init__(sock, same_cert_as)
        self.conn.set_accept_state()

    def handshake(self, target, timeout=5.0):
        """(what this server protects with, what it unprotects with)."""
        client_key, server_key = super().handshake(target, timeout)
        return server_key, client_key


def test_rtcp_association_with_rtprelay_as_client(ng):
    """The party offers a=setup:passive without rtcp-mux: rtprelay answers
    active and, as the DTLS client, says hello on both of the party's ports;
    both handshakes complete and SRTCP flows on the RTCP association's keys."""
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(50):
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        try:
            if port % 2 == 0:
                rtcp.bind(("127.0.0.1", port + 1))
                break
        except OSError:
            pass
        rtp.close()
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    else:
        pytest.skip("no free even/odd port pair")
    phone = Phone(mux=False, pts=(0,))
    try:
        s_rtp = DtlsServer(rtp)
        s_rtcp = DtlsServer(rtcp, same_cert_as=s_rtp)
        r = ng.offer("rtcpcli", "web", party_sdp(port, s_rtp.fingerprint, None, 1, mux=False,
                                                  setup="passive"), flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("rtcpcli", "web", "ph", phone.sdp())
        assert a["result"] == "ok" and "a=setup:active" in a["sdp"], a
        addr, t_rtp, t_rtcp = relay_targets(a["sdp"])[0]
        k_rtp, _ = s_rtp.handshake((addr, t_rtp))
        k_rtcp, r_rtcp = s_rtcp.handshake((addr, t_rtcp))
        assert k_rtp != k_rtcp
        assert srtp_stream_to_phone(rtp, (addr, t_rtp), phone, k_rtp) == 20
        q = ng.query("rtcpcli")
        for i in (0, 1):
            d = dtls_of(q, "web", i)
            assert d["state"] == "connected" and d["role"] == "active (client)", d
        tx = Srtp(SUITE, k_rtcp, outbound=True)
        ssrc = random.getrandbits(32)
        for _ in range(5):
            rtcp.sendto(tx.protect_rtcp(rtcp_rr(ssrc)), (addr, t_rtcp))
            time.sleep(0.02)
        assert len([p for p in recv_all(phone.rtcp_socks[0]) if p == rtcp_rr(ssrc)]) == 5
        to_relay = relay_targets(r["sdp"])[0]
        pssrc = random.getrandbits(32)
        for _ in range(5):
            phone.rtcp_socks[0].sendto(rtcp_rr(pssrc), (to_relay[0], to_relay[2]))
            time.sleep(0.02)
        rx = Srtp(SUITE, r_rtcp, outbound=False)
        pkts = recv_all(rtcp)
        assert len(pkts) >= 5 and all(rx.unprotect_rtcp(p) == rtcp_rr(pssrc) for p in pkts)
    finally:
        rtp.close()
        rtcp.close()
        phone.close()


def test_party_muxing_against_sdp_gets_one_association(ng):
    """The party offers a=rtcp-mux and a=setup:passive, the other side does not
    multiplex, so rtprelay answers without a=rtcp-mux and as the DTLS client. The
    party multiplexes anyway: one socket, its RTCP sent from its RTP port to
    rtprelay's RTCP port (as baresip with `rtcp_mux yes` does). Once rtprelay's RTCP
    socket has latched to that address, no DTLS datagram may leave rtprelay's RTCP
    port for the party's one socket (its one DTLS endpoint could answer that hello
    instead of the RTP one); exactly one association exists, on RTP, it connects,
    and SRTP flows on its keys."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    phone = Phone(mux=False, pts=(0,))
    try:
        srv = DtlsServer(sock)
        r = ng.offer("rtcpmuxcli", "web", party_sdp(port, srv.fingerprint, None, 1, mux=True,
                                                     setup="passive"), flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("rtcpmuxcli", "web", "ph", phone.sdp())
        assert a["result"] == "ok" and "a=setup:active" in a["sdp"], a
        assert "a=rtcp-mux" not in a["sdp"], a
        addr, t_rtp, t_rtcp = relay_targets(a["sdp"])[0]
        assert t_rtcp != t_rtp
        # the party's RTCP, from its RTP port, before any DTLS reply: rtprelay's RTCP
        # socket latches to the party's one address
        ssrc = random.getrandbits(32)
        for _ in range(3):
            sock.sendto(rtcp_rr(ssrc), (addr, t_rtcp))
            time.sleep(0.02)
        # everything rtprelay sends the party over 2.5 s (its hello timers fire at 1 s
        # and 3 s after the answer): hellos from the RTP port only
        from_rtp, from_rtcp = [], []
        sock.settimeout(0.1)
        end = time.monotonic() + 2.5
        while time.monotonic() < end and len(from_rtp) + len(from_rtcp) < 100:
            try:
                data, src = sock.recvfrom(4096)
            except socket.timeout:
                continue
            (from_rtcp if src[1] == t_rtcp else from_rtp).append(data)
        assert not from_rtcp, "a DTLS hello from rtprelay's RTCP port reached the " \
            "party's RTP address: %d datagrams" % len(from_rtcp)
        assert from_rtp and from_rtp[0][0] == 22, from_rtp  # a DTLS handshake record
        # the party's one DTLS endpoint answers the RTP hello it holds
        srv.conn.bio_write(from_rtp[-1])
        k, r_k = srv.handshake((addr, t_rtp))
        # the server's last flight is in: rtprelay (the client) keys on reading it
        for _ in range(50):
            q = ng.query("rtcpmuxcli")
            if dtls_of(q, "web", 0)["state"] == "connected":
                break
            time.sleep(0.02)
        assert srtp_stream_to_phone(sock, (addr, t_rtp), phone, k) == 20
        q = ng.query("rtcpmuxcli")
        d0, d1 = dtls_of(q, "web", 0), dtls_of(q, "web", 1)
        assert d0["state"] == "connected" and d0["role"] == "active (client)", d0
        assert d0["handshakes"] == 1 and d0["failures"] == 0, d0
        assert not d1, d1  # no association of RTCP's own
        # SRTCP from the party's RTP port to the RTCP port: keyed from the RTP association
        tx = Srtp(SUITE, k, outbound=True)
        ssrc = random.getrandbits(32)
        for _ in range(5):
            sock.sendto(tx.protect_rtcp(rtcp_rr(ssrc)), (addr, t_rtcp))
            time.sleep(0.02)
        assert len([p for p in recv_all(phone.rtcp_socks[0]) if p == rtcp_rr(ssrc)]) == 5
    finally:
        sock.close()
        phone.close()
