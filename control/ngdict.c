/*
 * ngdict.c: builders and lookups for the ng dictionary tree (see ngdict.h).
 *
 * Members are kept in insertion order in a singly linked sibling list with a
 * tail pointer, so appends are O(1) and encoders reproduce the order a proxy
 * sent. Lookups are linear: ng dictionaries have a few dozen keys at most.
 */
#include "control/ngdict.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static struct ng_node *new_node(struct arena *a, enum ng_type t)
{
	struct ng_node *n = arena_alloc(a, sizeof(*n));

	if (n)
		n->type = t;
	return n;
}

struct ng_node *ng_new_dict(struct arena *a)
{
	return new_node(a, NG_DICT);
}

struct ng_node *ng_new_list(struct arena *a)
{
	return new_node(a, NG_LIST);
}

struct ng_node *ng_new_str(struct arena *a, const char *s, size_t len)
{
	struct ng_node *n = new_node(a, NG_STR);

	if (!n)
		return NULL;
	n->str = arena_strndup(a, s ? s : "", s ? len : 0);
	if (!n->str)
		return NULL;
	n->str_len = s ? len : 0;
	return n;
}

struct ng_node *ng_new_cstr(struct arena *a, const char *s)
{
	return ng_new_str(a, s, s ? strlen(s) : 0);
}

struct ng_node *ng_new_int(struct arena *a, int64_t v)
{
	struct ng_node *n = new_node(a, NG_INT);

	if (n)
		n->num = v;
	return n;
}

static void append(struct ng_node *parent, struct ng_node *child)
{
	child->next = NULL;
	if (parent->last)
		parent->last->next = child;
	else
		parent->child = child;
	parent->last = child;
	parent->count++;
}

struct ng_node *ng_list_add(struct ng_node *list, struct ng_node *child)
{
	if (!list || !child || list->type != NG_LIST)
		return NULL;
	append(list, child);
	return child;
}

struct ng_node *ng_dict_add(struct arena *a, struct ng_node *dict, const char *key,
			    struct ng_node *child)
{
	size_t kl;

	if (!dict || !child || !key || dict->type != NG_DICT)
		return NULL;
	kl = strlen(key);
	child->key = arena_strndup(a, key, kl);
	if (!child->key)
		return NULL;
	child->key_len = kl;
	append(dict, child);
	return child;
}

struct ng_node *ng_dict_add_str(struct arena *a, struct ng_node *d, const char *key, const char *s)
{
	return ng_dict_add(a, d, key, ng_new_cstr(a, s));
}

struct ng_node *ng_dict_add_strn(struct arena *a, struct ng_node *d, const char *key, const char *s,
				 size_t len)
{
	return ng_dict_add(a, d, key, ng_new_str(a, s, len));
}

struct ng_node *ng_dict_add_int(struct arena *a, struct ng_node *d, const char *key, int64_t v)
{
	return ng_dict_add(a, d, key, ng_new_int(a, v));
}

struct ng_node *ng_dict_add_dict(struct arena *a, struct ng_node *d, const char *key)
{
	return ng_dict_add(a, d, key, ng_new_dict(a));
}

struct ng_node *ng_dict_add_list(struct arena *a, struct ng_node *d, const char *key)
{
	return ng_dict_add(a, d, key, ng_new_list(a));
}

const struct ng_node *ng_dict_get(const struct ng_node *d, const char *key)
{
	const struct ng_node *c;
	size_t kl;

	if (!d || !key || d->type != NG_DICT)
		return NULL;
	kl = strlen(key);
	for (c = d->child; c; c = c->next)
		if (c->key_len == kl && memcmp(c->key, key, kl) == 0)
			return c;
	return NULL;
}

const char *ng_dict_get_str(const struct ng_node *d, const char *key, size_t *len)
{
	const struct ng_node *n = ng_dict_get(d, key);

	if (!n || n->type != NG_STR)
		return NULL;
	if (len)
		*len = n->str_len;
	return n->str;
}

/* Strict decimal: optional '-', 1..19 digits, nothing else, no overflow. */
static bool parse_decimal(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;
	size_t i = 0;

	if (len && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == len || len - i > 19)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned dg;

		if (s[i] < '0' || s[i] > '9')
			return false;
		dg = (unsigned)(s[i] - '0');
		if (v > (lim - dg) / 10)
			return false;
		v = v * 10 + dg;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

bool ng_dict_get_int(const struct ng_node *d, const char *key, int64_t *out)
{
	const struct ng_node *n = ng_dict_get(d, key);
	int64_t v;

	if (!n)
		return false;
	if (n->type == NG_INT) {
		*out = n->num;
		return true;
	}
	if (n->type != NG_STR || !parse_decimal(n->str, n->str_len, &v))
		return false;
	*out = v;
	return true;
}

bool ng_str_eq(const struct ng_node *n, const char *s)
{
	size_t l;

	if (!n || !s || n->type != NG_STR)
		return false;
	l = strlen(s);
	return n->str_len == l && memcmp(n->str, s, l) == 0;
}
