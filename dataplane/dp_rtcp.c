/*
 * dp_rtcp.c: generate-RTCP, rtpengine's meaning: RTCP received on a call is
 * consumed, and the relay sends each party reports of its own (RFC 3550
 * 6.4.1): an SR on the stream the relay sends that party, with one report
 * block on the stream the relay receives from it, and an SDES CNAME.
 *
 * A forwarded stream keeps the sender's SSRC, so the SR speaks for that
 * SSRC: packets and payload octets the relay received from the sender (and
 * sent on), the RTP timestamp the sender's clock shows now (its last
 * timestamp, advanced by the time since it arrived). A transcoded stream's
 * SR comes from its transcoder (codecs/transcode.h: its own SSRC, counts
 * and clock); dp_io.c adds the same report block to it.
 *
 * Hot path (docs/architecture.md): a stream without DP_GEN_RTCP costs one
 * flag test per packet; the reports come from the worker's 5 ms timer
 * (dataplane/dp_xcode.c), never from the packet path.
 */
#include <string.h>

#include "dataplane/dp_endpoint.h"

#define GEN_FIRST_MS	1000u /* first report this long after media starts */
#define GEN_INTERVAL_MS 5000u /* then RFC 3550's usual 5 s */
#define GEN_CNAME	"rtprelay"

void dp_rtcp_count(struct dp_endpoint *ep, const struct rtp_info *ri, uint32_t rate,
		   uint64_t now_us)
{
	struct dp_gen_rtcp *g = &ep->gen;

	g->packets++;
	g->octets += ri->payload_len;
	g->last_ts = ri->ts;
	g->last_us = now_us;
	g->rate = rate;
}

bool dp_rtcp_block(struct dp_endpoint *ep, uint64_t now_us, struct rtcp_report_block *rb)
{
	struct dp_endpoint *in = ep->fwd_rtp;		/* receives the peer's RTP */
	const struct dp_endpoint *sr_in = ep->fwd_rtcp; /* ... and its RTCP */

	if (!in || !rtp_source_block(&in->src, &in->gen.prior, rb))
		return false;
	if (sr_in) {
		unsigned last = (sr_in->sr_next + DP_SR_KEEP - 1) % DP_SR_KEEP;

		if (sr_in->sr_at_us[last] && now_us >= sr_in->sr_at_us[last]) {
			rb->lsr = sr_in->sr_mid[last];
			/* in 1/65536 s */
			rb->dlsr = (uint32_t)(((now_us - sr_in->sr_at_us[last]) << 16) / 1000000u);
		}
	}
	return true;
}

int dp_rtcp_report(struct dp_endpoint *ep, uint64_t now_ms, uint64_t now_us, uint64_t ntp,
		   uint8_t *buf, size_t cap)
{
	struct dp_gen_rtcp *g = &ep->gen;
	struct rtcp_report_block rb;
	struct rtcp_sr sr;
	int n;

	if (!g->packets || !ep->src.valid)
		return 0; /* nothing sent to report on yet */
	if (!g->next_ms)
		g->next_ms = now_ms + GEN_FIRST_MS;
	if (now_ms < g->next_ms)
		return 0;
	memset(&sr, 0, sizeof(sr));
	sr.ssrc = ep->src.ssrc;
	sr.ntp = ntp;
	sr.rtp_ts = g->last_ts + (uint32_t)((now_us - g->last_us) * g->rate / 1000000u);
	sr.packets = (uint32_t)g->packets;
	sr.octets = (uint32_t)g->octets;
	n = rtcp_write_report(buf, cap, &sr, dp_rtcp_block(ep, now_us, &rb) ? &rb : NULL,
			      GEN_CNAME);
	if (n > 0)
		g->next_ms = now_ms + GEN_INTERVAL_MS;
	return n;
}
