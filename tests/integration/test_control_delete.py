"""delete as rtpengine answers it: an unknown call or unmatched tag is "ok" with a
warning unless the "fatal" flag asks for an error; "all" deletes the whole call
whatever tags or via-branch the message names."""

from ngclient import sdp_offer

NOT_FOUND = "Call-ID not found or tags didn't match"


def calls(ng):
    return sorted(ng.request({"command": "list"})["calls"])


def test_unknown_call_is_a_warning_unless_fatal(ng):
    ng.offer("keep", "A", sdp_offer())
    r = ng.delete("nosuch", **{"delete-delay": 0})
    assert r["result"] == "ok" and r["warning"] == NOT_FOUND, r
    r = ng.delete("nosuch", **{"delete-delay": 0, "flags": ["fatal"]})
    assert r == {"result": "error", "error-reason": NOT_FOUND}
    # the Kamailio spelling of the flag, and nothing else was touched
    r = ng.delete("nosuch", **{"flags": ["FATAL"]})
    assert r["result"] == "error"
    assert calls(ng) == ["keep"]


def test_unmatched_tag_or_branch_is_a_warning_unless_fatal(ng):
    ng.offer("t1", "A", sdp_offer(), **{"via-branch": "z9hG4bK-1"})
    for kw in ({"from-tag": "nope"}, {"via-branch": "wrong"}):
        r = ng.delete("t1", **dict(kw, **{"delete-delay": 0}))
        assert r["result"] == "ok" and NOT_FOUND in r["warning"], r
        r = ng.delete("t1", **dict(kw, **{"delete-delay": 0, "flags": ["fatal"]}))
        assert r["result"] == "error" and r["error-reason"] == NOT_FOUND, r
    assert calls(ng) == ["t1"]          # still there
    r = ng.delete("t1", **{"from-tag": "A", "delete-delay": 0, "flags": ["fatal"]})
    assert r["result"] == "ok" and "warning" not in r
    assert calls(ng) == []


def test_all_deletes_the_whole_call(ng):
    for cid in ("f1", "f2", "f3"):
        ng.offer(cid, "A", sdp_offer(port=5000), **{"via-branch": "z9hG4bK-" + cid})
        ng.answer(cid, "A", "B1", sdp_offer(port=6000))
        ng.answer(cid, "A", "B2", sdp_offer(port=7000))
    # without "all" one fork of several ends and the call stays
    r = ng.delete("f1", **{"from-tag": "A", "to-tag": "B1", "delete-delay": 0})
    assert r["result"] == "ok" and calls(ng) == ["f1", "f2", "f3"]
    assert "B1" not in ng.query("f1")["tags"]
    # with "all" the same message ends the call, every branch of it
    r = ng.delete("f2", **{"from-tag": "A", "to-tag": "B1", "delete-delay": 0,
                           "flags": ["all"]})
    assert r["result"] == "ok" and "warning" not in r, r
    assert calls(ng) == ["f1", "f3"]
    # "all" as a key, with a via-branch and a from-tag that match nothing
    r = ng.delete("f3", **{"from-tag": "nope", "via-branch": "wrong", "all": "all",
                           "delete-delay": 0, "flags": ["fatal"]})
    assert r["result"] == "ok" and "warning" not in r, r
    assert calls(ng) == ["f1"]
    # an unknown call stays unknown, "all" or not
    r = ng.delete("f3", **{"delete-delay": 0, "flags": ["all", "fatal"]})
    assert r["result"] == "error" and r["error-reason"] == NOT_FOUND


def test_all_honours_delete_delay(ng):
    ng.offer("dl", "A", sdp_offer())
    ng.answer("dl", "A", "B1", sdp_offer(port=6000))
    ng.answer("dl", "A", "B2", sdp_offer(port=7000))
    r = ng.delete("dl", **{"from-tag": "A", "to-tag": "B1", "delete-delay": 30,
                           "flags": ["all"]})
    assert r["result"] == "ok"
    tags = ng.query("dl")["tags"]       # pending: nothing dropped yet
    assert {"A", "B1", "B2"} <= set(tags)
    assert calls(ng) == ["dl"]
