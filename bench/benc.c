/* benc.c: minimal bencode writer and top-level dictionary lookup for the bench tools.
 * Invariant: no read ever goes past buf+len; nesting is bounded by BENC_MAX_DEPTH. */
#include "bench/benc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BENC_MAX_DEPTH 32

void benc_init(struct benc_out *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = 0;
}

void benc_raw(struct benc_out *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void benc_str(struct benc_out *b, const char *s, size_t n)
{
	char hdr[24];
	int h = snprintf(hdr, sizeof(hdr), "%zu:", n);

	benc_raw(b, hdr, (size_t)h);
	benc_raw(b, s, n);
}

void benc_kv(struct benc_out *b, const char *key, const char *val)
{
	benc_str(b, key, strlen(key));
	benc_str(b, val, strlen(val));
}

/* Parses "<len>:" at *pos and returns the string; -EINVAL when malformed or truncated. */
static int read_str(const char *buf, size_t len, size_t *pos, const char **s, size_t *n)
{
	size_t i = *pos, v = 0;

	if (i >= len || buf[i] < '0' || buf[i] > '9')
		return -EINVAL;
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (v > 100000000)
			return -EINVAL;
		v = v * 10 + (size_t)(buf[i] - '0');
		i++;
	}
	if (i >= len || buf[i] != ':' || v > len - i - 1)
		return -EINVAL;
	*s = buf + i + 1;
	*n = v;
	*pos = i + 1 + v;
	return 0;
}

/* Skips one value of any type starting at *pos. */
static int skip_value(const char *buf, size_t len, size_t *pos, int depth)
{
	const char *s;
	size_t n;

	if (*pos >= len || depth > BENC_MAX_DEPTH)
		return -EINVAL;
	switch (buf[*pos]) {
	case 'i': {
		const char *e = memchr(buf + *pos, 'e', len - *pos);

		if (!e)
			return -EINVAL;
		*pos = (size_t)(e - buf) + 1;
		return 0;
	}
	case 'l':
	case 'd':
		(*pos)++;
		while (*pos < len && buf[*pos] != 'e') {
			if (skip_value(buf, len, pos, depth + 1))
				return -EINVAL;
		}
		if (*pos >= len)
			return -EINVAL;
		(*pos)++;
		return 0;
	default:
		return read_str(buf, len, pos, &s, &n);
	}
}

int benc_dict_str(const char *buf, size_t len, const char *key, const char **val,
		  size_t *vlen)
{
	size_t pos = 1, klen_want = strlen(key);

	if (len < 2 || buf[0] != 'd')
		return -EINVAL;
	while (pos < len && buf[pos] != 'e') {
		const char *k;
		size_t kn;

		if (read_str(buf, len, &pos, &k, &kn))
			return -EINVAL;
		if (kn == klen_want && memcmp(k, key, kn) == 0) {
			if (pos < len && buf[pos] >= '0' && buf[pos] <= '9')
				return read_str(buf, len, &pos, val, vlen);
			return -ENOENT;
		}
		if (skip_value(buf, len, &pos, 1))
			return -EINVAL;
	}
	return -ENOENT;
}
