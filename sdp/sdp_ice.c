/*
 * sdp_ice.c: a=candidate and the ICE credential/option attributes
 * (sdp_ice.h), RFC 8839 grammar with bounds on every field.
 */
#include "sdp/sdp_ice.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp/sdp_lex.h"

bool sdp_ice_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return false;
	}
	return true;
}

/* A token (RFC 8866): visible ASCII except a few separators; here: no
 * control characters, no blanks, nothing above 0x7e. */
static bool token_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return n > 0;
}

/* connection-address: an IP literal or a host name (mDNS "<uuid>.local"). */
static bool addr_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == ':' || ch == '-' || ch == '_'))
			return false;
	}
	return n > 0;
}

static int copy_tok(char *dst, size_t cap, const struct sdp_str *t)
{
	if (t->len >= cap)
		return -EINVAL;
	memcpy(dst, t->s, t->len);
	dst[t->len] = '\0';
	return 0;
}

#define MAX_TOKENS (8 + 4 + 2 * SDP_ICE_MAX_EXT)

int sdp_candidate_parse(const char *s, size_t n, struct sdp_candidate *c, const char **why)
{
	struct sdp_str t[MAX_TOKENS];
	size_t nt = sdp_tokens(s, n, t, MAX_TOKENS);
	uint64_t v;
	size_t i;

	memset(c, 0, sizeof(*c));
	*why = NULL;
	if (nt > MAX_TOKENS)
		return *why = "too many fields", -EINVAL;
	if (nt < 8)
		return *why = "too few fields", -EINVAL;
	if (t[0].len > SDP_ICE_FOUNDATION_MAX || !t[0].len || !sdp_ice_chars(t[0].s, t[0].len))
		return *why = "bad foundation", -EINVAL;
	copy_tok(c->foundation, sizeof(c->foundation), &t[0]);
	if (sdp_uint(t[1].s, t[1].len, 256, &v) || v < 1 || t[1].len > 3)
		return *why = "bad component id", -EINVAL;
	c->component = (unsigned)v;
	if (!token_chars(t[2].s, t[2].len) || copy_tok(c->transport, sizeof(c->transport), &t[2]))
		return *why = "bad transport", -EINVAL;
	if (t[3].len > 10 || sdp_uint(t[3].s, t[3].len, 0x7fffffffu, &v) || v < 1)
		return *why = "bad priority", -EINVAL;
	c->priority = (uint32_t)v;
	if (!addr_chars(t[4].s, t[4].len) || copy_tok(c->addr, sizeof(c->addr), &t[4]))
		return *why = "bad connection address", -EINVAL;
	if (sdp_uint(t[5].s, t[5].len, 65535, &v))
		return *why = "bad port", -EINVAL;
	c->port = (uint16_t)v;
	if (!sdp_tok_eq(&t[6], "typ"))
		return *why = "no 'typ'", -EINVAL;
	if (!token_chars(t[7].s, t[7].len) || copy_tok(c->type, sizeof(c->type), &t[7]))
		return *why = "bad candidate type", -EINVAL;
	i = 8;
	if (i + 1 < nt && sdp_tok_eq(&t[i], "raddr")) {
		if (!addr_chars(t[i + 1].s, t[i + 1].len) ||
		    copy_tok(c->raddr, sizeof(c->raddr), &t[i + 1]))
			return *why = "bad raddr", -EINVAL;
		c->has_raddr = true;
		i += 2;
	}
	if (i + 1 < nt && sdp_tok_eq(&t[i], "rport")) {
		if (sdp_uint(t[i + 1].s, t[i + 1].len, 65535, &v))
			return *why = "bad rport", -EINVAL;
		c->rport = (uint16_t)v;
		c->has_rport = true;
		i += 2;
	}
	if ((nt - i) % 2)
		return *why = "extension without a value", -EINVAL;
	if ((nt - i) / 2 > SDP_ICE_MAX_EXT)
		return *why = "too many extensions", -EINVAL;
	for (size_t k = i; k < nt; k++)
		if (!token_chars(t[k].s, t[k].len) || t[k].len > 256)
			return *why = "bad extension", -EINVAL;
	if (i < nt) {
		c->ext = t[i].s;
		c->ext_len = (size_t)(t[nt - 1].s + t[nt - 1].len - t[i].s);
	}
	return 0;
}

int sdp_candidate_print(const struct sdp_candidate *c, char *buf, size_t cap)
{
	int n, m = 0;

	if (!c->foundation[0] || !sdp_ice_chars(c->foundation, strlen(c->foundation)) ||
	    c->component < 1 || c->component > 256 ||
	    !token_chars(c->transport, strlen(c->transport)) || c->priority < 1 ||
	    c->priority > 0x7fffffffu || !addr_chars(c->addr, strlen(c->addr)) ||
	    !token_chars(c->type, strlen(c->type)) ||
	    (c->has_raddr && !addr_chars(c->raddr, strlen(c->raddr))) ||
	    (c->ext_len && (!c->ext || memchr(c->ext, '\n', c->ext_len) ||
			    memchr(c->ext, '\r', c->ext_len) || memchr(c->ext, '\0', c->ext_len))))
		return -EINVAL;
	n = snprintf(buf, cap, "%s %u %s %u %s %u typ %s", c->foundation, c->component,
		     c->transport, c->priority, c->addr, c->port, c->type);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	if (c->has_raddr) {
		m = snprintf(buf + n, cap - (size_t)n, " raddr %s", c->raddr);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -ENOSPC;
		n += m;
	}
	if (c->has_rport) {
		m = snprintf(buf + n, cap - (size_t)n, " rport %u", c->rport);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -ENOSPC;
		n += m;
	}
	if (c->ext_len) {
		if (c->ext_len > 4096)
			return -ENOSPC;
		m = snprintf(buf + n, cap - (size_t)n, " %.*s", (int)c->ext_len, c->ext);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -ENOSPC;
		n += m;
	}
	return n;
}

uint32_t sdp_candidate_priority(unsigned type_pref, unsigned local_pref, unsigned component)
{
	if (component < 1 || component > 256)
		component = 256;
	return ((uint32_t)(type_pref & 0x7e) << 24) | ((uint32_t)(local_pref & 0xffff) << 8) |
	       (uint32_t)(256 - component);
}

static bool name_is(const char *name, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(name, lit, n) == 0;
}

/* ice-options: blank-separated tokens; remembers "trickle". */
static int ice_options(struct sdp_ice *ice, const char *v, size_t n, const char **why)
{
	struct sdp_str t[16];
	size_t nt = sdp_tokens(v, n, t, 16);

	if (nt > 16)
		return *why = "too many ice-options", -E2BIG;
	for (size_t i = 0; i < nt; i++) {
		if (!token_chars(t[i].s, t[i].len))
			return *why = "bad ice-options", -EINVAL;
		if (sdp_tok_eq(&t[i], "trickle"))
			ice->trickle = true;
	}
	return 0;
}

unsigned sdp_candidate_family(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return SDP_ICE_FAM_V4;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return SDP_ICE_FAM_V6;
	return SDP_ICE_FAM_NAME;
}

int sdp_ice_attr(struct sdp_ice *ice, const char *name, size_t name_len, const char *val,
		 size_t val_len, const char **why)
{
	struct sdp_candidate c;

	*why = NULL;
	/* trailing blanks are common; they are not part of a credential */
	while (val_len && (val[val_len - 1] == ' ' || val[val_len - 1] == '\t'))
		val_len--;
	if (name_is(name, name_len, "candidate")) {
		if (ice->n_candidates >= SDP_ICE_MAX_CAND)
			return *why = "too many a=candidate lines", -E2BIG;
		if (sdp_candidate_parse(val, val_len, &c, why))
			return -EINVAL;
		ice->n_candidates++;
		ice->families |= sdp_candidate_family(c.addr);
	} else if (name_is(name, name_len, "ice-ufrag")) {
		if (val_len > SDP_ICE_CRED_MAX || !token_chars(val, val_len))
			return *why = "bad a=ice-ufrag", -EINVAL;
		ice->ufrag = val;
		ice->ufrag_len = val_len;
	} else if (name_is(name, name_len, "ice-pwd")) {
		if (val_len > SDP_ICE_CRED_MAX || !token_chars(val, val_len))
			return *why = "bad a=ice-pwd", -EINVAL;
		ice->pwd = val;
		ice->pwd_len = val_len;
	} else if (name_is(name, name_len, "ice-lite")) {
		ice->lite = true;
	} else if (name_is(name, name_len, "end-of-candidates")) {
		ice->end_of_candidates = true;
	} else if (name_is(name, name_len, "ice-options")) {
		return ice_options(ice, val, val_len, why);
	}
	return 0;
}
