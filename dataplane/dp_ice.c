/*
 * dp_ice.c: the ICE-lite responder of the data plane (RFC 8445 lite agent,
 * RFC 7675 consent freshness), worker side.
 *
 * An endpoint with DP_ICE holds rtprelay's credentials towards its party
 * (struct dp_ice, allocated when the parameters arrive, never per packet).
 * dp_io.c hands over every datagram whose first byte says STUN (RFC 7983);
 * a binding request is answered only when its FINGERPRINT is right, its
 * USERNAME is "<our ufrag>:<their ufrag>" and its MESSAGE-INTEGRITY verifies
 * under our password. The answer (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
 * FINGERPRINT) is written over the request in the same slot and leaves with
 * the batch. A request that fails any check is dropped and counted (ice_bad)
 * and never changes where media goes. With DP_ICE_LATCH a valid request
 * carrying USE-CANDIDATE nominates the pair: its source becomes the remote
 * (latch_nominate). Consent checks are ordinary binding requests, so they
 * are answered for as long as the stream lives.
 */
#include "dataplane/dp_endpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"

struct dp_ice {
	char ufrag[32], pwd[64];
	char remote_ufrag[DP_ICE_CRED_MAX + 1];
	size_t ufrag_len, pwd_len, remote_len;
};

void dp_ice_free(struct dp_endpoint *ep)
{
	free(ep->ice);
	ep->ice = NULL;
}

int dp_ice_apply(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	const struct dp_ice_params *ip = &p->ice;

	if (!(p->flags & DP_ICE) || !ip->ufrag[0] || !ip->pwd[0]) {
		dp_ice_free(ep);
		DP_PUT(ep->pub.ice_nominated, false);
		return 0;
	}
	if (!ep->ice) {
		ep->ice = calloc(1, sizeof(*ep->ice));
		if (!ep->ice)
			return -ENOMEM;
	}
	struct dp_ice *ice = ep->ice;
	size_t ul = strnlen(ip->ufrag, sizeof(ip->ufrag) - 1);
	size_t pl = strnlen(ip->pwd, sizeof(ip->pwd) - 1);
	/* new credentials of ours: an ICE restart, the pair is nominated again */
	if (ul != ice->ufrag_len || memcmp(ice->ufrag, ip->ufrag, ul) || pl != ice->pwd_len ||
	    memcmp(ice->pwd, ip->pwd, pl))
		DP_PUT(ep->pub.ice_nominated, false);
	memcpy(ice->ufrag, ip->ufrag, ul);
	ice->ufrag[ul] = '\0';
	ice->ufrag_len = ul;
	memcpy(ice->pwd, ip->pwd, pl);
	ice->pwd[pl] = '\0';
	ice->pwd_len = pl;
	ice->remote_len = strnlen(ip->remote_ufrag, DP_ICE_CRED_MAX);
	memcpy(ice->remote_ufrag, ip->remote_ufrag, ice->remote_len);
	ice->remote_ufrag[ice->remote_len] = '\0';
	return 0;
}

/* USERNAME "<ours>:<theirs>"; theirs is checked once the SDP told it. */
static bool username_ok(const struct dp_ice *ice, const struct stun_msg *m)
{
	const uint8_t *u = m->username;
	size_t n = m->username_len;

	if (n < ice->ufrag_len + 1 || memcmp(u, ice->ufrag, ice->ufrag_len) ||
	    u[ice->ufrag_len] != ':')
		return false;
	if (!ice->remote_len)
		return true;
	return n - ice->ufrag_len - 1 == ice->remote_len &&
	       !memcmp(u + ice->ufrag_len + 1, ice->remote_ufrag, ice->remote_len);
}

/* The address a check came from, as XOR-MAPPED-ADDRESS reports it (an
 * IPv4-mapped source on a dual-stack socket as plain IPv4). */
static void reported(const union dp_addr *src, union dp_addr *out)
{
	*out = *src;
	if (src->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&src->v6.sin6_addr)) {
		memset(out, 0, sizeof(*out));
		out->v4.sin_family = AF_INET;
		out->v4.sin_port = src->v6.sin6_port;
		memcpy(&out->v4.sin_addr, &src->v6.sin6_addr.s6_addr[12], 4);
	}
}

bool dp_ice_stun(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
		 bool *remote_changed)
{
	struct dp_ice *ice = ep->ice;
	struct stun_msg m;

	if (!ice || stun_parse(s->buf, len, &m) != 0)
		return false;
	if (m.method != STUN_BINDING || m.cls != STUN_CLASS_REQUEST)
		return false; /* indications, and answers to requests we never send */
	if (!stun_check_fingerprint(s->buf, &m) || !m.username_len || !username_ok(ice, &m) ||
	    !stun_check_integrity(s->buf, &m, (const uint8_t *)ice->pwd, ice->pwd_len) ||
	    m.unknown_required) {
		DP_ADD(ep->pub.ice_bad, 1);
		return false;
	}
	if (m.use_candidate && (ep->flags & DP_ICE_LATCH)) {
		if (latch_nominate(&ep->latch, &s->src, w->now_ms))
			*remote_changed = true;
		DP_PUT(ep->pub.ice_nominated, true);
		DP_PUT(ep->pub.ice_nominated_ms, w->now_ms);
		ep->ice_nom_seq = ++w->ice_nom_seq; /* media to the party leaves here */
	}

	union dp_addr mapped;
	uint8_t tid[12];
	struct stun_writer wr;

	reported(&s->src, &mapped);
	memcpy(tid, m.tid, sizeof(tid)); /* the answer is written over the request */
	stun_w_init(&wr, s->buf, DP_BUF, STUN_BINDING | STUN_CLASS_SUCCESS, tid);
	stun_w_xor_addr(&wr, &mapped.sa);
	stun_w_integrity(&wr, (const uint8_t *)ice->pwd, ice->pwd_len);
	stun_w_fingerprint(&wr);
	int n = stun_w_finish(&wr);
	if (n <= 0)
		return false;
	DP_ADD(ep->pub.ice_checks, 1);
	DP_PUT(ep->pub.ice_last_ms, w->now_ms);
	s->out = ep;
	s->dst = s->src;
	s->iov.iov_len = (size_t)n;
	return true;
}

/* Any thread: the published ICE counters. */
void dp_endpoint_ice_stats(const struct dp_endpoint *ep, struct dp_ice_stats *out)
{
	out->checks = DP_GET(ep->pub.ice_checks);
	out->bad = DP_GET(ep->pub.ice_bad);
	out->last_ms = DP_GET(ep->pub.ice_last_ms);
	out->nominated = DP_GET(ep->pub.ice_nominated);
	out->nominated_ms = DP_GET(ep->pub.ice_nominated_ms);
}
