"""DTLS-SRTP after the handshake, when rtprelay (the server) has freed its OpenSSL
object and keeps only the keys, its final flight and the client random
(dtls/dtls.h), against a DTLS client of the test's own (pyOpenSSL, no ICE):

- the party's last flight is answered again: rtprelay's final flight (ChangeCipherSpec,
  Finished) is lost, the party sends its flight once more and gets it again, finishes
  and its SRTP passes; repeats beyond DTLS_FINAL_REPLAYS (8) get no answer;
- a DTLS restart without a new SDP (a new ClientHello, same certificate): a new
  handshake re-keys the leg, media keeps flowing on the old keys until it completes,
  the new keys pass and the old ones are refused from then on; a copy of the first
  handshake's ClientHello changes nothing."""

import socket
import time

import pytest

pytest.importorskip("OpenSSL")
pytest.importorskip("pylibsrtp")

from dp_media import Phone, relay_targets  # noqa: E402
from test_dtls_webrtc import DtlsClient, dtls_party_sdp, srtp_stream_to_phone  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

FINAL_REPLAYS = 8  # DTLS_FINAL_REPLAYS in dtls/dtls.h


def dtls_of(q, tag):
    return q["tags"][tag]["medias"][0]["streams"][0]["DTLS"]


def setup_call(ng, call):
    """A DTLS party offers, a plain phone answers, rtprelay is the DTLS server.
    (party socket, phone, client, relay target)."""
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    phone = Phone(mux=False, pts=(0,))
    c = DtlsClient(party)
    r = ng.offer(call, "web", dtls_party_sdp(party.getsockname()[1], c.fingerprint),
                 flags=["RTP/AVP"])
    assert r["result"] == "ok", r
    a = ng.answer(call, "web", "ph", phone.sdp(), DTLS="passive")
    assert a["result"] == "ok" and "a=setup:passive" in a["sdp"], a
    return party, phone, c, tuple(relay_targets(a["sdp"])[0][:2])


def client_output(c):
    out = []
    try:
        while True:
            out.append(c.conn.bio_read(4096))
    except c.SSL.WantReadError:
        pass
    return out


def records(dg):
    """(content type, epoch) of each DTLS record in a datagram."""
    off, got = 0, []
    while off + 13 <= len(dg):
        got.append((dg[off], dg[off + 3] << 8 | dg[off + 4]))
        off += 13 + (dg[off + 11] << 8 | dg[off + 12])
    return got


def recv_for(sock, seconds):
    sock.settimeout(0.05)
    end, got = time.monotonic() + seconds, []
    while time.monotonic() < end:
        try:
            got.append(sock.recv(4096))
        except socket.timeout:
            pass
    return got


def test_lost_final_flight_answered_again(ng):
    party, phone, c, target = setup_call(ng, "dtls-after-1")
    try:
        # run the handshake up to the client's last flight (the one with its
        # ChangeCipherSpec), which is sent and kept
        party.settimeout(0.2)
        flight3 = None
        end = time.monotonic() + 5
        while flight3 is None and time.monotonic() < end:
            try:
                c.conn.do_handshake()
            except c.SSL.WantReadError:
                pass
            out = client_output(c)
            for dg in out:
                party.sendto(dg, target)
            if any(t == 20 for dg in out for t, _ in records(dg)):
                flight3 = out
                break
            try:
                c.conn.bio_write(party.recv(4096))
            except socket.timeout:
                pass
        assert flight3, "the client never sent its last flight"
        # rtprelay's final flight: lost
        lost = recv_for(party, 0.5)
        assert lost and any(t == 20 for dg in lost for t, _ in records(dg)), lost
        d = dtls_of(ng.query("dtls-after-1"), "web")
        assert d["state"] == "connected" and d["handshakes"] == 1, d
        # the client's retransmission gets it again; the client finishes
        time.sleep(0.3)
        for dg in flight3:
            party.sendto(dg, target)
        again = recv_for(party, 0.5)
        assert again, "no answer to the retransmitted flight"
        for dg in again:
            c.conn.bio_write(dg)
        c.conn.do_handshake()  # raises if the handshake is not complete
        m = c.conn.export_keying_material(b"EXTRACTOR-dtls_srtp", 60)
        key = m[0:16] + m[32:46]
        assert srtp_stream_to_phone(party, target, phone, key) == 20
        # more repeats: answered up to the bound, then silence
        answers = 1
        late = 0
        for i in range(FINAL_REPLAYS + 3):
            time.sleep(0.06)
            for dg in flight3:
                party.sendto(dg, target)
            got = recv_for(party, 0.15)
            answers += bool(got)
            if i >= FINAL_REPLAYS:
                late += len(got)
        assert answers == FINAL_REPLAYS and late == 0, (answers, late)
        d = dtls_of(ng.query("dtls-after-1"), "web")
        assert d["state"] == "connected" and d["handshakes"] == 1 and d["failures"] == 0, d
        assert srtp_stream_to_phone(party, target, phone, key) == 20
    finally:
        party.close()
        phone.close()


def test_new_client_hello_restarts(ng):
    party, phone, c1, target = setup_call(ng, "dtls-after-2")
    try:
        # the first ClientHello, kept to be sent again later
        try:
            c1.conn.do_handshake()
        except c1.SSL.WantReadError:
            pass
        hello1 = client_output(c1)
        assert hello1 and records(hello1[0])[0] == (22, 0)
        for dg in hello1:
            party.sendto(dg, target)
        k1, _ = c1.handshake(target)
        assert srtp_stream_to_phone(party, target, phone, k1) == 20

        # a late copy of that hello: nothing changes
        for dg in hello1:
            party.sendto(dg, target)
        assert recv_for(party, 0.4) == []
        d = dtls_of(ng.query("dtls-after-2"), "web")
        assert d["state"] == "connected" and d["handshakes"] == 1, d
        assert srtp_stream_to_phone(party, target, phone, k1) == 20

        # the party restarts DTLS, no new SDP: a new handshake with the same
        # certificate; until it completes the old keys still pass
        c2 = DtlsClient(party, same_cert_as=c1)
        try:
            c2.conn.do_handshake()
        except c2.SSL.WantReadError:
            pass
        hello2 = client_output(c2)
        for dg in hello2:
            party.sendto(dg, target)
        reply = recv_for(party, 0.5)
        assert reply, "the new ClientHello got no answer"
        assert srtp_stream_to_phone(party, target, phone, k1) == 20
        d = dtls_of(ng.query("dtls-after-2"), "web")
        assert d["state"] == "handshaking" and d["handshakes"] == 1, d
        for dg in reply:
            c2.conn.bio_write(dg)
        k2, _ = c2.handshake(target)
        assert k2 != k1
        assert srtp_stream_to_phone(party, target, phone, k2) == 20
        assert srtp_stream_to_phone(party, target, phone, k1) == 0
        q = ng.query("dtls-after-2")
        d = dtls_of(q, "web")
        assert d["state"] == "connected" and d["handshakes"] == 2 and d["failures"] == 0, d
        assert q["tags"]["web"]["medias"][0]["streams"][0]["stats"]["SRTP auth failed"] >= 20
    finally:
        party.close()
        phone.close()
