/*
 * bundle.c: a=group:BUNDLE in the SDP rtprelay writes (daemon/bundle.h).
 */
#include "daemon/bundle.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/call.h"
#include "daemon/dtls_media.h"
#include "daemon/ice.h"
#include "daemon/sdes.h"
#include "sdp/sdp_bundle.h"

/* The value of a session-level "a=group:BUNDLE <mids>" line @l (after the
 * semantics and its blank), or NULL; *len its length without the line end. */
static const char *group_mids(const struct sdp_str *l, size_t *len)
{
	size_t n = l->len;

	while (n && (l->s[n - 1] == '\n' || l->s[n - 1] == '\r'))
		n--;
	if (n < 15 || strncasecmp(l->s, "a=group:BUNDLE", 14) ||
	    (l->s[14] != ' ' && l->s[14] != '\t'))
		return NULL;
	*len = n - 15;
	return l->s + 15;
}

/* Does a session-level BUNDLE group of @s name @mid ("" = is there any)? */
static bool session_bundles(const struct sdp_session *s, const char *mid)
{
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;
	size_t ml = strlen(mid);

	for (unsigned i = 0; i < end && i < s->n_lines; i++) {
		size_t len, pos = 0;
		const char *v = group_mids(&s->lines[i], &len);

		if (!v)
			continue;
		if (!ml)
			return true;
		/* the mids are tokens separated by blanks */
		while (pos < len) {
			size_t tok = pos;

			while (tok < len && v[tok] != ' ' && v[tok] != '\t')
				tok++;
			if (tok - pos == ml && !memcmp(v + pos, mid, ml))
				return true;
			pos = tok + 1;
		}
	}
	return false;
}

void bundle_note(const struct sdp_session *s, const struct sdp_media *m, struct call_media *sm)
{
	sm->bundled = sm->mid[0] && session_bundles(s, sm->mid);
	sm->mid_ext = (uint8_t)sdp_media_extmap(s, m, SDP_EXTMAP_MID);
	sm->n_ssrcs = (uint8_t)sdp_media_ssrcs(s, m, sm->ssrcs,
					       sizeof(sm->ssrcs) / sizeof(sm->ssrcs[0]));
}

void bundle_plan(const struct ng_request *req, const struct sdp_session *s, struct call_party *r,
		 const bool *ice, const bool *mux)
{
	unsigned n = 0, lead = 0;
	bool had = false, want[SDP_MAX_MEDIA] = { false };

	/* an offer keeps a bundle rtprelay offered before (rtpengine
	 * remembers "offer" and "require" across offers) */
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++)
		had = had || r->media[i].bundle_lead;
	bool offering = req->cmd == NG_CMD_OFFER &&
			((req->bundle & (NG_BUNDLE_OFFER | NG_BUNDLE_REQUIRE)) || had);

	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		struct call_media *rm = &r->media[i];

		want[i] = false;
		if (req->bundle & NG_BUNDLE_REJECT)
			continue;
		struct sr_keys k;
		bool pending = false;

		if (!s->media[i].port || !rm->pair || rm->disabled || !ice[i] || !mux[i])
			continue;
		/* SDES keys one section each, the bundle socket decrypts with
		 * one context: a party keyed by SDES gets a port per section */
		sdes_keys(rm, &k, &pending);
		memset(&k, 0, sizeof(k));
		if (pending || sdes_suite_name(rm))
			continue;
		if (req->cmd == NG_CMD_ANSWER ? rm->bundled : offering) {
			want[i] = true;
			if (!n++)
				lead = i;
		}
	}
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		r->media[i].bundle_lead = n >= 2 && want[i] ? (uint8_t)(lead + 1) : 0;
		if (r->media[i].bundle_lead)
			r->media[i].rtcp_mux = true; /* RFC 8843 9: a bundle multiplexes RTCP */
	}
}

int bundle_rewrite_media(struct arena *a, const struct sdp_session *s,
			 const struct call_media *sender, struct call_party *r,
			 struct sdp_rewrite *rw)
{
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		struct call_media *rm = &r->media[i];
		struct sdp_media_rewrite *mr = &rw->media[i];

		if (!rm->bundle_lead)
			continue;
		if (!mr->mid && !sender[i].mid[0]) {
			/* no a=mid from the sender: the section is named by its
			 * index, which the party's answer carries back */
			if (!rm->mid[0])
				snprintf(rm->mid, sizeof(rm->mid), "%u", i);
			mr->mid = arena_printf(a, "%s", rm->mid);
			if (!mr->mid)
				return -ENOMEM;
		} else if (!rm->mid[0]) { /* the table's name until the party answers */
			snprintf(rm->mid, sizeof(rm->mid), "%s", mr->mid ? mr->mid : sender[i].mid);
		}
		if (rm->bundle_lead == i + 1)
			continue;
		const struct sdp_media_rewrite *lr = &rw->media[rm->bundle_lead - 1];

		mr->port = mr->rtcp_port = lr->port;
		mr->addr = lr->addr;
		mr->family = lr->family;
		mr->rtcp_mux = true;
		mr->ice = lr->ice;
		mr->remove_ice = true;
		mr->replace_dtls = lr->replace_dtls || mr->replace_dtls;
		mr->dtls = lr->dtls;
		mr->n_dtls = lr->n_dtls;
		/* the bundle socket does ICE and DTLS for this section */
		ice_off(rm);
		dtls_media_free(rm);
	}
	return 0;
}

const struct call_media *bundle_key_media(const struct call_party *x, unsigned i)
{
	const struct call_media *m = &x->media[i];

	if (m->bundle_lead && m->bundle_lead != i + 1 && m->bundle_lead <= x->n_media)
		return &x->media[m->bundle_lead - 1];
	return m;
}

void bundle_publish(const struct call_party *x, unsigned i, struct dp_endpoint_params *p)
{
	const struct call_media *m = &x->media[i];
	const struct call_party *peer = x->peer;

	if (peer && i < peer->n_media && peer->media[i].bundle_lead)
		p->flags |= DP_NO_OFFLOAD; /* it forwards into a bundle */
	if (!m->bundle_lead || m->bundle_lead > x->n_media)
		return;
	p->flags |= DP_NO_OFFLOAD;
	if (m->bundle_lead != i + 1) {
		p->flags &= ~(uint32_t)(DP_ICE | DP_ICE_LATCH | DP_DTLS);
		p->flags |= DP_BUNDLED;
		p->bundle_via = x->media[m->bundle_lead - 1].rtp.ep;
		return;
	}
	p->flags |= DP_BUNDLE;
	/* any payload type of the bundle's media may arrive here */
	memset(p->allowed_pt, 0, sizeof(p->allowed_pt));
	for (unsigned j = 0; j < x->n_media && p->bundle.n < DP_BUNDLE_MAX; j++) {
		const struct call_media *bm = &x->media[j];
		struct dp_bundle_media *d = &p->bundle.m[p->bundle.n];

		if (bm->bundle_lead != i + 1)
			continue;
		p->bundle.n++;
		d->ep = bm->rtp.ep;
		snprintf(d->mid, sizeof(d->mid), "%s", bm->mid);
		/* a media with formats that are no payload types claims none */
		if (!bm->pts_any)
			memcpy(d->pts, bm->pts, sizeof(d->pts));
		d->n_ssrc = bm->n_ssrcs;
		memcpy(d->ssrc, bm->ssrcs, bm->n_ssrcs * sizeof(d->ssrc[0]));
		if (!p->bundle.mid_ext)
			p->bundle.mid_ext = bm->mid_ext;
	}
}

int bundle_rewrite(struct arena *a, enum ng_command cmd, const struct sdp_session *s,
		   const struct call_media *sender, const struct call_media *receiver,
		   struct sdp_rewrite *rw)
{
	bool ice = false;
	unsigned n = 0, pick = 0;

	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++)
		if (rw->media[i].keep && rw->media[i].ice)
			ice = true;
	/* a party without ICE from rtprelay is a plain SIP endpoint */
	rw->drop_bundle = !ice;
	if (ice) {
		/* rtprelay's bundle towards the receiver: its group replaces
		 * whatever the sender wrote */
		char *g = NULL;
		unsigned nb = 0;

		for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
			const char *mid = rw->media[i].mid ? rw->media[i].mid : sender[i].mid;

			if (!receiver[i].bundle_lead)
				continue;
			g = nb++ ? arena_printf(a, "%s %s", g, mid)
				 : arena_printf(a, "a=group:BUNDLE %s", mid);
			if (!g)
				return -ENOMEM;
		}
		if (nb >= 2) {
			rw->drop_bundle = true;
			rw->bundle_attr = g;
			return 0;
		}
	}
	if (cmd != NG_CMD_ANSWER || !ice || session_bundles(s, ""))
		return 0;
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		if (rw->media[i].keep && rw->media[i].port && receiver[i].bundled) {
			n++;
			pick = i;
		}
	}
	if (n != 1)
		return 0;
	/* the section's mid as the answer names it: the answerer's, or the
	 * offerer's carried back */
	rw->bundle_attr = arena_printf(a, "a=group:BUNDLE %s",
				       sender[pick].mid[0] ? sender[pick].mid : receiver[pick].mid);
	return rw->bundle_attr ? 0 : -ENOMEM;
}
