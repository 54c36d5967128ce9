/*
 * bencode.c: bencode decoder/encoder for ng messages (see bencode.h).
 *
 * The decoder never recurses: open lists/dicts sit on a fixed stack of
 * NG_MAX_DEPTH entries, so one hostile datagram of 10^5 'l' bytes fails with
 * -E2BIG instead of eating the control thread's stack. It accepts only the
 * canonical form (no leading zeros in lengths or integers, no "-0"), which is
 * what every proxy sends and is what makes decode -> encode byte-exact. Dict
 * keys keep their order and may repeat (lookups return the first); unsorted
 * keys are accepted because Kamailio does not sort them.
 */
#include "control/bencode.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct frame {
	struct ng_node *node; /* open NG_LIST or NG_DICT */
	const char *key;      /* dict: key read, value pending (NULL = expect key) */
	size_t key_len;
};

struct dec {
	struct arena *a;
	const uint8_t *buf;
	size_t len;
	size_t pos;
	size_t nodes;
	const char *err;
	int rc; /* errno of the first failure */
	struct frame stack[NG_MAX_DEPTH];
	unsigned sp;
};

static int fail(struct dec *d, int rc, const char *why)
{
	d->err = why;
	d->rc = rc;
	return rc;
}

/* Canonical non-negative decimal up to @stop; leaves pos on @stop. */
static int read_uint(struct dec *d, uint8_t stop, uint64_t max, uint64_t *out)
{
	size_t start = d->pos;
	uint64_t v = 0;

	while (d->pos < d->len && d->buf[d->pos] != stop) {
		uint8_t c = d->buf[d->pos];

		if (c < '0' || c > '9')
			return fail(d, -EINVAL, "bencode: bad digit");
		if (v > (max - (c - '0')) / 10)
			return fail(d, -E2BIG, "bencode: number too large");
		v = v * 10 + (c - '0');
		d->pos++;
	}
	if (d->pos >= d->len)
		return fail(d, -EINVAL, "bencode: truncated number");
	if (d->pos == start)
		return fail(d, -EINVAL, "bencode: empty number");
	if (d->buf[start] == '0' && d->pos - start > 1)
		return fail(d, -EINVAL, "bencode: leading zero");
	d->pos++; /* the stop byte */
	*out = v;
	return 0;
}

/* "<len>:<bytes>" at pos; sets *s and *n pointing into the input. */
static int read_bytes(struct dec *d, const char **s, size_t *n)
{
	uint64_t l;
	int rc = read_uint(d, ':', NG_MAX_MESSAGE, &l);

	if (rc < 0)
		return rc;
	if (l > d->len - d->pos)
		return fail(d, -EINVAL, "bencode: string longer than message");
	*s = (const char *)d->buf + d->pos;
	*n = (size_t)l;
	d->pos += (size_t)l;
	return 0;
}

static struct ng_node *new_counted(struct dec *d, enum ng_type t)
{
	struct ng_node *n;

	if (++d->nodes > NG_MAX_NODES) {
		fail(d, -E2BIG, "bencode: too many nodes");
		return NULL;
	}
	n = arena_alloc(d->a, sizeof(*n));
	if (!n) {
		fail(d, -ENOMEM, "bencode: out of memory");
		return NULL;
	}
	n->type = t;
	return n;
}

static int read_int(struct dec *d, int64_t *out)
{
	bool neg = false;
	uint64_t v;
	int rc;

	d->pos++; /* 'i' */
	if (d->pos < d->len && d->buf[d->pos] == '-') {
		neg = true;
		d->pos++;
	}
	rc = read_uint(d, 'e', neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);
	if (rc < 0)
		return rc;
	if (neg && v == 0)
		return fail(d, -EINVAL, "bencode: negative zero");
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Parse one scalar, or open one container, at pos into *out. */
static int read_value(struct dec *d, struct ng_node **out)
{
	uint8_t c = d->buf[d->pos];
	struct ng_node *n;
	const char *s = NULL;
	enum ng_type t;
	int64_t num = 0;
	size_t l = 0;
	int rc = 0;

	if (c == 'l' || c == 'd') {
		if (d->sp >= NG_MAX_DEPTH)
			return fail(d, -E2BIG, "bencode: nested too deeply");
		t = c == 'l' ? NG_LIST : NG_DICT;
		d->pos++;
	} else if (c == 'i') {
		t = NG_INT;
		rc = read_int(d, &num);
	} else if (c >= '0' && c <= '9') {
		t = NG_STR;
		rc = read_bytes(d, &s, &l);
	} else {
		return fail(d, -EINVAL, "bencode: unexpected byte");
	}
	if (rc < 0)
		return rc;
	n = new_counted(d, t);
	if (!n)
		return d->rc;
	n->num = num;
	if (t == NG_STR) {
		n->str = arena_strndup(d->a, s, l);
		if (!n->str)
			return fail(d, -ENOMEM, "bencode: out of memory");
		n->str_len = l;
	}
	*out = n;
	return 0;
}

static void attach(struct frame *f, struct ng_node *n)
{
	n->next = NULL;
	if (f->node->last)
		f->node->last->next = n;
	else
		f->node->child = n;
	f->node->last = n;
	f->node->count++;
	if (f->node->type == NG_DICT) {
		n->key = f->key;
		n->key_len = f->key_len;
		f->key = NULL;
	}
}

/* One step inside an open container: close it, read a key, or read a member. */
static int step(struct dec *d)
{
	struct frame *f = &d->stack[d->sp - 1];
	struct ng_node *n;
	int rc;

	if (d->pos >= d->len)
		return fail(d, -EINVAL, "bencode: truncated");
	if (d->buf[d->pos] == 'e') {
		if (f->key)
			return fail(d, -EINVAL, "bencode: dict key without value");
		d->pos++;
		d->sp--;
		return 0;
	}
	if (f->node->type == NG_DICT && !f->key) {
		const char *s;
		size_t l;

		if (d->buf[d->pos] < '0' || d->buf[d->pos] > '9')
			return fail(d, -EINVAL, "bencode: dict key is not a string");
		if ((rc = read_bytes(d, &s, &l)) < 0)
			return rc;
		if (!(f->key = arena_strndup(d->a, s, l)))
			return fail(d, -ENOMEM, "bencode: out of memory");
		f->key_len = l;
		return 0;
	}
	if ((rc = read_value(d, &n)) < 0)
		return rc;
	attach(f, n);
	if (n->type == NG_LIST || n->type == NG_DICT)
		d->stack[d->sp++] = (struct frame){ .node = n };
	return 0;
}

int bencode_decode(struct arena *a, const uint8_t *buf, size_t len, struct ng_node **out,
		   const char **err)
{
	struct dec d = { .a = a, .buf = buf, .len = len };
	struct ng_node *root = NULL;
	int rc;

	if (len == 0) {
		rc = fail(&d, -EINVAL, "bencode: empty");
		goto out;
	}
	if (len > NG_MAX_MESSAGE) {
		rc = fail(&d, -E2BIG, "bencode: message too large");
		goto out;
	}
	if ((rc = read_value(&d, &root)) < 0)
		goto out;
	if (root->type == NG_LIST || root->type == NG_DICT)
		d.stack[d.sp++] = (struct frame){ .node = root };
	while (d.sp > 0)
		if ((rc = step(&d)) < 0)
			goto out;
	if (d.pos != len) {
		rc = fail(&d, -EINVAL, "bencode: trailing bytes after value");
		goto out;
	}
	*out = root;
	return 0;
out:
	if (err)
		*err = d.err;
	return rc;
}

/* --- encoder --- */

struct enc {
	char *buf;
	size_t cap;
	size_t pos;
};

static int put(struct enc *e, const void *p, size_t n)
{
	if (n > e->cap - e->pos)
		return -ENOSPC;
	memcpy(e->buf + e->pos, p, n);
	e->pos += n;
	return 0;
}

static int put_bytes(struct enc *e, const char *s, size_t n)
{
	char hdr[32];
	int l = snprintf(hdr, sizeof(hdr), "%zu:", n);

	if (put(e, hdr, (size_t)l) < 0)
		return -ENOSPC;
	return put(e, s, n);
}

/* Recursion bounded by NG_MAX_DEPTH: a tree built in code deeper than any
 * decoder accepts is a bug, reported as -EINVAL. */
static int enc_node(struct enc *e, const struct ng_node *n, unsigned depth)
{
	const struct ng_node *c;
	char tmp[32];
	int l, rc;

	switch (n->type) {
	case NG_STR:
		return put_bytes(e, n->str ? n->str : "", n->str ? n->str_len : 0);
	case NG_INT:
		l = snprintf(tmp, sizeof(tmp), "i%" PRId64 "e", n->num);
		return put(e, tmp, (size_t)l);
	case NG_LIST:
	case NG_DICT:
		if (depth >= NG_MAX_DEPTH)
			return -EINVAL;
		if ((rc = put(e, n->type == NG_LIST ? "l" : "d", 1)) < 0)
			return rc;
		for (c = n->child; c; c = c->next) {
			if (n->type == NG_DICT &&
			    (rc = put_bytes(e, c->key ? c->key : "", c->key ? c->key_len : 0)) < 0)
				return rc;
			if ((rc = enc_node(e, c, depth + 1)) < 0)
				return rc;
		}
		return put(e, "e", 1);
	}
	return -EINVAL;
}

long bencode_encode(const struct ng_node *n, char *buf, size_t cap)
{
	struct enc e = { .buf = buf, .cap = cap };
	int rc;

	if (!n)
		return -EINVAL;
	rc = enc_node(&e, n, 0);
	if (rc < 0)
		return rc;
	return (long)e.pos;
}
