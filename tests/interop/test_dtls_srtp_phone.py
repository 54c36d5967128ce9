"""DTLS-SRTP through the relay with a real phone: baresip 1.0's dtls_srtp module
(`mediaenc=dtls_srtp`: it offers UDP/TLS/RTP/SAVPF with a=setup:actpass and a
self-signed certificate's fingerprint, and no ICE: the ice module is not loaded) calls a
plain-RTP baresip through Kamailio running docs/kamailio.md with the flags of its
"A DTLS-SRTP phone" row.

The relay terminates DTLS-SRTP: the phone is answered UDP/TLS/RTP/SAVPF with the relay's
own fingerprint and a=setup, the plain phone is offered RTP/AVP without any of it; the
handshake completes (in both roles), each phone hears the other's tone, and the relay
authenticated every SRTP packet it accepted.

The reverse, a plain baresip calling the dtls_srtp one (the Flags table's row for it,
`transport-protocol=UDP/TLS/RTP/SAVPF ICE=remove`): the relay offers its own
fingerprint, the phone answers a=setup:active and the relay is the DTLS server.
"""
import time

import pytest

from interop_lib import checks
from interop_lib import kamailio as kam
from interop_lib.phone import received_sdps
from interop_lib.topology import CALLEE_TONE, CALLER_TONE

from test_calls import (MEDIA_SECONDS, assert_full_dialog, assert_media_both_ways, dial,
                        hang_up)


def attr(body, name):
    return [l.strip()[len(name) + 3:] for l in body.splitlines()
            if l.strip().startswith("a=%s:" % name)]


def m_proto(body):
    return [l for l in body.splitlines() if l.startswith("m=audio")][0].split()[2]


def assert_relay_dtls(q, relay_role):
    """`query` shows one connected DTLS association, in `relay_role`, on one party's
    RTP stream (1 handshake, 0 failures), its SRTP profile as that stream's crypto
    suite, no SRTP authentication failure, and no crypto at all on the other party."""
    rtp = {tag: [s for m in p["medias"] for s in m["streams"] if "RTP" in s.get("flags", [])]
           for tag, p in q["tags"].items()}
    dtls = {tag: [s.get("DTLS") for s in streams] for tag, streams in rtp.items()}
    dtls_tags = [tag for tag, d in dtls.items() if any(d)]
    assert len(dtls_tags) == 1, dtls
    (state,) = dtls[dtls_tags[0]]
    assert state["state"] == "connected" and state["role"] == relay_role, state
    assert state["handshakes"] == 1 and state["failures"] == 0, state
    # the DTLS server picks the profile: baresip (client) takes AES_CM_128_HMAC_SHA1_80,
    # rtprelay (server) the strongest both offer, AEAD_AES_256_GCM
    assert state["SRTP profile"] == ("AEAD_AES_256_GCM" if relay_role.startswith("passive")
                                     else "AES_CM_128_HMAC_SHA1_80"), state
    (stream,) = rtp[dtls_tags[0]]
    assert stream["crypto suite"] == state["SRTP profile"], stream
    assert stream["stats"]["SRTP auth failed"] == 0, stream
    (other,) = [s for tag, streams in rtp.items() if tag != dtls_tags[0] for s in streams]
    assert "crypto suite" not in other and "DTLS" not in other, other


# relay as the DTLS client (rtprelay's default answer to actpass), or as the server
# (`DTLS=passive` on the answer, as configs for browsers have it)
@pytest.mark.parametrize("answer_dtls,relay_setup,relay_role",
                         [("", "active", "active (client)"),
                          ("DTLS=passive", "passive", "passive (server)")],
                         ids=["relay-client", "relay-server"])
def test_dtls_srtp_phone_calls_plain_phone(make_world, answer_dtls, relay_setup, relay_role):
    offer = kam.DEFAULT_FLAGS + " " + kam.documented_flags(
        "test_dtls_srtp_phone_calls_plain_phone")
    world = make_world(offer_flags=offer,
                       answer_flags=(kam.DEFAULT_FLAGS + " " + answer_dtls).strip(),
                       caller_mediaenc="dtls_srtp", caller_config=("rtcp_mux yes",))
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    assert_media_both_ways(world, call_id)
    q = world.ng.command("query", call_id=call_id)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)

    sent = received_sdps(world.alice, "INVITE", received=False)[0]
    got = received_sdps(world.alice, "200")[0]
    assert m_proto(sent) == "UDP/TLS/RTP/SAVPF" and attr(sent, "setup") == ["actpass"], sent
    assert not attr(sent, "candidate"), "baresip without its ice module offers no ICE"
    assert m_proto(got) == "UDP/TLS/RTP/SAVPF", got
    assert attr(got, "setup") == [relay_setup], got
    assert len(attr(got, "fingerprint")) == 1 and not attr(got, "crypto"), got
    fp = lambda line: line.split()[1].upper()
    assert fp(attr(got, "fingerprint")[0]) != fp(attr(sent, "fingerprint")[0]), \
        "the relay must answer with its own certificate's fingerprint"
    assert not attr(got, "candidate") and not attr(got, "ice-ufrag"), got
    plain = received_sdps(world.bob, "INVITE")[0]
    assert m_proto(plain) == "RTP/AVP", plain
    assert not (attr(plain, "crypto") or attr(plain, "fingerprint") or attr(plain, "setup")), plain
    assert "DTLS-SRTP complete" in world.alice.proc.output()

    # the relay's view: a connected association on alice's RTP stream, nothing on bob's
    assert_relay_dtls(q, relay_role)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)


# the reverse: the relay offers DTLS-SRTP to the phone. The relay's offer says
# a=setup:actpass with or without `DTLS=passive` (as rtpengine's, docs/webrtc.md "DTLS
# roles"); the phone, as answerer, picks its role (baresip takes active, RFC 5763 5, so
# the relay is the DTLS server)
@pytest.mark.parametrize("offer_dtls,relay_setup",
                         [("", "actpass"), ("DTLS=passive", "actpass")],
                         ids=["relay-actpass", "relay-passive"])
def test_plain_phone_calls_dtls_srtp_phone(make_world, offer_dtls, relay_setup):
    offer = " ".join(f for f in (kam.DEFAULT_FLAGS, kam.documented_flags(
        "test_plain_phone_calls_dtls_srtp_phone"), offer_dtls) if f)
    world = make_world(offer_flags=offer, callee_mediaenc="dtls_srtp",
                       callee_config=("rtcp_mux yes",))
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    assert_media_both_ways(world, call_id)
    q = world.ng.command("query", call_id=call_id)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)

    got = received_sdps(world.bob, "INVITE")[0]
    sent = received_sdps(world.bob, "200", received=False)[0]
    assert m_proto(got) == "UDP/TLS/RTP/SAVPF", got
    assert attr(got, "setup") == [relay_setup], got
    assert len(attr(got, "fingerprint")) == 1 and not attr(got, "crypto"), got
    assert not attr(got, "candidate") and not attr(got, "ice-ufrag"), got
    assert m_proto(sent) == "UDP/TLS/RTP/SAVPF" and attr(sent, "setup") == ["active"], sent
    fp = lambda line: line.split()[1].upper()
    assert fp(attr(got, "fingerprint")[0]) != fp(attr(sent, "fingerprint")[0]), \
        "the relay must offer its own certificate's fingerprint"
    plain = received_sdps(world.alice, "200")[0]
    assert m_proto(plain) == "RTP/AVP", plain
    assert not (attr(plain, "crypto") or attr(plain, "fingerprint") or attr(plain, "setup")), plain
    assert "DTLS-SRTP complete" in world.bob.proc.output()

    # the relay's view: a connected association on bob's RTP stream, the relay the
    # DTLS server, nothing on alice's
    assert_relay_dtls(q, "passive (server)")
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
