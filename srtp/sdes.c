/*
 * sdes.c: a=crypto (RFC 4568) parse and print; see sdes.h.
 */
#include "srtp/sdes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sdes_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0, pad = 0;

	while (pad < 2 && len > 0 && s[len - 1] == '=') /* at most "==" */
		len--, pad++;
	if ((len + pad) % 4 == 1 || (pad && (len + pad) % 4))
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* the bits left over must be zero (canonical encoding) */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return (int)n;
}

int sdes_b64_encode(const uint8_t *in, size_t len, bool pad, char *out, size_t cap)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		size_t chars = left >= 3 ? 4 : left + 1;
		if (n + 4 >= cap)
			return -1;
		for (size_t k = 0; k < chars; k++)
			out[n++] = tab[(v >> (18 - 6 * k)) & 63];
		for (size_t k = chars; pad && k < 4; k++)
			out[n++] = '=';
	}
	out[n] = '\0';
	return (int)n;
}

/* Decimal in s[0..len), 1..@digits digits, value <= @max. */
static bool dec(const char *s, size_t len, unsigned digits, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > digits)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

/* The next space-separated token of s[*pos..len). */
static bool token(const char *s, size_t len, size_t *pos, const char **t, size_t *tl)
{
	size_t i = *pos;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return false;
	*t = s + i;
	while (i < len && s[i] != ' ' && s[i] != '\t')
		i++;
	*tl = (size_t)(s + i - *t);
	*pos = i;
	return true;
}

static bool eq(const char *s, size_t len, const char *lit)
{
	return len == strlen(lit) && !strncasecmp(s, lit, len);
}

/* "|2^n" or "|n" (lifetime) or "|v:l" (MKI) after the key. */
static int key_extra(const char *f, size_t fl, struct sdes_crypto *c, bool *seen_lt,
		     bool *seen_mki, const char **err)
{
	const char *colon = memchr(f, ':', fl);
	uint64_t v, l;

	if (colon) {
		if (*seen_mki)
			return *err = "more than one MKI", -EINVAL;
		if (!dec(f, (size_t)(colon - f), 19, UINT64_MAX / 10, &v) ||
		    !dec(colon + 1, fl - (size_t)(colon - f) - 1, 3, SR_MAX_MKI, &l) || l == 0)
			return *err = "bad MKI (value:length, length 1..128)", -EINVAL;
		if (l < 8 && (v >> (8 * l)))
			return *err = "MKI value does not fit its length", -EINVAL;
		c->key.mki_len = (uint8_t)l;
		memset(c->key.mki, 0, sizeof(c->key.mki));
		for (unsigned i = 0; i < l && i < 8; i++)
			c->key.mki[l - 1 - i] = (uint8_t)(v >> (8 * i));
		*seen_mki = true;
		return 0;
	}
	if (*seen_lt || *seen_mki)
		return *err = "bad key parameters (lifetime after MKI, or twice)", -EINVAL;
	if (fl > 2 && f[0] == '2' && f[1] == '^') {
		if (!dec(f + 2, fl - 2, 2, 48, &v) || v == 0)
			return *err = "bad key lifetime (2^1..2^48)", -EINVAL;
		c->lifetime = (uint8_t)v;
		c->lifetime_exp = true;
	} else {
		if (!dec(f, fl, 15, 1ull << 48, &v) || v == 0)
			return *err = "bad key lifetime (1..2^48)", -EINVAL;
		c->lifetime_n = v;
		c->lifetime_exp = false;
		unsigned b = 0;
		while (b < 48 && (1ull << b) < v)
			b++;
		c->lifetime = (uint8_t)(b ? b : 1);
	}
	*seen_lt = true;
	return 0;
}

/* "inline:<key>[|lifetime][|mki:len]" */
static int key_param(const char *t, size_t tl, struct sdes_crypto *c, const char **err)
{
	size_t want = sr_master_len(c->suite);
	uint8_t buf[SR_MAX_MASTER + 3];
	bool seen_lt = false, seen_mki = false;
	const char *bar;
	int n;

	if (tl < 7 || strncasecmp(t, "inline:", 7))
		return *err = "key method is not inline:", -EINVAL;
	t += 7;
	tl -= 7;
	if (memchr(t, ';', tl))
		return *err = "more than one key on a crypto line", -EINVAL;
	bar = memchr(t, '|', tl);
	size_t kl = bar ? (size_t)(bar - t) : tl;
	if (kl > 4 * ((sizeof(buf) + 2) / 3))
		return *err = "key too long", -EINVAL;
	n = sdes_b64_decode(t, kl, buf, sizeof(buf));
	if (n < 0)
		return *err = "bad base64 in key", -EINVAL;
	if ((size_t)n != want)
		return *err = "key length does not fit the crypto suite", -EINVAL;
	memcpy(c->key.master, buf, want);
	memset(buf, 0, sizeof(buf));
	while (bar) {
		const char *f = bar + 1;
		size_t rest = tl - (size_t)(f - t);

		bar = memchr(f, '|', rest);
		size_t fl = bar ? (size_t)(bar - f) : rest;
		if (key_extra(f, fl, c, &seen_lt, &seen_mki, err))
			return -EINVAL;
	}
	return 0;
}

static int session_param(const char *t, size_t tl, struct sdes_crypto *c, const char **err)
{
	uint64_t v;

	if (eq(t, tl, "UNENCRYPTED_SRTP"))
		c->key.params |= SR_UNENCRYPTED_SRTP;
	else if (eq(t, tl, "UNENCRYPTED_SRTCP"))
		c->key.params |= SR_UNENCRYPTED_SRTCP;
	else if (eq(t, tl, "UNAUTHENTICATED_SRTP"))
		c->key.params |= SR_UNAUTHENTICATED_SRTP;
	else if (tl > 4 && !strncasecmp(t, "WSH=", 4)) {
		if (!dec(t + 4, tl - 4, 5, 0x7fff, &v) || v < 64)
			return *err = "bad WSH (64..32767)", -EINVAL;
		c->key.window = (uint16_t)v;
	} else if (tl > 4 && !strncasecmp(t, "KDR=", 4)) {
		if (!dec(t + 4, tl - 4, 2, 24, &v))
			return *err = "bad KDR", -EINVAL;
		if (v)
			return *err = "KDR other than 0 is not supported", -EINVAL;
	} else if ((tl > 10 && !strncasecmp(t, "FEC_ORDER=", 10)) ||
		   (tl > 8 && !strncasecmp(t, "FEC_KEY=", 8))) {
		return *err = "FEC_ORDER/FEC_KEY are not supported", -EINVAL;
	} else {
		return *err = "unknown session parameter", -EINVAL;
	}
	return 0;
}

int sdes_parse(const char *s, size_t len, struct sdes_crypto *c, const char **err)
{
	const char *t;
	size_t tl, pos = 0;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	if (len > SDES_MAX_LINE)
		return *err = "crypto line too long", -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return *err = "control character in crypto line", -EINVAL;
	if (!token(s, len, &pos, &t, &tl) || !dec(t, tl, 9, SDES_MAX_TAG, &v) || v == 0)
		return *err = "bad crypto tag", -EINVAL;
	c->tag = (unsigned)v;
	if (!token(s, len, &pos, &t, &tl))
		return *err = "no crypto suite", -EINVAL;
	c->suite = sr_suite_by_name(t, tl);
	if (c->suite == SR_SUITE_NONE) /* RFC 4568 6.1: such a line is ignored */
		return *err = "unknown crypto suite", -ENOTSUP;
	if (!token(s, len, &pos, &t, &tl))
		return *err = "no key parameters", -EINVAL;
	if (key_param(t, tl, c, err))
		return -EINVAL;
	while (token(s, len, &pos, &t, &tl))
		if (session_param(t, tl, c, err))
			return -EINVAL;
	return 0;
}

int sdes_print(const struct sdes_crypto *c, bool pad, char *buf, size_t cap)
{
	char key[80], extra[64] = "";
	const char *name = sr_suite_name(c->suite);
	int n;

	if (!name || sdes_b64_encode(c->key.master, sr_master_len(c->suite), pad, key,
				     sizeof(key)) < 0)
		return -1;
	if (c->lifetime && c->lifetime_exp)
		snprintf(extra, sizeof(extra), "|2^%u", c->lifetime);
	else if (c->lifetime)
		snprintf(extra, sizeof(extra), "|%llu", (unsigned long long)c->lifetime_n);
	if (c->key.mki_len) {
		uint64_t v = 0;
		size_t e = strlen(extra);

		/* the value parse_mki can hold: the last 8 bytes */
		for (unsigned i = c->key.mki_len > 8 ? c->key.mki_len - 8u : 0; i < c->key.mki_len;
		     i++)
			v = (v << 8) | c->key.mki[i];
		snprintf(extra + e, sizeof(extra) - e, "|%llu:%u", (unsigned long long)v,
			 c->key.mki_len);
	}
	n = snprintf(buf, cap, "a=crypto:%u %s inline:%s%s%s%s%s", c->tag, name, key, extra,
		     (c->key.params & SR_UNENCRYPTED_SRTP) ? " UNENCRYPTED_SRTP" : "",
		     (c->key.params & SR_UNENCRYPTED_SRTCP) ? " UNENCRYPTED_SRTCP" : "",
		     (c->key.params & SR_UNAUTHENTICATED_SRTP) ? " UNAUTHENTICATED_SRTP" : "");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	if (c->key.window) {
		int m = snprintf(buf + n, cap - (size_t)n, " WSH=%u", c->key.window);

		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -1;
		n += m;
	}
	return n;
}
