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

/* Does the group value @v (@len bytes) name @mid? */
static bool group_names(const char *v, size_t len, const char *mid)
{
	size_t ml = strlen(mid), pos = 0;

	while (pos < len) {
		size_t tok = pos;

		while (tok < len && v[tok] != ' ' && v[tok] != '\t')
			tok++;
		if (tok - pos == ml && !memcmp(v + pos, mid, ml))
			return true;
		pos = tok + 1;
	}
	return false;
}

/* Does a session-level BUNDLE group of @s name @mid ("" = is there any)? */
static bool session_bundles(const struct sdp_session *s, const char *mid)
{
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;

	for (unsigned i = 0; i < end && i < s->n_lines; i++) {
		size_t len;
		const char *v = group_mids(&s->lines[i], &len);

		if (v && (!*mid || group_names(v, len, mid)))
			return true;
	}
	return false;
}

/* Does one session-level BUNDLE group of @s name both @mid and @lead? */
static bool grouped_with(const struct sdp_session *s, const char *mid, const char *lead)
{
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;

	for (unsigned i = 0; i < end && i < s->n_lines; i++) {
		size_t len;
		const char *v = group_mids(&s->lines[i], &len);

		if (v && group_names(v, len, mid) && group_names(v, len, lead))
			return true;
	}
	return false;
}

/* The a=mid value of section @m (bounded by the line), NULL = none. */
static const char *section_mid(const struct sdp_session *s, const struct sdp_media *m, size_t *len)
{
	for (unsigned l = m->first_line; l < m->first_line + m->n_lines && l < s->n_lines; l++) {
		const struct sdp_str *ln = &s->lines[l];
		size_t n = ln->len;

		while (n && (ln->s[n - 1] == '\n' || ln->s[n - 1] == '\r'))
			n--;
		if (n > 6 && !memcmp(ln->s, "a=mid:", 6)) {
			*len = n - 6;
			return ln->s + 6;
		}
	}
	return NULL;
}

/* Does section @m carry a=bundle-only? */
static bool section_bundle_only(const struct sdp_session *s, const struct sdp_media *m)
{
	for (unsigned l = m->first_line; l < m->first_line + m->n_lines && l < s->n_lines; l++) {
		const struct sdp_str *ln = &s->lines[l];
		size_t n = ln->len;

		while (n && (ln->s[n - 1] == '\n' || ln->s[n - 1] == '\r'))
			n--;
		if (n == 13 && !strncasecmp(ln->s, "a=bundle-only", 13))
			return true;
	}
	return false;
}

/* Each section's a=mid and a=bundle-only, read once: the group scan below
 * compares every group token with every section, and an SDP may hold
 * thousands of tokens (SDP_MAX_LEN), so nothing rescans the lines there. */
struct section_info {
	const char *mid; /* NULL = none */
	size_t mid_len;
	bool bundle_only;
};

/* The index of the section whose a=mid is @mid (@ml bytes), -1 = none. */
static int section_by_mid(const struct section_info *in, unsigned n, const char *mid, size_t ml)
{
	for (unsigned i = 0; i < n; i++)
		if (in[i].mid && in[i].mid_len == ml && !memcmp(in[i].mid, mid, ml))
			return (int)i;
	return -1;
}

/* The section that carries the transport of the BUNDLE group naming
 * section @k: the group's first mid whose section has a port and is not
 * bundle-only (RFC 9143 7.2.1, the offerer's BUNDLE tag); -1 = none. */
static int group_tag(const struct sdp_session *s, const struct section_info *in, unsigned n,
		     unsigned k)
{
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;

	if (!in[k].mid)
		return -1;
	for (unsigned i = 0; i < end && i < s->n_lines; i++) {
		size_t len, pos = 0;
		const char *v = group_mids(&s->lines[i], &len);
		int tag = -1;
		bool named = false;

		if (!v)
			continue;
		while (pos < len) {
			size_t tok = pos;

			while (tok < len && v[tok] != ' ' && v[tok] != '\t')
				tok++;
			int j = tok > pos ? section_by_mid(in, n, v + pos, tok - pos) : -1;
			if (j == (int)k)
				named = true;
			if (tag < 0 && j >= 0 && s->media[j].port && !in[j].bundle_only)
				tag = j;
			pos = tok + 1;
		}
		if (named)
			return tag;
	}
	return -1;
}

void bundle_only_resolve(const struct ng_request *req, struct sdp_session *s)
{
	struct section_info in[SDP_MAX_MEDIA];
	unsigned n = s->n_media < SDP_MAX_MEDIA ? s->n_media : SDP_MAX_MEDIA;
	bool any = false;

	/* bundle-only belongs to offers (RFC 9143 6): in an answer port 0 is a
	 * rejection; with reject a port-0 section of an offer stays rejected */
	if (req->cmd != NG_CMD_OFFER || (req->bundle & NG_BUNDLE_REJECT))
		return;
	for (unsigned i = 0; i < n; i++) {
		in[i].mid = section_mid(s, &s->media[i], &in[i].mid_len);
		in[i].bundle_only = section_bundle_only(s, &s->media[i]);
		any = any || (in[i].bundle_only && !s->media[i].port);
	}
	if (!any)
		return;
	/* the tags are found before any port changes: a resolved section
	 * never serves as another's tag */
	int tag[SDP_MAX_MEDIA];
	for (unsigned i = 0; i < n; i++)
		tag[i] = !s->media[i].port && in[i].bundle_only ? group_tag(s, in, n, i) : -1;
	for (unsigned i = 0; i < n; i++) {
		struct sdp_media *m = &s->media[i];

		if (tag[i] < 0)
			continue;
		const struct sdp_media *tm = &s->media[tag[i]];

		/* the group's transport is the tag section's (RFC 9143 7.1.3):
		 * its address, port, rtcp-mux and ICE where this one has none */
		m->port = tm->port;
		if (m->conn.present && m->conn.zero)
			m->conn = *sdp_media_conn(s, tm);
		m->rtcp_mux = m->rtcp_mux || tm->rtcp_mux;
		if (!m->has_ice && tm->has_ice) {
			m->has_ice = true;
			m->ice = tm->ice;
		}
	}
}

const char *bundle_answered(struct arena *a, const struct sdp_session *s, struct call_party *x)
{
	unsigned kept = 0, n_split = 0, orphans[SDP_MAX_MEDIA] = { 0 };
	bool split[SDP_MAX_MEDIA] = { false }, keyed = false;

	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA && i < x->n_media; i++) {
		const struct call_media *m = &x->media[i];
		size_t ml;
		const char *mid;

		if (!m->bundle_lead)
			continue;
		if (!s->media[i].port)
			continue; /* rejected: RFC 9143's answer from a party without BUNDLE */
		kept++;
		keyed = keyed || s->media[i].has_crypto;
		bool lead_rejected = m->bundle_lead <= s->n_media &&
				     !s->media[m->bundle_lead - 1].port;
		if (m->bundle_lead == i + 1)
			continue; /* the bundle's socket is this section's own */
		/* the section's mid as the answer names it, else rtprelay's */
		mid = section_mid(s, &s->media[i], &ml);
		char name[sizeof(m->mid)];
		if (mid && ml < sizeof(name)) {
			memcpy(name, mid, ml);
			name[ml] = 0;
		} else {
			snprintf(name, sizeof(name), "%s", m->mid);
		}
		/* in the answer's group with the bundle's first section: the
		 * bundle's address; outside it: an address of its own */
		char lead[sizeof(m->mid)];
		const struct call_media *lm = &x->media[m->bundle_lead - 1];
		const char *lmid = m->bundle_lead <= s->n_media
					   ? section_mid(s, &s->media[m->bundle_lead - 1], &ml)
					   : NULL;
		if (lmid && ml < sizeof(lead)) {
			memcpy(lead, lmid, ml);
			lead[ml] = 0;
		} else {
			snprintf(lead, sizeof(lead), "%s", lm->mid);
		}
		if (name[0] && lead[0] && grouped_with(s, name, lead)) {
			if (!lead_rejected)
				continue;
			const char *e =
				arena_printf(a,
					     "the answer rejects media %u, the first of its "
					     "BUNDLE group, but accepts media %u of the group",
					     (unsigned)m->bundle_lead, i + 1);
			return e ? e : "the answer rejects the first media of its BUNDLE group";
		}
		/* RFC 9143 7.3.3: the answerer does not bundle this section
		 * (bundle-only or not, rtpengine's require offered it the
		 * bundle's port): it has its own address, which rtprelay sends
		 * to from the bundle's socket and tells its packets apart by.
		 * Its ICE checks and DTLS would reach the bundle's one agent and
		 * association, which serve the bundle's first section only */
		if (s->media[i].has_ice) {
			const char *e =
				arena_printf(a,
					     "the answer takes media %u out of its BUNDLE group "
					     "with ICE of its own: rtprelay's bundle port runs "
					     "one ICE agent, for the group",
					     i + 1);
			return e ? e : "the answer takes a media out of its BUNDLE group with ICE";
		}
		split[i] = true;
		n_split++;
		/* a party without BUNDLE may reject the first section and take
		 * others: their packets still come to its socket, the bundle's */
		if (lead_rejected)
			orphans[m->bundle_lead - 1]++;
	}
	if (n_split && keyed)
		return "the answer takes media out of the BUNDLE group, keyed by SRTP: rtprelay's "
		       "bundle port decrypts with one context, for the group";
	/* what the answer rejected leaves the bundle; a bundle of one is none */
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA && i < x->n_media; i++) {
		struct call_media *m = &x->media[i];

		unsigned lead = m->bundle_lead;

		if (lead && lead <= SDP_MAX_MEDIA && orphans[lead - 1]) {
			/* the first section rejected: its socket stays the
			 * bundle's for the sections the party took apart */
			m->bundle_split = split[i];
			if (!s->media[i].port && lead != i + 1) {
				m->bundle_lead = 0;
				m->bundle_only = false;
			}
			continue;
		}
		m->bundle_split = lead && split[i] && kept >= 2;
		if (m->bundle_lead && (!s->media[i].port || kept < 2)) {
			m->bundle_lead = 0;
			m->bundle_only = false;
		}
	}
	return NULL;
}

void bundle_note(const struct sdp_session *s, const struct sdp_media *m, struct call_media *sm)
{
	sm->bundled = sm->mid[0] && session_bundles(s, sm->mid);
	sm->mid_ext = (uint8_t)sdp_media_extmap(s, m, SDP_EXTMAP_MID);
	sm->n_ssrcs = (uint8_t)sdp_media_ssrcs(s, m, sm->ssrcs,
					       sizeof(sm->ssrcs) / sizeof(sm->ssrcs[0]));
}

/* Why section @i towards @r cannot join a bundle, NULL = it can. */
static const char *cannot_bundle(struct call_media *rm, bool ice, bool mux)
{
	struct sr_keys k;
	bool pending = false;

	if (!ice)
		return "it gets no ICE";
	if (!mux)
		return "it gets no rtcp-mux";
	/* SDES keys one section each, the bundle socket decrypts with one
	 * context: a party keyed by SDES gets a port per section */
	sdes_keys(rm, &k, &pending);
	memset(&k, 0, sizeof(k));
	if (pending || sdes_suite_name(rm))
		return "it is keyed by SDES";
	return NULL;
}

const char *bundle_plan(struct arena *a, const struct ng_request *req, const struct sdp_session *s,
			struct call_party *r, const bool *ice, const bool *mux)
{
	unsigned n = 0, lead = 0;
	bool had = false, want[SDP_MAX_MEDIA] = { false };
	bool reject = (req->bundle & NG_BUNDLE_REJECT) != 0;
	/* require/strict asked for in this offer: a section that cannot be
	 * bundled makes it an error rather than an offer without bundle-only */
	bool required = req->cmd == NG_CMD_OFFER && (req->bundle & NG_BUNDLE_REQUIRE) && !reject;

	/* an offer keeps a bundle rtprelay offered before (rtpengine
	 * remembers "offer" and "require" across offers) */
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++)
		had = had || r->media[i].bundle_lead;
	bool offering = req->cmd == NG_CMD_OFFER &&
			((req->bundle & (NG_BUNDLE_OFFER | NG_BUNDLE_REQUIRE)) || had);

	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		struct call_media *rm = &r->media[i];

		want[i] = false;
		if (reject)
			continue;
		if (!s->media[i].port || !rm->pair || rm->disabled)
			continue;
		const char *why = cannot_bundle(rm, ice[i], mux[i]);
		if (why && required) {
			const char *e = arena_printf(a, "bundle=%s: media %u cannot be bundled: %s",
						     (req->bundle & NG_BUNDLE_STRICT) ? "strict"
										      : "require",
						     i + 1, why);
			return e ? e : "bundle=require: a media cannot be bundled";
		}
		if (why)
			continue;
		if (req->cmd == NG_CMD_ANSWER ? rm->bundled : offering) {
			want[i] = true;
			if (!n++)
				lead = i;
		}
	}
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		struct call_media *rm = &r->media[i];

		rm->bundle_lead = n >= 2 && want[i] ? (uint8_t)(lead + 1) : 0;
		if (rm->bundle_lead)
			rm->rtcp_mux = true; /* RFC 8843 9: a bundle multiplexes RTCP */
		/* require (strict implies it) is remembered across offers */
		if (!rm->bundle_lead) {
			rm->bundle_only = false;
			rm->bundle_split = false;
		} else if (required)
			rm->bundle_only = true;
	}
	return NULL;
}

int bundle_rewrite_media(struct arena *a, const struct ng_request *req, const struct sdp_session *s,
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
		if (req->cmd != NG_CMD_OFFER || !rm->bundle_only)
			continue;
		/* rtpengine's require: a=bundle-only on the bundle's port;
		 * strict (this offer only): RFC 9143 7.2.1, port 0 and no
		 * candidates of its own (the first section's are the bundle's) */
		mr->bundle_only = true;
		if (!(req->bundle & NG_BUNDLE_STRICT))
			continue;
		mr->zero_port = true;
		if (lr->ice) {
			struct sdp_ice_out *ice = arena_alloc(a, sizeof(*ice));

			if (!ice)
				return -ENOMEM;
			*ice = *lr->ice;
			ice->cands = NULL;
			ice->n_cands = 0;
			ice->end_of_candidates = false;
			mr->ice = ice;
		}
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

/* Does the bundle whose socket is @x's media @lead (index + 1) have a
 * media the party answered outside it? */
static bool bundle_has_split(const struct call_party *x, unsigned lead)
{
	for (unsigned j = 0; j < x->n_media; j++)
		if (x->media[j].bundle_lead == lead && x->media[j].bundle_split)
			return true;
	return false;
}

void bundle_publish_rtcp(const struct call_party *x, unsigned i, struct dp_endpoint_params *p)
{
	const struct call_media *m = &x->media[i];

	if (!m->bundle_lead || m->bundle_lead > x->n_media || m->rtcp_mux ||
	    !bundle_has_split(x, m->bundle_lead))
		return;
	/* a party without BUNDLE nor rtcp-mux: its RTCP arrives at the
	 * bundle's port from its RTCP address, and is sent there from it */
	p->flags |= DP_BUNDLED | DP_BUNDLE_SPLIT | DP_NO_OFFLOAD;
	p->bundle_via = x->media[m->bundle_lead - 1].rtp.ep;
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
		if (m->bundle_split) /* its party's own address, told apart by source */
			p->flags |= DP_BUNDLE_SPLIT;
		p->bundle_via = x->media[m->bundle_lead - 1].rtp.ep;
		return;
	}
	p->flags |= DP_BUNDLE;
	if (m->disabled) {
		/* rejected by a party without BUNDLE that took others of the
		 * bundle apart (bundle_answered): the socket carries theirs
		 * only, nothing of its own media */
		p->flags &= ~(uint32_t)DP_DISABLED;
		p->fwd_rtp = p->fwd_rtcp = NULL;
	}
	/* any payload type of the bundle's media may arrive here */
	memset(p->allowed_pt, 0, sizeof(p->allowed_pt));
	for (unsigned j = 0; j < x->n_media && p->bundle.n < DP_BUNDLE_MAX; j++) {
		const struct call_media *bm = &x->media[j];
		struct dp_bundle_media *d = &p->bundle.m[p->bundle.n];

		if (bm->bundle_lead != i + 1)
			continue;
		p->bundle.n++;
		d->ep = bm->disabled ? NULL : bm->rtp.ep; /* a rejected media claims nothing */
		snprintf(d->mid, sizeof(d->mid), "%s", bm->mid);
		/* a media with formats that are no payload types claims none */
		if (!bm->pts_any)
			memcpy(d->pts, bm->pts, sizeof(d->pts));
		d->n_ssrc = bm->n_ssrcs;
		memcpy(d->ssrc, bm->ssrcs, bm->n_ssrcs * sizeof(d->ssrc[0]));
		if (!p->bundle.mid_ext)
			p->bundle.mid_ext = bm->mid_ext;
		d->split = bm->bundle_split;
		if (d->split) /* the bundle socket names a packet's media by source first */
			p->flags |= DP_BUNDLE_SPLIT;
		if (!bm->rtcp_mux && !bm->disabled && bundle_has_split(x, i + 1))
			d->rtcp_ep = bm->rtcp.ep; /* RTCP from the party's RTCP address */
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
