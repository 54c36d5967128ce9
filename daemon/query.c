/*
 * query.c: rtpengine's query reply shape from our call model (see query.h).
 *
 * Per party (one entry per tag; an unanswered callee appears under ""), per
 * media, two streams (RTP, RTCP). "local port" is the socket advertised to
 * that party (it sends there), "endpoint" where its packets come from (learned,
 * else the SDP address), "advertised endpoint" its SDP address, and "stats"
 * what the relay received from it.
 *
 * SSRCs: each RTP stream's current sender appears in the media's "ingress
 * SSRCs" list and, with its figures, in the top-level "SSRC" dictionary
 * keyed by the SSRC in decimal (rtpengine's "full" reporting). Its quality
 * is a MOS (lib/mos.h) computed here, at query time: jitter and loss as the
 * relay received the stream, and the round trip from RTCP: the relay's leg
 * to the receiver (its report blocks on the sender's SRs) plus the leg to
 * the sender (the same the other way). Without any measured leg there is no
 * MOS, as in rtpengine's default conversational mode. One sample per query:
 * average, lowest and highest are that sample.
 */
#include "daemon/query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/call.h"
#include "daemon/dtls_media.h"
#include "daemon/ice_family.h"
#include "daemon/ice.h"
#include "dataplane/dataplane.h"
#include "daemon/interfaces.h"
#include "daemon/sdes.h"
#include "lib/mos.h"
#include "daemon/callrec.h"

#define TRY(x)                          \
	do {                            \
		if (!(x))               \
			return -ENOMEM; \
	} while (0)

static int add_endpoint(struct arena *a, struct ng_node *d, const char *key,
			const struct sockaddr_storage *sa)
{
	char ip[INET6_ADDRSTRLEN] = "";
	unsigned port = 0;
	const char *fam = "";
	struct ng_node *e = ng_dict_add_dict(a, d, key);

	TRY(e);
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
		fam = "IPv4";
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
		fam = "IPv6";
	}
	TRY(ng_dict_add_str(a, e, "family", fam));
	TRY(ng_dict_add_str(a, e, "address", ip));
	TRY(ng_dict_add_int(a, e, "port", port));
	return 0;
}

struct sums {
	uint64_t p[2], b[2], e[2];
};

/* ICE on one socket (rtprelay as lite agent, daemon/ice.h): whether a pair
 * was nominated, the checks answered (consent included) and refused. */
static int add_ice(struct arena *a, struct ng_node *d, const struct dp_endpoint *ep,
		   const struct call_media *m, bool rtcp)
{
	struct dp_ice_stats is;
	struct timespec ts;
	struct ng_node *ice = ng_dict_add_dict(a, d, "ICE");

	TRY(ice);
	dp_endpoint_ice_stats(ep, &is);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	TRY(ng_dict_add_str(a, ice, "role", "lite"));
	TRY(ng_dict_add_str(a, ice, "state",
			    is.nominated ? "nominated"
			    : is.checks	 ? "checking"
					 : "waiting"));
	TRY(ng_dict_add_int(a, ice, "checks", (int64_t)is.checks));
	TRY(ng_dict_add_int(a, ice, "bad checks", (int64_t)is.bad));
	if (is.last_ms)
		TRY(ng_dict_add_int(a, ice, "last check ms ago",
				    (int64_t)(now_ms > is.last_ms ? now_ms - is.last_ms : 0)));
	return ice_family_query(a, ice, m, rtcp); /* the other family's socket */
}

static int add_stream(struct arena *a, struct ng_node *list, const struct call_media *m,
		      const struct call_media *peer, const struct call_stream *s, bool rtcp,
		      struct sums *sum)
{
	struct ng_node *d = ng_new_dict(a), *st, *fl;
	struct dp_stats ds;

	TRY(d && ng_list_add(list, d));
	memset(&ds, 0, sizeof(ds));
	if (s->ep)
		dp_endpoint_stats(s->ep, &ds);
	TRY(ng_dict_add_int(a, d, "local port", s->ep ? s->port : 0));
	if (m->ifc) {
		TRY(ng_dict_add_str(a, d, "local address", m->ifc->cfg->addr));
		TRY(ng_dict_add_str(a, d, "family",
				    strchr(m->ifc->cfg->addr, ':') ? "IPv6" : "IPv4"));
	}
	if (add_endpoint(a, d, "endpoint", ds.remote.ss_family ? &ds.remote : &s->remote) ||
	    add_endpoint(a, d, "advertised endpoint", &s->remote))
		return -ENOMEM;
	TRY(ng_dict_add_int(a, d, "last packet", (int64_t)ds.last_packet_wall));
	fl = ng_dict_add_list(a, d, "flags");
	TRY(fl);
	TRY(ng_list_add(fl, ng_new_cstr(a, rtcp ? "RTCP" : "RTP")));
	if (s->remote.ss_family)
		TRY(ng_list_add(fl, ng_new_cstr(a, "filled")));
	if (ds.latched)
		TRY(ng_list_add(fl, ng_new_cstr(a, "confirmed")));
	if (!rtcp && m->rtcp_mux)
		TRY(ng_list_add(fl, ng_new_cstr(a, "RTCP-mux")));
	/* rtpengine's flag for a stream its kernel module forwards: here the
	 * eBPF fast path (kernel-offload/README.md) */
	if (s->ep && dp_endpoint_in_kernel(s->ep))
		TRY(ng_list_add(fl, ng_new_cstr(a, "kernelized")));
	if (!rtcp && m->bundle_lead) {
		/* daemon/bundle.h: the party reaches this media at the bundle
		 * socket's port (its media sit in one array, index 1-based) */
		const struct call_media *lead = m + ((int)m->bundle_lead - (int)m->index);

		TRY(ng_list_add(fl, ng_new_cstr(a, "BUNDLE")));
		TRY(ng_dict_add_int(a, d, "bundle port", lead->rtp.port));
		/* answered outside the bundle: "endpoint" is its party's own
		 * address, sent to from the bundle port */
		if (m->bundle_split)
			TRY(ng_dict_add_int(a, d, "bundle split", 1));
	}
	if (m->ice && m->ice->on && s->ep && add_ice(a, d, s->ep, m, rtcp))
		return -ENOMEM;
	const char *suite = sdes_suite_name(m);
	if (!suite)
		suite = dtls_suite_name(m);
	const char *peer_suite = peer ? sdes_suite_name(peer) : NULL;
	if (peer && !peer_suite)
		peer_suite = dtls_suite_name(peer);
	if (dtls_query(a, d, m, rtcp))
		return -ENOMEM;
	if (suite) /* rtpengine's key */
		TRY(ng_dict_add_str(a, d, "crypto suite", suite));
	if (suite || peer_suite) /* the kernel has no AES or HMAC-SHA1 */
		TRY(ng_dict_add_str(a, d, "not offloaded",
				    suite ? "SRTP is decrypted and encrypted in user space"
					  : "forwards into SRTP, encrypted in user space"));
	st = ng_dict_add_dict(a, d, "stats");
	TRY(st);
	TRY(ng_dict_add_int(a, st, "packets", (int64_t)ds.packets));
	TRY(ng_dict_add_int(a, st, "bytes", (int64_t)ds.bytes));
	TRY(ng_dict_add_int(a, st, "errors", (int64_t)ds.errors));
	/* beyond rtpengine's three: what the relay did with them, and RFC 3550 */
	TRY(ng_dict_add_int(a, st, "forwarded", (int64_t)ds.forwarded));
	TRY(ng_dict_add_int(a, st, "dropped source", (int64_t)ds.dropped_source));
	TRY(ng_dict_add_int(a, st, "dropped other", (int64_t)ds.dropped_other));
	if (suite) { /* dropped, never forwarded (dataplane/dp_srtp.c) */
		TRY(ng_dict_add_int(a, st, "SRTP auth failed", (int64_t)ds.srtp_auth_failed));
		TRY(ng_dict_add_int(a, st, "SRTP replayed", (int64_t)ds.srtp_replayed));
		TRY(ng_dict_add_int(a, st, "SRTP errors", (int64_t)ds.srtp_errors));
		/* the expected drops at a call's start, before the answer keys it */
		TRY(ng_dict_add_int(a, st, "SRTP awaiting keys", (int64_t)ds.srtp_awaiting_keys));
	}
	if (!rtcp && m->bundle_lead == m->index) /* dropped: no media claimed them */
		TRY(ng_dict_add_int(a, st, "bundle unknown", (int64_t)ds.bundle_unknown));
	if (!rtcp || m->rtcp_mux) {
		TRY(ng_dict_add_int(a, st, "expected", (int64_t)ds.expected));
		TRY(ng_dict_add_int(a, st, "lost", (int64_t)ds.lost));
		TRY(ng_dict_add_int(a, st, "jitter us", (int64_t)(ds.jitter_ms * 1000.0)));
		if (ds.packets)
			TRY(ng_dict_add_int(a, d, "SSRC", ds.ssrc));
	}
	sum->p[rtcp] += ds.packets;
	sum->b[rtcp] += ds.bytes;
	sum->e[rtcp] += ds.errors;
	return 0;
}

/* The RTCP leg of a stream's remote: RTCP endpoint, or the RTP one muxed. */
static int64_t leg_us(const struct call_media *m)
{
	struct dp_stats ds;
	const struct call_stream *s = m->rtcp_mux || !m->rtcp.ep ? &m->rtp : &m->rtcp;

	if (!m->pair || !s->ep)
		return 0;
	dp_endpoint_stats(s->ep, &ds);
	return ds.rtt_leg_us;
}

static int add_mos_entry(struct arena *a, struct ng_node *ent, const char *key, int mos10,
			 int64_t rtt, int64_t rtt_leg, const struct dp_stats *ds, double loss,
			 time_t now, bool avg)
{
	struct ng_node *d = ng_dict_add_dict(a, ent, key);

	TRY(d);
	TRY(ng_dict_add_int(a, d, "MOS", mos10));
	TRY(ng_dict_add_int(a, d, "round-trip time", rtt));
	TRY(ng_dict_add_int(a, d, "round-trip time leg", rtt_leg));
	TRY(ng_dict_add_int(a, d, "jitter", (int64_t)(ds->jitter_ms + 0.5)));
	TRY(ng_dict_add_int(a, d, "packet loss", (int64_t)(loss + 0.5)));
	TRY(ng_dict_add_int(a, d, avg ? "samples" : "reported at", avg ? 1 : (int64_t)now));
	return 0;
}

/* The top-level "SSRC" entry of the sender of @m's RTP stream (party @p),
 * received by @peer (the other party's media of the same index, or NULL). */
static int add_ssrc(struct arena *a, struct ng_node *ssrcs, const struct call_media *m,
		    const struct call_media *peer, const struct dp_stats *ds)
{
	char key[16];
	struct ng_node *e;
	/* the receiver's leg reports on this SSRC; the sender's closes the loop */
	int64_t rx_leg = peer ? leg_us(peer) : 0, tx_leg = leg_us(m);
	double loss = ds->expected ? 100.0 * (double)ds->lost / (double)ds->expected : 0;
	struct mos_input in = { .rtt_us = rx_leg || tx_leg ? rx_leg + tx_leg : -1,
				.jitter_ms = ds->jitter_ms,
				.loss_pct = loss };
	int mos10;
	time_t now = time(NULL);

	snprintf(key, sizeof(key), "%u", ds->ssrc);
	if (ng_dict_get(ssrcs, key))
		return 0;
	e = ng_dict_add_dict(a, ssrcs, key);
	TRY(e);
	TRY(ng_dict_add_int(a, e, "packets", (int64_t)ds->packets));
	TRY(ng_dict_add_int(a, e, "bytes", (int64_t)ds->bytes));
	TRY(ng_dict_add_int(a, e, "cumulative loss", (int64_t)ds->lost));
	TRY(ng_dict_add_int(a, e, "jitter", (int64_t)(ds->jitter_ms + 0.5)));
	if (!mos_compute(&in, &mos10))
		return 0;
	if (add_mos_entry(a, e, "average MOS", mos10, in.rtt_us, rx_leg, ds, loss, now, true) ||
	    add_mos_entry(a, e, "lowest MOS", mos10, in.rtt_us, rx_leg, ds, loss, now, false) ||
	    add_mos_entry(a, e, "highest MOS", mos10, in.rtt_us, rx_leg, ds, loss, now, false))
		return -ENOMEM;
	struct ng_node *prog = ng_dict_add_dict(a, e, "MOS progression"), *list;
	TRY(prog);
	TRY(ng_dict_add_int(a, prog, "interval", 0));
	list = ng_dict_add_list(a, prog, "entries");
	TRY(list);
	struct ng_node *one = ng_new_dict(a);
	TRY(one && ng_list_add(list, one));
	TRY(ng_dict_add_int(a, one, "MOS", mos10));
	TRY(ng_dict_add_int(a, one, "round-trip time", in.rtt_us));
	TRY(ng_dict_add_int(a, one, "round-trip time leg", rx_leg));
	TRY(ng_dict_add_int(a, one, "jitter", (int64_t)(ds->jitter_ms + 0.5)));
	TRY(ng_dict_add_int(a, one, "packet loss", (int64_t)(loss + 0.5)));
	TRY(ng_dict_add_int(a, one, "reported at", (int64_t)now));
	return 0;
}

static int add_media(struct arena *a, struct ng_node *list, const struct call_media *m,
		     const struct call_media *peer, struct ng_node *ssrcs, struct sums *sum)
{
	struct ng_node *d = ng_new_dict(a), *streams, *fl, *in;
	struct dp_stats ds;

	TRY(d && ng_list_add(list, d));
	TRY(ng_dict_add_int(a, d, "index", m->index));
	TRY(ng_dict_add_str(a, d, "type", m->type));
	TRY(ng_dict_add_str(a, d, "protocol", m->proto));
	streams = ng_dict_add_list(a, d, "streams");
	TRY(streams);
	if (m->pair) {
		if (add_stream(a, streams, m, peer, &m->rtp, false, sum) ||
		    add_stream(a, streams, m, peer, &m->rtcp, true, sum))
			return -ENOMEM;
	}
	fl = ng_dict_add_list(a, d, "flags");
	TRY(fl);
	TRY(ng_list_add(fl, ng_new_cstr(a, "initialized")));
	if (m->rtcp_mux)
		TRY(ng_list_add(fl, ng_new_cstr(a, "RTCP-mux")));
	if (m->disabled)
		TRY(ng_list_add(fl, ng_new_cstr(a, "disabled")));
	if (m->ice && m->ice->on)
		TRY(ng_list_add(fl, ng_new_cstr(a, "ICE")));
	if (sdes_suite_name(m))
		TRY(ng_list_add(fl, ng_new_cstr(a, "SDES")));
	if (m->dtls && dtls_suite_name(m))
		TRY(ng_list_add(fl, ng_new_cstr(a, "DTLS-SRTP")));
	in = ng_dict_add_list(a, d, "ingress SSRCs");
	TRY(in);
	memset(&ds, 0, sizeof(ds));
	if (m->pair && m->rtp.ep)
		dp_endpoint_stats(m->rtp.ep, &ds);
	if (ds.packets && ds.ssrc) {
		struct ng_node *e = ng_new_dict(a);
		TRY(e && ng_list_add(in, e));
		TRY(ng_dict_add_int(a, e, "SSRC", ds.ssrc));
		if (ssrcs && add_ssrc(a, ssrcs, m, peer, &ds))
			return -ENOMEM;
	}
	return 0;
}

static int add_party(struct arena *a, struct ng_node *tags, const struct call_party *p,
		     const char *tag, struct ng_node *ssrcs, struct sums *sum)
{
	struct ng_node *d = ng_dict_add_dict(a, tags, tag), *medias;

	TRY(d);
	TRY(ng_dict_add_str(a, d, "tag", tag));
	if (p->label)
		TRY(ng_dict_add_str(a, d, "label", p->label));
	TRY(ng_dict_add_int(a, d, "created", (int64_t)p->created));
	if (p->peer)
		TRY(ng_dict_add_str(a, d, "in dialogue with", call_party_tag(p->peer)));
	medias = ng_dict_add_list(a, d, "medias");
	TRY(medias);
	for (unsigned i = 0; i < p->n_media; i++)
		if (p->media[i].used &&
		    add_media(a, medias, &p->media[i],
			      p->peer && i < p->peer->n_media && p->peer->media[i].used
				      ? &p->peer->media[i]
				      : NULL,
			      ssrcs, sum))
			return -ENOMEM;
	return 0;
}

static int add_totals(struct arena *a, struct ng_node *reply, const struct sums *sum)
{
	static const char *const names[2] = { "RTP", "RTCP" };
	struct ng_node *t = ng_dict_add_dict(a, reply, "totals");

	TRY(t);
	for (int k = 0; k < 2; k++) {
		struct ng_node *d = ng_dict_add_dict(a, t, names[k]);
		TRY(d);
		TRY(ng_dict_add_int(a, d, "packets", (int64_t)sum->p[k]));
		TRY(ng_dict_add_int(a, d, "bytes", (int64_t)sum->b[k]));
		TRY(ng_dict_add_int(a, d, "errors", (int64_t)sum->e[k]));
	}
	return 0;
}

int query_call(struct arena *a, const struct call *c, struct ng_node *reply)
{
	return query_call_for(a, c, false, NULL, reply);
}

int query_call_for(struct arena *a, const struct call *c, bool selecting,
		   const struct call_party *sel, struct ng_node *reply)
{
	struct ng_node *tags, *ssrcs;
	struct sums sum;
	struct sums ignore;

	memset(&sum, 0, sizeof(sum));
	TRY(ng_dict_add_int(a, reply, "created", (int64_t)c->created));
	TRY(ng_dict_add_int(a, reply, "created_us", c->created_us));
	TRY(ng_dict_add_int(a, reply, "created_ts", (int64_t)c->created * 1000000 + c->created_us));
	TRY(ng_dict_add_int(a, reply, "last signal", (int64_t)c->last_signal));
	/* when the call's record was last queued for Redis (daemon/repl.h), 0 = never */
	TRY(ng_dict_add_int(a, reply, "last redis update", (int64_t)c->repl_updated));
	ssrcs = ng_dict_add_dict(a, reply, "SSRC");
	TRY(ssrcs);
	tags = ng_dict_add_dict(a, reply, "tags");
	TRY(tags);
	for (unsigned i = 0; i < c->n_parties; i++) {
		const struct call_party *p = c->parties[i];
		if (selecting && (!sel || (p != sel && p != sel->peer)))
			continue;
		/* forks share one party: its counters are summed once */
		for (unsigned t = 0; t < (p->n_tags ? p->n_tags : 1); t++)
			if (add_party(a, tags, p, p->n_tags ? p->tags[t] : "", ssrcs,
				      t == 0 ? &sum : &ignore))
				return -ENOMEM;
	}
	if (c->rec_id)
		TRY(!callrec_query(a, c, reply));
	return add_totals(a, reply, &sum);
}
