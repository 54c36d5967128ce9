"""Assertions shared by the interop cases: the relay's view (ng query/list), the
proxy's view (Kamailio SIPLOG lines) and the phones' view (SDP, recordings)."""
import time

from . import kamailio as kam
from .phone import parse_sdp, received_sdps
from .tone import dominant


def query_streams(reply):
    """Flatten an rtpengine-shaped `query` reply (tags → medias → streams) into
    [{'tag', 'local_port', 'endpoint', 'packets', 'rtcp'}]."""
    assert reply.get("result") == "ok", "query failed: %r" % reply
    tags = reply.get("tags")
    assert isinstance(tags, dict) and tags, "query reply has no 'tags' dictionary: %r" % reply
    out = []
    for tag, mono in tags.items():
        for media in mono.get("medias", []):
            for stream in media.get("streams", []):
                flags = stream.get("flags", [])
                endpoint = stream.get("endpoint") or {}
                out.append({
                    "tag": tag,
                    "local_port": int(stream.get("local port", 0)),
                    "endpoint": (endpoint.get("address"), int(endpoint.get("port", 0) or 0)),
                    "packets": int((stream.get("stats") or {}).get("packets", 0)),
                    "rtcp": "RTCP" in flags and "RTP" not in flags,
                })
    return out


def rtp_packets(ng, call_id):
    """{tag: packets received on that party's RTP stream} for one call."""
    streams = query_streams(ng.command("query", call_id=call_id))
    counts = {}
    for s in streams:
        if not s["rtcp"]:
            counts[s["tag"]] = counts.get(s["tag"], 0) + s["packets"]
    return counts, streams


def only_call(ng, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        ids = ng.call_ids()
        if len(ids) == 1:
            return ids[0]
        if time.monotonic() >= deadline:
            raise AssertionError("relay `list` should show exactly one call, shows %r" % ids)
        time.sleep(0.1)


def assert_call_gone(ng, call_id, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        ids = ng.call_ids()
        if call_id not in ids:
            return
        if time.monotonic() >= deadline:
            raise AssertionError("call %s still in relay `list` %.0fs after it ended: %r"
                                 % (call_id, timeout, ids))
        time.sleep(0.1)


def dialog(kamailio, call_id):
    """The SIP exchange Kamailio saw for one Call-ID, as short strings:
    'INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE', ..."""
    out = []
    for ev in kam.sip_log(kamailio):
        if "ci=" + call_id not in ev:
            continue
        if ev[0] == "req":
            out.append(ev[1])
        elif ev[0] == "rpl":
            out.append("%s %s" % (ev[1], ev[2]))
    return out


def assert_in_order(seq, wanted):
    pos = 0
    for item in seq:
        if pos < len(wanted) and item == wanted[pos]:
            pos += 1
    assert pos == len(wanted), "SIP exchange %r does not contain %r in order" % (seq, wanted)


def relay_sdp(phone, what, relay_addr, port_range):
    """The SDP `phone` received (`what` = 'INVITE' or '200') must point at the relay."""
    bodies = received_sdps(phone, what)
    assert bodies, "%s received no %s with SDP" % (phone.name, what)
    sdp = parse_sdp(bodies[0])
    assert sdp["addr"] == relay_addr, \
        "%s's %s SDP has c=%s, not the relay's %s:\n%s" % (phone.name, what, sdp["addr"],
                                                           relay_addr, bodies[0])
    assert port_range[0] <= sdp["port"] <= port_range[1], \
        "%s's %s SDP port %s is outside the relay's range %r" % (phone.name, what,
                                                                 sdp["port"], port_range)
    return sdp


def assert_hears(phone, freq, other, min_seconds=1.0):
    """The phone's recording of what it received holds tone `freq`, not `other`."""
    files = phone.recordings("dec")
    assert files, "%s recorded nothing (no dump-*-dec.wav in %s)" % (phone.name, phone.dir)
    best, info = None, None
    for path in files:
        got, got_info = dominant(path, (freq, other))
        if info is None or got_info["active_seconds"] > info["active_seconds"]:
            best, info = got, got_info
    assert info["active_seconds"] >= min_seconds, \
        "%s heard only %.1fs of audio: %r" % (phone.name, info["active_seconds"], info)
    assert best == freq and info["fraction"][freq] > 0.5, \
        "%s should hear %d Hz, heard %r" % (phone.name, freq, info)
    return info


def assert_sent_only_negotiated(world, phone, what):
    """Every RTP packet the relay sent to `phone` (captured on the wire) carries a
    payload type that the phone itself put in its SDP (`what`: 'INVITE' for the
    caller's offer, '200' for the callee's answer). A relay that forwards a packet
    in a codec the phone never offered (e.g. before a transcoder is set up) fails."""
    sdps = received_sdps(phone, what, received=False)
    assert sdps, "%s sent no %s with SDP" % (phone.name, what)
    own = parse_sdp(sdps[0])
    dst = (own["addr"], own["port"])
    sent = [(t, pt) for t, where, pt, _ in list(world.sniffer.packets) if where == dst]
    assert sent, "the capture saw no RTP from the relay to %s at %r" % (phone.name, dst)
    bad = [(i, pt) for i, (_, pt) in enumerate(sent) if pt not in own["pts"]]
    assert not bad, ("relay sent %s (%r) %d of %d RTP packets with payload types it never "
                     "offered (its SDP has %r): first ones (index, pt) %r"
                     % (phone.name, dst, len(bad), len(sent), own["pts"], bad[:5]))
