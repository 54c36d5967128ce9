/*
 * latch.c: source acceptance and RTP-bleed resistant address learning.
 *
 * Owns nothing but the struct latch it is handed; called by the owning
 * worker once per received packet, so the common case (packet from the
 * current remote) is one address compare.
 */
#include "dataplane/latch.h"

#include <string.h>

#include "dataplane/dataplane.h"
#include "lib/rtp.h"

/* A sequence step that still counts as "the same stream" while learning. */
#define LATCH_MAX_SEQ_STEP 100u

socklen_t dp_addr_from(union dp_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		memcpy(&a->v4, ss, sizeof(a->v4));
		if (a->v4.sin_port == 0)
			goto unknown;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&a->v6, ss, sizeof(a->v6));
		if (a->v6.sin6_port == 0)
			goto unknown;
	} else {
		goto unknown;
	}
	return dp_addr_len(a);
unknown:
	memset(a, 0, sizeof(*a));
	return 0;
}

/* IPv4 address of @a if it is IPv4 or IPv4-mapped IPv6. */
static bool as_v4(const union dp_addr *a, uint32_t *ip, uint16_t *port)
{
	if (a->sa.sa_family == AF_INET) {
		*ip = a->v4.sin_addr.s_addr;
		*port = a->v4.sin_port;
		return true;
	}
	if (a->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr)) {
		memcpy(ip, &a->v6.sin6_addr.s6_addr[12], 4);
		*port = a->v6.sin6_port;
		return true;
	}
	return false;
}

bool dp_addr_eq(const union dp_addr *a, const union dp_addr *b)
{
	if (a->sa.sa_family == AF_INET && b->sa.sa_family == AF_INET)
		return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr &&
		       a->v4.sin_port == b->v4.sin_port;
	if (a->sa.sa_family == AF_INET6 && b->sa.sa_family == AF_INET6)
		return a->v6.sin6_port == b->v6.sin6_port &&
		       memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, 16) == 0;
	uint32_t ia, ib;
	uint16_t pa, pb;
	if (as_v4(a, &ia, &pa) && as_v4(b, &ib, &pb))
		return ia == ib && pa == pb;
	return false;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void latch_configure(struct latch *l, const union dp_addr *sdp, uint32_t flags,
		     const uint8_t allowed_pt[16], enum latch_kind kind, uint64_t deadline_ms)
{
	bool both_unknown = !l->sdp.sa.sa_family && !sdp->sa.sa_family;
	bool sdp_changed = !both_unknown && !dp_addr_eq(&l->sdp, sdp);

	l->flags = flags;
	l->kind = kind;
	memcpy(l->allowed_pt, allowed_pt, sizeof(l->allowed_pt));
	l->deadline_ms = deadline_ms;
	l->cand_count = 0;
	if ((flags & DP_ICE_LATCH) && l->latched) {
		/* the nominated pair stays across re-offers (the c= of an ICE
		 * party names its default candidate, not the pair in use); a
		 * restart nominates again */
		l->sdp = *sdp;
		return;
	}
	if (sdp_changed || (flags & DP_ASYMMETRIC)) {
		/* The party moved (or must be sent to as signalled): forget
		 * what was learned. An unchanged SDP address keeps the learned
		 * NAT mapping across re-offers. */
		l->sdp = *sdp;
		l->remote = *sdp;
		l->latched = false;
		l->remote_seen_ms = 0;
		l->sdp_spoke = false;
	}
}

static bool pt_allowed(const struct latch *l, uint8_t pt)
{
	if (all_zero(l->allowed_pt, sizeof(l->allowed_pt)))
		return true;
	return l->allowed_pt[pt >> 3] & (1u << (pt & 7));
}

/* Does the packet look like this stream? Fills the SSRC/seq it claims. */
static bool looks_like_stream(const struct latch *l, const uint8_t *buf, size_t len, uint32_t *ssrc,
			      uint16_t *seq)
{
	if (l->kind == LATCH_RTCP || rtp_is_rtcp(buf, len)) {
		struct rtcp_info ci;
		/* RTCP on an RTP socket is the muxed case; it may not teach
		 * an RTP address on its own. */
		if (l->kind != LATCH_RTCP || rtcp_parse(buf, len, &ci) < 0)
			return false;
		*ssrc = ci.ssrc;
		*seq = 0;
		return true;
	}
	struct rtp_info ri;
	if (rtp_parse(buf, len, &ri) < 0 || !pt_allowed(l, ri.pt))
		return false;
	*ssrc = ri.ssrc;
	*seq = ri.seq;
	return true;
}

/* Count consistent packets from one candidate; true once it has enough. */
static bool candidate_ready(struct latch *l, const union dp_addr *src, uint32_t ssrc, uint16_t seq)
{
	uint16_t step = (uint16_t)(seq - l->cand_seq);
	bool same = l->cand_count && dp_addr_eq(&l->cand, src) && l->cand_ssrc == ssrc &&
		    (l->kind == LATCH_RTCP || (step >= 1 && step <= LATCH_MAX_SEQ_STEP));

	if (!same) {
		l->cand = *src;
		l->cand_ssrc = ssrc;
		l->cand_count = 0;
	}
	l->cand_seq = seq;
	if (l->cand_count < 255)
		l->cand_count++;
	/* RTCP comes every few seconds: one valid report is all we get. */
	return l->cand_count >= (l->kind == LATCH_RTCP ? 1u : LATCH_MIN_PACKETS);
}

static bool remote_active(const struct latch *l, uint64_t now_ms)
{
	return l->remote_seen_ms && now_ms - l->remote_seen_ms < LATCH_IDLE_MS;
}

static enum latch_verdict learn(struct latch *l, const union dp_addr *src, uint64_t now_ms,
				bool latched)
{
	l->remote = *src;
	l->latched = latched;
	l->remote_seen_ms = now_ms;
	l->cand_count = 0;
	return LATCH_LEARNED;
}

bool latch_nominate(struct latch *l, const union dp_addr *src, uint64_t now_ms)
{
	/* a nomination of the SDP address changes the remote's kind: from
	 * signalled to nominated, which the published remote (dp_pub_remote,
	 * read by query and the call snapshot) must say too */
	bool changed = !l->remote.sa.sa_family || !dp_addr_eq(src, &l->remote) || !l->latched;

	l->remote = *src;
	l->latched = true;
	l->remote_seen_ms = now_ms;
	l->cand_count = 0;
	return changed;
}

enum latch_verdict latch_packet(struct latch *l, const union dp_addr *src, const uint8_t *buf,
				size_t len, uint64_t now_ms)
{
	if (l->remote.sa.sa_family && dp_addr_eq(src, &l->remote)) {
		l->remote_seen_ms = now_ms;
		if (!l->latched)
			l->sdp_spoke = true;
		return LATCH_ACCEPT;
	}
	if (l->flags & DP_ICE_LATCH)
		return LATCH_DROP; /* only the nominated pair (or, before, the SDP address) */
	if (l->flags & DP_ASYMMETRIC)
		return (l->flags & DP_STRICT_SOURCE) ? LATCH_DROP : LATCH_ACCEPT;
	if (l->sdp.sa.sa_family && dp_addr_eq(src, &l->sdp)) {
		/* The signalled address wins over anything learned. */
		l->sdp_spoke = true;
		return learn(l, &l->sdp, now_ms, false);
	}

	uint32_t ssrc;
	uint16_t seq;
	/* media-handover: a confirmed remote is no reason to keep it */
	bool handover = (l->flags & DP_MEDIA_HANDOVER) && l->remote_seen_ms;
	bool may_learn = (handover || (now_ms < l->deadline_ms && !remote_active(l, now_ms))) &&
			 !((l->flags & DP_TRUST_ADDRESS) && l->sdp_spoke);
	if (may_learn && looks_like_stream(l, buf, len, &ssrc, &seq) &&
	    candidate_ready(l, src, ssrc, seq))
		return learn(l, src, now_ms, true);

	if (l->flags & DP_STRICT_SOURCE)
		return LATCH_DROP;
	/* While the real party talks, others are noise (or an attack); with
	 * media-handover they are a candidate that did not qualify yet. */
	if (remote_active(l, now_ms))
		return LATCH_DROP;
	return LATCH_ACCEPT;
}
