"""A second, independent SRTP phone: Linphone's console client (linphonec 5.1, Debian
linphone-cli) with SDES-SRTP mandatory (`media_encryption=srtp`,
`media_encryption_mandatory=1`) calls a plain-RTP baresip through Kamailio running
docs/kamailio.md with the Flags table's row for an SRTP phone calling a plain one.
Headless: linphonec plays the caller's tone from a WAV file and records what it decodes
into another (`soundcard use files`), so no sound device is needed.

The relay terminates SRTP: Linphone is answered RTP/SAVP with one a=crypto line of the
relay's own key on a tag Linphone offered, baresip gets RTP/AVP without any; Linphone
negotiates SRTP, the relay authenticated every SRTP packet it accepted, each phone
hears the other's tone, and after Linphone hangs up the call is gone from `list`.

Linphone does no ICE here, yet when its audio stream starts mediastreamer2 sends two
bare STUN binding requests (20 bytes, first byte 0x00; it logs "Stun packet of length
20 sent on rtp" / "... on rtcp") to each of the relay's ports, to open NAT pinholes.
They are not SRTP: the relay drops them as STUN (RFC 7983 first byte 0..3) without
handing them to libsrtp and counts them as `dropped other` on Linphone's RTP and RTCP
streams, so `SRTP errors` stays 0. The test pins this: each stream's `dropped other`
equals the number of STUN packets Linphone logged for that port, and no SRTP counter
(`SRTP errors`, `SRTP auth failed`, `SRTP awaiting keys`) counts anything.

The reverse (a plain baresip calls Linphone, which auto-answers) runs the Flags table's
plain-to-SRTP row and the same checks, Linphone now answering one of the relay's
a=crypto lines with a key of its own.
"""
import os
import time

from interop_lib import checks
from interop_lib import kamailio as kam
from interop_lib.linphone import Linphone
from interop_lib.phone import received_sdps
from interop_lib.tone import dominant
from interop_lib.topology import CALLEE_TONE, CALLER_TONE, SIP_PORT

from test_calls import EVENT_TIMEOUT, MEDIA_SECONDS, assert_media_both_ways, wait_dialog
from test_srtp import crypto_lines, m_proto

LINPHONE_SIP, LINPHONE_RTP = 5090, 17078


def test_linphone_srtp_calls_plain_phone(make_world):
    flags = kam.DEFAULT_FLAGS + " " + kam.documented_flags("test_srtp_phone_calls_plain_phone")
    world = make_world(offer_flags=flags)
    carol = Linphone("carol", world.logdir, world.core.name, LINPHONE_SIP, LINPHONE_RTP,
                     "carol", world.core_addr, "%s:%d" % (world.core_addr, SIP_PORT),
                     os.path.join(world.logdir, "caller-%d.wav" % CALLER_TONE))
    world.phones.append(carol)   # stopped (by PID) with the world's phones
    carol.wait_registered(EVENT_TIMEOUT)
    carol.start_files()
    carol.send("call sip:bob@%s" % world.core_addr)
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    carol.wait_log("Negotiated media encryption is LinphoneMediaEncryptionSRTP", EVENT_TIMEOUT)
    call_id = checks.only_call(world.ng)
    time.sleep(MEDIA_SECONDS)
    assert_media_both_ways(world, call_id)
    q = world.ng.command("query", call_id=call_id)
    carol.send("terminate")
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    checks.assert_call_gone(world.ng, call_id)
    seen = wait_dialog(world, call_id, "200 BYE", 1, timeout=5)
    checks.assert_in_order(seen, ["INVITE", "200 INVITE", "ACK", "BYE", "200 BYE"])

    # Linphone's offer and the relay's answer to it, from liblinphone's log
    port = lambda body: int([l for l in body.splitlines() if l.startswith("m=audio")][0]
                            .split()[1])
    sdps = [b for b in carol.sdps() if "m=audio" in b]
    sent = [b for b in sdps if port(b) == LINPHONE_RTP][0]
    got = [b for b in sdps if port(b) != LINPHONE_RTP][0]
    assert m_proto(sent) == "RTP/SAVP" and crypto_lines(sent), sent
    assert m_proto(got) == "RTP/SAVP", got
    given = crypto_lines(got)
    tag = lambda line: line.split()[0]
    key = lambda line: line.split("inline:")[1].split("|")[0].split()[0]
    assert len(given) == 1 and tag(given[0]) in {tag(l) for l in crypto_lines(sent)}, \
        (sent, got)
    assert key(given[0]) not in {key(l) for l in crypto_lines(sent)}, \
        "the relay must use keys of its own, not pass Linphone's through"
    plain = received_sdps(world.bob, "INVITE")[0]
    assert m_proto(plain) == "RTP/AVP" and not crypto_lines(plain), plain

    # the relay's view: SRTP with the answered suite on Linphone's streams only, and
    # every SRTP packet it took authenticated
    suite = given[0].split()[1]
    streams = {t: [s for m in p["medias"] for s in m["streams"]] for t, p in q["tags"].items()}
    srtp_tags = [t for t, ss in streams.items() if any(s.get("crypto suite") for s in ss)]
    assert len(srtp_tags) == 1, streams
    srtp = streams[srtp_tags[0]]
    assert all(s.get("crypto suite") == suite for s in srtp), srtp
    rtp = [s for s in srtp if "RTP" in s["flags"]][0]
    assert rtp["endpoint"]["port"] == LINPHONE_RTP, rtp
    assert rtp["stats"]["forwarded"] >= 20, rtp
    for key in ("SRTP auth failed", "SRTP errors", "SRTP replayed", "SRTP awaiting keys"):
        assert sum(s["stats"].get(key, 0) for ss in streams.values() for s in ss) == 0, \
            (key, streams)
    # Linphone's start-of-stream STUN requests: dropped as STUN, one by one
    rtcp = [s for s in srtp if "RTCP" in s["flags"]][0]
    log = carol.log()
    stun_rtp = log.count("Stun packet of length 20 sent on rtp ")
    stun_rtcp = log.count("Stun packet of length 20 sent on rtcp ")
    assert stun_rtp >= 1 and stun_rtcp >= 1, "Linphone logged no STUN packets"
    assert (rtp["stats"]["dropped other"], rtcp["stats"]["dropped other"]) == \
        (stun_rtp, stun_rtcp), (stun_rtp, stun_rtcp, srtp)

    # each hears the other: baresip's decoded recording and Linphone's received.wav
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
    carol.stop()   # closes its recording
    assert os.path.exists(carol.recording), "Linphone recorded nothing"
    best, info = dominant(carol.recording, (CALLEE_TONE, CALLER_TONE))
    assert info["active_seconds"] >= 1.0 and best == CALLEE_TONE \
        and info["fraction"][CALLEE_TONE] > 0.5, info


def test_plain_phone_calls_linphone_srtp(make_world):
    """The reverse: plain baresip alice calls Linphone (SRTP mandatory, auto-answer)
    with the Flags table's row for a plain phone calling an SRTP one
    (`transport-protocol=RTP/SAVP`): Linphone is offered RTP/SAVP with the relay's own
    a=crypto lines and answers one of them, alice is answered RTP/AVP without any."""
    flags = kam.DEFAULT_FLAGS + " " + kam.documented_flags("test_plain_phone_calls_srtp_phone")
    world = make_world(offer_flags=flags)
    carol = Linphone("carol", world.logdir, world.core.name, LINPHONE_SIP, LINPHONE_RTP,
                     "carol", world.core_addr, "%s:%d" % (world.core_addr, SIP_PORT),
                     os.path.join(world.logdir, "callee-%d.wav" % CALLEE_TONE), gruu=False)
    world.phones.append(carol)   # stopped (by PID) with the world's phones
    carol.wait_registered(EVENT_TIMEOUT)
    carol.send("autoanswer enable")
    carol.start_files()
    reply = world.alice.command("dial", "sip:carol@%s" % world.core_addr)
    assert reply.get("ok"), "dial failed: %r" % reply
    world.alice.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    carol.wait_log("Negotiated media encryption is LinphoneMediaEncryptionSRTP", EVENT_TIMEOUT)
    call_id = checks.only_call(world.ng)
    time.sleep(MEDIA_SECONDS)
    assert_media_both_ways(world, call_id)
    q = world.ng.command("query", call_id=call_id)
    assert world.alice.command("hangup").get("ok")
    world.alice.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    carol.wait_log("moving from state LinphoneCallEnd to LinphoneCallReleased",
                   EVENT_TIMEOUT)
    checks.assert_call_gone(world.ng, call_id)
    seen = wait_dialog(world, call_id, "200 BYE", 1, timeout=5)
    checks.assert_in_order(seen, ["INVITE", "200 INVITE", "ACK", "BYE", "200 BYE"])

    # the relay's offer to Linphone and Linphone's answer, from liblinphone's log
    port = lambda body: int([l for l in body.splitlines() if l.startswith("m=audio")][0]
                            .split()[1])
    sdps = [b for b in carol.sdps() if "m=audio" in b]
    got = [b for b in sdps if port(b) != LINPHONE_RTP][0]
    sent = [b for b in sdps if port(b) == LINPHONE_RTP][0]
    assert m_proto(got) == "RTP/SAVP" and crypto_lines(got), got
    assert m_proto(sent) == "RTP/SAVP", sent
    offered, answered = crypto_lines(got), crypto_lines(sent)
    tag = lambda line: line.split()[0]
    key = lambda line: line.split("inline:")[1].split("|")[0].split()[0]
    assert len(answered) == 1 and tag(answered[0]) in {tag(l) for l in offered}, (got, sent)
    assert key(answered[0]) not in {key(l) for l in offered}, (got, sent)
    plain_offer = received_sdps(world.alice, "INVITE", received=False)[0]
    plain = received_sdps(world.alice, "200")[0]
    assert not crypto_lines(plain_offer), plain_offer
    assert m_proto(plain) == "RTP/AVP" and not crypto_lines(plain), plain

    # the relay's view: the suite Linphone answered on Linphone's streams only, and
    # every SRTP packet it took authenticated
    suite = answered[0].split()[1]
    streams = {t: [s for m in p["medias"] for s in m["streams"]] for t, p in q["tags"].items()}
    srtp_tags = [t for t, ss in streams.items() if any(s.get("crypto suite") for s in ss)]
    assert len(srtp_tags) == 1, streams
    srtp = streams[srtp_tags[0]]
    assert all(s.get("crypto suite") == suite for s in srtp), srtp
    rtp = [s for s in srtp if "RTP" in s["flags"]][0]
    assert rtp["endpoint"]["port"] == LINPHONE_RTP, rtp
    assert rtp["stats"]["forwarded"] >= 20, rtp
    for name in ("SRTP auth failed", "SRTP errors", "SRTP replayed", "SRTP awaiting keys"):
        assert sum(s["stats"].get(name, 0) for ss in streams.values() for s in ss) == 0, \
            (name, streams)
    # Linphone's start-of-stream STUN requests: dropped as STUN, one by one
    rtcp = [s for s in srtp if "RTCP" in s["flags"]][0]
    log = carol.log()
    stun_rtp = log.count("Stun packet of length 20 sent on rtp ")
    stun_rtcp = log.count("Stun packet of length 20 sent on rtcp ")
    assert stun_rtp >= 1 and stun_rtcp >= 1, "Linphone logged no STUN packets"
    assert (rtp["stats"]["dropped other"], rtcp["stats"]["dropped other"]) == \
        (stun_rtp, stun_rtcp), (stun_rtp, stun_rtcp, srtp)

    # each hears the other: baresip's decoded recording and Linphone's received.wav
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)
    carol.stop()   # closes its recording
    assert os.path.exists(carol.recording), "Linphone recorded nothing"
    best, info = dominant(carol.recording, (CALLER_TONE, CALLEE_TONE))
    assert info["active_seconds"] >= 1.0 and best == CALLER_TONE \
        and info["fraction"][CALLER_TONE] > 0.5, info
