/*
 * call_snapshot.c: a call's state as a versioned bencode record, and back
 * (call_snapshot.h). Writing builds an ng_node tree in an arena and encodes
 * it; restoring decodes it (bounded, control/bencode.h), checks every field
 * while it fills a detached call (no socket, port or endpoint taken yet),
 * and only then takes the ports, the sockets from the caller and the data
 * plane's endpoints, links the call into the table and publishes it the way
 * an offer/answer does (offer_publish_party), then presets the latched
 * remotes (dp_endpoint_adopt) and the call control (callctl_republish).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codecs/codec.h"
#include "codecs/transcode.h"
#include "daemon/stream_ref.h"
#include "control/bencode.h"
#include "control/ngdict.h"
#include "daemon/call.h"
#include "daemon/call_snapshot.h"
#include "daemon/callctl.h"
#include "daemon/codec_negotiate.h"
#include "daemon/dtls_media.h"
#include "daemon/ice.h"
#include "daemon/ice_family.h"
#include "daemon/interfaces.h"
#include "daemon/offer.h"
#include "daemon/ports.h"
#include "daemon/sdes.h"
#include "lib/hash.h"
#include "recording/rec_path.h"
#include "recording/recorder.h"
#include "lib/log.h"

/* Party settings a command may set on a media (offer.c flags_to_dp); the
 * rest of dp_flags is derived again when the call is published. */
#define SNAP_DP_FLAGS (DP_STRICT_SOURCE | DP_ASYMMETRIC | DP_TRUST_ADDRESS | DP_MEDIA_HANDOVER)

/* The media's booleans, one integer in the record. */
enum snap_media_bits {
	SB_DISABLED = 1u << 0,
	SB_NO_SEND = 1u << 1,
	SB_NO_RECV = 1u << 2,
	SB_RTCP_MUX = 1u << 3,
	SB_MUX_OFFERED = 1u << 4,
	SB_MUX_ACCEPT = 1u << 5,
	SB_PTS_ANY = 1u << 6,
	SB_HAS_EVENT = 1u << 7,
	SB_BUNDLED = 1u << 8,
	SB_ALL = (1u << 9) - 1,
};

/* ---- writing ---- */

struct wctx {
	struct arena *a;
	bool failed;
};

static struct ng_node *chk(struct wctx *w, struct ng_node *n)
{
	if (!n)
		w->failed = true;
	return n;
}

static void put_int(struct wctx *w, struct ng_node *d, const char *k, int64_t v)
{
	if (d)
		chk(w, ng_dict_add_int(w->a, d, k, v));
}

static void put_str(struct wctx *w, struct ng_node *d, const char *k, const char *s)
{
	if (d && s)
		chk(w, ng_dict_add_str(w->a, d, k, s));
}

static void put_bytes(struct wctx *w, struct ng_node *d, const char *k, const void *b, size_t n)
{
	if (d)
		chk(w, ng_dict_add_strn(w->a, d, k, (const char *)b, n));
}

/* "ADDR PORT", or nothing for an unknown address. */
static void put_addr(struct wctx *w, struct ng_node *d, const char *k,
		     const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];
	unsigned port;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	} else {
		return;
	}
	snprintf(buf, sizeof(buf), "%s %u", host, port);
	put_str(w, d, k, buf);
}

static void put_key(struct wctx *w, struct ng_node *d, const char *k, const struct sr_key *key,
		    enum sr_suite suite)
{
	struct ng_node *kd = chk(w, ng_dict_add_dict(w->a, d, k));

	if (!kd)
		return;
	put_bytes(w, kd, "master", key->master, sr_master_len(suite));
	put_bytes(w, kd, "mki", key->mki, key->mki_len);
	put_int(w, kd, "params", key->params);
	put_int(w, kd, "window", key->window);
}

static void put_keys(struct wctx *w, struct ng_node *d, const char *k, const struct sr_keys *keys)
{
	struct ng_node *kd = chk(w, ng_dict_add_dict(w->a, d, k));

	if (!kd)
		return;
	put_int(w, kd, "suite", keys->suite);
	if (keys->suite == SR_SUITE_NONE)
		return;
	put_key(w, kd, "local", &keys->local, keys->suite);
	put_key(w, kd, "remote", &keys->remote, keys->suite);
}

static void put_sdes(struct wctx *w, struct ng_node *d, const struct call_media *m)
{
	struct sdes_saved sv;
	struct ng_node *sd, *loc;

	if (!m->sdes)
		return;
	sdes_save(m, &sv);
	sd = chk(w, ng_dict_add_dict(w->a, d, "sdes"));
	if (!sd)
		return;
	put_keys(w, sd, "keys", &sv.keys);
	put_int(w, sd, "pending", sv.pending);
	loc = chk(w, ng_dict_add_list(w->a, sd, "own keys"));
	for (unsigned s = 1; loc && s < SR_N_SUITES; s++) {
		if (!sv.have_local[s])
			continue;
		struct ng_node *e = chk(w, ng_list_add(loc, ng_new_dict(w->a)));
		put_int(w, e, "suite", (int64_t)s);
		if (e)
			put_key(w, e, "key", &sv.local[s], (enum sr_suite)s);
	}
}

static void put_latched(struct wctx *w, struct ng_node *d, const char *k,
			const struct call_stream *s);

static void put_ice(struct wctx *w, struct ng_node *d, const struct media_ice *ice)
{
	struct ng_node *id;

	if (!ice)
		return;
	id = chk(w, ng_dict_add_dict(w->a, d, "ice"));
	put_int(w, id, "on", ice->on);
	put_int(w, id, "peer ice", ice->peer_ice);
	put_int(w, id, "peer lite", ice->peer_lite);
	put_int(w, id, "rejected", ice->rejected);
	put_str(w, id, "ufrag", ice->ufrag);
	put_str(w, id, "pwd", ice->pwd);
	put_str(w, id, "remote ufrag", ice->remote_ufrag);
	put_int(w, id, "restarts", ice->restarts);
	put_int(w, id, "peer families", ice->peer_fams);
	put_int(w, id, "peer complete", ice->peer_complete);
}

/* The second socket pair of the other address family (daemon/ice_family.h),
 * when the media has one open: its port pair, the party's ICE restarts when
 * it was opened, its nominated remotes and whether the party's last
 * nomination came to it. */
static void put_ice_family(struct wctx *w, struct ng_node *d, const struct call_media *m)
{
	const struct ice_family *f = ice_family_of(m);

	if (!f)
		return;
	put_int(w, d, "other family pair", f->pair);
	put_int(w, d, "other family restarts", f->restarts);
	put_int(w, d, "other family active", ice_family_out(m, false) == f->rtp.ep);
	put_latched(w, d, "other rtp latched", &f->rtp);
	put_latched(w, d, "other rtcp latched", &f->rtcp);
}

/* BUNDLE (daemon/bundle.h), only for a media that has any of it: rtprelay's
 * bundle towards the party (`bundle lead`, index + 1 of the media whose
 * socket carries this one), the party's MID header extension id and its
 * a=ssrc values, which the bundle socket demultiplexes by; `bundle only`
 * (written only when set) that bundle=require/strict was offered to the
 * party, so that a re-offer after a restore still writes a=bundle-only;
 * `bundle split` (written only when set) that the party answered the media
 * outside the bundle, so a restored bundle still sends it to its own
 * address. */
static void put_bundle(struct wctx *w, struct ng_node *d, const struct call_media *m)
{
	if (!m->bundle_lead && !m->mid_ext && !m->n_ssrcs && !m->bundle_only && !m->bundle_split)
		return;
	put_int(w, d, "bundle lead", m->bundle_lead);
	put_int(w, d, "mid ext", m->mid_ext);
	if (m->bundle_only)
		put_int(w, d, "bundle only", 1);
	if (m->bundle_split)
		put_int(w, d, "bundle split", 1);
	struct ng_node *l = chk(w, ng_dict_add_list(w->a, d, "ssrcs"));
	for (unsigned k = 0; l && k < m->n_ssrcs; k++)
		chk(w, ng_list_add(l, ng_new_int(w->a, m->ssrcs[k])));
}

/* The remote a stream latched to (learned or nominated), if any. */
static void put_latched(struct wctx *w, struct ng_node *d, const char *k,
			const struct call_stream *s)
{
	struct dp_stats st;

	if (!s->ep)
		return;
	dp_endpoint_stats(s->ep, &st);
	if (st.latched)
		put_addr(w, d, k, &st.remote);
}

/* The SRTP rollover counters of a stream's SSRCs, 9 bytes each (direction,
 * SSRC, counter; big-endian): exact while the data plane is held, else
 * those last sampled (@sampled, @n_sampled: a Redis active,
 * daemon/stream_ref.h); and under @kidx (version 3) the last SRTCP index
 * of those that had SRTCP, 9 bytes each (direction, SSRC, index). */
#define ROC_BYTES 9
static void put_rocs(struct wctx *w, struct ng_node *d, const char *k, const char *kidx,
		     const struct call_stream *s, const struct dp_srtp_roc *sampled,
		     unsigned n_sampled)
{
	struct dp_srtp_roc r[DP_SRTP_ROCS];
	uint8_t b[DP_SRTP_ROCS * ROC_BYTES], bi[DP_SRTP_ROCS * ROC_BYTES];
	unsigned n = s->ep ? dp_endpoint_srtp_rocs(s->ep, r, DP_SRTP_ROCS) : 0, ni = 0;

	if (!n && n_sampled && n_sampled <= DP_SRTP_ROCS) {
		memcpy(r, sampled, n_sampled * sizeof(*r));
		n = n_sampled;
	}

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = b + i * ROC_BYTES, *q = bi + ni * ROC_BYTES;
		p[0] = r[i].tx;
		for (int j = 0; j < 4; j++) {
			p[1 + j] = (uint8_t)(r[i].ssrc >> (24 - 8 * j));
			p[5 + j] = (uint8_t)(r[i].roc >> (24 - 8 * j));
		}
		if (!r[i].srtcp_index)
			continue;
		memcpy(q, p, 5);
		for (int j = 0; j < 4; j++)
			q[5 + j] = (uint8_t)(r[i].srtcp_index >> (24 - 8 * j));
		ni++;
	}
	if (n)
		put_bytes(w, d, k, b, n * ROC_BYTES);
	if (ni)
		put_bytes(w, d, kidx, bi, ni * ROC_BYTES);
}

/* The transcoder for RTP received from this media's party: what it was
 * made with (codecs, payload types, ptimes, telephone-event mapping, the
 * receiver's fmtp, tuning) and, while the data plane is held, where its
 * output stream is (SSRC, next sequence number and timestamp), so the
 * successor's transcoder continues that stream. */
static void put_xcode(struct wctx *w, struct ng_node *d, const struct call_media *m)
{
	struct xcode_config cfg;
	struct ng_node *xd = chk(w, ng_dict_add_dict(w->a, d, "xcode"));
	uint32_t ssrc, ts;
	uint16_t seq;

	if (!xd)
		return;
	xcode_config_of(m->xcode, &cfg);
	put_str(w, xd, "in codec", cfg.in_codec->name);
	put_int(w, xd, "in clock", cfg.in_codec->clock_rate);
	put_str(w, xd, "out codec", cfg.out_codec->name);
	put_int(w, xd, "out clock", cfg.out_codec->clock_rate);
	put_int(w, xd, "in pt", cfg.in_pt);
	put_int(w, xd, "out pt", cfg.out_pt);
	put_int(w, xd, "in dtmf pt", cfg.in_dtmf_pt);
	put_int(w, xd, "out dtmf pt", cfg.out_dtmf_pt);
	put_int(w, xd, "in dtmf clock", cfg.in_dtmf_clock);
	put_int(w, xd, "out dtmf clock", cfg.out_dtmf_clock);
	put_int(w, xd, "in ptime", cfg.in_ptime);
	put_int(w, xd, "out ptime", cfg.out_ptime);
	put_int(w, xd, "in channels", cfg.in_channels);
	put_int(w, xd, "out channels", cfg.out_channels);
	put_bytes(w, xd, "fmtp", cfg.out_fmtp, cfg.out_fmtp_len);
	put_int(w, xd, "complexity", cfg.complexity);
	put_int(w, xd, "vad", cfg.vad);
	put_int(w, xd, "jb min", cfg.jb_min_ms);
	put_int(w, xd, "jb max", cfg.jb_max_ms);
	put_int(w, xd, "resample quality", cfg.resample_quality);
	if (dp_endpoint_xcode_out(m->rtp.ep, &ssrc, &seq, &ts)) {
		put_int(w, xd, "out ssrc", ssrc);
		put_int(w, xd, "out seq", seq);
		put_int(w, xd, "out ts", ts);
	} else if (m->out_ref.set) {
		/* the workers run (a Redis active): the reference point */
		struct ng_node *rd = chk(w, ng_dict_add_dict(w->a, xd, "out ref"));
		put_int(w, rd, "ref ssrc", m->out_ref.ssrc);
		put_int(w, rd, "ref ext seq", (int64_t)m->out_ref.index);
		put_int(w, rd, "ref ts", m->out_ref.ts);
		put_int(w, rd, "ref wall ms", (int64_t)m->out_ref.wall_ms);
	}
}

/* DTLS-SRTP towards the party: roles, fingerprints, tls-ids and the keys
 * the handshakes exported (daemon/dtls_media.h dtls_media_save). */
static void put_dtls(struct wctx *w, struct ng_node *d, const struct call_media *m)
{
	struct dtls_media_saved sv;
	struct ng_node *dd;
	char fp[3 * DTLS_FP_MAX + 16];

	if (!dtls_media_save(m, &sv))
		return;
	dd = chk(w, ng_dict_add_dict(w->a, d, "dtls"));
	put_int(w, dd, "on", sv.on);
	put_int(w, dd, "role known", sv.role_known);
	put_int(w, dd, "client", sv.client);
	put_int(w, dd, "setup", sv.ours);
	put_int(w, dd, "peer setup", sv.peer_setup);
	put_int(w, dd, "hash", sv.hash);
	if (sv.peer_has_fp && dtls_fingerprint_print(&sv.peer_fp, fp, sizeof(fp)) > 0)
		put_str(w, dd, "peer fingerprint", fp);
	put_str(w, dd, "peer tls-id", sv.peer_tls_id);
	put_str(w, dd, "tls-id", sv.tls_id);
	for (unsigned k = 0; dd && k < 2; k++) {
		if (!sv.as[k].keyed)
			continue;
		struct ng_node *c = chk(w, ng_dict_add_dict(w->a, dd, k ? "rtcp" : "rtp"));
		put_int(w, c, "profile", sv.as[k].profile);
		if (c)
			put_keys(w, c, "keys", &sv.as[k].keys);
	}
	memset(&sv, 0, sizeof(sv)); /* no keys left on the stack */
}

/* The codec negotiation of an offer with codec options (daemon/codec_negotiate.h
 * codecneg_save), so a repeated answer or a re-answer is handled as here. */
static void put_fmts(struct wctx *w, struct ng_node *d, const char *k,
		     const struct codecneg_saved_fmt *f, unsigned n)
{
	struct ng_node *l = chk(w, ng_dict_add_list(w->a, d, k));

	for (unsigned i = 0; l && i < n; i++) {
		struct ng_node *e = chk(w, ng_list_add(l, ng_new_dict(w->a)));
		put_int(w, e, "pt", f[i].pt);
		put_str(w, e, "enc", f[i].enc);
		put_str(w, e, "fmtp", f[i].fmtp);
		put_int(w, e, "clock", f[i].clock);
		put_int(w, e, "channels", f[i].channels);
	}
}

static void put_codecneg(struct wctx *w, struct ng_node *d, const struct call_media *m)
{
	struct codecneg_saved *sv = malloc(sizeof(*sv));
	struct ng_node *cd, *sl;

	if (!sv) {
		w->failed = true;
		return;
	}
	if (!codecneg_save(m->codecs, sv)) {
		free(sv);
		return;
	}
	cd = chk(w, ng_dict_add_dict(w->a, d, "codecneg"));
	if (cd) {
		put_fmts(w, cd, "offered", sv->offered, sv->n_offered);
		put_fmts(w, cd, "added", sv->added, sv->n_added);
		put_int(w, cd, "offer ptime", sv->offer_ptime);
		put_int(w, cd, "opt ptime", sv->opt_ptime);
		put_int(w, cd, "opt ptime rev", sv->opt_ptime_rev);
		put_int(w, cd, "force", sv->force);
		put_int(w, cd, "transcoding", sv->transcoding);
		sl = chk(w, ng_dict_add_list(w->a, cd, "set"));
		for (unsigned i = 0; sl && i < sv->n_set; i++) {
			struct ng_node *e = chk(w, ng_list_add(sl, ng_new_dict(w->a)));
			put_str(w, e, "enc", sv->set[i].enc);
			put_int(w, e, "clock", sv->set[i].clock);
			put_int(w, e, "channels", sv->set[i].channels);
			put_int(w, e, "bitrate", (int64_t)sv->set[i].bitrate);
			put_str(w, e, "params", sv->set[i].params);
		}
	}
	free(sv);
}

static void put_media(struct wctx *w, struct ng_node *list, const struct call_media *m)
{
	struct ng_node *d = chk(w, ng_list_add(list, ng_new_dict(w->a)));
	uint8_t kinds[2 * CALL_MAX_PT_KINDS];
	unsigned bits = (m->disabled ? SB_DISABLED : 0) | (m->no_send ? SB_NO_SEND : 0) |
			(m->no_recv ? SB_NO_RECV : 0) | (m->rtcp_mux ? SB_RTCP_MUX : 0) |
			(m->mux_offered ? SB_MUX_OFFERED : 0) |
			(m->mux_accept ? SB_MUX_ACCEPT : 0) | (m->pts_any ? SB_PTS_ANY : 0) |
			(m->has_event ? SB_HAS_EVENT : 0) | (m->bundled ? SB_BUNDLED : 0);

	if (!d)
		return;
	put_int(w, d, "index", m->index);
	put_str(w, d, "type", m->type);
	put_str(w, d, "proto", m->proto);
	put_int(w, d, "bits", bits);
	put_int(w, d, "ptime reverse", m->ptime_reverse);
	if (m->pair && m->ifc) {
		put_str(w, d, "interface", m->ifc->cfg->name);
		put_int(w, d, "pair", m->pair);
		put_latched(w, d, "rtp latched", &m->rtp);
		put_latched(w, d, "rtcp latched", &m->rtcp);
		put_rocs(w, d, "rtp srtp rocs", "rtp srtcp index", &m->rtp, m->rocs, m->n_rocs);
		put_rocs(w, d, "rtcp srtp rocs", "rtcp srtcp index", &m->rtcp, NULL, 0);
	}
	put_addr(w, d, "rtp remote", &m->rtp.remote);
	put_addr(w, d, "rtcp remote", &m->rtcp.remote);
	put_int(w, d, "dp flags", m->dp_flags & SNAP_DP_FLAGS);
	put_bytes(w, d, "pts", m->pts, sizeof(m->pts));
	put_str(w, d, "codec names", m->codec_names);
	for (unsigned k = 0; k < m->n_pt_kinds; k++) {
		kinds[2 * k] = m->pt_kinds[k].pt;
		kinds[2 * k + 1] = m->pt_kinds[k].kind;
	}
	put_bytes(w, d, "pt kinds", kinds, 2u * m->n_pt_kinds);
	put_int(w, d, "event pt", m->event_pt);
	put_int(w, d, "audio pt", m->audio_pt);
	put_int(w, d, "event clock", m->event_clock);
	struct ng_node *rc = chk(w, ng_dict_add_list(w->a, d, "rec codecs"));
	for (unsigned k = 0; rc && k < m->n_rec_codecs; k++) {
		struct ng_node *e = chk(w, ng_list_add(rc, ng_new_dict(w->a)));
		put_int(w, e, "pt", m->rec_codecs[k].pt);
		put_str(w, e, "name", m->rec_codecs[k].desc->name);
		put_int(w, e, "clock", m->rec_codecs[k].desc->clock_rate);
	}
	put_str(w, d, "mid", m->mid);
	put_bundle(w, d, m);
	put_ice(w, d, m->ice);
	put_ice_family(w, d, m);
	put_sdes(w, d, m);
	/* what this version cannot carry over is named, so a restore refuses
	 * the call instead of making one whose media would stop */
	put_dtls(w, d, m);
	put_codecneg(w, d, m);
	if (m->xcode)
		put_xcode(w, d, m);
}

static int party_index(const struct call *c, const struct call_party *p)
{
	for (unsigned i = 0; p && i < c->n_parties; i++)
		if (c->parties[i] == p)
			return (int)i;
	return -1;
}

static void put_dtmf(struct wctx *w, struct ng_node *d, const struct dp_dtmf_security *s)
{
	put_bytes(w, d, "ctl dtmf", s, sizeof(*s));
}

int call_snapshot_write(const struct call *c, struct strbuf *out)
{
	struct arena *a = arena_new(16384);
	struct wctx w = { .a = a };
	struct ng_node *root, *parties;
	char *buf = NULL;
	long n = -ENOSPC;
	int rc = -ENOMEM;

	if (!a)
		return -ENOMEM;
	root = chk(&w, ng_new_dict(a));
	put_int(&w, root, "version", CALL_SNAPSHOT_VERSION);
	put_str(&w, root, "call-id", c->call_id);
	put_int(&w, root, "created", (int64_t)c->created);
	put_int(&w, root, "created us", c->created_us);
	put_int(&w, root, "last signal", (int64_t)c->last_signal);
	put_int(&w, root, "answered", c->answered);
	put_int(&w, root, "tos set", c->tos_set);
	put_int(&w, root, "tos", c->tos);
	put_int(&w, root, "generate rtcp", c->generate_rtcp);
	put_int(&w, root, "ctl", c->ctl);
	put_dtmf(&w, root, &c->ctl_dtmf);
	if (c->rec_id) {
		struct ng_node *r = chk(&w, root ? ng_dict_add_dict(a, root, "recording") : NULL);
		put_str(&w, r, "base", c->rec_base);
		put_int(&w, r, "paused", c->rec_paused);
		put_str(&w, r, "metadata", c->rec_metadata);
	}
	parties = root ? chk(&w, ng_dict_add_list(a, root, "parties")) : NULL;
	for (unsigned pi = 0; parties && pi < c->n_parties; pi++) {
		const struct call_party *p = c->parties[pi];
		struct ng_node *pd = chk(&w, ng_list_add(parties, ng_new_dict(a)));
		struct ng_node *tags = pd ? chk(&w, ng_dict_add_list(a, pd, "tags")) : NULL;

		for (unsigned t = 0; tags && t < p->n_tags; t++)
			chk(&w, ng_list_add(tags, ng_new_cstr(a, p->tags[t])));
		/* untagged (a callee before its answer): one empty tag, as restore reads it */
		if (tags && !p->n_tags)
			chk(&w, ng_list_add(tags, ng_new_cstr(a, "")));
		put_str(&w, pd, "label", p->label);
		put_str(&w, pd, "via-branch", p->via_branch);
		put_int(&w, pd, "peer", party_index(c, p->peer));
		put_int(&w, pd, "created", (int64_t)p->created);
		put_int(&w, pd, "ctl", p->ctl);
		if (pd)
			put_dtmf(&w, pd, &p->ctl_dtmf);
		struct ng_node *ml = pd ? chk(&w, ng_dict_add_list(a, pd, "media")) : NULL;
		for (unsigned i = 0; ml && i < p->n_media; i++)
			put_media(&w, ml, &p->media[i]);
	}
	if (!w.failed) {
		size_t cap = 8192;
		while (cap <= CALL_SNAPSHOT_MAX) {
			free(buf);
			buf = malloc(cap);
			if (!buf)
				break;
			n = bencode_encode(root, buf, cap);
			if (n != -ENOSPC)
				break;
			cap *= 2;
		}
		if (n >= 0) {
			strbuf_add(out, buf, (size_t)n);
			rc = strbuf_ok(out) ? 0 : -ENOMEM;
		} else {
			rc = buf ? -E2BIG : -ENOMEM;
		}
	}
	free(buf);
	arena_free(a);
	return rc;
}

/* ---- restoring ---- */

/* Where in the record a check is (for the log line). */
struct rctx {
	const char *call_id;
	char where[96];
	struct calls *cs;
	int64_t version; /* the record's */
};

static int refuse(struct rctx *r, const char *field, const char *why)
{
	char kv[CALL_TAG_MAX + 8];

	log_warn("call snapshot refused: call-id=%s %s%s: %s",
		 log_kv(kv, sizeof(kv), r->call_id ? r->call_id : "?"), r->where, field, why);
	return -EINVAL;
}

static int get_int(struct rctx *r, const struct ng_node *d, const char *k, int64_t lo, int64_t hi,
		   bool need, int64_t *v)
{
	const struct ng_node *n = ng_dict_get(d, k);

	if (!n) {
		if (need)
			return refuse(r, k, "missing");
		*v = 0;
		return 0;
	}
	if (n->type != NG_INT)
		return refuse(r, k, "not an integer");
	if (n->num < lo || n->num > hi)
		return refuse(r, k, "out of range");
	*v = n->num;
	return 0;
}

/* A string of at most @max bytes without NULs into @dst (cap > max). */
static int get_str(struct rctx *r, const struct ng_node *d, const char *k, size_t max, bool need,
		   char *dst, size_t cap)
{
	const struct ng_node *n = ng_dict_get(d, k);

	dst[0] = '\0';
	if (!n)
		return need ? refuse(r, k, "missing") : 0;
	if (n->type != NG_STR)
		return refuse(r, k, "not a string");
	if (n->str_len > max || n->str_len >= cap)
		return refuse(r, k, "too long");
	if (memchr(n->str, '\0', n->str_len))
		return refuse(r, k, "contains NUL");
	memcpy(dst, n->str, n->str_len);
	dst[n->str_len] = '\0';
	return 0;
}

/* A malloc'd copy of an optional string (NULL when absent). */
static int get_dup(struct rctx *r, const struct ng_node *d, const char *k, size_t max, char **out)
{
	char *buf = malloc(max + 1);
	int rc;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	rc = get_str(r, d, k, max, false, buf, max + 1);
	if (!rc && ng_dict_get(d, k))
		*out = buf;
	else
		free(buf);
	return rc;
}

/* Exactly @n bytes. */
static int get_bytes(struct rctx *r, const struct ng_node *d, const char *k, void *dst, size_t n)
{
	const struct ng_node *v = ng_dict_get(d, k);

	if (!v)
		return refuse(r, k, "missing");
	if (v->type != NG_STR)
		return refuse(r, k, "not a string");
	if (v->str_len != n)
		return refuse(r, k, "wrong length");
	memcpy(dst, v->str, n);
	return 0;
}

static int get_addr(struct rctx *r, const struct ng_node *d, const char *k,
		    struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 8], *sp, *end;
	unsigned long port;
	int rc = get_str(r, d, k, sizeof(buf) - 1, false, buf, sizeof(buf));

	memset(ss, 0, sizeof(*ss));
	if (rc || !buf[0])
		return rc;
	sp = strchr(buf, ' ');
	if (!sp)
		return refuse(r, k, "not \"ADDRESS PORT\"");
	*sp = '\0';
	errno = 0;
	port = strtoul(sp + 1, &end, 10);
	if (errno || *end || end == sp + 1 || port > 65535)
		return refuse(r, k, "bad port");
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	} else {
		return refuse(r, k, "bad address");
	}
	return 0;
}

static const struct ng_node *get_typed(struct rctx *r, const struct ng_node *d, const char *k,
				       enum ng_type t, bool need, int *rc)
{
	const struct ng_node *n = ng_dict_get(d, k);

	*rc = 0;
	if (!n) {
		if (need)
			*rc = refuse(r, k, "missing");
		return NULL;
	}
	if (n->type != t) {
		*rc = refuse(r, k, t == NG_DICT ? "not a dictionary" : "not a list");
		return NULL;
	}
	return n;
}

static int get_key(struct rctx *r, const struct ng_node *d, const char *k, enum sr_suite suite,
		   struct sr_key *key)
{
	int rc;
	const struct ng_node *kd = get_typed(r, d, k, NG_DICT, true, &rc);
	const struct ng_node *mki;
	int64_t v = 0;

	if (!kd)
		return rc;
	memset(key, 0, sizeof(*key));
	if ((rc = get_bytes(r, kd, "master", key->master, sr_master_len(suite))))
		return rc;
	mki = ng_dict_get(kd, "mki");
	if (!mki || mki->type != NG_STR || mki->str_len > SR_MAX_MKI)
		return refuse(r, "mki", "missing or too long");
	memcpy(key->mki, mki->str, mki->str_len);
	key->mki_len = (uint8_t)mki->str_len;
	if ((rc = get_int(r, kd, "params", 0, 7, true, &v)))
		return rc;
	key->params = (uint8_t)v;
	if ((rc = get_int(r, kd, "window", 0, 0x7fff, true, &v)))
		return rc;
	key->window = (uint16_t)v;
	return 0;
}

static int get_keys(struct rctx *r, const struct ng_node *d, const char *k, struct sr_keys *keys)
{
	int rc;
	const struct ng_node *kd = get_typed(r, d, k, NG_DICT, true, &rc);
	int64_t v = 0;

	memset(keys, 0, sizeof(*keys));
	if (!kd)
		return rc;
	if ((rc = get_int(r, kd, "suite", 0, SR_N_SUITES - 1, true, &v)))
		return rc;
	keys->suite = (enum sr_suite)v;
	if (keys->suite == SR_SUITE_NONE)
		return 0;
	if ((rc = get_key(r, kd, "local", keys->suite, &keys->local)) ||
	    (rc = get_key(r, kd, "remote", keys->suite, &keys->remote)))
		return rc;
	if (sr_keys_check(keys))
		return refuse(r, k, sr_keys_check(keys));
	return 0;
}

static int get_sdes(struct rctx *r, const struct ng_node *md, struct call_media *m)
{
	int rc;
	const struct ng_node *sd = get_typed(r, md, "sdes", NG_DICT, false, &rc);
	struct sdes_saved sv;
	int64_t v;

	if (!sd)
		return rc;
	memset(&sv, 0, sizeof(sv));
	if ((rc = get_keys(r, sd, "keys", &sv.keys)) ||
	    (rc = get_int(r, sd, "pending", 0, 1, true, &v)))
		return rc;
	sv.pending = v;
	const struct ng_node *ol = get_typed(r, sd, "own keys", NG_LIST, true, &rc);
	if (!ol)
		return rc;
	for (const struct ng_node *e = ol->child; e; e = e->next) {
		if (e->type != NG_DICT)
			return refuse(r, "own keys", "not a dictionary");
		if ((rc = get_int(r, e, "suite", 1, SR_N_SUITES - 1, true, &v)))
			return rc;
		if (sv.have_local[v])
			return refuse(r, "own keys", "suite twice");
		if ((rc = get_key(r, e, "key", (enum sr_suite)v, &sv.local[v])))
			return rc;
		sv.have_local[v] = true;
	}
	return sdes_restore(m, &sv) ? -ENOMEM : 0;
}

static int get_ice(struct rctx *r, const struct ng_node *md, struct call_media *m)
{
	int rc;
	const struct ng_node *id = get_typed(r, md, "ice", NG_DICT, false, &rc);
	struct media_ice *ice;
	int64_t on, pi, pl, rj, rs, pf = 0, pc = 0;

	if (!id)
		return rc;
	if ((rc = get_int(r, id, "on", 0, 1, true, &on)) ||
	    (rc = get_int(r, id, "peer ice", 0, 1, true, &pi)) ||
	    (rc = get_int(r, id, "peer lite", 0, 1, true, &pl)) ||
	    (rc = get_int(r, id, "rejected", 0, 1, true, &rj)) ||
	    (rc = get_int(r, id, "restarts", 0, UINT32_MAX, true, &rs)) ||
	    (rc = get_int(r, id, "peer families", 0,
			  SDP_ICE_FAM_V4 | SDP_ICE_FAM_V6 | SDP_ICE_FAM_NAME, false, &pf)) ||
	    (rc = get_int(r, id, "peer complete", 0, 1, false, &pc)))
		return rc;
	ice = calloc(1, sizeof(*ice));
	if (!ice)
		return -ENOMEM;
	m->ice = ice;
	ice->on = on;
	ice->peer_ice = pi;
	ice->peer_lite = pl;
	ice->rejected = rj;
	ice->restarts = (unsigned)rs;
	ice->peer_fams = (unsigned)pf;
	ice->peer_complete = pc;
	if ((rc = get_str(r, id, "ufrag", ICE_UFRAG_LEN, true, ice->ufrag, sizeof(ice->ufrag))) ||
	    (rc = get_str(r, id, "pwd", ICE_PWD_LEN, true, ice->pwd, sizeof(ice->pwd))) ||
	    (rc = get_str(r, id, "remote ufrag", SDP_ICE_CRED_MAX, true, ice->remote_ufrag,
			  sizeof(ice->remote_ufrag))))
		return rc;
	if (on && (strlen(ice->ufrag) != ICE_UFRAG_LEN || strlen(ice->pwd) != ICE_PWD_LEN))
		return refuse(r, "ice", "credentials of the wrong length");
	return 0;
}

static int get_dtmf(struct rctx *r, const struct ng_node *d, struct dp_dtmf_security *s)
{
	int rc = get_bytes(r, d, "ctl dtmf", s, sizeof(*s));

	if (rc)
		return rc;
	if (s->mode > DP_DTMF_PASS || s->mode_trigger > DP_DTMF_PASS ||
	    s->mode_end > DP_DTMF_PASS || s->digit > 15 || s->n_freqs > DP_TONE_FREQS ||
	    s->trigger_len > DP_DTMF_TRIGGER_MAX || s->end_len > DP_DTMF_TRIGGER_MAX)
		return refuse(r, "ctl dtmf", "out of range");
	return 0;
}

/* What a media needs beyond its fields: the interface and latched remotes,
 * kept until the resources are taken. */
struct media_extra {
	struct sockaddr_storage latched[2];	  /* RTP, RTCP; family 0 = none */
	bool taken;				  /* the port pair was taken from its pool */
	bool xcode_own;				  /* m->xcode is not published yet */
	struct dp_srtp_roc rocs[2][DP_SRTP_ROCS]; /* RTP, RTCP */
	unsigned n_rocs[2];
	/* the second pair of the other address family (ice_family.h) */
	bool fam_taken;				/* its port pair was taken */
	bool fam_active;			/* the party's last nomination came there */
	struct sockaddr_storage fam_latched[2]; /* RTP, RTCP; family 0 = none */
};

static int get_rocs(struct rctx *r, const struct ng_node *md, const char *k,
		    struct dp_srtp_roc *out, unsigned *n)
{
	const struct ng_node *v = ng_dict_get(md, k);

	*n = 0;
	if (!v)
		return 0;
	if (v->type != NG_STR || v->str_len % ROC_BYTES || v->str_len / ROC_BYTES > DP_SRTP_ROCS)
		return refuse(r, k, "not a list of counters");
	for (size_t i = 0; i < v->str_len / ROC_BYTES; i++) {
		const uint8_t *p = (const uint8_t *)v->str + i * ROC_BYTES;
		if (p[0] > 1)
			return refuse(r, k, "bad direction");
		out[i].tx = p[0];
		out[i].ssrc = out[i].roc = 0;
		for (int j = 0; j < 4; j++) {
			out[i].ssrc = out[i].ssrc << 8 | p[1 + j];
			out[i].roc = out[i].roc << 8 | p[5 + j];
		}
		if (out[i].roc > 0xffff) /* RFC 3711: a 48-bit index, 16 bits of it the counter */
			return refuse(r, k, "counter out of range");
		out[i].srtcp_index = 0;
	}
	*n = (unsigned)(v->str_len / ROC_BYTES);
	return 0;
}

/* The last SRTCP indexes (version 3), each for an SSRC and direction that
 * has a counter in out[0..n), once. */
static int get_srtcp_index(struct rctx *r, const struct ng_node *md, const char *k,
			   struct dp_srtp_roc *out, unsigned n)
{
	const struct ng_node *v = ng_dict_get(md, k);

	if (!v)
		return 0;
	if (r->version < 3)
		return refuse(r, k, "not part of a version 1 or 2 record");
	if (v->type != NG_STR || v->str_len % ROC_BYTES || v->str_len / ROC_BYTES > DP_SRTP_ROCS)
		return refuse(r, k, "not a list of indexes");
	for (size_t i = 0; i < v->str_len / ROC_BYTES; i++) {
		const uint8_t *p = (const uint8_t *)v->str + i * ROC_BYTES;
		uint32_t ssrc = 0, idx = 0;
		unsigned e;

		if (p[0] > 1)
			return refuse(r, k, "bad direction");
		for (int j = 0; j < 4; j++) {
			ssrc = ssrc << 8 | p[1 + j];
			idx = idx << 8 | p[5 + j];
		}
		/* RFC 3711: 31 bits; the successor continues 127 further
		 * (srtp/sr_stream.h sr_stream_set_srtcp_index) */
		if (idx == 0 || idx > 0x7fffffff - 127)
			return refuse(r, k, "index out of range");
		for (e = 0; e < n && (out[e].tx != p[0] || out[e].ssrc != ssrc); e++)
			;
		if (e == n)
			return refuse(r, k, "an SSRC without a rollover counter");
		if (out[e].srtcp_index)
			return refuse(r, k, "an SSRC twice");
		out[e].srtcp_index = idx;
	}
	return 0;
}

static int get_dtls(struct rctx *r, const struct ng_node *md, struct call_media *m)
{
	const struct ng_node *dd = ng_dict_get(md, "dtls");
	struct dtls_media_saved sv;
	const char *why = NULL;
	int64_t v[6];
	int rc;
	static const struct {
		const char *k;
		int64_t hi;
	} f[6] = { { "on", 1 },	   { "role known", 1 }, { "client", 1 },
		   { "setup", 4 }, { "peer setup", 4 }, { "hash", 4 } };

	if (!dd)
		return 0;
	if (r->version < 2) /* version 1 marks DTLS media it could not carry */
		return refuse(r, "dtls", "a version 1 record of DTLS-SRTP media (no keys in it)");
	if (dd->type != NG_DICT)
		return refuse(r, "dtls", "not a dictionary");
	memset(&sv, 0, sizeof(sv));
	for (unsigned i = 0; i < 6; i++)
		if ((rc = get_int(r, dd, f[i].k, 0, f[i].hi, true, &v[i])))
			return rc;
	sv.on = v[0];
	sv.role_known = v[1];
	sv.client = v[2];
	sv.ours = (enum dtls_setup)v[3];
	sv.peer_setup = (enum dtls_setup)v[4];
	sv.hash = (enum dtls_hash)v[5];
	const struct ng_node *fp = ng_dict_get(dd, "peer fingerprint");
	if (fp) {
		if (fp->type != NG_STR ||
		    dtls_fingerprint_parse(fp->str, fp->str_len, &sv.peer_fp, &why))
			return refuse(r, "peer fingerprint", why ? why : "not a fingerprint");
		sv.peer_has_fp = true;
	}
	if ((rc = get_str(r, dd, "peer tls-id", DTLS_MEDIA_TLS_ID_MAX, true, sv.peer_tls_id,
			  sizeof(sv.peer_tls_id))) ||
	    (rc = get_str(r, dd, "tls-id", DTLS_MEDIA_OUR_TLS_ID, true, sv.tls_id,
			  sizeof(sv.tls_id))))
		return rc;
	for (unsigned k = 0; k < 2; k++) {
		const struct ng_node *c = get_typed(r, dd, k ? "rtcp" : "rtp", NG_DICT, false, &rc);
		if (rc)
			return rc;
		if (!c)
			continue;
		if ((rc = get_int(r, c, "profile", 1, 4, true, &v[0])) ||
		    (rc = get_keys(r, c, "keys", &sv.as[k].keys)))
			return rc;
		sv.as[k].profile = (enum dtls_profile)v[0];
		sv.as[k].keyed = true;
	}
	rc = dtls_media_restore(m, &sv, &why);
	memset(&sv, 0, sizeof(sv));
	if (rc == -EINVAL)
		return refuse(r, "dtls", why);
	return rc;
}

static int get_fmts(struct rctx *r, const struct ng_node *cd, const char *k,
		    struct codecneg_saved_fmt *f, unsigned max, unsigned *n)
{
	int rc;
	const struct ng_node *l = get_typed(r, cd, k, NG_LIST, true, &rc);
	int64_t pt, clock, ch;

	*n = 0;
	if (!l)
		return rc;
	if (l->count > max)
		return refuse(r, k, "too many formats");
	for (const struct ng_node *e = l->child; e; e = e->next) {
		struct codecneg_saved_fmt *o = &f[(*n)++];
		if (e->type != NG_DICT)
			return refuse(r, k, "not a dictionary");
		if ((rc = get_int(r, e, "pt", 0, 127, true, &pt)) ||
		    (rc = get_int(r, e, "clock", 1, 192000, true, &clock)) ||
		    (rc = get_int(r, e, "channels", 0, 8, true, &ch)) ||
		    (rc = get_str(r, e, "enc", CODECNEG_ENC_MAX, true, o->enc, sizeof(o->enc))) ||
		    (rc = get_str(r, e, "fmtp", CODECNEG_FMTP_MAX, true, o->fmtp, sizeof(o->fmtp))))
			return rc;
		if (!o->enc[0])
			return refuse(r, k, "a format without encoding");
		o->pt = (unsigned)pt;
		o->clock = (unsigned)clock;
		o->channels = (unsigned)ch;
	}
	return 0;
}

static int get_codecneg_into(struct rctx *r, const struct ng_node *cd, struct codecneg_saved *sv)
{
	int64_t v[5];
	int rc;
	static const struct {
		const char *k;
		int64_t hi;
	} f[5] = { { "offer ptime", 1000 },
		   { "opt ptime", 1000 },
		   { "opt ptime rev", 1000 },
		   { "force", 1 },
		   { "transcoding", 1 } };

	if ((rc = get_fmts(r, cd, "offered", sv->offered, SDP_MAX_FORMATS, &sv->n_offered)) ||
	    (rc = get_fmts(r, cd, "added", sv->added, CODECNEG_ADDED_MAX, &sv->n_added)))
		return rc;
	for (unsigned i = 0; i < 5; i++)
		if ((rc = get_int(r, cd, f[i].k, 0, f[i].hi, true, &v[i])))
			return rc;
	sv->offer_ptime = (unsigned)v[0];
	sv->opt_ptime = (unsigned)v[1];
	sv->opt_ptime_rev = (unsigned)v[2];
	sv->force = v[3];
	sv->transcoding = v[4];
	const struct ng_node *sl = get_typed(r, cd, "set", NG_LIST, true, &rc);
	if (!sl)
		return rc;
	if (sl->count > CODEC_SET_MAX)
		return refuse(r, "set", "too many");
	for (const struct ng_node *e = sl->child; e; e = e->next) {
		struct codec_set_item *it = &sv->set[sv->n_set++];
		int64_t clock, ch, br;
		if (e->type != NG_DICT)
			return refuse(r, "set", "not a dictionary");
		if ((rc = get_str(r, e, "enc", CODEC_SET_ENC - 1, true, it->enc,
				  sizeof(it->enc))) ||
		    (rc = get_int(r, e, "clock", 0, 192000, true, &clock)) ||
		    (rc = get_int(r, e, "channels", 0, 8, true, &ch)) ||
		    (rc = get_int(r, e, "bitrate", 0, 100000000, true, &br)) ||
		    (rc = get_str(r, e, "params", CODEC_SET_PARAMS - 1, true, it->params,
				  sizeof(it->params))))
			return rc;
		it->clock = (unsigned)clock;
		it->channels = (unsigned)ch;
		it->bitrate = (unsigned long)br;
	}
	return 0;
}

static int get_codecneg(struct rctx *r, const struct ng_node *md, struct call_media *m)
{
	int rc;
	const struct ng_node *cd = get_typed(r, md, "codecneg", NG_DICT, false, &rc);
	struct codecneg_saved *sv;
	const char *why = NULL;

	if (!cd)
		return rc;
	if (r->version < 2)
		return refuse(r, "codecneg", "not part of a version 1 record");
	sv = calloc(1, sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	rc = get_codecneg_into(r, cd, sv);
	if (!rc) {
		rc = codecneg_restore(&m->codecs, sv, &why);
		if (rc == -EINVAL)
			rc = refuse(r, "codecneg", why);
	}
	free(sv);
	return rc;
}

static const struct codec_desc *get_codec(struct rctx *r, const struct ng_node *xd,
					  const char *name_k, const char *clock_k, int *rc)
{
	char name[32];
	int64_t clock;
	const struct codec_desc *d;

	if ((*rc = get_str(r, xd, name_k, sizeof(name) - 1, true, name, sizeof(name))) ||
	    (*rc = get_int(r, xd, clock_k, 1, 192000, true, &clock)))
		return NULL;
	d = codec_find(name, strlen(name), (unsigned)clock, 0);
	if (!d)
		*rc = refuse(r, name_k, "not a codec this daemon transcodes");
	return d;
}

/* The reference point of a transcoder's output (version 3, written by a
 * Redis active, daemon/stream_ref.h) into m->out_ref, if the record has
 * one. */
static int get_out_ref(struct rctx *r, const struct ng_node *xd, struct call_media *m)
{
	int rc;
	const struct ng_node *rd = get_typed(r, xd, "out ref", NG_DICT, false, &rc);
	int64_t ssrc, index, ts, wall;

	if (!rd)
		return rc;
	if (r->version < 3)
		return refuse(r, "out ref", "not part of a version 1 or 2 record");
	if ((rc = get_int(r, rd, "ref ssrc", 1, UINT32_MAX, true, &ssrc)) ||
	    (rc = get_int(r, rd, "ref ext seq", 0, (int64_t)STREAM_REF_INDEX_MAX, true, &index)) ||
	    (rc = get_int(r, rd, "ref ts", 0, UINT32_MAX, true, &ts)) ||
	    (rc = get_int(r, rd, "ref wall ms", 0, INT64_MAX, true, &wall)))
		return rc;
	m->out_ref = (struct stream_ref){ .set = true,
					  .ssrc = (uint32_t)ssrc,
					  .index = (uint64_t)index,
					  .ts = (uint32_t)ts,
					  .wall_ms = (uint64_t)wall };
	return 0;
}

/* A transcoder recorded by put_xcode, made again (fresh codec state, the
 * output stream continued when the record says where it was). */
static int get_xcode(struct rctx *r, const struct ng_node *md, struct call_media *m,
		     struct media_extra *x)
{
	int rc;
	const struct ng_node *xd = get_typed(r, md, "xcode", NG_DICT, false, &rc);
	struct xcode_config c;
	int64_t v[14], ssrc = 0, seq = 0, ts = 0;
	static const struct {
		const char *k;
		int64_t lo, hi;
	} f[14] = {
		{ "in pt", 0, 127 },
		{ "out pt", 0, 127 },
		{ "in dtmf pt", -1, 127 },
		{ "out dtmf pt", -1, 127 },
		{ "in dtmf clock", 0, 192000 },
		{ "out dtmf clock", 0, 192000 },
		{ "in ptime", 0, 200 },
		{ "out ptime", 0, 200 },
		{ "in channels", 0, 2 },
		{ "out channels", 0, 2 },
		{ "complexity", -1, 10 },
		{ "vad", 0, 1 },
		{ "jb min", 0, 2000 },
		{ "jb max", 0, 2000 },
	};
	const struct ng_node *fm;

	if (!xd)
		return rc;
	if (r->version < 2)
		return refuse(r, "xcode", "not part of a version 1 record");
	if (!m->pair)
		return refuse(r, "xcode", "a transcoder on media without ports");
	memset(&c, 0, sizeof(c));
	if (!(c.in_codec = get_codec(r, xd, "in codec", "in clock", &rc)) ||
	    !(c.out_codec = get_codec(r, xd, "out codec", "out clock", &rc)))
		return rc;
	for (unsigned i = 0; i < 14; i++)
		if ((rc = get_int(r, xd, f[i].k, f[i].lo, f[i].hi, true, &v[i])))
			return rc;
	if ((rc = get_int(r, xd, "resample quality", -1, 10, true, &ssrc)))
		return rc;
	c.resample_quality = (int)ssrc;
	c.in_pt = (uint8_t)v[0];
	c.out_pt = (uint8_t)v[1];
	c.in_dtmf_pt = (int)v[2];
	c.out_dtmf_pt = (int)v[3];
	c.in_dtmf_clock = (unsigned)v[4];
	c.out_dtmf_clock = (unsigned)v[5];
	c.in_ptime = (unsigned)v[6];
	c.out_ptime = (unsigned)v[7];
	c.in_channels = (unsigned)v[8];
	c.out_channels = (unsigned)v[9];
	c.complexity = (int)v[10];
	c.vad = v[11];
	c.jb_min_ms = (unsigned)v[12];
	c.jb_max_ms = (unsigned)v[13];
	if (c.jb_min_ms > c.jb_max_ms && c.jb_max_ms)
		return refuse(r, "jb min", "above jb max");
	fm = ng_dict_get(xd, "fmtp");
	if (!fm || fm->type != NG_STR || fm->str_len >= XCODE_FMTP_MAX ||
	    memchr(fm->str, '\0', fm->str_len))
		return refuse(r, "fmtp", "missing or too long");
	c.out_fmtp = fm->str;
	c.out_fmtp_len = fm->str_len;
	/* the output stream's place: all three or none */
	if ((rc = get_int(r, xd, "out ssrc", 0, UINT32_MAX, false, &ssrc)) ||
	    (rc = get_int(r, xd, "out seq", 0, UINT16_MAX, false, &seq)) ||
	    (rc = get_int(r, xd, "out ts", 0, UINT32_MAX, false, &ts)))
		return rc;
	int have = !!ng_dict_get(xd, "out ssrc") + !!ng_dict_get(xd, "out seq") +
		   !!ng_dict_get(xd, "out ts");
	if (have != 0 && have != 3)
		return refuse(r, "out ssrc", "out ssrc, out seq and out ts go together");
	if (have) {
		if (!ssrc)
			return refuse(r, "out ssrc", "zero");
		c.out_ssrc = (uint32_t)ssrc;
		c.out_continue = true;
		c.out_seq = (uint16_t)seq;
		c.out_ts = (uint32_t)ts;
	} else if ((rc = get_out_ref(r, xd, m))) {
		return rc;
	} else if (m->out_ref.set) {
		/* the same SSRC; where it continues is known at the takeover */
		c.out_ssrc = m->out_ref.ssrc;
		c.out_hold = true;
		m->out_pending = true;
	}
	rc = xcode_new(&c, &m->xcode);
	if (rc == -EINVAL)
		return refuse(r, "xcode", "the transcoder refused its configuration");
	if (rc)
		return rc;
	x->xcode_own = true;
	return 0;
}

/* put_bundle's fields, all absent in a record of unbundled media (and in
 * records of daemons that did not carry them: no bundle then; no `bundle
 * only` = not set, anything but 0 or 1 is refused). The lead is
 * checked against the party's media count once they are all read. */
static int get_bundle(struct rctx *r, const struct ng_node *md, struct call_media *m)
{
	int64_t v;
	int rc;

	if ((rc = get_int(r, md, "bundle lead", 0, SDP_MAX_MEDIA, false, &v)))
		return rc;
	m->bundle_lead = (uint8_t)v;
	if ((rc = get_int(r, md, "mid ext", 0, 255, false, &v)))
		return rc;
	m->mid_ext = (uint8_t)v;
	if ((rc = get_int(r, md, "bundle only", 0, 1, false, &v)))
		return rc;
	m->bundle_only = v;
	if ((rc = get_int(r, md, "bundle split", 0, 1, false, &v)))
		return rc;
	m->bundle_split = v;
	const struct ng_node *l = get_typed(r, md, "ssrcs", NG_LIST, false, &rc);
	if (rc)
		return rc;
	if (l && l->count > sizeof(m->ssrcs) / sizeof(m->ssrcs[0]))
		return refuse(r, "ssrcs", "too many");
	for (const struct ng_node *e = l ? l->child : NULL; e; e = e->next) {
		if (e->type != NG_INT || e->num < 0 || e->num > 0xffffffffLL)
			return refuse(r, "ssrcs", "not an SSRC");
		m->ssrcs[m->n_ssrcs++] = (uint32_t)e->num;
	}
	return 0;
}

/* The second pair of the other address family (put_ice_family): checked
 * here, its port and sockets taken by take_resources. */
static int get_ice_family(struct rctx *r, const struct ng_node *md, struct call_media *m,
			  struct media_extra *x)
{
	int64_t pair = 0, rs = 0, act = 0;
	int rc;

	/* all optional: a record without them had no second pair */
	if ((rc = get_int(r, md, "other family pair", 0, 65534, false, &pair)) ||
	    (rc = get_int(r, md, "other family restarts", 0, UINT32_MAX, false, &rs)) ||
	    (rc = get_int(r, md, "other family active", 0, 1, false, &act)))
		return rc;
	if (!pair)
		return 0;
	if (!m->ice || !m->pair || !m->ifc)
		return refuse(r, "other family pair", "without ICE or the media's own pair");
	if ((pair & 1) || pair < 2)
		return refuse(r, "other family pair", "not an even port");
	int other = m->ifc->cfg->family == AF_INET ? AF_INET6 : AF_INET;
	struct iface *ifc = ifaces_pick(r->cs->ifs, m->ifc->cfg->name, other);
	if (!ifc || strcmp(ifc->cfg->name, m->ifc->cfg->name) || ifc->cfg->family != other)
		return refuse(r, "other family pair", "no interface of the other family here");
	if ((rc = get_addr(r, md, "other rtp latched", &x->fam_latched[0])) ||
	    (rc = get_addr(r, md, "other rtcp latched", &x->fam_latched[1])))
		return rc;
	struct ice_family *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->ifc = ifc;
	f->pair = (uint16_t)pair;
	f->rtp.port = f->pair;
	f->rtcp.port = (uint16_t)(f->pair + 1);
	f->restarts = (unsigned)rs;
	m->ice->fam = f;
	x->fam_active = act;
	return 0;
}

static int get_media(struct rctx *r, const struct ng_node *md, struct call_media *m,
		     struct media_extra *x)
{
	char ifname[CFG_NAME_MAX];
	uint8_t kinds[2 * CALL_MAX_PT_KINDS];
	const struct ng_node *kn;
	int64_t v;
	int rc;

	if (md->type != NG_DICT)
		return refuse(r, "", "not a dictionary");
	m->used = true;
	if ((rc = get_int(r, md, "index", 1, SDP_MAX_MEDIA, true, &v)))
		return rc;
	m->index = (unsigned)v;
	if ((rc = get_str(r, md, "type", sizeof(m->type) - 1, true, m->type, sizeof(m->type))) ||
	    (rc = get_str(r, md, "proto", sizeof(m->proto) - 1, true, m->proto,
			  sizeof(m->proto))) ||
	    (rc = get_int(r, md, "bits", 0, SB_ALL, true, &v)))
		return rc;
	m->disabled = v & SB_DISABLED;
	m->no_send = v & SB_NO_SEND;
	m->no_recv = v & SB_NO_RECV;
	m->rtcp_mux = v & SB_RTCP_MUX;
	m->mux_offered = v & SB_MUX_OFFERED;
	m->mux_accept = v & SB_MUX_ACCEPT;
	m->pts_any = v & SB_PTS_ANY;
	m->has_event = v & SB_HAS_EVENT;
	m->bundled = v & SB_BUNDLED;
	if ((rc = get_int(r, md, "ptime reverse", 0, 1000, true, &v)))
		return rc;
	m->ptime_reverse = (unsigned)v;
	if ((rc = get_str(r, md, "interface", CFG_NAME_MAX - 1, false, ifname, sizeof(ifname))) ||
	    (rc = get_int(r, md, "pair", 0, 65534, false, &v)))
		return rc;
	if (!ifname[0] != !v)
		return refuse(r, "pair", "interface and pair go together");
	if (v) {
		m->ifc = ifaces_pick(r->cs->ifs, ifname, 0);
		if (!m->ifc || strcmp(m->ifc->cfg->name, ifname))
			return refuse(r, "interface", "no such interface here");
		if ((v & 1) || v < 2)
			return refuse(r, "pair", "not an even port");
		m->pair = (uint16_t)v;
		m->rtp.port = m->pair;
		m->rtcp.port = (uint16_t)(m->pair + 1);
	}
	if ((rc = get_addr(r, md, "rtp remote", &m->rtp.remote)) ||
	    (rc = get_addr(r, md, "rtcp remote", &m->rtcp.remote)) ||
	    (rc = get_addr(r, md, "rtp latched", &x->latched[0])) ||
	    (rc = get_addr(r, md, "rtcp latched", &x->latched[1])) ||
	    (rc = get_rocs(r, md, "rtp srtp rocs", x->rocs[0], &x->n_rocs[0])) ||
	    (rc = get_rocs(r, md, "rtcp srtp rocs", x->rocs[1], &x->n_rocs[1])) ||
	    (rc = get_srtcp_index(r, md, "rtp srtcp index", x->rocs[0], x->n_rocs[0])) ||
	    (rc = get_srtcp_index(r, md, "rtcp srtcp index", x->rocs[1], x->n_rocs[1])))
		return rc;
	if ((rc = get_int(r, md, "dp flags", 0, SNAP_DP_FLAGS, true, &v)))
		return rc;
	if ((uint32_t)v & ~(uint32_t)SNAP_DP_FLAGS)
		return refuse(r, "dp flags", "unknown flags");
	m->dp_flags = (uint32_t)v;
	if ((rc = get_bytes(r, md, "pts", m->pts, sizeof(m->pts))) ||
	    (rc = get_str(r, md, "codec names", sizeof(m->codec_names) - 1, true, m->codec_names,
			  sizeof(m->codec_names))))
		return rc;
	kn = ng_dict_get(md, "pt kinds");
	if (!kn || kn->type != NG_STR || kn->str_len % 2 || kn->str_len > sizeof(kinds))
		return refuse(r, "pt kinds", "missing or of a wrong length");
	memcpy(kinds, kn->str, kn->str_len);
	m->n_pt_kinds = (uint8_t)(kn->str_len / 2);
	for (unsigned k = 0; k < m->n_pt_kinds; k++) {
		if (kinds[2 * k] > 127 || kinds[2 * k + 1] > DP_PT_EVENT)
			return refuse(r, "pt kinds", "out of range");
		m->pt_kinds[k].pt = kinds[2 * k];
		m->pt_kinds[k].kind = kinds[2 * k + 1];
	}
	if ((rc = get_int(r, md, "event pt", 0, 127, true, &v)))
		return rc;
	m->event_pt = (uint8_t)v;
	if ((rc = get_int(r, md, "audio pt", 0, 255, true, &v)))
		return rc;
	if (v > 127 && v != 0xff)
		return refuse(r, "audio pt", "out of range");
	m->audio_pt = (uint8_t)v;
	if ((rc = get_int(r, md, "event clock", 0, 192000, true, &v)))
		return rc;
	m->event_clock = (uint32_t)v;
	const struct ng_node *rl = get_typed(r, md, "rec codecs", NG_LIST, true, &rc);
	if (!rl)
		return rc;
	if (rl->count > CALL_MAX_REC_CODECS)
		return refuse(r, "rec codecs", "too many");
	for (const struct ng_node *e = rl->child; e; e = e->next) {
		char name[32];
		int64_t pt, clock;
		const struct codec_desc *desc;

		if (e->type != NG_DICT)
			return refuse(r, "rec codecs", "not a dictionary");
		if ((rc = get_int(r, e, "pt", 0, 127, true, &pt)) ||
		    (rc = get_str(r, e, "name", sizeof(name) - 1, true, name, sizeof(name))) ||
		    (rc = get_int(r, e, "clock", 1, 192000, true, &clock)))
			return rc;
		desc = codec_find(name, strlen(name), (unsigned)clock, 0);
		if (!desc)
			return refuse(r, "rec codecs", "unknown codec");
		m->rec_codecs[m->n_rec_codecs].desc = desc;
		m->rec_codecs[m->n_rec_codecs++].pt = (uint8_t)pt;
	}
	if ((rc = get_str(r, md, "mid", sizeof(m->mid) - 1, true, m->mid, sizeof(m->mid))) ||
	    (rc = get_bundle(r, md, m)))
		return rc;
	/* version 1 marks transcoded media it could not carry */
	if (ng_dict_get(md, "transcoding"))
		return refuse(r, "transcoding",
			      "a version 1 record of transcoded media (it carries no transcoder)");
	if ((rc = get_ice(r, md, m)) || (rc = get_ice_family(r, md, m, x)) ||
	    (rc = get_sdes(r, md, m)) || (rc = get_dtls(r, md, m)) ||
	    (rc = get_codecneg(r, md, m)) || (rc = get_xcode(r, md, m, x)))
		return rc;
	return 0;
}

static int get_party(struct rctx *r, const struct ng_node *pd, struct call_party *p,
		     unsigned n_parties, int *peer, struct media_extra *x)
{
	const struct ng_node *tags, *ml;
	char tag[CALL_TAG_MAX + 1];
	int64_t v;
	int rc;

	if (pd->type != NG_DICT)
		return refuse(r, "", "not a dictionary");
	tags = get_typed(r, pd, "tags", NG_LIST, true, &rc);
	if (!tags)
		return rc;
	if (tags->count < 1 || tags->count > CALL_MAX_TAGS)
		return refuse(r, "tags", "wrong count");
	for (const struct ng_node *t = tags->child; t; t = t->next) {
		if (t->type != NG_STR || t->str_len > CALL_TAG_MAX ||
		    memchr(t->str, '\0', t->str_len))
			return refuse(r, "tags", "not a tag");
		memcpy(tag, t->str, t->str_len);
		tag[t->str_len] = '\0';
		if (!tag[0] && p->n_tags)
			return refuse(r, "tags", "an empty tag after the main one");
		p->tags[p->n_tags] = call_strdup(tag);
		if (!p->tags[p->n_tags])
			return -ENOMEM;
		p->n_tags++;
	}
	if (!p->tags[0][0] && p->n_tags > 1)
		return refuse(r, "tags", "untagged party with more tags");
	if (!p->tags[0][0]) { /* untagged: call_party_new's convention */
		free(p->tags[0]);
		p->tags[0] = NULL;
		p->n_tags = 0;
	}
	if ((rc = get_dup(r, pd, "label", CALL_TAG_MAX, &p->label)) ||
	    (rc = get_dup(r, pd, "via-branch", CALL_TAG_MAX, &p->via_branch)) ||
	    (rc = get_int(r, pd, "peer", -1, (int64_t)n_parties - 1, true, &v)))
		return rc;
	*peer = (int)v;
	if ((rc = get_int(r, pd, "created", 0, INT64_MAX, true, &v)))
		return rc;
	p->created = (time_t)v;
	if ((rc = get_int(r, pd, "ctl", 0, 15, true, &v)))
		return rc;
	p->ctl = (uint32_t)v;
	if ((rc = get_dtmf(r, pd, &p->ctl_dtmf)))
		return rc;
	ml = get_typed(r, pd, "media", NG_LIST, true, &rc);
	if (!ml)
		return rc;
	if (ml->count > SDP_MAX_MEDIA)
		return refuse(r, "media", "too many");
	size_t base = strlen(r->where);
	for (const struct ng_node *md = ml->child; md; md = md->next) {
		snprintf(r->where + base, sizeof(r->where) - base, "media %u: ", p->n_media);
		rc = get_media(r, md, &p->media[p->n_media], &x[p->n_media]);
		p->n_media++;
		if (rc)
			return rc;
	}
	r->where[base] = '\0';
	for (unsigned i = 0; i < p->n_media; i++)
		if (p->media[i].bundle_lead > p->n_media)
			return refuse(r, "bundle lead", "names a media the party does not have");
	return 0;
}

/* Free a call restore built but never linked into the table: its endpoints
 * (which close their sockets), ports and memory. */
static void discard(struct call *c, struct media_extra (*x)[SDP_MAX_MEDIA])
{
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		struct call_party *p = c->parties[pi];
		for (unsigned i = 0; i < SDP_MAX_MEDIA; i++) {
			struct call_media *m = &p->media[i];
			if (m->rtp.ep)
				dp_endpoint_release(m->rtp.ep);
			if (m->rtcp.ep)
				dp_endpoint_release(m->rtcp.ep);
			if (x[pi][i].taken)
				ports_untake(m->ifc->pool, m->pair);
			if (x[pi][i].xcode_own)
				xcode_free(m->xcode);
			if (m->ice && m->ice->fam) { /* the other family's pair */
				struct ice_family *f = m->ice->fam;
				if (f->rtp.ep)
					dp_endpoint_release(f->rtp.ep);
				if (f->rtcp.ep)
					dp_endpoint_release(f->rtcp.ep);
				if (x[pi][i].fam_taken)
					ports_untake(f->ifc->pool, f->pair);
				free(f);
			}
			free(m->ice);
			sdes_free(m);
			dtls_media_free(m);
			codecneg_free(m->codecs);
		}
		for (unsigned t = 0; t < CALL_MAX_TAGS; t++)
			free(p->tags[t]);
		free(p->label);
		free(p->via_branch);
		free(p);
	}
	free(c->rec_base);
	free(c->rec_metadata);
	free(c->call_id);
	free(c);
}

static int parse_call(struct rctx *r, const struct ng_node *root, struct call *c,
		      struct media_extra (*x)[SDP_MAX_MEDIA])
{
	char id[CALL_TAG_MAX + 1];
	const struct ng_node *parties;
	int peers[CALL_MAX_PARTIES];
	int64_t v;
	int rc;

	if (root->type != NG_DICT)
		return refuse(r, "record", "not a dictionary");
	if ((rc = get_int(r, root, "version", INT64_MIN, INT64_MAX, true, &v)))
		return rc;
	if (v > CALL_SNAPSHOT_VERSION) {
		log_warn("call snapshot refused: version %lld is newer than this daemon reads "
			 "(%d to %d)",
			 (long long)v, CALL_SNAPSHOT_VERSION_MIN, CALL_SNAPSHOT_VERSION);
		return -EINVAL;
	}
	if (v < CALL_SNAPSHOT_VERSION_MIN)
		return refuse(r, "version", "not a version this daemon reads");
	r->version = v;
	if ((rc = get_str(r, root, "call-id", CALL_TAG_MAX, true, id, sizeof(id))))
		return rc;
	if (!id[0])
		return refuse(r, "call-id", "empty");
	c->call_id = call_strdup(id);
	if (!c->call_id)
		return -ENOMEM;
	r->call_id = c->call_id;
	if ((rc = get_int(r, root, "created", 0, INT64_MAX, true, &v)))
		return rc;
	c->created = (time_t)v;
	if ((rc = get_int(r, root, "created us", 0, 999999, true, &v)))
		return rc;
	c->created_us = (uint32_t)v;
	if ((rc = get_int(r, root, "last signal", 0, INT64_MAX, true, &v)))
		return rc;
	c->last_signal = (time_t)v;
	if ((rc = get_int(r, root, "answered", 0, 1, true, &v)))
		return rc;
	c->answered = v;
	if ((rc = get_int(r, root, "tos set", 0, 1, true, &v)))
		return rc;
	c->tos_set = v;
	if ((rc = get_int(r, root, "tos", 0, 255, true, &v)))
		return rc;
	c->tos = (uint8_t)v;
	if ((rc = get_int(r, root, "generate rtcp", 0, 1, true, &v)))
		return rc;
	c->generate_rtcp = v;
	if ((rc = get_int(r, root, "ctl", 0, 15, true, &v)))
		return rc;
	c->ctl = (uint32_t)v;
	if ((rc = get_dtmf(r, root, &c->ctl_dtmf)))
		return rc;
	const struct ng_node *rec = get_typed(r, root, "recording", NG_DICT, false, &rc);
	if (rc)
		return rc;
	if (rec) {
		/* the recording's files belong to the old process's writer: the
		 * recording goes on in files of its own once the call is live
		 * (callrec_continue; the path is checked against recording-dir
		 * there) */
		if ((rc = get_dup(r, rec, "base", REC_PATH_MAX, &c->rec_base)) ||
		    (rc = get_int(r, rec, "paused", 0, 1, true, &v)) ||
		    (rc = get_dup(r, rec, "metadata", REC_METADATA_MAX, &c->rec_metadata)))
			return rc;
		if (!c->rec_base || !c->rec_base[0])
			return refuse(r, "recording", "no base");
		c->rec_paused = v != 0;
		c->rec_continue = true;
	}
	parties = get_typed(r, root, "parties", NG_LIST, true, &rc);
	if (!parties)
		return rc;
	if (parties->count > CALL_MAX_PARTIES)
		return refuse(r, "parties", "too many");
	for (const struct ng_node *pd = parties->child; pd; pd = pd->next) {
		unsigned pi = c->n_parties;
		struct call_party *p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->parties[c->n_parties++] = p;
		snprintf(r->where, sizeof(r->where), "party %u: ", pi);
		rc = get_party(r, pd, p, (unsigned)parties->count, &peers[pi], x[pi]);
		if (rc)
			return rc;
	}
	r->where[0] = '\0';
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		if (peers[pi] == (int)pi)
			return refuse(r, "peer", "a party is its own peer");
		c->parties[pi]->peer = peers[pi] >= 0 ? c->parties[peers[pi]] : NULL;
	}
	/* two parties never share a port pair */
	for (unsigned pi = 0; pi < c->n_parties; pi++)
		for (unsigned i = 0; i < c->parties[pi]->n_media; i++)
			for (unsigned qj = 0; qj <= pi; qj++)
				for (unsigned j = 0; j < c->parties[qj]->n_media; j++) {
					const struct call_media *a = &c->parties[pi]->media[i];
					const struct call_media *b = &c->parties[qj]->media[j];
					if (a != b && a->pair && a->pair == b->pair &&
					    a->ifc == b->ifc)
						return refuse(r, "pair", "used twice");
				}
	return 0;
}

static void local_addr(const struct iface *ifc, uint16_t port, struct sockaddr_storage *ss)
{
	*ss = ifc->cfg->sa;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* The port pair and sockets of @m's second pair of the other address
 * family (get_ice_family), if it has one. */
static int take_family(struct rctx *r, const struct call *c,
		       const struct call_snapshot_sockets *socks, struct call_media *m,
		       struct media_extra *x)
{
	struct ice_family *f = m->ice ? m->ice->fam : NULL;
	struct sockaddr_storage la;
	int fd[2] = { -1, -1 }, rc;

	if (!f)
		return 0;
	rc = ports_take(f->ifc->pool, f->pair);
	if (rc) {
		refuse(r, "other family pair", rc == -EBUSY ? "in use here" : "outside the range");
		return -ENOSPC;
	}
	x->fam_taken = true;
	for (int k = 0; k < 2; k++) {
		local_addr(f->ifc, (uint16_t)(f->pair + k), &la);
		rc = socks->get(socks->ctx, &la, &fd[k]);
		if (rc) {
			log_warn("call snapshot: no socket for port %u: %s", f->pair + k,
				 strerror(-rc));
			if (k)
				close(fd[0]);
			return rc;
		}
	}
	f->rtp.ep = dp_endpoint_new(fd[0], c->worker);
	if (!f->rtp.ep) {
		close(fd[0]);
		close(fd[1]);
		return -ENOMEM;
	}
	f->rtcp.ep = dp_endpoint_new(fd[1], c->worker);
	if (!f->rtcp.ep) {
		close(fd[1]);
		return -ENOMEM;
	}
	return 0;
}

/* Take the ports and sockets of every media and make their endpoints. */
static int take_resources(struct rctx *r, struct call *c, const struct call_snapshot_sockets *socks,
			  struct media_extra (*x)[SDP_MAX_MEDIA])
{
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		struct call_party *p = c->parties[pi];
		for (unsigned i = 0; i < p->n_media; i++) {
			struct call_media *m = &p->media[i];
			struct sockaddr_storage la;
			int fd[2] = { -1, -1 }, rc;

			if (!m->pair)
				continue;
			rc = ports_take(m->ifc->pool, m->pair);
			if (rc) {
				snprintf(r->where, sizeof(r->where), "party %u media %u: ", pi, i);
				refuse(r, "pair",
				       rc == -EBUSY ? "in use here" : "outside the range");
				return -ENOSPC;
			}
			x[pi][i].taken = true;
			for (int k = 0; k < 2; k++) {
				local_addr(m->ifc, (uint16_t)(m->pair + k), &la);
				rc = socks->get(socks->ctx, &la, &fd[k]);
				if (rc) {
					log_warn("call snapshot: no socket for port %u: %s",
						 m->pair + k, strerror(-rc));
					if (k)
						close(fd[0]);
					return rc;
				}
			}
			m->rtp.ep = dp_endpoint_new(fd[0], c->worker);
			if (!m->rtp.ep) {
				close(fd[0]);
				close(fd[1]);
				return -ENOMEM;
			}
			m->rtcp.ep = dp_endpoint_new(fd[1], c->worker);
			if (!m->rtcp.ep) {
				close(fd[1]);
				return -ENOMEM;
			}
			rc = take_family(r, c, socks, m, &x[pi][i]);
			if (rc) {
				snprintf(r->where, sizeof(r->where), "party %u media %u: ", pi, i);
				return rc;
			}
		}
	}
	return 0;
}

/* The nominated remotes of a media's second pair (put_ice_family). */
static void adopt_family(const struct call *c, const struct ice_family *f,
			 const struct media_extra *e)
{
	struct dp_endpoint *ep[2] = { f->rtp.ep, f->rtcp.ep };

	for (int k = 0; k < 2; k++)
		if (ep[k] && e->fam_latched[k].ss_family &&
		    dp_endpoint_adopt(ep[k], &e->fam_latched[k]))
			log_warn("call snapshot: call-id=%s: a nominated remote of the other "
				 "family is learned again",
				 c->call_id);
}

static void link_call(struct calls *cs, struct call *c)
{
	uint32_t h = fnv1a_str(c->call_id) & (cs->n_buckets - 1);

	c->hnext = cs->buckets[h];
	cs->buckets[h] = c;
	c->next = cs->head;
	if (cs->head)
		cs->head->prev = c;
	cs->head = c;
	cs->count++;
}

int call_snapshot_restore(struct calls *calls, const char *data, size_t len,
			  const struct call_snapshot_sockets *socks, struct call **out)
{
	static struct media_extra x[CALL_MAX_PARTIES][SDP_MAX_MEDIA];
	struct rctx r = { .cs = calls };
	struct timespec mono;
	struct arena *a;
	struct ng_node *root = NULL;
	struct call *c;
	const char *why = NULL;
	uint64_t now_ms;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	now_ms = (uint64_t)mono.tv_sec * 1000u + (uint64_t)mono.tv_nsec / 1000000u;
	if (out)
		*out = NULL;
	if (!data || len == 0 || len > CALL_SNAPSHOT_MAX || !socks || !socks->get) {
		log_warn("call snapshot refused: empty or over %u bytes", CALL_SNAPSHOT_MAX);
		return -EINVAL;
	}
	a = arena_new(len * 2 + 4096);
	c = calloc(1, sizeof(*c));
	if (!a || !c) {
		arena_free(a);
		free(c);
		return -ENOMEM;
	}
	memset(x, 0, sizeof(x));
	rc = bencode_decode(a, (const uint8_t *)data, len, &root, &why);
	if (rc) {
		log_warn("call snapshot refused: not a bencode record: %s", why ? why : "?");
		rc = -EINVAL;
		goto fail;
	}
	rc = parse_call(&r, root, c, x);
	if (rc)
		goto fail;
	if (call_find(calls, c->call_id)) {
		refuse(&r, "call-id", "a call with this call-id exists");
		rc = -EEXIST;
		goto fail;
	}
	c->worker = dp_worker_for_key(c->call_id);
	c->created_ms = c->last_signal_ms = c->last_media_ms = now_ms;
	rc = take_resources(&r, c, socks, x);
	if (rc)
		goto fail;
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		rc = offer_publish_party(c, c->parties[pi], a);
		if (rc) {
			log_warn("call snapshot: call-id=%s: the data plane refused it: %s",
				 c->call_id, strerror(-rc));
			goto fail;
		}
		/* the data plane owns the party's transcoders now */
		for (unsigned i = 0; i < SDP_MAX_MEDIA; i++)
			x[pi][i].xcode_own = false;
	}
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		struct call_party *p = c->parties[pi];
		for (unsigned i = 0; i < p->n_media; i++) {
			struct call_stream *s[2] = { &p->media[i].rtp, &p->media[i].rtcp };
			const struct ice_family *f = ice_family_of(&p->media[i]);
			const struct media_extra *e = &x[pi][i];
			/* an ICE party's media leaves from the pair adopted last
			 * (dataplane/dp_endpoint.h dp_ice_out): the one it
			 * nominated last, first or second family */
			if (f && !e->fam_active)
				adopt_family(c, f, e);
			for (int k = 0; k < 2; k++)
				if (s[k]->ep && x[pi][i].latched[k].ss_family &&
				    dp_endpoint_adopt(s[k]->ep, &x[pi][i].latched[k]))
					log_warn("call snapshot: call-id=%s: a latched remote "
						 "is learned again",
						 c->call_id);
			if (f && e->fam_active)
				adopt_family(c, f, e);
			for (int k = 0; k < 2; k++)
				if (s[k]->ep &&
				    dp_endpoint_srtp_set_rocs(s[k]->ep, x[pi][i].rocs[k],
							      x[pi][i].n_rocs[k]))
					log_warn("call snapshot: call-id=%s: SRTP rollover "
						 "counters not restored",
						 c->call_id);
		}
	}
	link_call(calls, c);
	callctl_republish(c);
	for (unsigned pi = 0; pi < c->n_parties; pi++)
		dtls_media_start(c->parties[pi],
				 now_ms); /* handshakes the record had not finished */
	arena_free(a);
	log_info("call restored call-id=%s (%u parties)", c->call_id, c->n_parties);
	if (out)
		*out = c;
	return 0;
fail:
	discard(c, x);
	arena_free(a);
	return rc;
}
