/*
 * ice_family.c: a second socket pair, of the other address family, for an
 * ICE party (see ice_family.h and docs/architecture.md, ICE).
 */
#include "daemon/ice_family.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ice.h"
#include "lib/log.h"
#include "sdp/sdp_ice.h"

const struct ice_family *ice_family_of(const struct call_media *m)
{
	return m->ice ? m->ice->fam : NULL;
}

void ice_family_bind(struct ifaces *ifs, const struct call *c, struct call_media *rm,
		     uint64_t now_ms)
{
	struct ice_family *f;
	uint16_t port;
	int fr, fc;

	if (!rm->ice)
		rm->ice = calloc(1, sizeof(*rm->ice)); /* plain memory, as ice.c's */
	if (!rm->ice || rm->ice->fam || !rm->ifc || !rm->pair)
		return;
	int other = rm->ifc->cfg->family == AF_INET ? AF_INET6 : AF_INET;
	struct iface *ifc = ifaces_pick(ifs, rm->ifc->cfg->name, other);
	if (!ifc)
		return; /* the logical interface has one family */
	f = calloc(1, sizeof(*f));
	if (!f)
		return;
	int rc = iface_bind_pair(ifc, now_ms, &port, &fr, &fc);
	if (rc) {
		log_warn("media %u: no %s port pair on interface '%s' (%s): one family of ICE "
			 "candidates",
			 rm->index, other == AF_INET ? "IPv4" : "IPv6", ifc->cfg->name,
			 strerror(-rc));
		free(f);
		return;
	}
	f->rtp.ep = dp_endpoint_new(fr, c->worker);
	f->rtcp.ep = f->rtp.ep ? dp_endpoint_new(fc, c->worker) : NULL;
	if (!f->rtp.ep || !f->rtcp.ep) {
		/* dp_endpoint_new owns the fd only on success */
		if (f->rtp.ep)
			dp_endpoint_release(f->rtp.ep);
		else
			close(fr);
		close(fc);
		iface_release_pair(ifc, port, now_ms);
		free(f);
		return;
	}
	f->ifc = ifc;
	f->pair = port;
	f->rtp.port = port;
	f->rtcp.port = (uint16_t)(port + 1);
	f->restarts = rm->ice->restarts;
	rm->ice->fam = f;
}

/* Whether @m's party may use the other family: its candidates (since its
 * last ICE restart) name it, or a name that may stand for it, or there are
 * none to tell (not heard from yet, or all still to be trickled). */
static bool wanted(const struct call_media *m)
{
	const struct media_ice *ice = m->ice;

	if (!ice || !ice->peer_ice || !ice->peer_fams || !m->ifc)
		return true;
	unsigned other = m->ifc->cfg->family == AF_INET ? SDP_ICE_FAM_V6 : SDP_ICE_FAM_V4;
	return (ice->peer_fams & (other | SDP_ICE_FAM_NAME)) != 0;
}

/* Whether @m's party, which was given the second pair's candidate, rules
 * its family out: it may check it until it says it has no candidate of
 * that family (all gathered, or a new ICE session without one). */
static bool ruled_out(const struct call_media *m)
{
	return !wanted(m) && (m->ice->peer_complete || m->ice->restarts != m->ice->fam->restarts);
}

void ice_family_settle(struct call_media *m, uint64_t now_ms)
{
	if (!m->ice || !m->ice->fam)
		return;
	/* a party given no ICE lines never checks the pair */
	if (!m->ice->on || ruled_out(m))
		ice_family_release(m, now_ms);
}

void ice_family_update(struct ifaces *ifs, const struct call *c, struct call_media *rm,
		       uint64_t now_ms)
{
	if (rm->ice && rm->ice->fam) {
		if (ruled_out(rm))
			ice_family_release(rm, now_ms);
		return;
	}
	if (wanted(rm))
		ice_family_bind(ifs, c, rm, now_ms);
}

void ice_family_release(struct call_media *m, uint64_t now_ms)
{
	struct ice_family *f = m->ice ? m->ice->fam : NULL;

	if (!f)
		return;
	if (f->rtp.ep)
		dp_endpoint_release(f->rtp.ep);
	if (f->rtcp.ep)
		dp_endpoint_release(f->rtcp.ep);
	iface_release_pair(f->ifc, f->pair, now_ms);
	free(f);
	m->ice->fam = NULL;
}

/* Whether the party's last nomination came to the second pair. */
static bool second_active(const struct ice_family *f, const struct call_media *m)
{
	struct dp_ice_stats first, second;

	if (!m->rtp.ep || !f->rtp.ep)
		return false;
	dp_endpoint_ice_stats(m->rtp.ep, &first);
	dp_endpoint_ice_stats(f->rtp.ep, &second);
	return second.nominated && second.nominated_ms > first.nominated_ms;
}

struct dp_endpoint *ice_family_out(const struct call_media *m, bool rtcp)
{
	const struct ice_family *f = ice_family_of(m);
	bool second = f && second_active(f, m);
	const struct call_stream *r = second ? &f->rtp : &m->rtp;
	const struct call_stream *c = second ? &f->rtcp : &m->rtcp;

	return rtcp && !m->rtcp_mux ? c->ep : r->ep;
}

struct dp_endpoint *ice_family_twin(const struct call_media *m, bool rtcp)
{
	const struct ice_family *f = ice_family_of(m);

	if (!f || !m->ice->on)
		return NULL;
	return rtcp ? f->rtcp.ep : f->rtp.ep;
}

struct dp_endpoint *ice_family_params(const struct call_media *m, bool rtcp,
				      struct dp_endpoint_params *p)
{
	struct dp_endpoint *twin = ice_family_twin(m, rtcp);

	if (!twin)
		return NULL;
	p->ice_twin = rtcp ? m->rtcp.ep : m->rtp.ep;
	/* the SDP's address is of the first family: here only a nomination
	 * tells where the party is */
	memset(&p->sdp_remote, 0, sizeof(p->sdp_remote));
	/* the data plane owns a transcoder per socket: the first pair's;
	 * DP_TRANSCODE without one feeds RTP received here into its twin's
	 * (dataplane/dp_io.c), so both families are transcoded alike */
	p->xcode = NULL;
	return twin;
}

void ice_family_srtp(const struct call_media *m, const struct sr_keys *k, bool rtp, bool rtcp)
{
	const struct ice_family *f = ice_family_of(m);
	int rc = 0;

	if (!f)
		return;
	if (rtp && f->rtp.ep)
		rc = dp_endpoint_srtp(f->rtp.ep, k);
	if (!rc && rtcp && f->rtcp.ep)
		rc = dp_endpoint_srtp(f->rtcp.ep, k);
	if (rc)
		log_warn("media %u: cannot key the second family's sockets: %s", m->index,
			 strerror(-rc));
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

int ice_family_query(struct arena *a, struct ng_node *ice, const struct call_media *m, bool rtcp)
{
	const struct ice_family *f = ice_family_of(m);
	struct dp_ice_stats is;

	if (!f)
		return 0;
	const struct call_stream *s = rtcp ? &f->rtcp : &f->rtp;
	struct ng_node *o = ng_dict_add_dict(a, ice, "other family");
	if (!o || !s->ep)
		return o ? 0 : -ENOMEM;
	dp_endpoint_ice_stats(s->ep, &is);
	if (!ng_dict_add_str(a, ice, "nominated family",
			     family_name((second_active(f, m) ? f->ifc : m->ifc)->cfg->family)) ||
	    !ng_dict_add_str(a, o, "family", family_name(f->ifc->cfg->family)) ||
	    !ng_dict_add_str(a, o, "address", f->ifc->cfg->advertised) ||
	    !ng_dict_add_int(a, o, "port", s->port) ||
	    !ng_dict_add_str(a, o, "state",
			     is.nominated ? "nominated"
			     : is.checks  ? "checking"
					  : "waiting") ||
	    !ng_dict_add_int(a, o, "checks", (int64_t)is.checks) ||
	    !ng_dict_add_int(a, o, "bad checks", (int64_t)is.bad))
		return -ENOMEM;
	return 0;
}
