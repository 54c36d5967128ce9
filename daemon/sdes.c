/*
 * sdes.c: SDES-SRTP keying of a call's media; see sdes.h for the rules.
 */
#include "daemon/sdes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "daemon/call.h"
#include "daemon/dtls_media.h"
#include "srtp/sdes.h"
#include "srtp/sr_rfc_keys.h"

#define SDES_MAX_LINES 16 /* a=crypto lines of one section that are looked at */

/* A line rtprelay writes to this party: its key is rtprelay's own key of
 * the suite (struct own_key) with these session parameters, no MKI. */
struct own_line {
	unsigned tag;
	enum sr_suite suite;
	uint8_t params; /* enum sr_param */
	bool lifetime;	/* "|2^31" written */
};

/* rtprelay's own master key of one suite towards the party. Own keys carry
 * no MKI, no parameters (a line adds its own) and no replay window. */
struct own_key {
	enum sr_suite suite;
	uint8_t master[SR_MAX_MASTER];
};

/* One party's SDES state, a call's for as long as it lasts: sized to what
 * was offered and used (the lines are heap arrays of their count), since
 * it is kept for every SRTP call (docs/architecture.md, SRTP). */
struct sdes_state {
	/* the endpoints' keys; pending: offered SRTP, not answered yet */
	struct sr_keys keys;
	/* what this party offered (usable lines, its order), when it offered */
	struct sdes_crypto *got;
	unsigned n_got;
	/* what rtprelay offered this party, when it was offered to */
	struct own_line *sent;
	unsigned n_sent;
	/* rtprelay's own keys towards this party, one per suite it was
	 * offered or answered with: made once, kept across re-INVITEs (the
	 * same key, the same contexts) */
	struct own_key *own;
	unsigned n_own;
	/* the line this party is answered with (its tag, rtprelay's key) */
	struct own_line answer;
	bool has_answer;
	bool sent_optional; /* on a plain profile (OSRTP) */
	/* this party's offer had a=fingerprint too, with DTLS not off: the
	 * answer to it is DTLS-SRTP (daemon/dtls_media.c), unless SDES-prefer
	 * chose its a=crypto (preferred) */
	bool dtls_alt, preferred;
	bool pending;
	/* this request's a=crypto lines for the SDP the party gets (arena) */
	bool replace;
	const char **out;
	unsigned n_out;
};

/* Suites rtprelay adds to an offer by its own choice, in this order; the
 * NULL-cipher suites only when asked for (SDES-only-) or offered. */
static const enum sr_suite default_suites[] = {
	SR_AES_CM_128_HMAC_SHA1_80, SR_AES_CM_128_HMAC_SHA1_32, SR_AES_192_CM_HMAC_SHA1_80,
	SR_AES_192_CM_HMAC_SHA1_32, SR_AES_256_CM_HMAC_SHA1_80, SR_AES_256_CM_HMAC_SHA1_32,
	SR_AEAD_AES_128_GCM,	    SR_AEAD_AES_256_GCM,
};

static bool proto_dtls(const char *p, size_t n)
{
	return p && n >= 7 && !strncasecmp(p, "UDP/TLS", 7);
}

/* RTP/SAVP[F]: keyed by SDES, or by DTLS-SRTP when the party answers (or
 * offers) a=fingerprint. UDP/TLS/RTP/SAVP[F] is keyed by DTLS
 * (daemon/dtls_media.c), unless SDES-prefer picks the offerer's a=crypto. */
static bool proto_secure(const char *p, size_t n)
{
	return p && memmem(p, n, "SAVP", 4) != NULL && !proto_dtls(p, n);
}

const char *sdes_refuse(struct arena *a, const struct ng_request *req,
			const struct sdp_session *sdp)
{
	(void)a;
	(void)req;
	(void)sdp;
	return NULL; /* DTLS-SRTP profiles are daemon/dtls_media.c's */
}

static struct sdes_state *state(struct call_media *m)
{
	if (!m->sdes)
		m->sdes = calloc(1, sizeof(*m->sdes));
	return m->sdes;
}

/* Key material is wiped before its memory goes back to the allocator. */
static void free_got(struct sdes_state *st)
{
	if (st->got)
		explicit_bzero(st->got, sizeof(*st->got) * st->n_got);
	free(st->got);
	st->got = NULL;
	st->n_got = 0;
}

static void free_own(struct sdes_state *st)
{
	if (st->own)
		explicit_bzero(st->own, sizeof(*st->own) * st->n_own);
	free(st->own);
	st->own = NULL;
	st->n_own = 0;
}

void sdes_free(struct call_media *m)
{
	if (!m->sdes)
		return;
	free_got(m->sdes);
	free_own(m->sdes);
	free(m->sdes->sent);
	explicit_bzero(m->sdes, sizeof(*m->sdes)); /* no keys left in freed memory */
	free(m->sdes);
	m->sdes = NULL;
}

/* Suite @s may be used under SDES-no-/only- (names as given). */
static bool listed(const char *const *names, unsigned n, enum sr_suite s)
{
	for (unsigned i = 0; i < n; i++)
		if (sr_suite_by_name(names[i], strlen(names[i])) == s)
			return true;
	return false;
}

static bool allowed(const struct ng_sdes *f, enum sr_suite s)
{
	if (f->n_only)
		return listed(f->only, f->n_only, s);
	return !listed(f->no, f->n_no, s);
}

static uint8_t sdes_params(const struct ng_sdes *f, uint8_t base)
{
	uint8_t p = base;

	if (f->set & NG_SDES_UNENCRYPTED_SRTP)
		p |= SR_UNENCRYPTED_SRTP;
	if (f->set & NG_SDES_UNENCRYPTED_SRTCP)
		p |= SR_UNENCRYPTED_SRTCP;
	if (f->set & NG_SDES_UNAUTHENTICATED_SRTP)
		p |= SR_UNAUTHENTICATED_SRTP;
	if (f->clear & NG_SDES_UNENCRYPTED_SRTP)
		p &= (uint8_t)~SR_UNENCRYPTED_SRTP;
	if (f->clear & NG_SDES_UNENCRYPTED_SRTCP)
		p &= (uint8_t)~SR_UNENCRYPTED_SRTCP;
	if (f->clear & NG_SDES_UNAUTHENTICATED_SRTP)
		p &= (uint8_t)~SR_UNAUTHENTICATED_SRTP;
	return p;
}

/* rtprelay's key for suite @s towards the party of @st, made on first use
 * from the kernel's CSPRNG. -EIO when it cannot be had (never a weak key). */
static const struct own_key *own_find(const struct sdes_state *st, enum sr_suite s)
{
	for (unsigned i = 0; i < st->n_own; i++)
		if (st->own[i].suite == s)
			return &st->own[i];
	return NULL;
}

static void own_to_key(const struct own_key *o, struct sr_key *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->master, o->master, sizeof(o->master));
}

/* rtprelay's key for suite @s towards the party of @st, made on first use
 * from the kernel's CSPRNG. -EIO when it cannot be had (never a weak key),
 * -ENOMEM. */
static int local_key(struct sdes_state *st, enum sr_suite s, struct sr_key *out)
{
	const struct own_key *o = own_find(st, s);

	if (!o) {
		size_t n = sr_master_len(s);
		struct own_key nk = { .suite = s };

		if (st->n_own >= SR_N_SUITES)
			return -EIO; /* one per suite: cannot happen */
		if (getrandom(nk.master, n, 0) != (ssize_t)n)
			return -EIO;
		/* grown by one, the old array wiped (reallocarray would leave
		 * a copy of the keys behind in freed memory) */
		struct own_key *a = calloc(st->n_own + 1, sizeof(*a));
		if (!a) {
			explicit_bzero(&nk, sizeof(nk));
			return -ENOMEM;
		}
		if (st->n_own)
			memcpy(a, st->own, sizeof(*a) * st->n_own);
		a[st->n_own] = nk;
		explicit_bzero(&nk, sizeof(nk));
		unsigned n_own = st->n_own + 1;
		free_own(st);
		st->own = a;
		st->n_own = n_own;
		o = &a[n_own - 1];
	}
	own_to_key(o, out);
	return 0;
}

/* The a=crypto line @l written to the party of @st, with its key. */
static int own_line_crypto(const struct sdes_state *st, const struct own_line *l,
			   struct sdes_crypto *out)
{
	const struct own_key *o = own_find(st, l->suite);

	memset(out, 0, sizeof(*out));
	if (!o)
		return -EINVAL;
	out->tag = l->tag;
	out->suite = l->suite;
	own_to_key(o, &out->key);
	out->key.params = l->params;
	out->lifetime = l->lifetime ? 31 : 0;
	out->lifetime_exp = true;
	return 0;
}

/* Suite @s may be keyed on this request: libsrtp derives its keys as the
 * RFC does (srtp/sr_rfc_keys.h), or SDES-only- names it. A suite libsrtp
 * keys otherwise (AES-192 on libsrtp 2.5) is neither offered nor accepted
 * by default: against an RFC peer every packet would fail authentication,
 * a call with silent media; SDES-only- names it for peers that derive as
 * libsrtp does (docs/architecture.md, SRTP). */
static bool rfc_keyed(const struct ng_sdes *f, enum sr_suite s)
{
	return sr_suite_rfc_keys(s) || listed(f->only, f->n_only, s);
}

/* The a=crypto lines of section @m, parsed: usable ones into @got. A
 * malformed line is an error (its reason in *err); a well-formed one with a
 * suite libsrtp lacks, or a suite name we do not know, or (@f: an offer's
 * SDES options) a suite libsrtp does not key as the RFC does, is skipped (the party offered others, or nothing is
 * usable: *unusable counts them). */
static int read_lines(struct arena *a, const struct ng_sdes *f, const struct sdp_session *s,
		      const struct sdp_media *m, struct sdes_crypto *got, unsigned *n_got,
		      unsigned *n_lines, unsigned *unusable, const char **unusable_why,
		      const char **err)
{
	*n_got = *n_lines = *unusable = 0;
	for (unsigned l = m->first_line; l < m->first_line + m->n_lines && l < s->n_lines; l++) {
		const struct sdp_str *line = &s->lines[l];
		size_t n = line->len;
		const char *why = NULL;
		struct sdes_crypto c;

		while (n && (line->s[n - 1] == '\n' || line->s[n - 1] == '\r'))
			n--;
		if (n < 9 || strncmp(line->s, "a=crypto:", 9))
			continue;
		(*n_lines)++;
		int prc = sdes_parse(line->s + 9, n - 9, &c, &why);
		if (prc == -ENOTSUP) { /* a suite we do not know: ignored (RFC 4568 6.1) */
			if (!*unusable)
				*unusable_why = why;
			(*unusable)++;
			continue;
		}
		if (prc) {
			*err = arena_printf(a, "Bad a=crypto line in media %u: %s",
					    (unsigned)(m - s->media) + 1, why);
			if (!*err)
				*err = "Bad a=crypto line";
			return -EINVAL;
		}
		struct sr_keys t = { .suite = c.suite, .local = c.key, .remote = c.key };
		const char *no = sr_keys_check(&t);
		if (!no && f && !rfc_keyed(f, c.suite))
			no = sr_suite_rfc_keys_why(c.suite);
		if (no) { /* libsrtp cannot do it (as the RFC does): not usable */
			if (!*unusable)
				*unusable_why = no;
			(*unusable)++;
			continue;
		}
		if (*n_got < SDES_MAX_LINES)
			got[(*n_got)++] = c;
	}
	return 0;
}

static const char *print_line(struct arena *a, const struct sdes_crypto *c, bool pad)
{
	char buf[SDES_MAX_LINE + 64];

	if (sdes_print(c, pad, buf, sizeof(buf)) < 0)
		return NULL;
	return arena_strndup(a, buf, strlen(buf));
}

static void set_out(struct sdes_state *st, const char **lines, unsigned n)
{
	st->replace = true;
	st->out = lines;
	st->n_out = n;
}

/* The offerer S's side of an offer: which of its lines it is answered with. */
static int offerer_side(const struct ng_request *req, struct sdes_state *ss, const char **err)
{
	const struct sdes_crypto *pick = NULL;

	if (req->sdes.is_static && ss->keys.suite != SR_SUITE_NONE)
		for (unsigned i = 0; i < ss->n_got && !pick; i++)
			if (ss->got[i].suite == ss->keys.suite)
				pick = &ss->got[i];
	for (unsigned i = 0; i < ss->n_got && !pick; i++)
		if (allowed(&req->sdes, ss->got[i].suite))
			pick = &ss->got[i];
	if (!pick) /* rtpengine: the top one stays for the answer to the offerer */
		pick = &ss->got[0];
	struct sr_keys k = { .suite = pick->suite, .remote = pick->key };
	int rc = local_key(ss, pick->suite, &k.local);

	if (rc)
		return *err = rc == -ENOMEM ? "Out of memory" : "No random numbers for an SRTP key",
		       rc;
	/* the answer mirrors the offer's session parameters (RFC 4568 6.3) */
	k.local.params = sdes_params(&req->sdes, pick->key.params);
	ss->answer = (struct own_line){ .tag = pick->tag,
					.suite = pick->suite,
					.params = k.local.params,
					.lifetime = req->sdes.lifetime };
	ss->has_answer = true;
	ss->keys = k;
	ss->pending = false;
	return 0;
}

/* The receiver R of an offer: the lines it is offered. */
static int offer_to(struct arena *a, const struct ng_request *req, const struct sdes_state *ss,
		    struct sdes_state *rs, bool optional, const char **err)
{
	const struct ng_sdes *f = &req->sdes;
	uint8_t base = ss && ss->n_got ? ss->got[0].key.params : 0;
	unsigned n = 0, next_tag = 1;
	enum sr_suite order[SR_N_SUITES + SDES_MAX_LINES];
	unsigned tags[SR_N_SUITES + SDES_MAX_LINES];
	unsigned n_order = 0;
	bool seen[SR_N_SUITES] = { false };

	for (unsigned i = 0; ss && i < ss->n_got; i++)
		if (ss->got[i].tag >= next_tag)
			next_tag = ss->got[i].tag + 1;
	for (unsigned i = 0; ss && i < ss->n_got; i++) {
		enum sr_suite s = ss->got[i].suite;

		if (seen[s] || !allowed(f, s))
			continue;
		seen[s] = true;
		tags[n_order] = ss->got[i].tag;
		order[n_order++] = s;
	}
	for (size_t i = 0; !f->nonew && i < sizeof(default_suites) / sizeof(default_suites[0]);
	     i++) {
		enum sr_suite s = default_suites[i];

		if (seen[s] || !allowed(f, s) || !sr_suite_available(s) || !rfc_keyed(f, s))
			continue;
		seen[s] = true;
		tags[n_order] = next_tag <= SDES_MAX_TAG ? next_tag++ : 0;
		order[n_order++] = s;
	}
	for (unsigned i = 0; !f->nonew && i < f->n_only; i++) {
		enum sr_suite s = sr_suite_by_name(f->only[i], strlen(f->only[i]));

		if (s == SR_SUITE_NONE || seen[s] || !sr_suite_available(s))
			continue;
		seen[s] = true;
		tags[n_order] = next_tag <= SDES_MAX_TAG ? next_tag++ : 0;
		order[n_order++] = s;
	}
	const char **lines = arena_alloc(a, sizeof(*lines) * (n_order ? n_order : 1));
	struct own_line *sent = calloc(n_order ? n_order : 1, sizeof(*sent));
	if (!lines || !sent) {
		free(sent);
		return *err = "Out of memory", -ENOMEM;
	}
	free(rs->sent);
	rs->sent = sent;
	rs->n_sent = 0;
	for (unsigned i = 0; i < n_order; i++) {
		struct sdes_crypto c = { .tag = tags[i], .suite = order[i] };
		int rc;

		if (!c.tag)
			continue;
		if ((rc = local_key(rs, c.suite, &c.key)))
			return *err = rc == -ENOMEM ? "Out of memory"
						    : "No random numbers for an SRTP key",
			       rc;
		c.key.params = sdes_params(f, base);
		if (sr_suite_aead(c.suite))
			c.key.params &= (uint8_t)~SR_UNAUTHENTICATED_SRTP;
		c.lifetime = f->lifetime ? 31 : 0;
		c.lifetime_exp = true;
		lines[n] = print_line(a, &c, f->pad);
		rs->sent[rs->n_sent++] = (struct own_line){ .tag = c.tag,
							    .suite = c.suite,
							    .params = c.key.params,
							    .lifetime = f->lifetime };
		explicit_bzero(&c.key, sizeof(c.key));
		if (!lines[n])
			return *err = "Out of memory", -ENOMEM;
		n++;
	}
	if (!n)
		return *err = "SDES: no crypto suite left to offer (SDES-no-/only-)", -EINVAL;
	rs->sent_optional = optional;
	set_out(rs, lines, n);
	/* R keeps the keys it has while its suite is still offered with the
	 * same key of ours (a re-INVITE): the contexts and rollover counters
	 * stay; otherwise nothing it sends can be checked until it answers */
	bool keep = false;
	for (unsigned i = 0; i < rs->n_sent && rs->keys.suite != SR_SUITE_NONE && !keep; i++) {
		struct sdes_crypto c;

		keep = rs->sent[i].suite == rs->keys.suite &&
		       !own_line_crypto(rs, &rs->sent[i], &c) &&
		       !memcmp(&c.key, &rs->keys.local, sizeof(rs->keys.local));
		explicit_bzero(&c, sizeof(c));
	}
	if (!keep) {
		memset(&rs->keys, 0, sizeof(rs->keys));
		rs->pending = true;
	}
	return 0;
}

static int do_offer(struct arena *a, const struct ng_request *req, const struct sdp_media *m,
		    struct call_media *sm, struct call_media *rm, const char *out_proto,
		    struct sdes_crypto *got, unsigned n_got, unsigned n_lines, unsigned unusable,
		    const char *why, bool s_fp, const char **err)
{
	bool s_secure = proto_secure(m->proto.s, m->proto.len);
	bool r_secure = proto_secure(out_proto, strlen(out_proto));
	/* S keys by DTLS-SRTP when its secure profile has a=fingerprint and
	 * DTLS is not off (daemon/dtls_media.c) */
	bool s_dtls = s_fp && req->dtls != NG_DTLS_OFF &&
		      (s_secure || proto_dtls(m->proto.s, m->proto.len));
	struct sdes_state *ss = NULL, *rs;
	int rc;

	if (s_secure && !n_got && unusable && !s_dtls) {
		*err = arena_printf(a, "SRTP: no usable a=crypto line (%s)", why);
		return *err ? -EINVAL : (*err = "SRTP: no usable a=crypto line", -EINVAL);
	}
	if (s_secure && !n_got && !s_dtls)
		return *err = req->dtls == NG_DTLS_OFF && s_fp
				      ? "SRTP: RTP/SAVP media without a=crypto and DTLS=off"
				      : "SRTP: RTP/SAVP media with neither a=crypto nor "
					"a=fingerprint",
		       -EINVAL;
	if (n_got || sm->sdes) {
		ss = state(sm);
		if (!ss)
			return *err = "Out of memory", -ENOMEM;
		free_got(ss);
		if (n_got) {
			ss->got = malloc(sizeof(*got) * n_got);
			if (!ss->got)
				return *err = "Out of memory", -ENOMEM;
			memcpy(ss->got, got, sizeof(*got) * n_got);
			ss->n_got = n_got;
		}
		ss->replace = false;
		ss->n_out = 0;
		ss->dtls_alt = s_dtls;
		ss->preferred = s_dtls && n_got && req->sdes.prefer;
		sm->sdes_preferred = ss->preferred;
		if (n_got) {
			rc = offerer_side(req, ss, err);
			if (rc)
				return rc;
		} else {
			memset(&ss->keys, 0, sizeof(ss->keys));
			ss->has_answer = ss->pending = false;
		}
	}
	/* a=crypto on a plain profile is OSRTP (RFC 8643); on a UDP/TLS one it
	 * is the offerer's alternative to DTLS, not an OSRTP offer */
	bool osrtp = !r_secure && ((n_got && !s_secure && !proto_dtls(m->proto.s, m->proto.len)) ||
				   (req->osrtp & NG_OSRTP_OFFER));
	bool r_sdes = !req->sdes.off && (r_secure || osrtp);

	/* SDES-off on RTP/SAVP[F]: DTLS-SRTP alone (dtls_for_receiver offers it) */
	if (r_secure && req->sdes.off && (req->dtls == NG_DTLS_OFF || !dtls_media_available()))
		return *err = req->dtls == NG_DTLS_OFF
				      ? "SDES=off and DTLS=off leave RTP/SAVP media without keying"
				      : "SDES=off leaves RTP/SAVP media without keying (DTLS-SRTP "
					"is "
					"not available)",
		       -EINVAL;
	if (!r_sdes && !n_lines && !rm->sdes)
		return 0; /* plain to plain: nothing to do */
	rs = state(rm);
	if (!rs)
		return *err = "Out of memory", -ENOMEM;
	rs->replace = n_lines > 0;
	rs->n_out = 0;
	free_got(rs);
	rs->has_answer = false;
	if (r_sdes)
		return offer_to(a, req, ss, rs, !r_secure, err);
	rs->n_sent = 0;
	memset(&rs->keys, 0, sizeof(rs->keys));
	rs->pending = false;
	return 0;
}

static int do_answer(struct arena *a, const struct ng_request *req, const struct sdp_media *m,
		     struct call_media *sm, struct call_media *rm, struct sdes_crypto *got,
		     unsigned n_got, unsigned n_lines, bool s_fp, const char **err)
{
	bool s_secure = proto_secure(m->proto.s, m->proto.len);
	/* S answers rtprelay's DTLS-SRTP offer (made alongside SDES, or alone)
	 * with a=fingerprint: DTLS keys it (daemon/dtls_media.c) */
	bool s_dtls = s_fp && dtls_media_offered(sm);
	struct sdes_state *ss = sm->sdes, *rs = rm->sdes;
	const struct own_line *match = NULL;
	const struct sdes_crypto *line = NULL;

	if (n_lines && (!ss || !ss->n_sent))
		return *err = "SRTP: a=crypto in an answer to an offer without SDES", -EINVAL;
	for (unsigned i = 0; ss && i < n_got && !match; i++)
		for (unsigned k = 0; k < ss->n_sent && !match; k++)
			if (ss->sent[k].tag == got[i].tag && ss->sent[k].suite == got[i].suite)
				match = &ss->sent[k], line = &got[i];
	if (n_lines && !match)
		return *err = "SRTP: no a=crypto line in the answer matches an offered tag and "
			      "suite",
		       -EINVAL;
	if (!match && s_secure && !s_dtls)
		return *err = "SRTP: RTP/SAVP answer with neither a=crypto nor a=fingerprint",
		       -EINVAL;
	if (!match && ss && ss->n_sent && !ss->sent_optional && !s_dtls)
		return *err = "SRTP: plain RTP answer to an SRTP (RTP/SAVP) offer", -EINVAL;
	if (ss) {
		ss->replace = false;
		ss->n_out = 0;
		ss->pending = false;
		memset(&ss->keys, 0, sizeof(ss->keys));
		if (match) {
			struct sdes_crypto c;

			if (own_line_crypto(ss, match, &c))
				return *err = "SDES: no own key for the answered suite", -EINVAL;
			ss->keys.suite = match->suite;
			ss->keys.local = c.key;
			ss->keys.remote = line->key;
			explicit_bzero(&c, sizeof(c));
		}
	}
	if (!rs && !n_lines)
		return 0; /* the offerer never spoke SDES, nor does the answer */
	rs = state(rm);
	if (!rs)
		return *err = "Out of memory", -ENOMEM;
	rs->n_out = 0;
	rs->replace = n_lines > 0 || rs->n_got > 0;
	/* R offered a=fingerprint too: DTLS answers it, unless it preferred SDES */
	bool r_secure = proto_secure(rm->proto, strlen(rm->proto)) || rs->preferred;
	bool r_dtls = rs->dtls_alt && !rs->preferred;
	if (rs->n_got && rs->has_answer && !r_dtls &&
	    (r_secure || match || (req->osrtp & NG_OSRTP_ACCEPT))) {
		const char **lines = arena_alloc(a, sizeof(*lines));
		struct sdes_crypto c;

		if (own_line_crypto(rs, &rs->answer, &c))
			return *err = "SDES: no own key for the answered suite", -EINVAL;
		if (lines)
			lines[0] = print_line(a, &c, req->sdes.pad);
		explicit_bzero(&c, sizeof(c));
		if (!lines || !lines[0])
			return *err = "Out of memory", -ENOMEM;
		set_out(rs, lines, 1);
		return 0; /* its keys were set with the offer */
	}
	memset(&rs->keys, 0, sizeof(rs->keys)); /* OSRTP declined: plain */
	rs->pending = false;
	return 0;
}

int sdes_negotiate(struct arena *a, const struct ng_request *req, const struct sdp_session *sdp,
		   const struct sdp_media *m, struct call_media *sm, struct call_media *rm,
		   const char *out_proto, const char **err)
{
	struct sdes_crypto got[SDES_MAX_LINES];
	unsigned n_got, n_lines, unusable;
	const char *why = NULL;
	int rc;

	if (sr_init())
		return *err = "SRTP library failed to initialise", -EIO;
	/* an answer's lines are checked against what rtprelay offered (do_answer):
	 * only an offer's are held to sr_suite_rfc_keys */
	rc = read_lines(a, req->cmd == NG_CMD_OFFER ? &req->sdes : NULL, sdp, m, got, &n_got,
			&n_lines, &unusable, &why, err);
	if (rc)
		return rc;
	if (m->port == 0) { /* a disabled media: no keys, its lines go as they are */
		if (sm->sdes) {
			memset(&sm->sdes->keys, 0, sizeof(sm->sdes->keys));
			sm->sdes->pending = sm->sdes->replace = false;
			sm->sdes->n_out = 0;
		}
		if (rm->sdes) {
			memset(&rm->sdes->keys, 0, sizeof(rm->sdes->keys));
			rm->sdes->pending = rm->sdes->replace = false;
			rm->sdes->n_out = 0;
		}
		return 0;
	}
	bool s_fp = dtls_sdp_fingerprint(sdp, m);

	if (req->cmd == NG_CMD_OFFER)
		return do_offer(a, req, m, sm, rm, out_proto, got, n_got, n_lines, unusable, why,
				s_fp, err);
	return do_answer(a, req, m, sm, rm, got, n_got, n_lines, s_fp, err);
}

void sdes_rewrite(struct arena *a, const struct call_media *rm, struct sdp_media_rewrite *mr)
{
	(void)a;
	if (!rm->sdes || !(rm->sdes->replace || rm->sdes->n_out))
		return;
	mr->replace_crypto = true;
	mr->crypto = rm->sdes->out;
	mr->n_crypto = rm->sdes->n_out;
}

void sdes_keys(const struct call_media *m, struct sr_keys *out, bool *pending)
{
	memset(out, 0, sizeof(*out));
	*pending = false;
	if (!m->sdes)
		return;
	*out = m->sdes->keys;
	*pending = m->sdes->pending;
}

const char *sdes_suite_name(const struct call_media *m)
{
	return m->sdes ? sr_suite_name(m->sdes->keys.suite) : NULL;
}

void sdes_save(const struct call_media *m, struct sdes_saved *out)
{
	memset(out, 0, sizeof(*out));
	if (!m->sdes)
		return;
	out->keys = m->sdes->keys;
	out->pending = m->sdes->pending;
	for (unsigned i = 0; i < m->sdes->n_own; i++) {
		const struct own_key *o = &m->sdes->own[i];

		own_to_key(o, &out->local[o->suite]);
		out->have_local[o->suite] = true;
	}
}

int sdes_restore(struct call_media *m, const struct sdes_saved *sv)
{
	if (!m->sdes)
		m->sdes = calloc(1, sizeof(*m->sdes));
	if (!m->sdes)
		return -ENOMEM;
	/* own keys: their master keys (an own key has no MKI, parameters
	 * or window, see struct own_key; a snapshot's are the same) */
	unsigned n = 0;
	for (int s = 1; s < SR_N_SUITES; s++)
		n += sv->have_local[s];
	struct own_key *own = n ? calloc(n, sizeof(*own)) : NULL;
	if (n && !own)
		return -ENOMEM;
	n = 0;
	for (int s = 1; s < SR_N_SUITES; s++)
		if (sv->have_local[s]) {
			own[n].suite = (enum sr_suite)s;
			memcpy(own[n++].master, sv->local[s].master, sizeof(own->master));
		}
	free_own(m->sdes);
	m->sdes->own = own;
	m->sdes->n_own = n;
	m->sdes->keys = sv->keys;
	m->sdes->pending = sv->pending;
	return 0;
}
