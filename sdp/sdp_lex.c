/*
 * sdp_lex.c: bounded lexical helpers shared by the SDP parser and rewriter.
 * Nothing here allocates; every function reads only inside the (pointer, length)
 * it is given.
 */
#include "sdp/sdp_lex.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

size_t sdp_line_content_len(const struct sdp_str *l)
{
	size_t n = l->len;

	if (n && l->s[n - 1] == '\n') {
		n--;
		if (n && l->s[n - 1] == '\r')
			n--;
	}
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

size_t sdp_tokens(const char *s, size_t n, struct sdp_str *tok, size_t max)
{
	size_t i = 0, count = 0;

	while (i < n) {
		while (i < n && is_blank(s[i]))
			i++;
		if (i == n)
			break;
		size_t start = i;
		while (i < n && !is_blank(s[i]))
			i++;
		if (count == max)
			return max + 1;
		tok[count].s = s + start;
		tok[count].len = i - start;
		count++;
	}
	return count;
}

int sdp_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

bool sdp_tok_eq(const struct sdp_str *t, const char *lit)
{
	size_t n = strlen(lit);

	return t->len == n && strncasecmp(t->s, lit, n) == 0;
}

static const struct {
	const char *name;
	enum sdp_attr_kind kind;
} attr_names[] = {
	{ "rtpmap", SDP_A_RTPMAP },
	{ "fmtp", SDP_A_FMTP },
	{ "rtcp-fb", SDP_A_RTCP_FB },
	{ "ptime", SDP_A_PTIME },
	{ "rtcp", SDP_A_RTCP },
	{ "rtcp-mux", SDP_A_RTCP_MUX },
	{ "sendrecv", SDP_A_SENDRECV },
	{ "sendonly", SDP_A_SENDONLY },
	{ "recvonly", SDP_A_RECVONLY },
	{ "inactive", SDP_A_INACTIVE },
	/* RFC 8839 ICE attributes: all of them go when ICE is removed */
	{ "ice-ufrag", SDP_A_ICE },
	{ "ice-pwd", SDP_A_ICE },
	{ "ice-options", SDP_A_ICE },
	{ "ice-lite", SDP_A_ICE },
	{ "ice-mismatch", SDP_A_ICE },
	{ "ice-pacing", SDP_A_ICE },
	{ "candidate", SDP_A_ICE },
	{ "remote-candidates", SDP_A_ICE },
	{ "end-of-candidates", SDP_A_ICE },
	{ "crypto", SDP_A_CRYPTO },
	{ "fingerprint", SDP_A_FINGERPRINT },
	{ "setup", SDP_A_SETUP },
	{ "tls-id", SDP_A_TLS_ID },
};

enum sdp_attr_kind sdp_attr_classify(const char *s, size_t n, struct sdp_str *value)
{
	const char *colon = memchr(s, ':', n);
	size_t name_len = colon ? (size_t)(colon - s) : n;

	/* flag attributes sometimes carry trailing blanks ("a=sendrecv ") */
	while (!colon && name_len && is_blank(s[name_len - 1]))
		name_len--;
	value->s = colon ? colon + 1 : s + n;
	value->len = colon ? n - name_len - 1 : 0;
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
		struct sdp_str t = { s, name_len };
		if (sdp_tok_eq(&t, attr_names[i].name))
			return attr_names[i].kind;
	}
	return SDP_A_OTHER;
}

enum sdp_dir sdp_attr_dir(enum sdp_attr_kind k)
{
	switch (k) {
	case SDP_A_SENDRECV:
		return SDP_DIR_SENDRECV;
	case SDP_A_SENDONLY:
		return SDP_DIR_SENDONLY;
	case SDP_A_RECVONLY:
		return SDP_DIR_RECVONLY;
	case SDP_A_INACTIVE:
		return SDP_DIR_INACTIVE;
	default:
		return SDP_DIR_NONE;
	}
}

int sdp_pt_prefix(const char *s, size_t n, unsigned *pt, struct sdp_str *rest)
{
	size_t i = 0;
	uint64_t v;

	while (i < n && !is_blank(s[i]))
		i++;
	if (i == 1 && s[0] == '*') {
		*pt = SDP_PT_ANY;
	} else {
		if (sdp_uint(s, i, 127, &v))
			return -EINVAL;
		*pt = (unsigned)v;
	}
	while (i < n && is_blank(s[i]))
		i++;
	rest->s = s + i;
	rest->len = n - i;
	return 0;
}
