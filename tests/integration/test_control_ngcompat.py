"""test_control_ngcompat.py: ng keys and flags as rtpengine's docs/ng_control_protocol.md
describes them, seen in the SDP and replies rtprelay sends back: `single-codec`, `ptime-reverse`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import sdp_conn_addr, sdp_offer  # noqa: E402
from transcode_media import phone_sdp, sdp_media  # noqa: E402

B_FORMATS = [(0, "PCMU/8000", None), (8, "PCMA/8000", None), (9, "G722/8000", None),
             (101, "telephone-event/8000", "0-16"), (13, "CN/8000", None)]
A_FORMATS = [(0, "PCMU/8000", None), (8, "PCMA/8000", None), (9, "G722/8000", None),
             (101, "telephone-event/8000", "0-16"), (13, "CN/8000", None)]


def test_single_codec(ng):
    """single-codec in an answer: the offerer gets the first codec only, with the
    events and comfort noise at its clock."""
    assert ng.offer("sc-1", "a", phone_sdp(5000, A_FORMATS))["result"] == "ok"
    r = ng.answer("sc-1", "a", "b", phone_sdp(6000, B_FORMATS), flags=["single-codec"])
    assert r["result"] == "ok", r
    assert "warning" not in r, r
    _, _, pts, rtpmap, fmtp, _ = sdp_media(r["sdp"])
    assert pts == [0, 101, 13], r["sdp"]
    assert rtpmap == {0: "PCMU/8000", 101: "telephone-event/8000", 13: "CN/8000"}
    assert fmtp == {101: "0-16"}
    # without the flag, every codec
    assert ng.offer("sc-2", "a", phone_sdp(5000, A_FORMATS))["result"] == "ok"
    r = ng.answer("sc-2", "a", "b", phone_sdp(6000, B_FORMATS))
    assert sdp_media(r["sdp"])[2] == [0, 8, 9, 101, 13]
    # the first codec as the answerer lists it
    assert ng.offer("sc-3", "a", phone_sdp(5000, A_FORMATS))["result"] == "ok"
    r = ng.answer("sc-3", "a", "b", phone_sdp(6000, [B_FORMATS[3], B_FORMATS[2],
                                                     B_FORMATS[0]]), flags=["single-codec"])
    assert sdp_media(r["sdp"])[2] == [101, 9], r["sdp"]


def test_ptime_reverse(ng):
    """ptime-reverse with the offer: the ptime towards the offerer, in the answer;
    ptime with the offer goes towards the answerer."""
    r = ng.offer("pr-1", "a", phone_sdp(5000, A_FORMATS[:2]),
                 **{"ptime": 40, "ptime-reverse": 30})
    assert r["result"] == "ok" and "warning" not in r, r
    assert sdp_media(r["sdp"])[5] == 40
    a = ng.answer("pr-1", "a", "b", phone_sdp(6000, B_FORMATS[:2]))
    assert a["result"] == "ok", a
    assert sdp_media(a["sdp"])[5] == 30, a["sdp"]
    # as a flag string (Kamailio) too
    r = ng.offer("pr-2", "a", phone_sdp(5000, A_FORMATS[:2]), flags=["ptime-reverse=60"])
    assert "warning" not in r, r
    a = ng.answer("pr-2", "a", "b", phone_sdp(6000, B_FORMATS[:2]))
    assert sdp_media(a["sdp"])[5] == 60
    # transcoded: the offerer's side of the transcoder runs at that ptime
    r = ng.offer("pr-3", "a", phone_sdp(5000, A_FORMATS[:1]),
                 codec={"transcode": ["G722"]}, **{"ptime-reverse": 30})
    assert r["result"] == "ok", r
    a = ng.answer("pr-3", "a", "b", phone_sdp(6000, [(9, "G722/8000", None)]))
    _, _, pts, _, _, ptime = sdp_media(a["sdp"])
    assert pts == [0] and ptime == 30, a["sdp"]
    # without it the answerer's ptime stays
    ng.offer("pr-4", "a", phone_sdp(5000, A_FORMATS[:2]))
    a = ng.answer("pr-4", "a", "b", phone_sdp(6000, B_FORMATS[:2]))
    assert sdp_media(a["sdp"])[5] == 20
