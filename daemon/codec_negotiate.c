/*
 * codec_negotiate.c: ng codec options and the transcode decision (see
 * codec_negotiate.h).
 *
 * Names in the option lists are matched like rtpengine does: "PCMA",
 * "opus/48000", "opus/48000/2" (name, optional clock, optional channels),
 * case-insensitive; "all" and "full" in strip/mask match every codec.
 */
#include "daemon/codec_negotiate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codecs/codec.h"
#include "codecs/transcode.h"
#include "daemon/call.h"
#include "daemon/codec_set.h"

#define NEG_ENC		 (CODECNEG_ENC_MAX + 1)
#define NEG_FMTP	 (CODECNEG_FMTP_MAX + 1)
#define NEG_MAX_ADDED	 CODECNEG_ADDED_MAX
#define PT_DYNAMIC_FIRST 96
#define PT_DYNAMIC_LAST	 127

struct neg_fmt {
	unsigned pt;
	char enc[NEG_ENC];
	char fmtp[NEG_FMTP];
	unsigned clock, channels;
	const struct codec_desc *codec; /* NULL: not one we can transcode */
	bool te;			/* telephone-event (RFC 4733) */
};

struct codecneg {
	struct neg_fmt offered[SDP_MAX_FORMATS]; /* offerer's, minus stripped */
	unsigned n_offered;
	struct neg_fmt added[NEG_MAX_ADDED]; /* ours, for transcoding */
	unsigned n_added;
	unsigned offer_ptime;	/* offerer's a=ptime, 0 = none */
	bool force;		/* force transcoding given in the offer */
	unsigned opt_ptime;	/* ptime option given with the offer */
	unsigned opt_ptime_rev; /* ptime-reverse given with the offer */
	bool transcoding;
	/* codec "set" given with the offer: for the encoders of its answer */
	struct codec_set_item set[CODEC_SET_MAX];
	unsigned n_set;
	/* the rewrite computed during the current request */
	bool rw_set;
	const struct sdp_format *rw;
	unsigned n_rw, rw_ptime;
	struct sdp_format answer_fmts[2]; /* the offerer's codec + telephone-event */
};

/* Does option item @item ("opus/48000/2") name encoding @enc at @clock? */
static bool item_matches(const char *item, struct sdp_str enc, unsigned clock)
{
	size_t l = strcspn(item, "/");

	if (l != enc.len || strncasecmp(item, enc.s, l) != 0)
		return false;
	if (item[l] == '/' && clock && strtoul(item + l + 1, NULL, 10) != clock)
		return false;
	return true;
}

bool codecneg_listed(const char *const *list, unsigned n, struct sdp_str enc, unsigned clock,
		     bool all_matches)
{
	for (unsigned i = 0; i < n; i++) {
		if (all_matches && (!strcasecmp(list[i], "all") || !strcasecmp(list[i], "full")))
			return true;
		if (item_matches(list[i], enc, clock))
			return true;
	}
	return false;
}

static void copy_str(char *dst, size_t cap, struct sdp_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	if (n) /* an absent fmtp is {NULL, 0}: memcpy must not see NULL */
		memcpy(dst, s.s, n);
	dst[n] = '\0';
}

static void record(struct neg_fmt *r, const struct sdp_format *f)
{
	struct sdp_str enc = sdp_format_encoding(f);

	memset(r, 0, sizeof(*r));
	r->pt = f->pt;
	copy_str(r->enc, sizeof(r->enc), enc);
	copy_str(r->fmtp, sizeof(r->fmtp), f->fmtp);
	r->clock = f->clock_rate;
	r->channels = f->channels;
	r->te = sdp_str_ieq(enc, "telephone-event");
	/* An fmtp we could not keep whole is not one we can honour. */
	if (!r->te && enc.len < NEG_ENC && f->fmtp.len < NEG_FMTP)
		r->codec = codec_find(enc.s, enc.len, f->clock_rate, f->channels);
}

static struct sdp_str lit(const char *s)
{
	return (struct sdp_str){ .s = s, .len = s ? strlen(s) : 0 };
}

static struct sdp_format as_format(const struct neg_fmt *n)
{
	return (struct sdp_format){ .pt = n->pt,
				    .encoding = lit(n->enc),
				    .clock_rate = n->clock,
				    .channels = n->channels ? n->channels : 1,
				    .fmtp = lit(n->fmtp) };
}

/* A payload type for @d (NULL: an event format) not used by the offer nor by
 * what we added. */
static int pick_pt(const struct sdp_media *m, const struct codecneg *st, const struct codec_desc *d)
{
	bool used[128] = { false };

	for (unsigned i = 0; i < m->n_formats; i++)
		if (m->formats[i].pt < 128)
			used[m->formats[i].pt] = true;
	for (unsigned i = 0; i < st->n_added; i++)
		used[st->added[i].pt] = true;
	if (d && d->static_pt >= 0 && !used[d->static_pt])
		return d->static_pt;
	for (int pt = PT_DYNAMIC_FIRST; pt <= PT_DYNAMIC_LAST; pt++)
		if (!used[pt])
			return pt;
	return -1;
}

static void add_transcode_codecs(struct codecneg *st, const struct sdp_media *m,
				 const struct ng_codec_ops *ops, struct sdp_format *out,
				 unsigned *n)
{
	for (unsigned i = 0; i < ops->n_transcode && st->n_added < NEG_MAX_ADDED; i++) {
		const char *item = ops->transcode[i];
		size_t l = strcspn(item, "/");
		unsigned clock = item[l] == '/' ? (unsigned)strtoul(item + l + 1, NULL, 10) : 0;
		const struct codec_desc *d = codec_find(item, l, clock, 0);
		struct neg_fmt *a;
		bool have = false;
		int pt;

		if (!d || *n >= SDP_MAX_FORMATS)
			continue;
		for (unsigned k = 0; k < st->n_offered; k++)
			have |= st->offered[k].codec == d;
		for (unsigned k = 0; k < st->n_added; k++)
			have |= st->added[k].codec == d;
		pt = have ? -1 : pick_pt(m, st, d);
		if (pt < 0)
			continue;
		a = &st->added[st->n_added++];
		memset(a, 0, sizeof(*a));
		a->pt = (unsigned)pt;
		snprintf(a->enc, sizeof(a->enc), "%s", d->name);
		snprintf(a->fmtp, sizeof(a->fmtp), "%s", d->default_fmtp ? d->default_fmtp : "");
		a->clock = d->clock_rate;
		a->channels = d->rtpmap_channels;
		a->codec = d;
		out[(*n)++] = as_format(a);
	}
}

/* RFC 4733 events are timed in the audio codec's clock: a codec we add at a
 * clock the offerer's telephone-event does not have (opus/48000) gets its own
 * telephone-event at that clock, so that an answerer which only accepts
 * events at its codec's rate (WebRTC) can still send and receive them. */
static void add_event_clocks(struct codecneg *st, const struct sdp_media *m, struct sdp_format *out,
			     unsigned *n)
{
	const struct neg_fmt *te = NULL;
	unsigned n_codecs = st->n_added;

	for (unsigned k = 0; k < st->n_offered && !te; k++)
		if (st->offered[k].te)
			te = &st->offered[k];
	if (!te)
		return;
	for (unsigned i = 0; i < n_codecs && st->n_added < NEG_MAX_ADDED; i++) {
		unsigned clock = st->added[i].clock;
		bool have = false;
		struct neg_fmt *a;
		int pt;

		for (unsigned k = 0; k < st->n_offered; k++)
			have |= st->offered[k].te && st->offered[k].clock == clock;
		for (unsigned k = n_codecs; k < st->n_added; k++)
			have |= st->added[k].clock == clock;
		if (have || *n >= SDP_MAX_FORMATS)
			continue;
		pt = pick_pt(m, st, NULL);
		if (pt < 0)
			continue;
		a = &st->added[st->n_added++];
		*a = *te;
		a->pt = (unsigned)pt;
		a->clock = clock;
		out[(*n)++] = as_format(a);
	}
}

int codecneg_offer(struct codecneg **state, const struct sdp_media *m,
		   const struct ng_codec_ops *ops, struct arena *a)
{
	struct codecneg *st;
	struct sdp_format *out;
	unsigned n = 0;
	bool keep[SDP_MAX_FORMATS] = { false };

	codecneg_free(*state);
	*state = NULL;
	if (!(ops->n_transcode || ops->n_offer || ops->n_except || ops->n_consume ||
	      ops->n_ignore || ops->force_transcoding) ||
	    !m->rtp || !m->n_formats)
		return 0;
	/* the transcoder is for audio: video (VP8, H264, ...) and other media
	 * pass through as offered, never into a transcoder */
	if (!sdp_str_ieq(m->type, "audio"))
		return 0;
	st = calloc(1, sizeof(*st));
	out = arena_alloc(a, sizeof(*out) * SDP_MAX_FORMATS);
	if (!st || !out) {
		free(st);
		return -ENOMEM;
	}
	st->offer_ptime = m->ptime;
	st->force = ops->force_transcoding;
	st->opt_ptime = ops->ptime;
	st->opt_ptime_rev = ops->ptime_reverse;
	for (unsigned i = 0; i < ops->n_set && st->n_set < CODEC_SET_MAX; i++)
		if (codec_set_parse(ops->set[i], &st->set[st->n_set]))
			st->n_set++;
	for (unsigned f = 0; f < m->n_formats && f < SDP_MAX_FORMATS; f++) {
		const struct sdp_format *sf = &m->formats[f];
		struct sdp_str enc = sdp_format_encoding(sf);
		bool exempt = codecneg_listed(ops->except, ops->n_except, enc, sf->clock_rate,
					      false) ||
			      codecneg_listed(ops->offer, ops->n_offer, enc, sf->clock_rate, false);

		if (!exempt && codecneg_listed(ops->strip, ops->n_strip, enc, sf->clock_rate, true))
			continue; /* gone: neither advertised nor used */
		if (sf->pt < 128 &&
		    codecneg_listed(ops->ignore, ops->n_ignore, enc, sf->clock_rate, false)) {
			/* ignored: as if the offerer never offered it, yet still
			 * offered on, as a codec of ours (transcoded if chosen) */
			if (st->n_added < NEG_MAX_ADDED) {
				record(&st->added[st->n_added++], sf);
				keep[f] = true;
			}
			continue;
		}
		if (sf->pt < 128)
			record(&st->offered[st->n_offered++], sf);
		/* masked (consumed): not advertised, but the offerer may still send it */
		keep[f] = exempt ||
			  !(codecneg_listed(ops->mask, ops->n_mask, enc, sf->clock_rate, true) ||
			    codecneg_listed(ops->consume, ops->n_consume, enc, sf->clock_rate,
					    true));
	}
	/* `offer` codecs first, in the option's order; then the rest as offered */
	for (unsigned i = 0; i < ops->n_offer; i++)
		for (unsigned f = 0; f < m->n_formats && f < SDP_MAX_FORMATS; f++)
			if (keep[f] &&
			    item_matches(ops->offer[i], sdp_format_encoding(&m->formats[f]),
					 m->formats[f].clock_rate)) {
				out[n++] = m->formats[f];
				keep[f] = false;
			}
	for (unsigned f = 0; f < m->n_formats && f < SDP_MAX_FORMATS; f++)
		if (keep[f])
			out[n++] = m->formats[f];
	add_transcode_codecs(st, m, ops, out, &n);
	add_event_clocks(st, m, out, &n);
	if (n) { /* never an empty m= line */
		st->rw = out;
		st->n_rw = n;
		st->rw_set = true;
	}
	*state = st;
	return 0;
}

static const struct neg_fmt *find_added(const struct codecneg *st, const struct sdp_format *f)
{
	struct sdp_str enc = sdp_format_encoding(f);

	for (unsigned i = 0; i < st->n_added; i++)
		if (st->added[i].pt == f->pt && sdp_str_ieq(enc, st->added[i].enc))
			return &st->added[i];
	return NULL;
}

static const struct neg_fmt *offered_fmt(const struct codecneg *st, unsigned pt)
{
	for (unsigned i = 0; i < st->n_offered; i++)
		if (st->offered[i].pt == pt)
			return &st->offered[i];
	return NULL;
}

static bool offered_pt(const struct codecneg *st, unsigned pt)
{
	return offered_fmt(st, pt) != NULL;
}

/* The answer as the offerer may see it: without codecs it never offered. */
static int filter_answer(struct codecneg *st, const struct sdp_media *m, struct arena *a)
{
	struct sdp_format *out = arena_alloc(a, sizeof(*out) * SDP_MAX_FORMATS);
	unsigned n = 0;
	bool dropped = false;

	if (!out)
		return -ENOMEM;
	for (unsigned f = 0; f < m->n_formats && f < SDP_MAX_FORMATS; f++) {
		if (find_added(st, &m->formats[f]) && !offered_pt(st, m->formats[f].pt)) {
			dropped = true;
			continue;
		}
		out[n++] = m->formats[f];
	}
	if (dropped && n) {
		st->rw = out;
		st->n_rw = n;
		st->rw_set = true;
	}
	return 0;
}

/* The offerer's codec to bridge to: the first of `accept` it offered, else
 * the first it offered that we can transcode. */
static const struct neg_fmt *pick_offerer_codec(const struct codecneg *st,
						const struct ng_codec_ops *ops)
{
	for (unsigned i = 0; i < ops->n_accept; i++)
		for (unsigned k = 0; k < st->n_offered; k++)
			if (st->offered[k].codec &&
			    item_matches(ops->accept[i], lit(st->offered[k].enc),
					 st->offered[k].clock))
				return &st->offered[k];
	for (unsigned k = 0; k < st->n_offered; k++)
		if (st->offered[k].codec)
			return &st->offered[k];
	return NULL;
}

static const struct neg_fmt *offered_te(const struct codecneg *st)
{
	for (unsigned k = 0; k < st->n_offered; k++)
		if (st->offered[k].te)
			return &st->offered[k];
	return NULL;
}

static unsigned valid_ptime(unsigned p, const struct codec_desc *d)
{
	return p && p <= 120 && p % d->frame_ms == 0 ? p : d->default_ptime;
}

static bool wants_stereo(const struct codec_desc *d, const char *fmtp, size_t len)
{
	return d->max_channels > 1 && codec_fmtp_int(fmtp, len, "stereo", 0) == 1;
}

struct side {
	const struct codec_desc *codec;
	unsigned pt, ptime;
	int te_pt;
	unsigned te_clock;
	const char *fmtp; /* this side's receive preferences */
	size_t fmtp_len;
};

static int make_xcode(const struct side *in, const struct side *out, bool dtmf_ok,
		      const struct codecneg_tuning *tune, struct xcode **x)
{
	struct xcode_config c = {
		.in_codec = in->codec,
		.out_codec = out->codec,
		.in_pt = (uint8_t)in->pt,
		.out_pt = (uint8_t)out->pt,
		.in_dtmf_pt = in->te_pt,
		.out_dtmf_pt = dtmf_ok ? out->te_pt : -1,
		.in_dtmf_clock = in->te_clock,
		.out_dtmf_clock = out->te_clock,
		.in_ptime = in->ptime,
		.out_ptime = out->ptime,
		.in_channels = 1,
		.out_channels = wants_stereo(out->codec, out->fmtp, out->fmtp_len) ? 2 : 1,
		.out_fmtp = out->fmtp,
		.out_fmtp_len = out->fmtp_len,
		.complexity = tune->opus_complexity,
		.resample_quality = tune->resample_quality,
	};

	return xcode_new(&c, x);
}

static int bridge(struct codecneg *st, const struct sdp_media *m, const struct sdp_format *a0,
		  const struct neg_fmt *x, const struct neg_fmt *y, const struct ng_codec_ops *ops,
		  const struct codecneg_tuning *tune, struct codecneg_result *res)
{
	const struct neg_fmt *te_r = offered_te(st);
	const struct sdp_format *te_a = NULL;
	struct side r, s;
	int rc;

	/* the answerer's events, preferably at its codec's clock */
	for (unsigned f = 0; f < m->n_formats; f++)
		if (sdp_str_ieq(sdp_format_encoding(&m->formats[f]), "telephone-event") &&
		    (!te_a || (te_a->clock_rate != a0->clock_rate &&
			       m->formats[f].clock_rate == a0->clock_rate)))
			te_a = &m->formats[f];
	/* towards the offerer: ptime-reverse from the offer, else the answer's
	 * ptime option, else what the offerer asked for */
	unsigned r_ptime = st->opt_ptime_rev ? st->opt_ptime_rev
			   : ops->ptime	     ? ops->ptime
					     : st->offer_ptime;

	r = (struct side){ .codec = y->codec,
			   .pt = y->pt,
			   .te_pt = te_r ? (int)te_r->pt : -1,
			   .te_clock = te_r ? te_r->clock : 0,
			   .fmtp = y->fmtp,
			   .fmtp_len = strlen(y->fmtp),
			   .ptime = valid_ptime(r_ptime, y->codec) };
	s = (struct side){ .codec = x->codec,
			   .pt = a0->pt,
			   .te_pt = te_a ? (int)te_a->pt : -1,
			   .te_clock = te_a ? te_a->clock_rate : 0,
			   .fmtp = a0->fmtp.s,
			   .fmtp_len = a0->fmtp.len,
			   .ptime = valid_ptime(m->ptime ? m->ptime : st->opt_ptime, x->codec) };
	/* codec "set": the operator's encoder options ahead of each receiver's */
	char r_fmtp[NEG_FMTP * 2], s_fmtp[NEG_FMTP * 2];

	if (codec_set_fmtp(st->set, st->n_set, y->enc, y->clock, y->channels, r.fmtp, r.fmtp_len,
			   r_fmtp, sizeof(r_fmtp)))
		r.fmtp = r_fmtp, r.fmtp_len = strlen(r_fmtp);
	if (codec_set_fmtp(st->set, st->n_set, x->enc, x->clock, x->channels, s.fmtp, s.fmtp_len,
			   s_fmtp, sizeof(s_fmtp)))
		s.fmtp = s_fmtp, s.fmtp_len = strlen(s_fmtp);
	rc = make_xcode(&r, &s, te_r && te_a, tune, &res->from_offerer);
	if (!rc)
		rc = make_xcode(&s, &r, te_r && te_a, tune, &res->from_answerer);
	if (rc) {
		xcode_free(res->from_offerer);
		res->from_offerer = NULL;
		return rc;
	}
	st->answer_fmts[0] = as_format(y);
	st->n_rw = 1;
	if (te_r && te_a) /* events only when both ends speak them */
		st->answer_fmts[st->n_rw++] = as_format(te_r);
	st->rw = st->answer_fmts;
	st->rw_ptime = r.ptime;
	st->rw_set = true;
	st->transcoding = true;
	return 0;
}

int codecneg_answer(struct codecneg *st, const struct sdp_media *m, const struct ng_codec_ops *ops,
		    const struct codecneg_tuning *tune, struct arena *a,
		    struct codecneg_result *res)
{
	const struct sdp_format *a0 = NULL;
	const struct neg_fmt *x, *y;

	memset(res, 0, sizeof(*res));
	if (!st)
		return 0;
	st->transcoding = false;
	st->rw_set = false;
	st->rw_ptime = 0;
	if (!m->rtp || m->port == 0)
		return 0;
	for (unsigned f = 0; f < m->n_formats && !a0; f++) {
		struct sdp_str enc = sdp_format_encoding(&m->formats[f]);

		if (m->formats[f].pt < 128 && !sdp_str_ieq(enc, "telephone-event") &&
		    !sdp_str_ieq(enc, "CN"))
			a0 = &m->formats[f];
	}
	x = a0 ? find_added(st, a0) : NULL;
	if (a0 && (st->force || ops->force_transcoding) && offered_fmt(st, a0->pt) &&
	    offered_fmt(st, a0->pt)->codec) {
		/* force transcoding: a codec both sides have is decoded and
		 * encoded again each way, as if they had none in common */
		x = offered_fmt(st, a0->pt);
		return bridge(st, m, a0, x, x, ops, tune, res);
	}
	if (!x || offered_pt(st, a0->pt)) /* a codec both sides have: forward */
		return filter_answer(st, m, a);
	y = pick_offerer_codec(st, ops);
	if (!x->codec) {
		res->warning =
			"the answer's codec was ignored in the offer and cannot be transcoded";
		return filter_answer(st, m, a);
	}
	if (!y) {
		res->warning = "no codec of the offerer can be transcoded";
		return filter_answer(st, m, a);
	}
	return bridge(st, m, a0, x, y, ops, tune, res);
}

void codecneg_rewrite(struct codecneg *st, struct sdp_media_rewrite *mr)
{
	if (!st || !st->rw_set)
		return;
	mr->formats = st->rw;
	mr->n_formats = st->n_rw;
	if (st->rw_ptime)
		mr->ptime = st->rw_ptime;
	st->rw_set = false; /* arena memory: this request only */
	st->rw = NULL;
}

bool codecneg_added(const struct codecneg *st)
{
	return st && st->n_added > 0;
}

bool codecneg_transcoding(const struct codecneg *st)
{
	return st && st->transcoding;
}

void codecneg_free(struct codecneg *st)
{
	free(st);
}

static void save_fmt(const struct neg_fmt *n, struct codecneg_saved_fmt *o)
{
	o->pt = n->pt;
	o->clock = n->clock;
	o->channels = n->channels;
	memcpy(o->enc, n->enc, sizeof(o->enc));
	memcpy(o->fmtp, n->fmtp, sizeof(o->fmtp));
}

bool codecneg_save(const struct codecneg *st, struct codecneg_saved *out)
{
	memset(out, 0, sizeof(*out));
	if (!st)
		return false;
	for (unsigned i = 0; i < st->n_offered; i++)
		save_fmt(&st->offered[i], &out->offered[i]);
	out->n_offered = st->n_offered;
	for (unsigned i = 0; i < st->n_added; i++)
		save_fmt(&st->added[i], &out->added[i]);
	out->n_added = st->n_added;
	out->offer_ptime = st->offer_ptime;
	out->opt_ptime = st->opt_ptime;
	out->opt_ptime_rev = st->opt_ptime_rev;
	out->force = st->force;
	out->transcoding = st->transcoding;
	memcpy(out->set, st->set, sizeof(out->set));
	out->n_set = st->n_set;
	return true;
}

/* One saved format back, as record() makes it from an SDP format. */
static int load_fmt(const struct codecneg_saved_fmt *f, struct neg_fmt *r, const char **why)
{
	if (f->pt > 127 || f->clock == 0 || f->clock > 192000 || f->channels > 8) {
		*why = "a format's payload type, clock or channels out of range";
		return -EINVAL;
	}
	if (!memchr(f->enc, '\0', sizeof(f->enc)) || !memchr(f->fmtp, '\0', sizeof(f->fmtp)) ||
	    !f->enc[0]) {
		*why = "a format's encoding or fmtp";
		return -EINVAL;
	}
	struct sdp_format sf = { .pt = f->pt,
				 .encoding = lit(f->enc),
				 .clock_rate = f->clock,
				 .channels = f->channels,
				 .fmtp = lit(f->fmtp) };
	record(r, &sf);
	return 0;
}

int codecneg_restore(struct codecneg **state, const struct codecneg_saved *in, const char **why)
{
	struct codecneg *st;
	int rc = -EINVAL;

	*why = NULL;
	if (in->n_offered > SDP_MAX_FORMATS || in->n_added > NEG_MAX_ADDED ||
	    in->n_set > CODEC_SET_MAX || in->offer_ptime > 1000 || in->opt_ptime > 1000 ||
	    in->opt_ptime_rev > 1000) {
		*why = "counts or ptimes out of range";
		return -EINVAL;
	}
	for (unsigned i = 0; i < in->n_set; i++)
		if (!memchr(in->set[i].enc, '\0', sizeof(in->set[i].enc)) ||
		    !memchr(in->set[i].params, '\0', sizeof(in->set[i].params)) ||
		    in->set[i].clock > 192000 || in->set[i].channels > 8) {
			*why = "a codec set item";
			return -EINVAL;
		}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (unsigned i = 0; i < in->n_offered; i++)
		if (load_fmt(&in->offered[i], &st->offered[i], why))
			goto fail;
	for (unsigned i = 0; i < in->n_added; i++)
		if (load_fmt(&in->added[i], &st->added[i], why))
			goto fail;
	st->n_offered = in->n_offered;
	st->n_added = in->n_added;
	st->offer_ptime = in->offer_ptime;
	st->opt_ptime = in->opt_ptime;
	st->opt_ptime_rev = in->opt_ptime_rev;
	st->force = in->force;
	st->transcoding = in->transcoding;
	memcpy(st->set, in->set, sizeof(st->set));
	st->n_set = in->n_set;
	codecneg_free(*state);
	*state = st;
	return 0;
fail:
	free(st);
	return rc;
}

int codecneg_media(struct call_media *sm, struct call_media *rm, const struct ng_request *req,
		   const struct sdp_media *m, const struct codecneg_tuning *tune, struct arena *a,
		   const char **warning)
{
	struct codecneg_result res;
	int rc;

	*warning = NULL;
	if (req->cmd == NG_CMD_OFFER) {
		/* A new offer negotiates afresh: until its answer, forward. The
		 * data plane frees the old transcoders when they are unpublished. */
		sm->xcode = rm->xcode = NULL;
		return codecneg_offer(&sm->codecs, m, &req->codec, a);
	}
	rc = codecneg_answer(rm->codecs, m, &req->codec, tune, a, &res);
	if (rc)
		return rc;
	rm->xcode = res.from_offerer;
	sm->xcode = res.from_answerer;
	*warning = res.warning;
	return 0;
}
