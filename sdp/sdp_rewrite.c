/*
 * sdp_rewrite.c: writes a parsed SDP back with the relay's addresses and ports.
 *
 * The output is the input's line sequence; a line is either copied byte for
 * byte (with its own terminator), replaced (new content, the old line's
 * terminator), dropped, or a new line is inserted (terminated like the first
 * input line: CRLF, or LF for LF-only input). The relay owns only: o= (on
 * request), s= (on request), c=, the m= port/protocol/format list, a=rtcp,
 * a=rtcp-mux, direction attributes and a=ptime (on request), ICE lines (on
 * removal) and a=rtpmap/a=fmtp/a=rtcp-fb (when the format list is replaced).
 * Lines are classified with the same sdp_lex.c helpers the parser used.
 *
 * A media section with keep=false, or with port 0 in the input (a disabled
 * stream stays disabled), is copied unchanged. The output lives in the arena
 * and is NUL-terminated for convenience (not counted in *out_len).
 */
#include "sdp/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sdp/sdp_lex.h"

struct out {
	struct arena *a;
	char *p;
	size_t len, cap;
	int err;
	bool open_line;	 /* the last line written had no terminator */
	const char *eol; /* for inserted lines */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap * 2 > o->len + n + 1 ? o->cap * 2 : o->len + n + 1;
		char *p = arena_alloc(o->a, cap);
		if (!p) {
			o->err = -ENOMEM;
			return;
		}
		memcpy(p, o->p, o->len);
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) { /* callers only format short items */
		o->err = o->err ? o->err : -EINVAL;
		return;
	}
	put(o, buf, (size_t)n);
}

/* Start a line: close a previous unterminated last line first. */
static void line_begin(struct out *o)
{
	if (o->open_line)
		puts_(o, o->eol);
	o->open_line = false;
}

static void copy_line(struct out *o, const struct sdp_str *l)
{
	line_begin(o);
	put(o, l->s, l->len);
	o->open_line = !l->len || l->s[l->len - 1] != '\n';
}

/* End a replaced line with the terminator of the input line it replaces. */
static void line_end_as(struct out *o, const struct sdp_str *l)
{
	size_t n = sdp_line_content_len(l);

	put(o, l->s + n, l->len - n);
	o->open_line = n == l->len;
}

static void line_end(struct out *o)
{
	puts_(o, o->eol);
}

static const char *family_tok(int family, const char *addr)
{
	if (family == AF_INET6 || (family == 0 && strchr(addr, ':')))
		return "IP6";
	return "IP4";
}

/* An address given by the caller must be an IP literal of its family. */
static int check_addr(const char *addr, int family)
{
	unsigned char bin[16];
	int af = family_tok(family, addr)[2] == '6' ? AF_INET6 : AF_INET;

	if (!addr || strlen(addr) >= SDP_MAX_ADDR || inet_pton(af, addr, bin) != 1)
		return -EINVAL;
	return 0;
}

static int check_text(const char *s, size_t n, size_t max)
{
	if (n == 0)
		return 0;
	if (!s || n > max || memchr(s, '\r', n) || memchr(s, '\n', n) || memchr(s, '\0', n))
		return -EINVAL;
	return 0;
}

static void put_conn(struct out *o, const char *addr, int family)
{
	puts_(o, "c=IN ");
	puts_(o, family_tok(family, addr));
	puts_(o, " ");
	puts_(o, addr);
}

/* ---- session section ---- */

struct sess_plan {
	const char *addr; /* session c= address, NULL = keep */
	int family;
	bool drop_ice; /* session-level ICE lines go */
};

static void plan_session(const struct sdp_session *s, const struct sdp_rewrite *rw,
			 struct sess_plan *sp)
{
	unsigned active = 0, ice_removed = 0;

	sp->addr = rw->session_addr;
	sp->family = rw->session_family;
	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media_rewrite *mr = &rw->media[i];
		bool rewritten = mr->keep && s->media[i].port != 0;
		if (s->media[i].port == 0)
			continue;
		active++;
		if (rewritten && mr->remove_ice)
			ice_removed++;
		/* by default the session c= follows the first rewritten media */
		if (!sp->addr && rewritten && mr->port && mr->addr) {
			sp->addr = mr->addr;
			sp->family = mr->family;
		}
	}
	/* session-level ICE credentials serve every media: drop them only when no
	 * active media keeps ICE */
	sp->drop_ice = active && ice_removed == active;
	if (sp->addr && s->conn.zero && rw->zero_address)
		sp->addr = NULL;
}

static void write_origin(struct out *o, const struct sdp_rewrite *rw, const struct sdp_str *l)
{
	struct sdp_str t[6];
	size_t n = sdp_line_content_len(l);
	uint64_t v;

	if (sdp_tokens(l->s + 2, n - 2, t, 6) != 6) { /* parser checked; be safe */
		copy_line(o, l);
		return;
	}
	line_begin(o);
	puts_(o, "o=");
	put(o, t[0].s, (size_t)(t[1].s + t[1].len - t[0].s)); /* user, sess-id as written */
	puts_(o, " ");
	if (rw->set_version || rw->version_given)
		putf(o, "%" PRIu64, rw->set_version);
	else if (rw->bump_version && !sdp_uint(t[2].s, t[2].len, UINT64_MAX - 1, &v))
		putf(o, "%" PRIu64, v + 1);
	else
		put(o, t[2].s, t[2].len);
	if (rw->origin_addr) {
		putf(o, " IN %s %s", family_tok(rw->origin_family, rw->origin_addr),
		     rw->origin_addr);
	} else {
		put(o, " ", 1);
		put(o, t[3].s, (size_t)(l->s + n - t[3].s));
	}
	line_end_as(o, l);
}

static bool is_dtls_attr(const char *s, size_t n)
{
	struct sdp_str val;
	enum sdp_attr_kind k = sdp_attr_classify(s, n, &val);

	return k == SDP_A_FINGERPRINT || k == SDP_A_SETUP || k == SDP_A_TLS_ID;
}

/* a=group:BUNDLE ... (the line's content after "a=", @n bytes). */
static bool is_bundle_group(const char *s, size_t n)
{
	return n >= 13 && !strncasecmp(s, "group:BUNDLE", 12) && (s[12] == ' ' || s[12] == '\t');
}

static void write_session(struct out *o, const struct sdp_session *s, const struct sdp_rewrite *rw,
			  const struct sess_plan *sp, unsigned end)
{
	struct sdp_str val;

	for (unsigned i = 0; i < end; i++) {
		const struct sdp_str *l = &s->lines[i];
		size_t n = sdp_line_content_len(l);
		char type = n >= 2 ? l->s[0] : 0;

		if (type == 'o' &&
		    (rw->origin_addr || rw->bump_version || rw->set_version || rw->version_given)) {
			write_origin(o, rw, l);
		} else if (type == 's' && rw->session_name) {
			line_begin(o);
			puts_(o, "s=");
			puts_(o, rw->session_name);
			line_end_as(o, l);
		} else if (type == 'c' && sp->addr) {
			line_begin(o);
			put_conn(o, sp->addr, sp->family);
			line_end_as(o, l);
		} else if (type == 'a' && sp->drop_ice &&
			   sdp_attr_classify(l->s + 2, n - 2, &val) == SDP_A_ICE) {
			continue;
		} else if (type == 'a' && rw->drop_dtls && is_dtls_attr(l->s + 2, n - 2)) {
			continue;
		} else if (type == 'a' && rw->drop_bundle && is_bundle_group(l->s + 2, n - 2)) {
			continue;
		} else {
			copy_line(o, l);
		}
	}
	if (rw->bundle_attr) {
		line_begin(o);
		puts_(o, rw->bundle_attr);
		line_end(o);
	}
	if (rw->session_attr) {
		line_begin(o);
		puts_(o, rw->session_attr);
		line_end(o);
	}
	if (rw->ice_lite) {
		line_begin(o);
		puts_(o, "a=ice-lite");
		line_end(o);
	}
}

/* ---- media sections ---- */

struct media_ctx {
	struct out *o;
	const struct sdp_session *s;
	const struct sdp_media *m;
	const struct sdp_media_rewrite *mr;
	const struct sdp_rewrite *rw;
	bool conn_pending;    /* a c= must be inserted after m=/i= */
	bool formats_pending; /* a=rtpmap/fmtp lines not yet written */
	bool seen_rtcp, seen_mux, seen_dir, seen_ptime;
};

static void write_m_line(struct media_ctx *c, const struct sdp_str *l, uint16_t port, bool replace)
{
	struct out *o = c->o;
	struct sdp_str t[SDP_MAX_FORMATS + 3];
	size_t n = sdp_line_content_len(l);
	size_t nt = sdp_tokens(l->s + 2, n - 2, t, SDP_MAX_FORMATS + 3);
	/* the transport of non-RTP media (udptl, DTLS/SCTP) is not ours to change */
	const char *proto = replace && c->m->rtp && c->mr->proto ? c->mr->proto : NULL;

	line_begin(o);
	/* a port count ("5000/2") is dropped: the relay offers one port (pair) */
	puts_(o, "m=");
	put(o, t[0].s, t[0].len);
	putf(o, " %u ", port);
	if (proto)
		puts_(o, proto);
	else
		put(o, t[2].s, t[2].len);
	if (replace && c->mr->formats) {
		for (unsigned i = 0; i < c->mr->n_formats; i++) {
			const struct sdp_format *f = &c->mr->formats[i];
			if (f->pt == SDP_PT_NONE) {
				put(o, " ", 1);
				put(o, f->token.s, f->token.len);
			} else {
				putf(o, " %u", f->pt);
			}
		}
	} else if (nt > 3) {
		put(o, t[2].s + t[2].len, (size_t)(l->s + n - (t[2].s + t[2].len)));
	}
	line_end_as(o, l);
}

static void write_conn_line(struct media_ctx *c, const struct sdp_str *replaces)
{
	line_begin(c->o);
	put_conn(c->o, c->mr->addr, c->mr->family);
	if (replaces)
		line_end_as(c->o, replaces);
	else
		line_end(c->o);
}

static void write_formats(struct media_ctx *c)
{
	struct out *o = c->o;

	c->formats_pending = false;
	for (unsigned i = 0; i < c->mr->n_formats; i++) {
		const struct sdp_format *f = &c->mr->formats[i];
		if (f->pt == SDP_PT_NONE)
			continue;
		if (f->encoding.len) {
			line_begin(o);
			putf(o, "a=rtpmap:%u ", f->pt);
			put(o, f->encoding.s, f->encoding.len);
			putf(o, "/%u", f->clock_rate);
			if (f->channels > 1)
				putf(o, "/%u", f->channels);
			line_end(o);
		}
		if (f->fmtp.len) {
			line_begin(o);
			putf(o, "a=fmtp:%u ", f->pt);
			put(o, f->fmtp.s, f->fmtp.len);
			line_end(o);
		}
	}
}

static void write_rtcp(struct media_ctx *c, const struct sdp_str *replaces)
{
	const struct sdp_media_rewrite *mr = c->mr;
	uint16_t port = mr->rtcp_mux ? mr->port : mr->rtcp_port;

	if (!port) /* not given: RFC 3550 convention, RTP + 1 */
		port = (uint16_t)(mr->port + 1);
	line_begin(c->o);
	putf(c->o, "a=rtcp:%u", port);
	if (mr->full_rtcp_attr && mr->addr)
		putf(c->o, " IN %s %s", family_tok(mr->family, mr->addr), mr->addr);
	if (replaces)
		line_end_as(c->o, replaces);
	else
		line_end(c->o);
}

static const char *dir_name(enum sdp_dir d)
{
	static const char *names[] = { "", "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive" };

	return (unsigned)d < 5 ? names[d] : "";
}

/* A whole-line attribute (content @text) replacing @replaces or inserted. */
static void write_attr(struct media_ctx *c, const char *text, const struct sdp_str *replaces)
{
	line_begin(c->o);
	puts_(c->o, text);
	if (replaces)
		line_end_as(c->o, replaces);
	else
		line_end(c->o);
}

static void write_ptime(struct media_ctx *c, const struct sdp_str *replaces)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "a=ptime:%u", c->mr->ptime);
	write_attr(c, buf, replaces);
}

static bool pt_listed(const struct sdp_media_rewrite *mr, unsigned pt)
{
	for (unsigned i = 0; i < mr->n_formats; i++)
		if (mr->formats[i].pt == pt)
			return true;
	return false;
}

/* a=ssrc:... or a=ssrc-group:... (the line's content after "a=", @n bytes). */
static bool is_ssrc_attr(const char *s, size_t n)
{
	return (n >= 5 && !strncasecmp(s, "ssrc:", 5)) ||
	       (n >= 11 && !strncasecmp(s, "ssrc-group:", 11));
}

/* An a= line of a rewritten media: copy, replace or drop. */
static void media_attr(struct media_ctx *c, const struct sdp_str *l)
{
	const struct sdp_media_rewrite *mr = c->mr;
	size_t n = sdp_line_content_len(l);
	struct sdp_str val, rest;
	enum sdp_attr_kind k = sdp_attr_classify(l->s + 2, n - 2, &val);
	unsigned pt;

	if (c->formats_pending)
		write_formats(c);
	if (k == SDP_A_ICE && mr->remove_ice)
		return;
	if (mr->drop_ssrc && is_ssrc_attr(l->s + 2, n - 2))
		return;
	if (n - 2 == 11 && !strncasecmp(l->s + 2, "bundle-only", 11))
		return; /* the relay decides (bundle_only) */
	if (k == SDP_A_CRYPTO && mr->replace_crypto)
		return;
	if ((k == SDP_A_FINGERPRINT || k == SDP_A_SETUP || k == SDP_A_TLS_ID) && mr->replace_dtls)
		return;
	if (k == SDP_A_RTCP) {
		if (!c->seen_rtcp && !mr->no_rtcp_attr)
			write_rtcp(c, l);
		c->seen_rtcp = true;
		return;
	}
	if (k == SDP_A_RTCP_MUX) {
		if (!c->seen_mux && mr->rtcp_mux)
			copy_line(c->o, l);
		c->seen_mux = true;
		return;
	}
	if (sdp_attr_dir(k) != SDP_DIR_NONE && mr->dir != SDP_DIR_NONE) {
		if (!c->seen_dir)
			write_attr(c, dir_name(mr->dir), l);
		c->seen_dir = true;
		return;
	}
	if (k == SDP_A_PTIME && mr->ptime) {
		if (!c->seen_ptime)
			write_ptime(c, l);
		c->seen_ptime = true;
		return;
	}
	if (mr->formats && (k == SDP_A_RTPMAP || k == SDP_A_FMTP))
		return; /* regenerated by write_formats */
	if (mr->formats && k == SDP_A_RTCP_FB && !sdp_pt_prefix(val.s, val.len, &pt, &rest) &&
	    pt != SDP_PT_ANY && !pt_listed(mr, pt))
		return; /* feedback for a format no longer offered */
	copy_line(c->o, l);
}

/* rtprelay's ICE lines (checked by check_rewrite). */
static void write_ice(struct out *o, const struct sdp_ice_out *ice)
{
	char buf[2 * SDP_ICE_MAX_ADDR + 256];

	line_begin(o);
	puts_(o, "a=ice-ufrag:");
	puts_(o, ice->ufrag);
	line_end(o);
	puts_(o, "a=ice-pwd:");
	puts_(o, ice->pwd);
	line_end(o);
	if (ice->trickle) {
		puts_(o, "a=ice-options:trickle");
		line_end(o);
	}
	for (unsigned i = 0; i < ice->n_cands; i++) {
		if (sdp_candidate_print(&ice->cands[i], buf, sizeof(buf)) < 0) {
			o->err = o->err ? o->err : -EINVAL;
			return;
		}
		puts_(o, "a=candidate:");
		puts_(o, buf);
		line_end(o);
	}
	if (ice->end_of_candidates) {
		puts_(o, "a=end-of-candidates");
		line_end(o);
	}
}

/* Lines the section still owes once its last line is out. */
static void media_tail(struct media_ctx *c)
{
	const struct sdp_media_rewrite *mr = c->mr;

	if (c->conn_pending)
		write_conn_line(c, NULL);
	c->conn_pending = false;
	if (c->formats_pending)
		write_formats(c);
	if (!c->seen_rtcp && !mr->no_rtcp_attr)
		write_rtcp(c, NULL);
	if (!c->seen_mux && mr->rtcp_mux)
		write_attr(c, "a=rtcp-mux", NULL);
	if (!c->seen_dir && mr->dir != SDP_DIR_NONE)
		write_attr(c, dir_name(mr->dir), NULL);
	if (!c->seen_ptime && mr->ptime)
		write_ptime(c, NULL);
	if (mr->mid) {
		line_begin(c->o);
		puts_(c->o, "a=mid:");
		puts_(c->o, mr->mid);
		line_end(c->o);
	}
	for (unsigned i = 0; mr->replace_crypto && i < mr->n_crypto; i++)
		write_attr(c, mr->crypto[i], NULL);
	for (unsigned i = 0; mr->replace_dtls && i < mr->n_dtls; i++)
		write_attr(c, mr->dtls[i], NULL);
	if (mr->extra_attr)
		write_attr(c, mr->extra_attr, NULL);
	if (mr->bundle_only)
		write_attr(c, "a=bundle-only", NULL);
	if (mr->ice)
		write_ice(c->o, mr->ice);
}

static void write_media_full(struct media_ctx *c)
{
	const struct sdp_media *m = c->m;
	const struct sdp_str *lines = c->s->lines;
	unsigned first = m->first_line, end = first + m->n_lines, body_end = end;

	/* trailing empty lines (end of text) stay after what we append */
	while (body_end > first + 1 && sdp_line_content_len(&lines[body_end - 1]) == 0)
		body_end--;
	c->conn_pending = c->mr->addr && !m->conn.present &&
			  !(c->rw->zero_address && c->s->conn.zero && !c->mr->replace_zero);
	c->formats_pending = c->mr->formats != NULL;
	write_m_line(c, &lines[first], c->mr->zero_port ? 0 : c->mr->port, true);
	for (unsigned i = first + 1; i < body_end; i++) {
		const struct sdp_str *l = &lines[i];
		char type = sdp_line_content_len(l) >= 2 ? l->s[0] : 0;

		/* RFC 8866 order: m=, i=, c=, b=, k=, a= */
		if (c->conn_pending && type != 'i') {
			write_conn_line(c, NULL);
			c->conn_pending = false;
		}
		if (type == 'c') {
			if (c->mr->addr &&
			    !(c->rw->zero_address && m->conn.zero && !c->mr->replace_zero))
				write_conn_line(c, l);
			else
				copy_line(c->o, l);
		} else if (type == 'a') {
			media_attr(c, l);
		} else {
			copy_line(c->o, l);
		}
	}
	media_tail(c);
	for (unsigned i = body_end; i < end; i++)
		copy_line(c->o, &lines[i]);
}

static void write_media(struct out *o, const struct sdp_session *s, const struct sdp_rewrite *rw,
			unsigned idx)
{
	const struct sdp_media *m = &s->media[idx];
	const struct sdp_media_rewrite *mr = &rw->media[idx];
	struct media_ctx c = { .o = o, .s = s, .m = m, .mr = mr, .rw = rw };
	struct sdp_str val;

	if (mr->keep && m->port != 0 && mr->port != 0) {
		write_media_full(&c);
		return;
	}
	for (unsigned i = m->first_line; i < m->first_line + m->n_lines; i++) {
		const struct sdp_str *l = &s->lines[i];
		size_t n = sdp_line_content_len(l);

		if (!mr->keep || m->port == 0) { /* untouched, or stays disabled */
			copy_line(o, l);
		} else if (i == m->first_line) { /* disabled by the relay */
			write_m_line(&c, l, 0, false);
		} else if (!(mr->remove_ice && l->s[0] == 'a' &&
			     sdp_attr_classify(l->s + 2, n - 2, &val) == SDP_A_ICE)) {
			copy_line(o, l);
		}
	}
}

static int check_ice(const struct sdp_ice_out *ice)
{
	char buf[2 * SDP_ICE_MAX_ADDR + 256];

	if (!ice->ufrag || !ice->pwd || strlen(ice->ufrag) > SDP_ICE_CRED_MAX ||
	    strlen(ice->pwd) > SDP_ICE_CRED_MAX || !*ice->ufrag || !*ice->pwd ||
	    !sdp_ice_chars(ice->ufrag, strlen(ice->ufrag)) ||
	    !sdp_ice_chars(ice->pwd, strlen(ice->pwd)) || ice->n_cands > SDP_ICE_MAX_CAND ||
	    (ice->n_cands && !ice->cands))
		return -EINVAL;
	for (unsigned i = 0; i < ice->n_cands; i++)
		if (sdp_candidate_print(&ice->cands[i], buf, sizeof(buf)) < 0)
			return -EINVAL;
	return 0;
}

static int check_rewrite(const struct sdp_session *s, const struct sdp_rewrite *rw)
{
	if (rw->session_addr && check_addr(rw->session_addr, rw->session_family))
		return -EINVAL;
	if (rw->origin_addr && check_addr(rw->origin_addr, rw->origin_family))
		return -EINVAL;
	if (rw->session_name && check_text(rw->session_name, strlen(rw->session_name), 1024))
		return -EINVAL;
	if (rw->session_attr && (strncmp(rw->session_attr, "a=", 2) ||
				 check_text(rw->session_attr, strlen(rw->session_attr), 1024)))
		return -EINVAL;
	if (rw->bundle_attr && (strncmp(rw->bundle_attr, "a=group:BUNDLE ", 15) ||
				check_text(rw->bundle_attr, strlen(rw->bundle_attr), 1024)))
		return -EINVAL;
	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media_rewrite *mr = &rw->media[i];
		if (!mr->keep)
			continue;
		if (mr->addr && check_addr(mr->addr, mr->family))
			return -EINVAL;
		if (mr->proto && (check_text(mr->proto, strlen(mr->proto), 64) ||
				  strpbrk(mr->proto, " \t") || !*mr->proto))
			return -EINVAL;
		if (mr->ptime > 10000)
			return -EINVAL;
		if (mr->extra_attr && (strncmp(mr->extra_attr, "a=", 2) ||
				       check_text(mr->extra_attr, strlen(mr->extra_attr), 1024)))
			return -EINVAL;
		if (mr->n_crypto > SDP_MAX_FORMATS || (mr->n_crypto && !mr->crypto))
			return -E2BIG;
		for (unsigned j = 0; j < mr->n_crypto; j++)
			if (!mr->crypto[j] || strncmp(mr->crypto[j], "a=crypto:", 9) ||
			    check_text(mr->crypto[j], strlen(mr->crypto[j]), 1024))
				return -EINVAL;
		if (mr->n_dtls > 8 || (mr->n_dtls && !mr->dtls))
			return -E2BIG;
		for (unsigned j = 0; j < mr->n_dtls; j++)
			if (!mr->dtls[j] || strncmp(mr->dtls[j], "a=", 2) ||
			    check_text(mr->dtls[j], strlen(mr->dtls[j]), 1024))
				return -EINVAL;
		if (mr->mid && (check_text(mr->mid, strlen(mr->mid), 256) ||
				strpbrk(mr->mid, " \t") || !*mr->mid))
			return -EINVAL;
		if (mr->n_formats > SDP_MAX_FORMATS || (mr->formats == NULL && mr->n_formats))
			return -E2BIG;
		if (mr->ice && check_ice(mr->ice))
			return -EINVAL;
		for (unsigned j = 0; mr->formats && j < mr->n_formats; j++) {
			const struct sdp_format *f = &mr->formats[j];
			if (check_text(f->encoding.s, f->encoding.len, SDP_MAX_ENCODING) ||
			    check_text(f->fmtp.s, f->fmtp.len, SDP_MAX_LINE_LEN) ||
			    (f->pt == SDP_PT_NONE &&
			     (check_text(f->token.s, f->token.len, SDP_MAX_LINE_LEN) ||
			      !f->token.len)) ||
			    (f->pt != SDP_PT_NONE && f->pt > 127) ||
			    (f->pt == SDP_PT_NONE && s->media[i].rtp) ||
			    (f->encoding.len &&
			     (f->clock_rate == 0 || f->clock_rate > 10000000 || f->channels > 255)))
				return -EINVAL;
		}
	}
	return 0;
}

int sdp_rewrite(struct arena *a, const struct sdp_session *s, const struct sdp_rewrite *rw,
		char **out, size_t *out_len)
{
	struct out o = { .a = a, .eol = s->lf_only ? "\n" : "\r\n" };
	struct sess_plan sp;
	int rc = check_rewrite(s, rw);

	if (rc)
		return rc;
	o.cap = s->len + 256 + 256 * (size_t)s->n_media;
	o.p = arena_alloc(a, o.cap);
	if (!o.p)
		return -ENOMEM;
	plan_session(s, rw, &sp);
	write_session(&o, s, rw, &sp, s->n_media ? s->media[0].first_line : s->n_lines);
	for (unsigned i = 0; i < s->n_media; i++)
		write_media(&o, s, rw, i);
	if (o.err)
		return o.err;
	*out = o.p;
	*out_len = o.len;
	return 0;
}
