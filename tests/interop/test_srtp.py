"""SDES-SRTP through the relay with real phones: baresip's srtp module with SRTP
mandatory (`mediaenc=srtp-mand`) on one side, a plain-RTP baresip on the other,
Kamailio running docs/kamailio.md with the SRTP rows of its Flags table.

The relay terminates SRTP: the SRTP phone gets RTP/SAVP with one a=crypto line (the
relay's key, on the phone's tag), the plain phone gets RTP/AVP without any; each phone
hears the other's tone, and the relay authenticated every SRTP packet it accepted.

baresip opens the NAT pinhole for RTCP with one RTCP APP packet ("PING", data "PONG",
16 bytes) when its stream starts, and its srtp module sends it in clear: on the SRTP
leg the relay drops it (too short to be SRTCP, so no libsrtp authentication is even
tried). Before the answer has reached the relay, that packet (and an SRTP callee's
first media) counts as `SRTP awaiting keys`, after it as one `SRTP errors` on the SRTP
phone's RTCP stream. The test pins that: no SRTP error on any RTP stream, at most one
on each RTCP stream.
"""
import time

from interop_lib import checks
from interop_lib import kamailio as kam
from interop_lib.phone import received_sdps
from interop_lib.topology import CALLEE_TONE, CALLER_TONE

from test_calls import (MEDIA_SECONDS, assert_full_dialog, assert_media_both_ways, dial,
                        hang_up)


def crypto_lines(body):
    return [l.strip() for l in body.splitlines() if l.startswith("a=crypto:")]


def m_proto(body):
    return [l for l in body.splitlines() if l.startswith("m=audio")][0].split()[2]


def check_call(world, srtp_phone, plain_phone, srtp_what, plain_what):
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    assert_media_both_ways(world, call_id)
    q = world.ng.command("query", call_id=call_id)
    suites = {tag: [s.get("crypto suite") for m in p["medias"] for s in m["streams"]]
              for tag, p in q["tags"].items()}
    auth_failed = [s["stats"].get("SRTP auth failed", 0) for p in q["tags"].values()
                   for m in p["medias"] for s in m["streams"]]
    srtp_errors = [("RTCP" in s["flags"], s["stats"].get("SRTP errors", 0))
                   for p in q["tags"].values() for m in p["medias"] for s in m["streams"]]
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)

    # what each phone sent and what it was given
    sent = received_sdps(srtp_phone, srtp_what, received=False)[0]
    got = received_sdps(srtp_phone, "200" if srtp_what == "INVITE" else "INVITE")[0]
    assert m_proto(sent) == "RTP/SAVP" and crypto_lines(sent), sent
    assert m_proto(got) == "RTP/SAVP", got
    given = crypto_lines(got)
    tag = lambda line: line.split()[0]
    offered_tags = {tag(l) for l in crypto_lines(sent)}
    if srtp_what == "INVITE":   # the relay answers the SRTP caller with exactly one line
        assert len(given) == 1 and tag(given[0]) in offered_tags, (sent, got)
    key = lambda line: line.split("inline:")[1].split("|")[0].split()[0]
    assert not {key(l) for l in given} & {key(l) for l in crypto_lines(sent)}, \
        "the relay must use keys of its own, not pass the phone's through"
    plain = received_sdps(plain_phone, plain_what)[0]
    assert m_proto(plain) == "RTP/AVP" and not crypto_lines(plain), plain
    # one party SRTP, the other plain, and nothing failed authentication
    named = sorted(sorted(v for v in s if v) for s in suites.values())
    assert named[0] == [] and len(named[1]) == 2, suites
    assert sum(auth_failed) == 0, auth_failed
    # only baresip's cleartext RTCP "PING" (see above) is an SRTP error
    assert all(n == 0 or (rtcp and n == 1) for rtcp, n in srtp_errors), (srtp_errors, q)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)


def test_srtp_phone_calls_plain_phone(make_world):
    flags = kam.DEFAULT_FLAGS + " " + kam.documented_flags("test_srtp_phone_calls_plain_phone")
    world = make_world(offer_flags=flags, caller_mediaenc="srtp-mand")
    check_call(world, world.alice, world.bob, "INVITE", "INVITE")


def test_plain_phone_calls_srtp_phone(make_world):
    flags = kam.DEFAULT_FLAGS + " " + kam.documented_flags("test_plain_phone_calls_srtp_phone")
    world = make_world(offer_flags=flags, callee_mediaenc="srtp-mand")
    check_call(world, world.bob, world.alice, "200", "200")
