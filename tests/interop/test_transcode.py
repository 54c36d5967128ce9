"""Transcoding through the relay, asked by the proxy the rtpengine way: an Opus-only
(or G.722-only) caller reaches a PCMU-only callee because Kamailio's offer carries
`codec-transcode=PCMU`. Audio is checked at both ends (each phone records what it
decodes), so both directions of the transcoder are exercised.
"""
import time

import pytest

from interop_lib import checks
from interop_lib.kamailio import DEFAULT_FLAGS
from interop_lib.topology import CALLEE_TONE, CALLER_TONE

from test_calls import assert_full_dialog, assert_media_both_ways, dial, hang_up

MEDIA_SECONDS = 3


@pytest.mark.parametrize("caller_codec", ["opus/48000/2", "G722/16000/1"])
def test_transcoded_call_to_pcmu_only_phone(make_world, caller_codec):
    world = make_world(caller_codecs=(caller_codec,), callee_codecs=("PCMU/8000/1",),
                       offer_flags=DEFAULT_FLAGS + " codec-transcode=PCMU", sniff=True)
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    assert_media_both_ways(world, call_id)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)

    name = caller_codec.split("/")[0].lower()
    # the phones share no codec, so audio can only flow if the relay transcodes
    sent_offer = checks.parse_sdp(checks.received_sdps(world.alice, "INVITE", received=False)[0])
    sent_answer = checks.parse_sdp(checks.received_sdps(world.bob, "200", received=False)[0])
    audio = lambda sdp: {c.split("/")[0].lower() for c in sdp["codecs"]} - {"telephone-event"}
    assert audio(sent_offer) == {name} and audio(sent_answer) == {"pcmu"}, \
        "phones were expected to share no codec: offer %r, answer %r" % (sent_offer,
                                                                        sent_answer)
    offer = checks.parse_sdp(checks.received_sdps(world.bob, "INVITE")[0])
    assert any(c.upper().startswith("PCMU/") for c in offer["codecs"]), \
        "bob (PCMU only) was not offered PCMU: %r" % offer
    answer = checks.parse_sdp(checks.received_sdps(world.alice, "200")[0])
    assert answer["codecs"] and answer["codecs"][0].lower().startswith(name), \
        "alice (%s only) got an answer without her codec first: %r" % (caller_codec, answer)
    # real phones start sending right after their 200 OK, before the proxy has
    # passed the answer to the relay: nothing may reach a phone in a codec it lacks
    checks.assert_sent_only_negotiated(world, world.alice, "INVITE")
    checks.assert_sent_only_negotiated(world, world.bob, "200")
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)
