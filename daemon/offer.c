/*
 * offer.c: offer/answer (see offer.h), rtpengine semantics.
 *
 * The SDP comes from the "sender" S and goes to the "receiver" R: for an offer
 * S is the from-tag party and R its peer (created untagged if new); for an
 * answer S is the to-tag party (the callee) and R the from-tag party. For every
 * m= line, S's media holds the sockets advertised to S (kept across re-offers),
 * R's media the sockets advertised to R (written into the SDP R receives).
 * Then both sides' dataplane parameters are published: S's sockets take S's
 * SDP address as remote and forward into R's sockets, and vice versa.
 */
#include "daemon/offer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "codecs/transcode.h"
#include "daemon/bundle.h"
#include "daemon/call.h"
#include "daemon/callctl.h"
#include "daemon/callrec.h"
#include "daemon/codec_negotiate.h"
#include "daemon/media_tos.h"
#include "daemon/moh.h"
#include "daemon/config.h"
#include "daemon/fork.h"
#include "daemon/ice.h"
#include "daemon/ice_family.h"
#include "dataplane/dataplane.h"
#include "daemon/interfaces.h"
#include "daemon/dtls_media.h"
#include "daemon/sdes.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "sdp/sdp.h"

struct oa_ctx {
	struct calls *cs;
	struct ng_request *req;
	struct arena *a;
	uint64_t now;
	struct call *call;
	struct call_party *s, *r; /* sender of the SDP, receiver of the rewrite */
	const struct sdp_session *sdp;
	const char **err;
	/* replace=SDP-version: what R is told this time, kept once the call
	 * takes this offer/answer (record_signal) */
	bool version_set;
	uint64_t version;
};

static void warn(struct oa_ctx *o, const char *text)
{
	struct ng_request *req = o->req;

	for (unsigned i = 0; i < req->n_warnings; i++)
		if (strcmp(req->warnings[i], text) == 0)
			return;
	if (req->n_warnings < NG_MAX_WARNINGS)
		req->warnings[req->n_warnings++] = text;
}

static int fail(struct oa_ctx *o, int rc, const char *reason)
{
	*o->err = reason;
	return rc;
}

/* sockaddr from SDP text address + port (port 0 = unknown). */
static void make_addr(struct sockaddr_storage *sa, const char *addr, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	if (!addr)
		return;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
}

static int addr_family(const char *addr)
{
	struct in6_addr tmp;

	if (!addr)
		return 0;
	if (inet_pton(AF_INET, addr, &tmp) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, addr, &tmp) == 1)
		return AF_INET6;
	return 0;
}

/* The address the sender really uses for media @m, per trust rules:
 * SIP-source-address (received-from) > SDP c=. (media-address is the
 * address written into the SDP the receiver gets, not the sender's.) */
static const char *sender_addr(struct oa_ctx *o, const struct sdp_media *m)
{
	const struct sdp_conn *c = sdp_media_conn(o->sdp, m);

	if ((o->req->flags & NG_F_SIP_SOURCE_ADDRESS) && o->req->received_from_addr &&
	    addr_family(o->req->received_from_addr))
		return o->req->received_from_addr;
	return c->present && !c->zero ? c->addr : NULL; /* 0.0.0.0: hold, unknown */
}

/* loop-protect (as rtpengine): the SDP we send carries a session-level
 * "a=rtpengine:<instance id>", the id random per daemon start; an offer or
 * answer whose SDP carries our own id at session level has been through this
 * relay already and is passed on untouched, the call left as it was. Another
 * relay's id, or the mark inside a media section only, is processed as usual
 * (rtpengine looks at the session's attributes only). */
#define LOOP_PREFIX "a=rtpengine:"

static const char *loop_mark(void)
{
	static char mark[sizeof(LOOP_PREFIX) + 16];
	unsigned char r[8];

	if (mark[0])
		return mark;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		memcpy(r, &t, sizeof(r));
	}
	snprintf(mark, sizeof(mark), LOOP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1],
		 r[2], r[3], r[4], r[5], r[6], r[7]);
	return mark;
}

static uint32_t flags_to_dp(uint32_t f)
{
	uint32_t d = 0;

	if (f & NG_F_STRICT_SOURCE)
		d |= DP_STRICT_SOURCE;
	if (f & NG_F_ASYMMETRIC)
		d |= DP_ASYMMETRIC;
	if (f & NG_F_TRUST_ADDRESS)
		d |= DP_TRUST_ADDRESS;
	if (f & NG_F_MEDIA_HANDOVER)
		d |= DP_MEDIA_HANDOVER;
	return d;
}

/* Interface for one side: a direction name if given, in the wanted family. */
static struct iface *pick_iface(struct oa_ctx *o, const char *name, int family)
{
	struct iface *ifc = ifaces_pick(o->cs->ifs, name, family);

	if (!ifc && family) /* no interface of that family: use what exists */
		ifc = ifaces_pick(o->cs->ifs, name, 0);
	return ifc;
}

static void close_fd_quiet(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Bind the socket pair of a media if it has none yet. */
static int media_bind(struct oa_ctx *o, struct call_media *m, struct iface *ifc)
{
	uint16_t port;
	int fr, fc, rc;

	if (m->pair)
		return 0;
	rc = iface_bind_pair(ifc, o->now, &port, &fr, &fc);
	if (rc == -ENOSPC)
		return fail(o, rc, "Ran out of ports");
	if (rc)
		return fail(o, rc, "Failed to bind media sockets");
	m->rtp.ep = dp_endpoint_new(fr, o->call->worker);
	m->rtcp.ep = m->rtp.ep ? dp_endpoint_new(fc, o->call->worker) : NULL;
	if (!m->rtp.ep || !m->rtcp.ep) {
		/* dp_endpoint_new owns the fd only on success */
		if (m->rtp.ep)
			dp_endpoint_release(m->rtp.ep);
		else
			close_fd_quiet(fr);
		close_fd_quiet(fc);
		m->rtp.ep = m->rtcp.ep = NULL;
		iface_release_pair(ifc, port, o->now);
		return fail(o, -ENOMEM, "Out of memory");
	}
	m->ifc = ifc;
	m->pair = port;
	m->rtp.port = port;
	m->rtcp.port = (uint16_t)(port + 1);
	return 0;
}

/* Record what the sender's SDP says about media @i into S's media. */

/* The first formats of @m as "NAME/CLOCK" (the token when it has no rtpmap
 * name), for the status page. */
static void media_codecs(struct call_media *sm, const struct sdp_media *m)
{
	size_t n = 0;

	sm->codec_names[0] = '\0';
	for (unsigned f = 0; f < m->n_formats; f++) {
		const struct sdp_format *fm = &m->formats[f];
		struct sdp_str enc = sdp_format_encoding(fm);
		const struct sdp_str *name = enc.len ? &enc : &fm->token;
		int w;

		if (enc.len)
			w = snprintf(sm->codec_names + n, sizeof(sm->codec_names) - n, "%s%.*s/%u",
				     n ? " " : "", (int)name->len, name->s, fm->clock_rate);
		else
			w = snprintf(sm->codec_names + n, sizeof(sm->codec_names) - n, "%s%.*s",
				     n ? " " : "", (int)name->len, name->s);
		if (w < 0 || (size_t)w >= sizeof(sm->codec_names) - n) {
			sm->codec_names[n] = '\0'; /* whole names only */
			break;
		}
		n += (size_t)w;
	}
}

static void sender_media(struct oa_ctx *o, unsigned i, const struct sdp_media *m)
{
	struct call_media *sm = &o->s->media[i];
	const char *addr = sender_addr(o, m);
	uint16_t rtcp_port = m->port ? (uint16_t)(m->port + 1) : 0;
	const char *rtcp_addr = addr;

	snprintf(sm->type, sizeof(sm->type), "%.*s", (int)m->type.len, m->type.s);
	snprintf(sm->proto, sizeof(sm->proto), "%.*s", (int)m->proto.len, m->proto.s);
	sm->disabled = m->port == 0;
	const struct sdp_conn *conn = sdp_media_conn(o->sdp, m);
	enum sdp_dir dir = m->dir != SDP_DIR_NONE ? m->dir : o->sdp->dir;
	/* c=0.0.0.0 is hold, except from an ICE party (RFC 8839 4.2.1.1: no
	 * candidate gathered yet; the checks tell where it is) */
	bool ice = m->ice.ufrag || o->sdp->ice.ufrag;
	bool held = sm->disabled || (conn->present && conn->zero && !ice);
	sm->no_send = held || dir == SDP_DIR_INACTIVE || dir == SDP_DIR_RECVONLY;
	sm->no_recv = held || dir == SDP_DIR_INACTIVE || dir == SDP_DIR_SENDONLY;
	if (m->has_rtcp_attr) {
		rtcp_port = m->rtcp_port;
		if (m->rtcp_conn.present && !(o->req->flags & NG_F_SIP_SOURCE_ADDRESS))
			rtcp_addr = m->rtcp_conn.addr;
	}
	if (m->rtcp_mux)
		rtcp_port = m->port;
	make_addr(&sm->rtp.remote, addr, m->port);
	make_addr(&sm->rtcp.remote, rtcp_addr, rtcp_port);
	sm->dp_flags = flags_to_dp(o->req->flags);
	if (o->req->cmd == NG_CMD_OFFER)
		sm->ptime_reverse = o->req->codec.ptime_reverse;
	callctl_media_formats(sm, m);
	media_codecs(sm, m);
	callrec_media_formats(sm, m);
	memset(sm->pts, 0, sizeof(sm->pts));
	sm->pts_any = !m->rtp || m->n_formats == 0;
	for (unsigned f = 0; f < m->n_formats; f++) {
		unsigned pt = m->formats[f].pt;
		if (pt > 127)
			sm->pts_any = true;
		else
			sm->pts[pt / 8] |= (uint8_t)(1u << (pt % 8));
	}
}

static void fill_pts(uint8_t *out, const struct call_media *a, const struct call_media *b)
{
	memset(out, 0, 16);
	if (a->pts_any || (b && b->pts_any))
		return;
	for (int k = 0; k < 16; k++)
		out[k] = (uint8_t)(a->pts[k] | (b ? b->pts[k] : 0));
}

/* Parameters of every endpoint an offer/answer changes, published at once. */
struct publish_set {
	struct dp_endpoint **eps;
	struct dp_endpoint_params *ps;
	unsigned n;
};

/* The parameters of @x's media @i, into @set: it receives from x, forwards
 * into x's peer's media @i. */
static void publish(struct publish_set *set, struct call_party *x, unsigned i)
{
	struct call_media *m = &x->media[i];
	struct call_media *pm = x->peer && i < x->peer->n_media && x->peer->media[i].pair
					? &x->peer->media[i]
					: NULL;
	struct dp_endpoint_params p;
	struct sr_keys keys, pkeys;
	bool pending, ppending;

	/* SRTP (daemon/sdes.h): x's endpoints decrypt what x sends and
	 * encrypt what goes to x; a party offered SRTP that has not answered
	 * yet can be neither checked nor keyed for: DP_SRTP_PARTY without
	 * keys drops its media both ways until the answer */
	/* a bundled media is keyed as its bundle's socket (daemon/bundle.h) */
	const struct call_media *km = bundle_key_media(x, i);

	sdes_keys(km, &keys, &pending);
	dtls_keys(km, &keys, &pending); /* daemon/dtls_media.h: DTLS keys when it speaks DTLS */
	if (pm) {
		const struct call_media *pkm = bundle_key_media(x->peer, i);

		sdes_keys(pkm, &pkeys, &ppending);
		dtls_keys(pkm, &pkeys, &ppending);
	} else {
		memset(&pkeys, 0, sizeof(pkeys));
		ppending = false;
	}
	uint32_t srtp = (keys.suite || pkeys.suite || pending || ppending ? DP_SRTP : 0) |
			(keys.suite || pending ? DP_SRTP_PARTY : 0);
	uint32_t off = m->disabled || !pm || pm->disabled ? DP_DISABLED : 0;
	struct dp_endpoint *to_rtp = pm ? pm->rtp.ep : NULL;
	struct dp_endpoint *to_rtcp = pm ? (pm->rtcp_mux ? pm->rtp.ep : pm->rtcp.ep) : NULL;

	if (!m->pair)
		return;
	memset(&p, 0, sizeof(p));
	p.sdp_remote = m->rtp.remote;
	p.flags = m->dp_flags | off | srtp | (m->rtcp_mux || m->mux_offered ? DP_RTCP_MUX : 0);
	p.srtp = keys;
	p.fwd_rtp = off ? NULL : to_rtp;
	p.fwd_rtcp = off ? NULL : to_rtcp;
	p.learn_window_ms = OFFER_LEARN_WINDOW_MS;
	fill_pts(p.allowed_pt, m, pm);
	ice_publish(m, &p); /* daemon/ice.h: DP_ICE and the credentials */
	/* media to m's party leaves from the socket of the family it
	 * nominated last (daemon/ice_family.h) */
	p.ice_twin = ice_family_twin(m, false);
	dtls_publish(m, &p); /* DP_DTLS: the handshake's datagrams (RTP component) */
	p.xcode = m->xcode;  /* codecs: transcoder for RTP from x, NULL = forward */
	if (p.xcode)
		p.flags |= DP_TRANSCODE;
	else if (pm && !pm->pts_any && codecneg_added(pm->codecs)) {
		/* x answers (or will answer) a transcoding offer: media it sends
		 * before the answer, or in a codec the offerer lacks, would reach
		 * the offerer undecodable; forward only what the offerer offered */
		p.flags |= DP_FORWARD_PT_ONLY;
		memcpy(p.forward_pt, pm->pts, sizeof(p.forward_pt));
	}
	bundle_publish(x, i, &p); /* DP_BUNDLE / DP_BUNDLED (daemon/bundle.h) */
	set->eps[set->n] = m->rtp.ep;
	set->ps[set->n++] = p;
	struct dp_endpoint *alt = ice_family_params(m, false, &p);
	if (alt) {
		set->eps[set->n] = alt;
		set->ps[set->n++] = p;
	}

	memset(&p, 0, sizeof(p));
	p.sdp_remote = m->rtcp.remote;
	p.flags = m->dp_flags | off | srtp | DP_RTCP | (m->xcode ? DP_TRANSCODE : 0);
	p.srtp = keys;
	dtls_keys_rtcp(m, &p.srtp); /* RTCP's own DTLS association, when it has one */
	ice_publish(m, &p);	    /* component 2 */
	p.ice_twin = ice_family_twin(m, true);
	dtls_publish_rtcp(m, &p);
	p.fwd_rtcp = off ? NULL : to_rtcp;
	p.learn_window_ms = OFFER_LEARN_WINDOW_MS;
	bundle_publish_rtcp(x, i, &p); /* RTCP of a party without BUNDLE (daemon/bundle.h) */
	set->eps[set->n] = m->rtcp.ep;
	set->ps[set->n++] = p;
	alt = ice_family_params(m, true, &p);
	if (alt) {
		set->eps[set->n] = alt;
		set->ps[set->n++] = p;
	}
}

/* What the whole call adds to every stream's data-plane flags. */
static uint32_t call_dp_flags(const struct call *c)
{
	uint32_t f = 0;

	if (c->tos_set) /* the kernel path keeps the sender's TOS */
		f |= DP_NO_OFFLOAD;
	if (c->generate_rtcp) /* user space counts every packet for the reports */
		f |= DP_GEN_RTCP | DP_NO_OFFLOAD;
	return f;
}

/* Publish both sides of the first @n media, all or nothing. */
static int publish_all(struct oa_ctx *o, unsigned n)
{
	struct publish_set set = {
		.eps = arena_alloc(o->a, sizeof(*set.eps) * 8 * (n ? n : 1)),
		.ps = arena_alloc(o->a, sizeof(*set.ps) * 8 * (n ? n : 1)),
	};
	int rc;

	if (!set.eps || !set.ps)
		return fail(o, -ENOMEM, "Out of memory");
	for (unsigned i = 0; i < n; i++) {
		publish(&set, o->s, i);
		publish(&set, o->r, i);
	}
	if (o->req->flags & NG_F_GENERATE_RTCP)
		o->call->generate_rtcp = true;
	else if (o->req->generate_rtcp_off)
		o->call->generate_rtcp = false;
	for (unsigned k = 0; k < set.n; k++)
		set.ps[k].flags |= call_dp_flags(o->call);
	rc = dp_endpoints_set(set.eps, set.ps, set.n);
	if (rc) {
		*o->err = arena_printf(o->a, "Failed to set up media forwarding: %s",
				       strerror(-rc));
		if (!*o->err)
			*o->err = "Failed to set up media forwarding";
	}
	return rc;
}

int offer_publish_party(const struct call *c, struct call_party *p, struct arena *a)
{
	unsigned n = p->n_media ? p->n_media : 1;
	struct publish_set set = {
		.eps = arena_alloc(a, sizeof(*set.eps) * 4 * n),
		.ps = arena_alloc(a, sizeof(*set.ps) * 4 * n),
	};

	if (!set.eps || !set.ps)
		return -ENOMEM;
	for (unsigned i = 0; i < p->n_media; i++)
		publish(&set, p, i);
	for (unsigned k = 0; k < set.n; k++)
		set.ps[k].flags |= call_dp_flags(c);
	return set.n ? dp_endpoints_set(set.eps, set.ps, set.n) : 0;
}

/* A transcoder made by this request that the data plane never received. */
static void drop_new_xcode(struct call_media *m)
{
	xcode_free(m->xcode);
	m->xcode = NULL;
}

/* rtcp-mux decisions (rtpengine): returns whether the SDP for R carries
 * a=rtcp-mux. */
static bool mux_decide(struct oa_ctx *o, unsigned i, const struct sdp_media *m)
{
	struct call_media *sm = &o->s->media[i], *rm = &o->r->media[i];
	uint32_t f = o->req->rtcp_mux;

	if (o->req->cmd == NG_CMD_OFFER) {
		sm->mux_offered = m->rtcp_mux && !(f & NG_MUX_REJECT);
		/* demux: not offered to R, but accepted back to the offerer */
		sm->mux_accept = (f & (NG_MUX_ACCEPT | NG_MUX_DEMUX)) != 0;
		sm->rtcp_mux = sm->mux_offered && sm->mux_accept;
		bool to_r = (m->rtcp_mux && !(f & (NG_MUX_DEMUX | NG_MUX_REJECT))) ||
			    (f & (NG_MUX_OFFER | NG_MUX_REQUIRE));
		rm->mux_offered = to_r;
		rm->rtcp_mux = to_r && (f & NG_MUX_REQUIRE);
		return to_r;
	}
	/* answer: S answers R's offer */
	sm->rtcp_mux = m->rtcp_mux && sm->mux_offered;
	rm->rtcp_mux = rm->mux_offered && (sm->rtcp_mux || rm->mux_accept);
	return rm->rtcp_mux;
}

/* codec-strip / codec-mask: drop formats from the SDP going to R. */
static void codec_filter(struct oa_ctx *o, const struct sdp_media *m, struct sdp_media_rewrite *mr)
{
	const struct ng_codec_ops *c = &o->req->codec;
	struct sdp_format *keep;
	unsigned n = 0;

	if ((!c->n_strip && !c->n_mask && !c->n_consume) || !m->rtp)
		return;
	keep = arena_alloc(o->a, sizeof(*keep) * (m->n_formats ? m->n_formats : 1));
	if (!keep)
		return;
	for (unsigned f = 0; f < m->n_formats; f++) {
		struct sdp_str enc = sdp_format_encoding(&m->formats[f]);
		unsigned clock = m->formats[f].clock_rate;
		if (codecneg_listed(c->strip, c->n_strip, enc, clock, true) ||
		    codecneg_listed(c->mask, c->n_mask, enc, clock, true) ||
		    codecneg_listed(c->consume, c->n_consume, enc, clock, true))
			continue;
		keep[n++] = m->formats[f];
	}
	if (n == 0)
		return; /* stripping everything would make the SDP invalid: keep all */
	mr->formats = keep;
	mr->n_formats = n;
}

static const char *tp_name(enum ng_transport t)
{
	static const char *const names[] = {
		[NG_TP_RTP_AVP] = "RTP/AVP",
		[NG_TP_RTP_AVPF] = "RTP/AVPF",
		[NG_TP_RTP_SAVP] = "RTP/SAVP",
		[NG_TP_RTP_SAVPF] = "RTP/SAVPF",
		[NG_TP_UDP_TLS_RTP_SAVP] = "UDP/TLS/RTP/SAVP",
		[NG_TP_UDP_TLS_RTP_SAVPF] = "UDP/TLS/RTP/SAVPF",
	};
	return t > NG_TP_UNCHANGED && t <= NG_TP_UDP_TLS_RTP_SAVPF ? names[t] : NULL;
}

static bool supplemental(struct sdp_str enc)
{
	return sdp_str_ieq(enc, "telephone-event") || sdp_str_ieq(enc, "CN");
}

/* single-codec (an answer, as rtpengine): the offerer is answered with the
 * first codec of the list only, plus the supplemental formats (RFC 4733
 * events, comfort noise) at that codec's clock, which go with it. */
static void single_codec(struct oa_ctx *o, const struct sdp_media *m, struct sdp_media_rewrite *mr)
{
	const struct sdp_format *in = mr->formats ? mr->formats : m->formats;
	unsigned n = mr->formats ? mr->n_formats : m->n_formats, k = 0;
	const struct sdp_format *first = NULL;
	struct sdp_format *keep;

	if (!m->rtp)
		return;
	for (unsigned f = 0; f < n && !first; f++)
		if (!supplemental(sdp_format_encoding(&in[f])))
			first = &in[f];
	if (!first)
		return;
	keep = arena_alloc(o->a, sizeof(*keep) * n);
	if (!keep)
		return;
	for (unsigned f = 0; f < n; f++)
		if (&in[f] == first || (supplemental(sdp_format_encoding(&in[f])) &&
					in[f].clock_rate == first->clock_rate))
			keep[k++] = in[f];
	if (k == n)
		return;
	mr->formats = keep;
	mr->n_formats = k;
}

/* Does media section @m carry an a=mid line? */
static bool has_mid(const struct sdp_session *s, const struct sdp_media *m)
{
	for (unsigned l = m->first_line; l < m->first_line + m->n_lines && l < s->n_lines; l++)
		if (s->lines[l].len >= 6 && !memcmp(s->lines[l].s, "a=mid:", 6))
			return true;
	return false;
}

/* The a=mid value of section @m into @out ("" when none, or longer). */
static void note_mid(const struct sdp_session *s, const struct sdp_media *m, char *out, size_t cap)
{
	out[0] = 0;
	for (unsigned l = m->first_line; l < m->first_line + m->n_lines && l < s->n_lines; l++) {
		const struct sdp_str *ln = &s->lines[l];
		size_t n = ln->len;

		while (n && (ln->s[n - 1] == '\n' || ln->s[n - 1] == '\r'))
			n--;
		if (n >= 6 && !memcmp(ln->s, "a=mid:", 6) && n - 6 < cap &&
		    !memchr(ln->s + 6, ' ', n - 6)) {
			memcpy(out, ln->s + 6, n - 6);
			out[n - 6] = 0;
			return;
		}
	}
}

/* Fill the rewrite of media @i, sent to R. 0 or a negative errno (*o->err). */
static int media_rewrite(struct oa_ctx *o, unsigned i, const struct sdp_media *m, bool mux,
			 struct sdp_media_rewrite *mr)
{
	struct call_media *rm = &o->r->media[i];
	const struct ng_request *req = o->req;

	mr->keep = true;
	/* generate-mid: rtpengine numbers the media from 1 */
	note_mid(o->sdp, m, o->s->media[i].mid, sizeof(o->s->media[i].mid));
	bundle_note(o->sdp, m, &o->s->media[i]);
	if (req->cmd == NG_CMD_ANSWER && rm->mid[0] && !has_mid(o->sdp, m))
		mr->mid = rm->mid; /* the offerer's, back to it */
	else if ((req->flags & NG_F_GENERATE_MID) && !has_mid(o->sdp, m))
		mr->mid = arena_printf(o->a, "%u", i + 1);
	if (m->port == 0 || !rm->pair) {
		mr->port = 0;
		ice_off(rm);
		ice_family_release(rm, o->now); /* no ICE: no socket of the other family */
		return 0;
	}
	mr->addr = req->media_address ? req->media_address : rm->ifc->cfg->advertised;
	mr->family = rm->ifc->cfg->family; /* media_setup made media-address agree */
	/* an ICE party's c=0.0.0.0 is no hold (sender_media): the receiver
	 * gets rtprelay's address, as for any media it forwards */
	mr->replace_zero = m->ice.ufrag || o->sdp->ice.ufrag;
	mr->port = rm->pair;
	mr->rtcp_port = mux ? rm->pair : (uint16_t)(rm->pair + 1);
	mr->rtcp_mux = mux;
	mr->no_rtcp_attr = (req->flags & NG_F_NO_RTCP_ATTRIBUTE) != 0;
	mr->full_rtcp_attr = (req->flags & NG_F_FULL_RTCP_ATTRIBUTE) != 0;
	/* the party's ICE lines would name its own addresses and route media
	 * around the relay: they always go; rtprelay's own replace them where
	 * the ICE key says so (daemon/ice.h) */
	mr->remove_ice = m->has_ice || o->sdp->has_ice;
	if (ice_decide(req, o->sdp, m, rm)) {
		int rc = 0;
		/* candidates of the other family too where the interface has one */
		if (!req->media_address) /* media-address names one address */
			ice_family_update(o->cs->ifs, o->call, rm, o->now);
		else
			ice_family_release(rm, o->now);
		rc = ice_rewrite(o->a, req, rm, mr->addr, mux, mr);
		if (rc)
			return fail(o, rc,
				    rc == -EIO ? "No randomness for ICE credentials"
					       : "Out of memory");
	} else {
		ice_off(rm);
		ice_family_release(rm, o->now);
	}
	if (req->cmd == NG_CMD_OFFER && tp_name(req->transport)) {
		mr->proto = tp_name(req->transport);
		snprintf(rm->proto, sizeof(rm->proto), "%s", mr->proto);
	} else if (req->cmd == NG_CMD_OFFER) {
		snprintf(rm->proto, sizeof(rm->proto), "%.*s", (int)m->proto.len, m->proto.s);
	}
	if (req->cmd == NG_CMD_ANSWER && rm->proto[0] &&
	    (m->proto.len != strlen(rm->proto) || strncmp(m->proto.s, rm->proto, m->proto.len)))
		mr->proto = rm->proto; /* back to what the offerer spoke */
	sdes_rewrite(o->a, rm, mr);    /* a=crypto lines (daemon/sdes.c) */
	/* a=setup/a=fingerprint (daemon/dtls_media.c); the sender's never pass */
	dtls_rewrite(o->a, req, rm, dtls_sdp_has(o->sdp, m), mr);
	if (req->cmd == NG_CMD_OFFER)
		codec_filter(o, m, mr);
	/* codecs: the offer/answer's codec list (transcoding), when it made one */
	codecneg_rewrite(req->cmd == NG_CMD_OFFER ? o->s->media[i].codecs : rm->codecs, mr);
	/* transcoded media reaches the receiver from the relay's own SSRC: the
	 * sender's a=ssrc lines would name a stream that never arrives (an
	 * offer that adds codecs may be answered into transcoding) */
	if (req->cmd == NG_CMD_OFFER ? codecneg_added(o->s->media[i].codecs)
				     : codecneg_transcoding(rm->codecs))
		mr->drop_ssrc = true;
	if (req->cmd == NG_CMD_ANSWER && rm->ptime_reverse) {
		/* ptime-reverse given with the offer: the ptime towards the
		 * offerer; a transcoded media got it (made valid for its codec)
		 * from codecneg_rewrite */
		if (!codecneg_transcoding(rm->codecs))
			mr->ptime = rm->ptime_reverse;
	} else if (req->codec.ptime) {
		mr->ptime = req->codec.ptime;
	}
	if (req->cmd == NG_CMD_ANSWER && (req->flags & NG_F_SINGLE_CODEC))
		single_codec(o, m, mr);
	/* original-sendrecv: the direction attributes go out as they came in,
	 * whatever else decided a direction for this section */
	if (req->flags & NG_F_ORIGINAL_SENDRECV)
		mr->dir = SDP_DIR_NONE;
	else
		moh_rewrite(req, o->s, &o->s->media[i], m, mr);
	return 0;
}

/* Our own loop-protect mark among the session-level lines. */
static bool has_loop_mark(const struct sdp_session *s)
{
	const char *mark = loop_mark();
	size_t ml = strlen(mark);
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;

	for (unsigned i = 0; i < end && i < s->n_lines; i++) {
		const struct sdp_str *l = &s->lines[i];
		size_t n = l->len;

		while (n && (l->s[n - 1] == '\n' || l->s[n - 1] == '\r'))
			n--;
		while (n && (l->s[n - 1] == ' ' || l->s[n - 1] == '\t'))
			n--;
		if (n == ml && !memcmp(l->s, mark, ml))
			return true;
	}
	return false;
}

/* rtpengine refuses an SDP it cannot take streams from with "Incomplete SDP
 * specification": no m= line (a call without media), or a media without an
 * address to send it to (no c= at media or session level). A port-0 media
 * needs no address, but an SDP without any c= line is refused as well. */
static const char *sdp_incomplete(const struct sdp_session *s)
{
	bool any_conn = s->conn.present;

	if (s->n_media == 0)
		return "Incomplete SDP specification: no m= line";
	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];

		any_conn = any_conn || m->conn.present;
		if (m->port && !sdp_media_conn(s, m)->present)
			return "Incomplete SDP specification: no c= line for a media";
	}
	return any_conn ? NULL : "Incomplete SDP specification: no c= line";
}

/* The o= version of @s as a number; false if it is none (or too large). */
static bool origin_version(const struct sdp_session *s, uint64_t *v)
{
	const struct sdp_str *t = &s->origin_version;

	*v = 0;
	if (t->len == 0 || t->len > 19)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(t->s[i] - '0');
	}
	return true;
}

/* replace=SDP-version (as rtpengine): R is sent the version it was sent last
 * time, plus one when the SDP differs from the one it was sent last time in
 * anything else; the first SDP R gets keeps the sender's version. The
 * comparison is of the whole text as R receives it, both written with the
 * same version. */
static int sdp_version(struct oa_ctx *o, const struct sdp_session *sess, struct sdp_rewrite *rw,
		       char **out, size_t *out_len)
{
	const struct call_party *r = o->r;

	if (!r->has_sdp_version) {
		uint64_t v;

		if (!origin_version(sess, &v))
			return 0; /* not a number: left as the sender wrote it */
		o->version_set = true;
		o->version = v;
		return 0;
	}
	o->version_set = true;
	o->version = r->sdp_version;
	rw->set_version = r->sdp_version;
	rw->version_given = true;
	if (sdp_rewrite(o->a, sess, rw, out, out_len))
		return fail(o, -ENOMEM, "Out of memory");
	if (r->last_sdp && *out_len == r->last_sdp_len && !memcmp(*out, r->last_sdp, *out_len))
		return 0; /* unchanged: same version */
	if (r->sdp_version == UINT64_MAX - 1)
		return 0;
	o->version = rw->set_version = r->sdp_version + 1;
	if (sdp_rewrite(o->a, sess, rw, out, out_len))
		return fail(o, -ENOMEM, "Out of memory");
	return 0;
}

/* Build the SDP for R. */
static int build_sdp(struct oa_ctx *o, struct sdp_rewrite *rw, const bool *mux, char **out,
		     size_t *out_len)
{
	const struct sdp_session *sess = o->sdp;
	const struct iface *first = NULL;

	bool ice[SDP_MAX_MEDIA] = { false };

	memset(rw, 0, sizeof(*rw));
	for (unsigned i = 0; i < sess->n_media; i++)
		ice[i] = ice_decide(o->req, sess, &sess->media[i], &o->r->media[i]);
	const char *be = bundle_plan(o->a, o->req, sess, o->r, ice, mux); /* daemon/bundle.h */
	if (be)
		return fail(o, -EINVAL, be);
	for (unsigned i = 0; i < sess->n_media; i++) {
		int rc = media_rewrite(o, i, &sess->media[i], mux[i], &rw->media[i]);
		if (rc)
			return rc;
		if (!first && o->r->media[i].pair)
			first = o->r->media[i].ifc;
		if (rw->media[i].ice) /* rtprelay is ICE-lite towards R */
			rw->ice_lite = true;
	}
	if (bundle_rewrite_media(o->a, o->req, sess, o->s->media, o->r, rw))
		return fail(o, -ENOMEM, "Out of memory");
	if (!first)
		first = ifaces_pick(o->cs->ifs, NULL, 0);
	rw->session_addr = o->req->media_address ? o->req->media_address : first->cfg->advertised;
	rw->session_family = o->req->media_address ? addr_family(o->req->media_address)
						   : first->cfg->family;
	if (o->req->replace & (NG_R_ORIGIN | NG_R_ORIGIN_FULL)) {
		rw->origin_addr = rw->session_addr;
		rw->origin_family = rw->session_family;
	}
	if (o->req->replace & NG_R_SESSION_NAME)
		rw->session_name = "rtprelay";
	if (o->req->flags & NG_F_LOOP_PROTECT)
		rw->session_attr = loop_mark();
	/* A c= of 0.0.0.0 (hold, old style) is passed through as rtpengine
	 * does, unless replace=zero-address asks for the relay's address. */
	rw->zero_address = !(o->req->replace & NG_R_ZERO_ADDRESS);
	rw->drop_dtls = dtls_sdp_session_has(sess); /* rtprelay terminates DTLS */
	if (bundle_rewrite(o->a, o->req->cmd, sess, o->s->media, o->r->media, rw))
		return fail(o, -ENOMEM, "Out of memory");
	if (sdp_rewrite(o->a, sess, rw, out, out_len))
		return fail(o, -ENOMEM, "Out of memory");
	if (o->req->replace & (NG_R_SDP_VERSION | NG_R_ORIGIN_FULL))
		return sdp_version(o, sess, rw, out, out_len);
	return 0;
}

/* Find or create the sender and receiver parties. */
static int pick_parties(struct oa_ctx *o)
{
	struct ng_request *req = o->req;
	struct call *c = o->call;
	struct call_party *x = call_party_find(c, req->from_tag), *y = NULL;

	if (req->cmd == NG_CMD_ANSWER) {
		if (!x)
			return fail(o, -ENOENT, "Unknown from-tag");
		y = call_party_find(c, req->to_tag);
		if (y == x)
			return fail(o, -EINVAL, "from-tag and to-tag name the same party");
		if (!y) {
			/* the branch's callee (daemon/fork.h), untagged until now,
			 * or another to-tag for the same offer: same party */
			y = fork_answer_callee(c, x, req->via_branch);
			if (!y)
				return fail(o, -ENOENT, "Unknown to-tag");
			if (call_party_add_tag(y, req->to_tag))
				return fail(o, -E2BIG, "Too many forks");
		}
		o->s = y;
		o->r = x;
	} else {
		if (!x)
			x = call_party_new(c, req->from_tag);
		if (!x)
			return fail(o, -E2BIG, "Too many parties in call");
		/* a branch of a new call: no to-tag yet */
		bool branch = req->via_branch && req->via_branch[0] &&
			      !(req->to_tag && req->to_tag[0]);

		if (req->to_tag && req->to_tag[0])
			y = call_party_find(c, req->to_tag);
		if (y == x)
			return fail(o, -EINVAL, "from-tag and to-tag name the same party");
		if (!y && branch)
			y = fork_offer_callee(c, x, req->via_branch); /* NULL: a new branch */
		else if (!y)
			y = x->peer;
		if (!y)
			y = call_party_new(c, req->to_tag ? req->to_tag : "");
		if (!y)
			return fail(o, -E2BIG, "Too many parties in call");
		if (branch && !y->via_branch && !fork_branch_find(c, req->via_branch, x)) {
			y->via_branch = call_strdup(req->via_branch);
			if (!y->via_branch)
				return fail(o, -ENOMEM, "Out of memory");
		}
		if (req->to_tag && req->to_tag[0] && call_party_add_tag(y, req->to_tag))
			return fail(o, -E2BIG, "Too many forks");
		o->s = x;
		o->r = y;
	}
	o->s->peer = o->r;
	o->r->peer = o->s;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	if (!v || !v[0])
		return;
	char *n = call_strdup(v);
	if (n) {
		free(*dst);
		*dst = n;
	}
}

/* Does the sender's new SDP address @addr:@port differ from the @old one?
 * Only when both are known (a hold address or port 0 says nothing about
 * where the party is). */
static bool remote_moved(const struct sockaddr_storage *old, const char *addr, uint16_t port)
{
	struct sockaddr_storage now;

	make_addr(&now, addr, port);
	if (!old->ss_family || !now.ss_family || !port)
		return false;
	return !sockaddr_same(old, &now);
}

/* Allocate both sides of media @i. */
static int media_setup(struct oa_ctx *o, unsigned i, const struct sdp_media *m)
{
	struct call_media *sm = &o->s->media[i], *rm = &o->r->media[i];
	const char *saddr = sender_addr(o, m);
	int sfam = addr_family(saddr);
	int rfam = o->req->address_family == NG_AF_IP4	 ? AF_INET
		   : o->req->address_family == NG_AF_IP6 ? AF_INET6
							 : 0;
	const char *sname = o->req->direction[0] ? o->req->direction[0] : o->req->interface;
	const char *rname = o->req->direction[1] ? o->req->direction[1] : o->req->interface;
	struct iface *si, *ri;
	int rc;

	int mfam = addr_family(o->req->media_address);

	if (o->req->cmd == NG_CMD_ANSWER)
		sname = rname = NULL; /* interfaces were chosen with the offer */
	else if (!rfam)
		rfam = mfam; /* R reaches us at media-address: a socket of its family */
	si = sm->ifc ? sm->ifc : pick_iface(o, sname, sfam);
	if (!rfam)
		rfam = rm->ifc ? rm->ifc->cfg->family : si ? si->cfg->family : 0;
	ri = rm->ifc && (!rfam || rm->ifc->cfg->family == rfam) ? rm->ifc
								: pick_iface(o, rname, rfam);
	if (!si || !ri)
		return fail(o, -EINVAL, "Unknown interface name in direction/interface");
	if (mfam && m->port && ri->cfg->family != mfam)
		return fail(o, -EINVAL,
			    mfam == AF_INET6
				    ? "media-address is IPv6 but the media socket is IPv4"
				    : "media-address is IPv4 but the media socket is IPv6");
	if (rm->ifc && ri != rm->ifc) { /* address family changed on re-offer */
		call_media_release(o->cs, o->call, rm, o->now);
	}
	if ((o->req->flags & NG_F_NO_PORT_LATCHING) && o->req->cmd == NG_CMD_OFFER && sm->pair &&
	    remote_moved(&sm->rtp.remote, saddr, m->port)) {
		/* no-port-latching (as rtpengine): the offerer moved, so it is
		 * given new local ports, in the answer it gets next. (An
		 * answerer keeps its ports: the offer it received named them,
		 * and no SDP would tell it new ones.) */
		log_info("call %s: media %u: remote changed, new local ports (no-port-latching)",
			 o->call->call_id, i + 1);
		call_media_release(o->cs, o->call, sm, o->now);
	}
	sm->used = rm->used = true;
	sm->index = rm->index = i + 1;
	if (m->port == 0 && !sm->pair)
		return 0; /* disabled and never had sockets: stays so */
	rc = media_bind(o, sm, si);
	if (!rc)
		rc = media_bind(o, rm, ri);
	return rc;
}

/* Phase 1: the request and its SDP. 0 with o->sdp set, or 1 when loop
 * protection returns the SDP unchanged, or a negative errno with *o->err. */
static int read_request(struct oa_ctx *o, struct sdp_session *sess, char **sdp_out, size_t *sdp_len)
{
	const struct ng_request *req = o->req;
	const char *perr = NULL;
	int rc;

	rc = sdp_parse(o->a, req->sdp, req->sdp_len, sess, &perr);
	if (rc) {
		*o->err = arena_printf(o->a, "Failed to parse SDP: %s", perr ? perr : "invalid");
		if (!*o->err)
			*o->err = "Failed to parse SDP";
		return rc;
	}
	o->sdp = sess;
	bundle_only_resolve(req, sess);		/* port-0 bundle-only sections (daemon/bundle.h) */
	*o->err = sdes_refuse(o->a, req, sess); /* DTLS-SRTP profiles */
	if (*o->err)
		return -ENOTSUP;
	if (req->media_address) {
		/* written into the SDP as an IP literal: nothing else may pass */
		int fam = addr_family(req->media_address);

		if (!fam) {
			*o->err = arena_printf(o->a, "Invalid media-address '%.64s'",
					       req->media_address);
			if (!*o->err)
				*o->err = "Invalid media-address";
			return -EINVAL;
		}
		if ((req->address_family == NG_AF_IP4 && fam != AF_INET) ||
		    (req->address_family == NG_AF_IP6 && fam != AF_INET6))
			return fail(o, -EINVAL, "media-address does not match address-family");
	}
	if ((req->flags & NG_F_LOOP_PROTECT) && has_loop_mark(sess)) {
		/* this relay already anchored it: no second hop. An answer
		 * still needs its call, as with rtpengine. */
		if (req->cmd == NG_CMD_ANSWER && !call_find(o->cs, req->call_id))
			return fail(o, -ENOENT, "Unknown call-id");
		*sdp_out = arena_strndup(o->a, req->sdp, req->sdp_len);
		*sdp_len = req->sdp_len;
		return *sdp_out ? 1 : fail(o, -ENOMEM, "Out of memory");
	}
	*o->err = sdp_incomplete(sess);
	return *o->err ? -EINVAL : 0;
}

/* Phase 2: the call (found, or created by an offer), its parties and sockets. */
static int setup_call(struct oa_ctx *o, bool *created)
{
	const struct sdp_session *sess = o->sdp;
	int rc;

	o->call = call_find(o->cs, o->req->call_id);
	if (!o->call && o->req->cmd == NG_CMD_ANSWER)
		return fail(o, -ENOENT, "Unknown call-id");
	if (!o->call) {
		o->call = call_create(o->cs, o->req->call_id, o->now, o->err);
		if (!o->call)
			return -ENOSPC;
		*created = true;
	}
	rc = pick_parties(o);
	for (unsigned i = 0; !rc && i < sess->n_media; i++)
		rc = media_setup(o, i, &sess->media[i]);
	if (rc)
		return rc;
	if (o->s->n_media < sess->n_media)
		o->s->n_media = sess->n_media;
	if (o->r->n_media < sess->n_media)
		o->r->n_media = sess->n_media;
	return 0;
}

/* The profile R is told for media @i: transport-protocol, in an answer
 * what the offerer spoke, else the sender's. */
static const char *out_proto(struct oa_ctx *o, unsigned i, const struct sdp_media *m)
{
	const struct call_media *rm = &o->r->media[i];
	const char *p = NULL;

	if (o->req->cmd == NG_CMD_OFFER)
		p = tp_name(o->req->transport);
	else if (rm->proto[0])
		p = rm->proto;
	if (!p)
		p = arena_strndup(o->a, m->proto.s, m->proto.len);
	return p ? p : "";
}

/* Phase 3: directions, rtcp-mux, codecs and SRTP keying per media. *n_neg counts the media
 * whose transcoders this request made (undone on a later failure). */
static int negotiate(struct oa_ctx *o, bool *mux, unsigned *n_neg)
{
	const struct sdp_session *sess = o->sdp;
	const struct codecneg_tuning tune = {
		.opus_complexity = (int)o->cs->cfg->opus_complexity,
		.resample_quality = (int)o->cs->cfg->resample_quality,
	};

	for (unsigned i = 0; i < sess->n_media; i++) {
		const char *cw = NULL; /* a warning about strip/offer/transcode */

		sender_media(o, i, &sess->media[i]);
		int rc = ice_note_sender(&o->s->media[i], o->req, sess, &sess->media[i]);
		if (rc)
			return fail(o, rc,
				    rc == -EIO ? "No randomness for ICE credentials"
					       : "Out of memory");
		if (o->req->cmd == NG_CMD_ANSWER)
			ice_answered(&o->s->media[i]);
		/* a socket of the other family the party rules out goes
		 * (daemon/ice_family.h) */
		ice_family_settle(&o->s->media[i], o->now);
		mux[i] = mux_decide(o, i, &sess->media[i]);
		if (codecneg_media(&o->s->media[i], &o->r->media[i], o->req, &sess->media[i], &tune,
				   o->a, &cw))
			return fail(o, -ENOMEM, "Out of memory");
		*n_neg = i + 1;
		if (cw)
			warn(o, cw);
		rc = sdes_negotiate(o->a, o->req, sess, &sess->media[i], &o->s->media[i],
				    &o->r->media[i], out_proto(o, i, &sess->media[i]), o->err);
		if (!rc)
			rc = dtls_note_sender(o->a, o->req, sess, &sess->media[i], &o->s->media[i],
					      o->err);
		if (!rc)
			rc = dtls_for_receiver(o->req, &o->r->media[i],
					       out_proto(o, i, &sess->media[i]), o->err);
		if (rc)
			return rc;
	}
	return 0;
}

/* The call accepted this offer/answer: labels, answered, signalling time,
 * and what R was sent, for its next SDP version. @sdp: that SDP. */
static void record_signal(struct oa_ctx *o, const char *sdp, size_t sdp_len)
{
	if (o->version_set) {
		char *copy = malloc(sdp_len ? sdp_len : 1);

		/* without the copy the next SDP counts as changed: a version
		 * too many, never one too few */
		free(o->r->last_sdp);
		o->r->last_sdp = copy;
		o->r->last_sdp_len = copy ? sdp_len : 0;
		if (copy)
			memcpy(copy, sdp, sdp_len);
		o->r->has_sdp_version = true;
		o->r->sdp_version = o->version;
	}
	set_str(&o->s->label, o->req->label);
	if (o->req->cmd == NG_CMD_ANSWER) {
		o->call->answered = true;
		/* a final reply from this branch: the others end */
		if (o->req->sip_code >= 200)
			fork_release_losers(o->cs, o->call, o->r, o->s, o->now);
	}
	o->call->last_signal = time(NULL);
	o->call->last_signal_ms = o->now;
	o->call->delete_at_ms = 0; /* signalling again: a pending delete is off */
}

int offer_answer(struct calls *cs, struct ng_request *req, struct arena *a, uint64_t now_ms,
		 char **sdp_out, size_t *sdp_len, const char **err)
{
	struct oa_ctx o = { .cs = cs, .req = req, .a = a, .now = now_ms, .err = err };
	struct sdp_session *sess = arena_alloc(a, sizeof(*sess));
	struct sdp_rewrite *rw = arena_alloc(a, sizeof(*rw));
	bool created = false, mux[SDP_MAX_MEDIA];
	unsigned n_neg = 0;
	int rc;

	if (!sess || !rw)
		return fail(&o, -ENOMEM, "Out of memory");
	rc = read_request(&o, sess, sdp_out, sdp_len);
	if (rc)
		return rc > 0 ? 0 : rc;
	rc = moh_check(cs, req, err);
	if (rc)
		return rc;
	rc = setup_call(&o, &created);
	if (rc)
		goto err_call;
	if (req->cmd == NG_CMD_ANSWER) {
		/* an answer to a bundled offer: refused before it changes
		 * anything when it breaks what the offer required */
		const char *be = bundle_answered(a, sess, o.s);
		if (be) {
			rc = fail(&o, -EINVAL, be);
			goto err_call;
		}
	}
	const char *tw = media_tos_apply(o.call, req);
	if (tw)
		warn(&o, tw);
	rc = negotiate(&o, mux, &n_neg);
	if (!rc)
		rc = build_sdp(&o, rw, mux, sdp_out, sdp_len);
	if (!rc)
		rc = publish_all(&o, sess->n_media);
	if (rc)
		goto err_state;
	record_signal(&o, *sdp_out, *sdp_len);
	if (req->drop_traffic)
		callctl_drop_traffic(o.call, req->drop_traffic > 0);
	else
		callctl_republish(o.call);
	const char *recw = callrec_offer_answer(o.call, req, o.a);
	if (recw)
		warn(&o, recw);
	const char *mohw = moh_offer_answer(cs, o.call, o.s, req);
	if (mohw)
		warn(&o, mohw);
	dtls_media_start(o.s, now_ms); /* handshakes whose role is known now */
	dtls_media_start(o.r, now_ms);
	return 0;

err_state:
	/* The call's state already holds this SDP, but the data plane kept the
	 * old parameters (publish_all is all or nothing): rather than a call
	 * half one and half the other, it goes, also when it existed before. */
	for (unsigned i = 0; i < n_neg; i++) {
		drop_new_xcode(&o.s->media[i]);
		drop_new_xcode(&o.r->media[i]);
	}
	if (!created) {
		log_warn("call %s: %s %s: call deleted", o.call->call_id, ng_command_name(req->cmd),
			 *err);
		call_end(cs, o.call, now_ms, CALL_END_FORCED, "offer/answer failed");
		return rc;
	}
err_call:
	if (created)
		call_end(cs, o.call, now_ms, CALL_END_FORCED, "offer failed");
	return rc;
}
