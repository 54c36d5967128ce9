/*
 * ice.c: rtpengine's ICE key on offer/answer, rtprelay as ICE-lite agent
 * (see ice.h and docs/architecture.md, ICE).
 */
#include "daemon/ice.h"

#include "daemon/ice_family.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ice-chars (RFC 8839): 64 of them, so a random byte's low 6 bits pick one
 * uniformly. */
static const char ice_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int random_ice_chars(char *out, size_t n)
{
	unsigned char r[ICE_PWD_LEN];

	if (n > sizeof(r) || getrandom(r, n, 0) != (ssize_t)n)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = ice_alphabet[r[i] & 63u];
	out[n] = '\0';
	return 0;
}

static int new_credentials(struct media_ice *ice)
{
	if (random_ice_chars(ice->ufrag, ICE_UFRAG_LEN) || random_ice_chars(ice->pwd, ICE_PWD_LEN))
		return -EIO;
	return 0;
}

static struct media_ice *ice_of(struct call_media *cm)
{
	if (!cm->ice)
		cm->ice = calloc(1, sizeof(*cm->ice));
	return cm->ice;
}

int ice_note_sender(struct call_media *cm, const struct ng_request *req,
		    const struct sdp_session *s, const struct sdp_media *m)
{
	const struct sdp_ice *mi = &m->ice, *si = &s->ice;
	const char *ufrag = mi->ufrag ? mi->ufrag : si->ufrag;
	size_t ul = mi->ufrag ? mi->ufrag_len : si->ufrag_len;

	if (!ufrag && !cm->ice)
		return 0; /* no ICE from this party, none before either */
	struct media_ice *ice = ice_of(cm);
	if (!ice)
		return -ENOMEM;
	ice->peer_ice = ufrag != NULL;
	ice->peer_lite = si->lite || mi->lite;
	if (req->cmd == NG_CMD_OFFER) /* rtpengine's reject-ICE: as ICE=remove in the answer */
		ice->rejected = (req->flags & NG_F_REJECT_ICE) != 0;
	if (!ufrag)
		return 0;
	if (ul > SDP_ICE_CRED_MAX)
		ul = SDP_ICE_CRED_MAX; /* the parser bounds it; be safe */
	if (ice->remote_ufrag[0] &&
	    (strlen(ice->remote_ufrag) != ul || memcmp(ice->remote_ufrag, ufrag, ul))) {
		/* an ICE restart (RFC 8445 9): both sides take new credentials;
		 * ours reach the party in the SDP it gets next */
		ice->restarts++;
		ice->peer_fams = 0; /* a new session: its candidates start anew */
		if (ice->ufrag[0] && new_credentials(ice))
			return -EIO;
	}
	/* within one ICE session candidates only add up (a re-offer's trickled
	 * ones included); which families they name decides whether the party
	 * gets a socket of the other family (daemon/ice_family.h) */
	ice->peer_fams |= mi->families | si->families;
	ice->peer_complete = mi->end_of_candidates || si->end_of_candidates;
	memcpy(ice->remote_ufrag, ufrag, ul);
	ice->remote_ufrag[ul] = '\0';
	return 0;
}

bool ice_decide(const struct ng_request *req, const struct sdp_session *s,
		const struct sdp_media *m, const struct call_media *rm)
{
	switch (req->ice) {
	case NG_ICE_FORCE:
	case NG_ICE_OPTIONAL:	 /* rtprelay's lines replace the party's, as force */
	case NG_ICE_FORCE_RELAY: /* as force, rtprelay's candidates typ relay */
		return true;
	case NG_ICE_REMOVE:
		return false;
	case NG_ICE_DEFAULT:
	default:
		/* an offer: as force when it had ICE; an answer: when the
		 * offerer spoke ICE (an answer never adds ICE the offer did
		 * not have, whatever the answerer said) */
		if (req->cmd == NG_CMD_ANSWER)
			return rm->ice && rm->ice->peer_ice && !rm->ice->rejected;
		return m->has_ice || s->has_ice;
	}
}

void ice_off(struct call_media *rm)
{
	if (rm->ice)
		rm->ice->on = false;
}

void ice_answered(struct call_media *sm)
{
	if (sm->ice && !sm->ice->peer_ice)
		sm->ice->on = false;
}

/* One candidate for component @comp at @addr:@port: a host candidate, or
 * with @relay (ICE=force-relay) a relay candidate. rtprelay's socket is both
 * the relayed address and its base, so raddr/rport (required for relay,
 * RFC 8839 5.1) name the same address. */
static void own_candidate(struct sdp_candidate *c, unsigned comp, const char *addr, uint16_t port,
			  bool relay)
{
	memset(c, 0, sizeof(*c));
	/* one base, one type per SDP: one foundation (RFC 8445 5.1.1.3) */
	snprintf(c->foundation, sizeof(c->foundation), relay ? "2" : "1");
	c->component = comp;
	snprintf(c->transport, sizeof(c->transport), "UDP");
	/* RFC 8445 5.1.2.2: type preference 126 for host, 0 for relay */
	c->priority = sdp_candidate_priority(relay ? 0 : 126, 65535, comp);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->port = port;
	snprintf(c->type, sizeof(c->type), relay ? "relay" : "host");
	if (relay) {
		c->has_raddr = c->has_rport = true;
		snprintf(c->raddr, sizeof(c->raddr), "%s", addr);
		c->rport = port;
	}
}

int ice_rewrite(struct arena *a, const struct ng_request *req, struct call_media *rm,
		const char *addr, bool mux, struct sdp_media_rewrite *mr)
{
	struct media_ice *ice = ice_of(rm);
	struct sdp_ice_out *out = arena_alloc(a, sizeof(*out));
	struct sdp_candidate *c = arena_alloc(a, 4 * sizeof(*c));

	if (!ice || !out || !c)
		return -ENOMEM;
	if (!ice->ufrag[0] && new_credentials(ice))
		return -EIO;
	ice->on = true;
	bool relay = req->ice == NG_ICE_FORCE_RELAY;
	unsigned n = 0;
	own_candidate(&c[n++], 1, addr, rm->rtp.port, relay);
	if (!mux)
		own_candidate(&c[n++], 2, addr, rm->rtcp.port, relay);
	/* the other family's sockets (ice_family.h): a base of their own, so a
	 * foundation of their own, and a lower local preference (RFC 8445
	 * 5.1.2.1: the media's own family first) */
	const struct ice_family *f = ice->fam;
	if (f) {
		for (unsigned k = 0; k < (mux ? 1u : 2u); k++) {
			struct sdp_candidate *x = &c[n++];
			own_candidate(x, k + 1, f->ifc->cfg->advertised,
				      k ? f->rtcp.port : f->rtp.port, relay);
			snprintf(x->foundation, sizeof(x->foundation), relay ? "4" : "3");
			x->priority = sdp_candidate_priority(relay ? 0 : 126, 65534, k + 1);
		}
	}
	memset(out, 0, sizeof(*out));
	out->ufrag = ice->ufrag;
	out->pwd = ice->pwd;
	out->cands = c;
	out->n_cands = n;
	out->trickle = (req->flags & NG_F_TRICKLE_ICE) != 0;
	out->end_of_candidates = true; /* a lite agent knows all of its own at once */
	mr->ice = out;
	mr->remove_ice = true; /* the party's own lines go */
	return 0;
}

void ice_publish(const struct call_media *m, struct dp_endpoint_params *p)
{
	const struct media_ice *ice = m->ice;

	if (!ice || !ice->on)
		return;
	p->flags |= DP_ICE;
	/* a lite peer never checks: media latching as usual */
	if (!ice->peer_lite)
		p->flags |= DP_ICE_LATCH;
	snprintf(p->ice.ufrag, sizeof(p->ice.ufrag), "%s", ice->ufrag);
	snprintf(p->ice.pwd, sizeof(p->ice.pwd), "%s", ice->pwd);
	snprintf(p->ice.remote_ufrag, sizeof(p->ice.remote_ufrag), "%s", ice->remote_ufrag);
}
