"""RFC 4733 DTMF across the WebRTC <-> phone bridge: an Opus leg with ICE and
DTLS-SRTP on one side, a plain PCMU phone on the other, telephone-event on both
(telephone-event/48000 on the WebRTC leg, /8000 on the phone's), transcoded.

The WebRTC side is built from independent parts so that every packet is the
test's own: ICE by python3-aioice (a full agent, controlling; rtprelay is lite),
DTLS by pyOpenSSL over that ICE connection (the client; rtprelay passive), SRTP by
pylibsrtp with the keys the handshake exported (RFC 5764 4.2), Opus by the system
libopus (tests/integration/transcode_media.py).

  - an event sent by each side arrives on the other: the right event, on that
    side's telephone-event payload type, its duration in that side's clock, the
    marker on its first packet, three end packets, one timestamp;
  - `play DTMF` from ng into the stream towards the WebRTC leg (in-band on a
    transcoded stream) arrives there encrypted, decrypts with the relay's key and
    decodes to the digit's two tones.
"""

import asyncio
import os
import sys

import numpy as np
import pytest

aioice = pytest.importorskip("aioice")
pytest.importorskip("OpenSSL")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srtp_peer import Srtp  # noqa: E402
from test_callctl_features import DTMF_COLS, DTMF_ROWS, dominant, goertzel  # noqa: E402
from test_dtls_webrtc import DtlsClient  # noqa: E402
from test_ice import WebRtcSide, check_relay_ice  # noqa: E402
from transcode_media import (Opus, Pcmu, Stream, phone_sdp, rtp_parse, sdp_media,  # noqa: E402
                             udp_pair, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

OPUS_PT, WEB_TE_PT = 111, 110
SUITE = "AES_CM_128_HMAC_SHA1_80"  # what DtlsClient offers (SRTP_AES128_CM_SHA1_80)
SECONDS = 2.0
DTMF_AT = 0.6


def web_sdp(web, fingerprint):
    """The WebRTC party's offer: Opus and telephone-event/48000, ICE, DTLS actpass."""
    sdp = web.sdp(extra=("a=setup:actpass", "a=fingerprint:" + fingerprint,
                         "a=mid:0"))
    return sdp.replace("RTP/AVP 0", "UDP/TLS/RTP/SAVPF %d %d" % (OPUS_PT, WEB_TE_PT)).replace(
        "a=rtpmap:0 PCMU/8000", "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d useinbandfec=1\r\n"
        "a=rtpmap:%d telephone-event/48000\r\na=fmtp:%d 0-16"
        % (OPUS_PT, OPUS_PT, WEB_TE_PT, WEB_TE_PT))


async def dtls_over_ice(client, conn, timeout=5.0):
    """The DTLS handshake as client over the aioice connection; returns the SRTP
    (local, remote) master keys+salts."""
    SSL = client.SSL
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        assert loop.time() < end, "DTLS handshake did not complete"
        try:
            client.conn.do_handshake()
            done = True
        except SSL.WantReadError:
            done = False
        try:
            while True:
                await conn.send(client.conn.bio_read(4096))
        except SSL.WantReadError:
            pass
        if done:
            break
        try:
            client.conn.bio_write(await asyncio.wait_for(conn.recv(), 0.3))
        except asyncio.TimeoutError:
            pass
    m = client.conn.export_keying_material(b"EXTRACTOR-dtls_srtp", 60)
    ck, sk, cs, ss = m[0:16], m[16:32], m[32:46], m[46:60]
    return ck + cs, sk + ss


async def exchange(web, tx, phone_sock, phone_target, web_packets, phone_packets, quiet=0.8):
    """Send both schedules in real time (the WebRTC side's through SRTP and ICE),
    collect what each side receives until quiet; returns (web got, phone got)."""
    web_got, phone_got = [], []
    stop = asyncio.Event()

    async def web_rx():
        while not stop.is_set():
            try:
                web_got.append(await asyncio.wait_for(web.conn.recv(), 0.2))
            except asyncio.TimeoutError:
                pass

    rx = asyncio.ensure_future(web_rx())
    loop = asyncio.get_running_loop()
    events = sorted([(t, 0, p) for t, p in web_packets] + [(t, 1, p) for t, p in phone_packets],
                    key=lambda e: e[0])
    start = loop.time()
    phone_sock.setblocking(False)
    for t, side, p in events:
        delay = start + t - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if side == 0:
            await web.conn.send(tx.protect(p))
        else:
            phone_sock.sendto(p, phone_target)
        phone_got.extend(drain_now(phone_sock))
    last = loop.time()
    while loop.time() - last < quiet and loop.time() - start < 20:
        await asyncio.sleep(0.05)
        n = len(phone_got) + len(web_got)
        phone_got.extend(drain_now(phone_sock))
        if len(phone_got) + len(web_got) != n:
            last = loop.time()
    stop.set()
    await rx
    return web_got, phone_got


def drain_now(sock):
    got = []
    while True:
        try:
            got.append(sock.recv(4096))
        except BlockingIOError:
            return got


def rtp_only(pkts):
    """RTP (not RTCP: rtcp-mux, RFC 5761 payload types 72-76 with the marker)."""
    return [p for p in pkts if len(p) >= 12 and not 192 <= p[1] <= 223]


def check_event(heads, te_pt, event, clock, ms):
    """One RFC 4733 event on te_pt in heads, as rtprelay re-times it."""
    ev = [h for h in heads if h[0] == te_pt]
    assert len(ev) >= 4, "events on PT %d: %d of %s" % (te_pt, len(ev), {h[0] for h in heads})
    assert len({h[3] for h in ev}) == 1, "one timestamp per event"
    assert len({h[4] for h in heads}) == 1, "one SSRC for audio and events"
    assert ev[0][1] and [h[1] for h in ev].count(True) == 1, "marker on the first only"
    assert all(h[5][0] == event for h in ev), [h[5][0] for h in ev]
    ends = [h for h in ev if h[5][1] & 0x80]
    assert len(ends) == 3 and ev[-3:] == ends, "three end packets, last"
    assert int.from_bytes(ends[-1][5][2:4], "big") == clock * ms // 1000
    durs = [int.from_bytes(h[5][2:4], "big") for h in ev]
    assert durs == sorted(durs), "durations grow"
    return ev


def test_dtmf_both_ways_across_webrtc_opus_to_pcmu(ng):
    async def go():
        web = await WebRtcSide().gather()
        client = DtlsClient(None)
        ps, pc, phone_port = udp_pair()
        try:
            r = ng.offer("dtmf-web", "web", web_sdp(web, client.fingerprint), ICE="remove",
                         flags=["RTP/AVP"], codec={"transcode": ["PCMU"]},
                         **{"rtcp-mux": ["demux"]})
            assert r["result"] == "ok", r
            addr_p, port_p, pts, rtpmap, _, _ = sdp_media(r["sdp"])
            assert 0 in pts, r["sdp"]
            te = [pt for pt in pts if rtpmap.get(pt, "").lower() == "telephone-event/8000"]
            assert len(te) == 1, "a telephone-event/8000 for the PCMU phone:\n" + r["sdp"]
            a = ng.answer("dtmf-web", "web", "ph", phone_sdp(phone_port, [
                (0, "PCMU/8000", None), (te[0], "telephone-event/8000", "0-16")]),
                DTLS="passive")
            assert a["result"] == "ok", a
            _, _, apts, artpmap, _, _ = sdp_media(a["sdp"])
            assert OPUS_PT in apts and WEB_TE_PT in apts, a["sdp"]
            assert artpmap[WEB_TE_PT].lower() == "telephone-event/48000"
            assert "a=setup:passive" in a["sdp"] and "UDP/TLS/RTP/SAVPF" in a["sdp"]
            check_relay_ice(a["sdp"], mux=True)
            await web.take_remote(a["sdp"])
            await web.connect()
            local, remote = await dtls_over_ice(client, web.conn)
            tx = Srtp(SUITE, local, outbound=True)
            rx = Srtp(SUITE, remote, outbound=False)

            # each side: voice with one '5' of 200 ms at 0.6 s (transcode_media.Stream)
            web_stream = Stream(Opus, OPUS_PT, voice(int(8000 * SECONDS)), te_pt=WEB_TE_PT,
                                dtmf_at=DTMF_AT, te_clock=48000)
            phone_stream = Stream(Pcmu, 0, voice(int(8000 * SECONDS)), te_pt=te[0],
                                  dtmf_at=DTMF_AT)
            web_got, phone_got = await exchange(web, tx, ps, (addr_p, port_p),
                                                web_stream.packets, phone_stream.packets)
            # the phone: PCMU and the WebRTC side's event, on its /8000 PT
            heads = [rtp_parse(p) for p in rtp_only(phone_got)]
            assert sum(1 for h in heads if h[0] == 0) >= SECONDS * 50 * 0.8
            check_event(heads, te[0], 5, 8000, 200)
            # the WebRTC side: every RTP packet decrypts with the relay's key;
            # Opus and the phone's event on its /48000 PT
            plain = [rx.unprotect(p) for p in rtp_only(web_got)]
            heads = [rtp_parse(p) for p in plain]
            assert sum(1 for h in heads if h[0] == OPUS_PT) >= SECONDS * 50 * 0.8
            check_event(heads, WEB_TE_PT, 5, 48000, 200)

            # play DTMF into the stream towards the WebRTC leg: on a transcoded
            # stream the digit's tones go into the phone's PCMU before the
            # transcoder (README, "play DTMF"), so they reach the WebRTC side in
            # its Opus, which decrypts with the relay's key and decodes to them
            r = ng.request({"command": "play DTMF", "call-id": "dtmf-web", "from-tag": "ph",
                            "code": "7", "duration": 400})
            assert r["result"] == "ok", r
            phone_stream = Stream(Pcmu, 0, voice(8000, amp=300))
            web_got, _ = await exchange(web, tx, ps, (addr_p, port_p), [],
                                        phone_stream.packets)
            plain = [rx.unprotect(p) for p in rtp_only(web_got)]
            heads = sorted((h for h in map(rtp_parse, plain) if h[0] == OPUS_PT),
                           key=lambda h: h[3])
            assert len(heads) >= 40, len(heads)
            dec = Opus()
            pcm = np.concatenate([dec.decode(h[5]) for h in heads]).astype(float)
            # the loudest 200 ms at 852 Hz holds '7' (852 + 1209 Hz); the voice
            # around it is 30 dB quieter
            win = [pcm[i:i + 1600] for i in range(0, len(pcm) - 1600, 160)]
            best = max(win, key=lambda w: goertzel(w, 852))
            row, m1 = dominant(best, DTMF_ROWS)
            col, m2 = dominant(best, DTMF_COLS)
            assert (row, col) == (852, 1209) and m1 > 10 and m2 > 10, (row, col, m1, m2)
            tail = pcm[-1600:]
            assert goertzel(tail, 852) < goertzel(best, 852) / 100
            q = ng.query("dtmf-web")
            st = q["tags"]["web"]["medias"][0]["streams"][0]
            assert st["DTLS"]["state"] == "connected", st
            assert st["stats"]["SRTP auth failed"] == 0, st
        finally:
            await web.close()
            ps.close()
            pc.close()
    asyncio.run(asyncio.wait_for(go(), 60))
