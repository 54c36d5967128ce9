/*
 * sdp.c: SDP (RFC 8866, RFC 4566) parser into struct sdp_session.
 *
 * The text is split into lines once (each keeps its "\n" or "\r\n" so that the
 * rewriter can copy it byte for byte); then each line is read for what the relay
 * needs: o=, s=, c=, m= and the attributes listed in sdp_lex.c. Everything else is
 * kept but not interpreted. A format without a=rtpmap takes the name, clock
 * rate and channels of its RFC 3551 static type from lib/rtp's table.
 *
 * Invariants: the parser never reads outside text[0..len), never recurses, and
 * every count (lines, media, formats, tokens) and number (ports, payload types,
 * clock rates, ptime) is bounded; a violation gives -EINVAL or -E2BIG with a
 * message "line N: ..." in *err (allocated in the arena, or a static string).
 */
#include "sdp/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/rtp.h"
#include "sdp/sdp_lex.h"

struct parse {
	struct arena *a;
	struct sdp_session *s;
	struct sdp_media *m; /* current media section, NULL at session level */
	unsigned lineno;     /* 1-based, for messages */
	const char **err;
	bool seen_origin;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parse *p, int rc, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (p->err) {
		char *msg = p->lineno ? arena_printf(p->a, "line %u: %s", p->lineno, buf)
				      : arena_printf(p->a, "%s", buf);
		*p->err = msg ? msg : "malformed SDP";
	}
	return rc;
}

/* RFC 3551 static payload types by number: name and channels from lib/rtp's
 * table (lib/rtp_shared.h), whose clock rates rtp_static_clock_rate gives. */
static const struct {
	const char *name;
	unsigned channels;
} static_pt[] = {
#define STATIC_PT(pt, name, clock, channels) [pt] = { name, channels },
	RTP_STATIC_PAYLOAD_TYPES(STATIC_PT)
#undef STATIC_PT
};

struct sdp_str sdp_format_encoding(const struct sdp_format *f)
{
	struct sdp_str r = { "", 0 };

	if (f->encoding.len)
		return f->encoding;
	if (f->pt < sizeof(static_pt) / sizeof(static_pt[0]) && static_pt[f->pt].name) {
		r.s = static_pt[f->pt].name;
		r.len = strlen(r.s);
	}
	return r;
}

const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, const struct sdp_media *m)
{
	return m->conn.present ? &m->conn : &s->conn;
}

/* "IN IP4 1.2.3.4" (tokens already split). Multicast "/ttl[/n]" suffixes are
 * dropped; host names are refused: the relay needs an address. */
static int parse_conn(struct parse *p, const struct sdp_str *tok, struct sdp_conn *c)
{
	size_t alen = tok[2].len;
	const char *slash = memchr(tok[2].s, '/', alen);
	unsigned char bin[16];

	if (!sdp_tok_eq(&tok[0], "IN"))
		return fail(p, -EINVAL, "network type is not IN");
	if (sdp_tok_eq(&tok[1], "IP4"))
		c->family = AF_INET;
	else if (sdp_tok_eq(&tok[1], "IP6"))
		c->family = AF_INET6;
	else
		return fail(p, -EINVAL, "address type is not IP4 or IP6");
	if (slash)
		alen = (size_t)(slash - tok[2].s);
	if (alen == 0 || alen >= SDP_MAX_ADDR)
		return fail(p, -EINVAL, "bad address length");
	memcpy(c->addr, tok[2].s, alen);
	c->addr[alen] = '\0';
	if (inet_pton(c->family, c->addr, bin) != 1)
		return fail(p, -EINVAL, "'%s' is not an %s address", c->addr,
			    c->family == AF_INET ? "IPv4" : "IPv6");
	c->zero = true;
	for (int i = 0; i < (c->family == AF_INET ? 4 : 16); i++)
		c->zero = c->zero && bin[i] == 0;
	c->present = true;
	return 0;
}

static int line_c(struct parse *p, const char *v, size_t n)
{
	struct sdp_conn *c = p->m ? &p->m->conn : &p->s->conn;
	struct sdp_str tok[3];

	if (c->present)
		return fail(p, -EINVAL, "duplicate c= line");
	if (sdp_tokens(v, n, tok, 3) != 3)
		return fail(p, -EINVAL, "c= line needs 3 fields");
	return parse_conn(p, tok, c);
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>.
 * The address is kept as written (phones put host names here); only its
 * length is checked. */
static int line_o(struct parse *p, const char *v, size_t n)
{
	struct sdp_session *s = p->s;
	struct sdp_str tok[6];

	if (p->m || p->seen_origin)
		return fail(p, -EINVAL, "misplaced or duplicate o= line");
	if (sdp_tokens(v, n, tok, 6) != 6)
		return fail(p, -EINVAL, "o= line needs 6 fields");
	if (tok[5].len >= SDP_MAX_ADDR)
		return fail(p, -EINVAL, "o= address too long");
	s->origin_user = tok[0];
	s->origin_sess_id = tok[1];
	s->origin_version = tok[2];
	s->origin_addr.family = sdp_tok_eq(&tok[4], "IP6") ? AF_INET6 : AF_INET;
	memcpy(s->origin_addr.addr, tok[5].s, tok[5].len);
	s->origin_addr.addr[tok[5].len] = '\0';
	s->origin_addr.present = true;
	p->seen_origin = true;
	return 0;
}

/* "5000" or "5000/2" */
static int parse_m_port(struct parse *p, const struct sdp_str *t, struct sdp_media *m)
{
	const char *slash = memchr(t->s, '/', t->len);
	size_t plen = slash ? (size_t)(slash - t->s) : t->len;
	uint64_t v;

	if (sdp_uint(t->s, plen, 65535, &v))
		return fail(p, -EINVAL, "bad m= port '%.*s'", (int)(t->len > 16 ? 16 : t->len),
			    t->s);
	m->port = (uint16_t)v;
	m->num_ports = 1;
	if (slash) {
		if (sdp_uint(slash + 1, t->len - plen - 1, 65535, &v) || v == 0 ||
		    m->port + v > 65536)
			return fail(p, -EINVAL, "bad m= port count");
		m->num_ports = (unsigned)v;
	}
	return 0;
}

static int add_format(struct parse *p, struct sdp_media *m, const struct sdp_str *t)
{
	struct sdp_format *f = &m->formats[m->n_formats];
	uint64_t v;

	f->token = *t;
	f->pt = SDP_PT_NONE;
	f->channels = 1;
	if (m->rtp) {
		if (sdp_uint(t->s, t->len, 127, &v))
			return fail(p, -EINVAL, "bad payload type '%.*s'",
				    (int)(t->len > 16 ? 16 : t->len), t->s);
		for (unsigned i = 0; i < m->n_formats; i++)
			if (m->formats[i].pt == v)
				return fail(p, -EINVAL, "duplicate payload type %u", (unsigned)v);
		f->pt = (unsigned)v;
		if (v < sizeof(static_pt) / sizeof(static_pt[0]) && static_pt[v].name) {
			f->clock_rate = rtp_static_clock_rate((unsigned)v);
			f->channels = static_pt[v].channels;
		}
	}
	m->n_formats++;
	return 0;
}

static int line_m(struct parse *p, const char *v, size_t n)
{
	struct sdp_session *s = p->s;
	struct sdp_str tok[SDP_MAX_FORMATS + 3];
	size_t nt = sdp_tokens(v, n, tok, SDP_MAX_FORMATS + 3);
	struct sdp_media *m;
	int rc;

	if (nt > SDP_MAX_FORMATS + 3)
		return fail(p, -E2BIG, "too many formats (max %d)", SDP_MAX_FORMATS);
	if (nt < 3)
		return fail(p, -EINVAL, "m= line needs media, port and protocol");
	if (s->n_media == SDP_MAX_MEDIA)
		return fail(p, -E2BIG, "too many media sections (max %d)", SDP_MAX_MEDIA);
	if (p->m)
		p->m->n_lines = p->lineno - 1 - p->m->first_line;
	m = &s->media[s->n_media];
	memset(m, 0, sizeof(*m));
	m->first_line = p->lineno - 1;
	m->type = tok[0];
	m->proto = tok[2];
	rc = parse_m_port(p, &tok[1], m);
	if (rc)
		return rc;
	/* RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, TCP/RTP/AVP, ...: payload types */
	m->rtp = memmem(tok[2].s, tok[2].len, "RTP/", 4) != NULL;
	for (size_t i = 3; i < nt; i++) {
		rc = add_format(p, m, &tok[i]);
		if (rc)
			return rc;
	}
	m->has_ice = s->has_ice; /* session-level ICE / DTLS cover this media too */
	m->has_crypto = s->has_crypto;
	s->n_media++;
	p->m = m;
	return 0;
}

static struct sdp_format *find_pt(struct sdp_media *m, unsigned pt)
{
	for (unsigned i = 0; i < m->n_formats; i++)
		if (m->formats[i].pt == pt)
			return &m->formats[i];
	return NULL;
}

/* rtpmap value: "<pt> <encoding>/<clock>[/<channels>]" */
static int attr_rtpmap(struct parse *p, const struct sdp_str *val)
{
	struct sdp_str rest, tok[3];
	unsigned pt;
	uint64_t clock, ch = 1;
	size_t left, nt;
	const char *e;

	if (sdp_pt_prefix(val->s, val->len, &pt, &rest) || pt == SDP_PT_ANY)
		return fail(p, -EINVAL, "bad a=rtpmap payload type");
	while (rest.len && (rest.s[rest.len - 1] == ' ' || rest.s[rest.len - 1] == '\t'))
		rest.len--;
	/* "<encoding>/<clock>[/<channels>]": two or three '/'-separated parts */
	for (nt = 0, e = rest.s, left = rest.len;; nt++) {
		const char *sl = memchr(e, '/', left);
		if (nt == 3)
			return fail(p, -EINVAL, "bad a=rtpmap for payload type %u", pt);
		tok[nt].s = e;
		tok[nt].len = sl ? (size_t)(sl - e) : left;
		if (!sl)
			break;
		left -= tok[nt].len + 1;
		e = sl + 1;
	}
	if (++nt < 2 || tok[0].len == 0)
		return fail(p, -EINVAL, "bad a=rtpmap for payload type %u", pt);
	if (tok[0].len > SDP_MAX_ENCODING)
		return fail(p, -EINVAL, "a=rtpmap encoding name too long");
	if (sdp_uint(tok[1].s, tok[1].len, 10000000, &clock) || clock == 0)
		return fail(p, -EINVAL, "bad a=rtpmap clock rate for payload type %u", pt);
	if (nt == 3 && (sdp_uint(tok[2].s, tok[2].len, 255, &ch) || ch == 0))
		return fail(p, -EINVAL, "bad a=rtpmap channels for payload type %u", pt);

	struct sdp_format *f = find_pt(p->m, pt);
	if (f && !f->encoding.len) { /* first rtpmap for a listed type wins */
		f->encoding = tok[0];
		f->clock_rate = (unsigned)clock;
		f->channels = (unsigned)ch;
	}
	return 0;
}

static int attr_fmtp(struct parse *p, const struct sdp_str *val)
{
	struct sdp_str rest;
	unsigned pt;

	if (sdp_pt_prefix(val->s, val->len, &pt, &rest) || pt == SDP_PT_ANY)
		return fail(p, -EINVAL, "bad a=fmtp payload type");
	struct sdp_format *f = find_pt(p->m, pt);
	if (f && !f->fmtp.len)
		f->fmtp = rest;
	return 0;
}

/* "20" (a few phones write "20.0": the fraction is ignored) */
static int attr_ptime(struct parse *p, const struct sdp_str *val)
{
	const char *dot = memchr(val->s, '.', val->len);
	size_t n = dot ? (size_t)(dot - val->s) : val->len;
	uint64_t v, frac;

	while (n && (val->s[n - 1] == ' ' || val->s[n - 1] == '\t'))
		n--;
	if (sdp_uint(val->s, n, 10000, &v) || v == 0)
		return fail(p, -EINVAL, "bad a=ptime");
	if (dot && sdp_uint(dot + 1, val->len - n - 1, UINT64_MAX, &frac))
		return fail(p, -EINVAL, "bad a=ptime");
	p->m->ptime = (unsigned)v;
	return 0;
}

/* RFC 3605: "a=rtcp:<port> [IN IP4 <addr>]" */
static int attr_rtcp(struct parse *p, const struct sdp_str *val)
{
	struct sdp_media *m = p->m;
	struct sdp_str tok[5];
	size_t nt = sdp_tokens(val->s, val->len, tok, 4);
	uint64_t port;

	if (nt != 1 && nt != 4)
		return fail(p, -EINVAL, "a=rtcp needs a port and an optional address");
	if (sdp_uint(tok[0].s, tok[0].len, 65535, &port))
		return fail(p, -EINVAL, "bad a=rtcp port");
	if (nt == 4) {
		int rc = parse_conn(p, &tok[1], &m->rtcp_conn);
		if (rc)
			return rc;
	}
	m->has_rtcp_attr = true;
	m->rtcp_port = (uint16_t)port;
	return 0;
}

static int line_a(struct parse *p, const char *v, size_t n)
{
	struct sdp_str val;
	enum sdp_attr_kind k = sdp_attr_classify(v, n, &val);
	struct sdp_media *m = p->m;

	if (sdp_attr_dir(k) != SDP_DIR_NONE) {
		if (m)
			m->dir = sdp_attr_dir(k);
		else
			p->s->dir = sdp_attr_dir(k);
		return 0;
	}
	if (k == SDP_A_ICE) {
		const char *colon = memchr(v, ':', n), *why = NULL;
		size_t nl = colon ? (size_t)(colon - v) : n;
		int rc;

		while (nl && (v[nl - 1] == ' ' || v[nl - 1] == '\t'))
			nl--;
		rc = sdp_ice_attr(m ? &m->ice : &p->s->ice, v, nl, val.s, val.len, &why);
		if (rc)
			return fail(p, rc, "%s", why ? why : "bad ICE attribute");
	}
	if (k == SDP_A_ICE || k == SDP_A_CRYPTO || k == SDP_A_FINGERPRINT) {
		bool *flag = k == SDP_A_ICE ? (m ? &m->has_ice : &p->s->has_ice)
					    : (m ? &m->has_crypto : &p->s->has_crypto);
		*flag = true;
		return 0;
	}
	if (!m) /* the rest only means something inside a media section */
		return 0;
	switch (k) {
	case SDP_A_RTPMAP:
		return m->rtp ? attr_rtpmap(p, &val) : 0;
	case SDP_A_FMTP:
		return m->rtp ? attr_fmtp(p, &val) : 0;
	case SDP_A_PTIME:
		return attr_ptime(p, &val);
	case SDP_A_RTCP:
		return attr_rtcp(p, &val);
	case SDP_A_RTCP_MUX:
		m->rtcp_mux = true;
		return 0;
	default:
		return 0;
	}
}

static int parse_line(struct parse *p, const struct sdp_str *l)
{
	size_t n = sdp_line_content_len(l);
	const char *t = l->s;

	if (memchr(t, '\r', n))
		return fail(p, -EINVAL, "stray CR inside a line");
	if (n > SDP_MAX_LINE_LEN)
		return fail(p, -E2BIG, "line longer than %d bytes", SDP_MAX_LINE_LEN);
	if (p->lineno == 1 && (n != 3 || memcmp(t, "v=0", 3) != 0))
		return fail(p, -EINVAL, "SDP must start with v=0");
	if (n == 0) /* tolerated (often a trailing empty line); kept as is */
		return 0;
	if (n < 2 || t[1] != '=' || !((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return fail(p, -EINVAL, "not a <type>=<value> line");
	switch (t[0]) {
	case 'v':
		return p->lineno == 1 ? 0 : fail(p, -EINVAL, "duplicate v= line");
	case 'o':
		return line_o(p, t + 2, n - 2);
	case 's':
		if (!p->m)
			p->s->session_name = (struct sdp_str){ t + 2, n - 2 };
		return 0;
	case 'c':
		return line_c(p, t + 2, n - 2);
	case 'm':
		return line_m(p, t + 2, n - 2);
	case 'a':
		return line_a(p, t + 2, n - 2);
	default:
		return 0;
	}
}

/* Split into lines, each with its terminator; the last may have none. */
static int split_lines(struct parse *p, const char *text, size_t len)
{
	struct sdp_session *s = p->s;
	size_t count = 0, start = 0;
	const char *nl;

	for (const char *q = text; (nl = memchr(q, '\n', len - (size_t)(q - text))); q = nl + 1)
		if (++count > SDP_MAX_LINES)
			return fail(p, -E2BIG, "more than %d lines", SDP_MAX_LINES);
	if (len && text[len - 1] != '\n' && ++count > SDP_MAX_LINES)
		return fail(p, -E2BIG, "more than %d lines", SDP_MAX_LINES);
	s->lines = arena_alloc(p->a, (count ? count : 1) * sizeof(*s->lines));
	if (!s->lines)
		return fail(p, -ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		s->lines[i].s = text + start;
		s->lines[i].len = end - start;
		start = end;
	}
	s->n_lines = (unsigned)count;
	s->lf_only = count && s->lines[0].len >= 1 && s->lines[0].s[s->lines[0].len - 1] == '\n' &&
		     (s->lines[0].len < 2 || s->lines[0].s[s->lines[0].len - 2] != '\r');
	return 0;
}

int sdp_parse(struct arena *a, const char *text, size_t len, struct sdp_session *out,
	      const char **err)
{
	struct parse p = { .a = a, .s = out, .err = err };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!text || len == 0)
		return fail(&p, -EINVAL, "empty SDP");
	if (len > SDP_MAX_LEN)
		return fail(&p, -E2BIG, "SDP longer than %d bytes", SDP_MAX_LEN);
	if (memchr(text, '\0', len))
		return fail(&p, -EINVAL, "NUL byte in SDP");
	out->text = text;
	out->len = len;
	rc = split_lines(&p, text, len);
	if (rc)
		return rc;
	for (unsigned i = 0; i < out->n_lines; i++) {
		p.lineno = i + 1;
		rc = parse_line(&p, &out->lines[i]);
		if (rc)
			return rc;
	}
	p.lineno = 0;
	if (p.m)
		p.m->n_lines = out->n_lines - p.m->first_line;
	if (!p.seen_origin)
		return fail(&p, -EINVAL, "no o= line");
	return 0;
}
