/*
 * dp_bundle.c: BUNDLE sockets in the worker (dataplane/dp_bundle.h,
 * docs/architecture.md, WebRTC parties). The bundle socket (DP_BUNDLE)
 * decrypts and source-checks what it receives as any socket does; then
 * dp_bundle_pick names the media endpoint that judges and forwards it. What
 * goes to a bundled media (DP_BUNDLED) leaves the bundle socket
 * (dp_io.c). Only bundle sockets pay for any of this.
 */
#include "dataplane/dp_bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_endpoint.h"
#include "lib/rtp.h"
#include "lib/rtp_ext.h"

void dp_bundle_init(struct dp_bundle *b, const struct dp_endpoint_params *p)
{
	const struct dp_bundle_params *bp = &p->bundle;

	memset(b, 0, sizeof(*b));
	b->n = bp->n < DP_BUNDLE_MAX ? bp->n : DP_BUNDLE_MAX;
	b->mid_ext = bp->mid_ext;
	for (unsigned i = 0; i < b->n; i++) {
		struct dp_bundle_entry *e = &b->m[i];
		const struct dp_bundle_media *m = &bp->m[i];
		size_t ml = strnlen(m->mid, DP_MID_MAX);
		unsigned ns = m->n_ssrc < DP_BUNDLE_SSRCS - 2 ? m->n_ssrc : DP_BUNDLE_SSRCS - 2;

		e->ep = m->ep;
		memcpy(e->mid, m->mid, ml);
		e->mid_len = (uint8_t)ml;
		memcpy(e->pts, m->pts, sizeof(e->pts));
		memcpy(e->ssrc, m->ssrc, ns * sizeof(e->ssrc[0]));
		e->n_ssrc = e->n_sdp = (uint8_t)ns;
		e->next = (uint8_t)ns;
		e->split = m->split;
		e->rtcp_ep = m->rtcp_ep;
	}
}

static int by_ssrc(const struct dp_bundle *b, uint32_t ssrc)
{
	for (unsigned i = 0; i < b->n; i++)
		for (unsigned k = 0; k < b->m[i].n_ssrc; k++)
			if (b->m[i].ssrc[k] == ssrc)
				return (int)i;
	return -1;
}

/* @ssrc belongs to media @idx from now on: taken from another media's
 * learned slots, put into one of @idx's (the oldest learned one when all
 * are taken). A signalled SSRC stays where the SDP put it. */
static void learn(struct dp_bundle *b, int idx, uint32_t ssrc)
{
	int had = by_ssrc(b, ssrc);

	if (had == idx)
		return;
	if (had >= 0) {
		struct dp_bundle_entry *o = &b->m[had];

		for (unsigned k = o->n_sdp; k < o->n_ssrc; k++) {
			if (o->ssrc[k] != ssrc)
				continue;
			o->ssrc[k] = o->ssrc[o->n_ssrc - 1];
			o->n_ssrc--;
			if (o->next >= o->n_ssrc)
				o->next = o->n_sdp;
			break;
		}
		if (by_ssrc(b, ssrc) >= 0)
			return; /* signalled for another media: the SDP wins */
	}
	struct dp_bundle_entry *e = &b->m[idx];

	if (e->n_ssrc < DP_BUNDLE_SSRCS) {
		e->ssrc[e->n_ssrc++] = ssrc;
		return;
	}
	e->ssrc[e->next] = ssrc;
	e->next = (uint8_t)(e->next + 1u < DP_BUNDLE_SSRCS ? e->next + 1 : e->n_sdp);
}

static int by_pt(const struct dp_bundle *b, unsigned pt)
{
	int found = -1;

	for (unsigned i = 0; i < b->n; i++) {
		if (!(b->m[i].pts[pt >> 3] & (1u << (pt & 7))))
			continue;
		if (found >= 0)
			return -1; /* two media have it: says nothing */
		found = (int)i;
	}
	return found;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dp_bundle_demux(struct dp_bundle *b, const uint8_t *buf, size_t len, bool rtcp,
		    const uint32_t sent[DP_BUNDLE_MAX])
{
	if (rtcp) {
		struct rtcp_reports r;
		int idx;

		if (len < 8)
			return -1;
		idx = by_ssrc(b, be32(buf + 4));
		if (idx >= 0)
			return idx;
		if (rtcp_parse_reports(buf, len, &r) < 0 || !r.has_block || !r.block.ssrc)
			return -1;
		for (unsigned i = 0; i < b->n; i++)
			if (sent[i] == r.block.ssrc)
				return (int)i;
		return -1;
	}
	if (len < 12)
		return -1;
	uint32_t ssrc = be32(buf + 8);

	if (b->mid_ext && (buf[0] & 0x10)) {
		const uint8_t *v;
		size_t vl;
		int rc = rtp_ext_find(buf, len, b->mid_ext, &v, &vl);

		if (rc < 0)
			return -1;
		if (rc > 0) {
			for (unsigned i = 0; i < b->n; i++) {
				if (b->m[i].mid_len && vl == b->m[i].mid_len &&
				    !memcmp(v, b->m[i].mid, vl)) {
					learn(b, (int)i, ssrc);
					return (int)i;
				}
			}
			return -1; /* a MID no media has: never guessed */
		}
	}
	int idx = by_ssrc(b, ssrc);

	if (idx >= 0)
		return idx;
	idx = by_pt(b, buf[1] & 0x7fu);
	if (idx >= 0)
		learn(b, idx, ssrc);
	return idx;
}

int dp_bundle_split_demux(struct dp_bundle *b, unsigned from, const uint8_t *buf, size_t len,
			  bool rtcp, const uint32_t sent[DP_BUNDLE_MAX])
{
	from &= (1u << b->n) - 1u;
	if (from && !(from & (from - 1u))) {
		/* one media at that address: it is the one, and its SSRC is
		 * learned for when sources are no help (a later NAT move) */
		int idx = __builtin_ctz(from);

		if (!rtcp && len >= 12)
			learn(b, idx, be32(buf + 8));
		return idx;
	}
	int idx = dp_bundle_demux(b, buf, len, rtcp, sent);

	/* several media at the source: the content decides among them only */
	if (idx < 0 || (from && !(from & (1u << idx))))
		return -1;
	return idx;
}

void dp_bundle_free(struct dp_endpoint *ep)
{
	free(ep->bundle);
	ep->bundle = NULL;
	ep->bundle_via = NULL;
}

int dp_bundle_apply(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	ep->bundle_via = (p->flags & DP_BUNDLED) ? p->bundle_via : NULL;
	if (!(p->flags & DP_BUNDLE)) {
		free(ep->bundle);
		ep->bundle = NULL;
		return 0;
	}
	struct dp_bundle *b = malloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	dp_bundle_init(b, p);
	/* SSRCs learned so far stay with their media where it is still there */
	if (ep->bundle) {
		const struct dp_bundle *o = ep->bundle;

		for (unsigned i = 0; i < o->n; i++)
			for (unsigned k = o->m[i].n_sdp; k < o->m[i].n_ssrc; k++)
				for (unsigned j = 0; j < b->n; j++)
					if (b->m[j].ep == o->m[i].ep &&
					    by_ssrc(b, o->m[i].ssrc[k]) < 0)
						learn(b, (int)j, o->m[i].ssrc[k]);
		free(ep->bundle);
	}
	ep->bundle = b;
	return 0;
}

void dp_bundle_forget(struct dp_worker *w, const struct dp_endpoint *gone)
{
	for (struct dp_endpoint *e = w->eps; e; e = e->next) {
		if (e->bundle_via == gone)
			e->bundle_via = NULL;
		if (!e->bundle)
			continue;
		for (unsigned i = 0; i < e->bundle->n; i++) {
			if (e->bundle->m[i].ep == gone)
				e->bundle->m[i].ep = NULL;
			if (e->bundle->m[i].rtcp_ep == gone)
				e->bundle->m[i].rtcp_ep = NULL;
		}
	}
}

struct dp_endpoint *dp_bundle_pick(struct dp_endpoint *ep, const uint8_t *buf, size_t len,
				   bool rtcp, const union dp_addr *src)
{
	struct dp_bundle *b = ep->bundle;
	uint32_t sent[DP_BUNDLE_MAX] = { 0 };
	int idx;

	if (!b)
		return ep;
	if (rtcp) /* what each media's party is sent: its peer's received SSRC */
		for (unsigned i = 0; i < b->n; i++)
			if (b->m[i].ep && b->m[i].ep->fwd_rtp)
				sent[i] = b->m[i].ep->fwd_rtp->src.ssrc;
	if (src) {
		/* a media answered outside the bundle is at its endpoint's
		 * remote; the others at the bundle socket's; RTCP of a party
		 * that does not multiplex it at its RTCP endpoint's remote */
		unsigned from = 0, from_rtcp = 0;

		for (unsigned i = 0; i < b->n; i++) {
			const struct dp_endpoint *m = b->m[i].ep, *c = b->m[i].rtcp_ep;
			const union dp_addr *at = b->m[i].split && m ? &m->latch.remote
								     : &ep->latch.remote;

			if (m && at->sa.sa_family && dp_addr_eq(at, src))
				from |= 1u << i;
			if (rtcp && c && c->latch.remote.sa.sa_family &&
			    dp_addr_eq(&c->latch.remote, src))
				from_rtcp |= 1u << i;
		}
		idx = dp_bundle_split_demux(b, from_rtcp ? from_rtcp : from, buf, len, rtcp, sent);
		/* RTCP not from the media's RTP address is its RTCP endpoint's,
		 * which latches the party's RTCP source */
		if (idx >= 0 && rtcp && b->m[idx].rtcp_ep && !(from & (1u << idx)))
			return b->m[idx].rtcp_ep->dead ? NULL : b->m[idx].rtcp_ep;
	} else {
		idx = dp_bundle_demux(b, buf, len, rtcp, sent);
	}
	if (idx < 0 || !b->m[idx].ep || b->m[idx].ep->dead)
		return NULL;
	return b->m[idx].ep;
}
