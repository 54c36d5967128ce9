/*
 * ngjson.c: JSON <-> ng_node through jansson (see ngjson.h).
 *
 * jansson parses (its own parser is bounded at JSON_PARSER_MAX_DEPTH); we then
 * copy the tree into the arena, enforcing our own NG_MAX_DEPTH and
 * NG_MAX_NODES, and drop the jansson tree. Encoding builds a jansson tree and
 * dumps it straight into the caller's buffer. Both walks recurse, bounded by
 * NG_MAX_DEPTH (checked before every descent).
 */
#include "control/ngjson.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

struct conv {
	struct arena *a;
	size_t nodes;
	const char *err;
};

static int conv_fail(struct conv *c, int rc, const char *why)
{
	c->err = why;
	return rc;
}

static int from_json(struct conv *c, json_t *j, unsigned depth, struct ng_node **out);

static int add_member(struct conv *c, struct ng_node *parent, json_t *v, unsigned depth,
		      const char *key, size_t key_len)
{
	struct ng_node *n;
	int rc = from_json(c, v, depth + 1, &n);

	if (rc < 0)
		return rc;
	if (parent->type == NG_DICT) {
		n->key = arena_strndup(c->a, key, key_len);
		if (!n->key)
			return conv_fail(c, -ENOMEM, "json: out of memory");
		n->key_len = key_len;
	}
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	parent->count++;
	return 0;
}

static int from_container(struct conv *c, json_t *j, unsigned depth, struct ng_node *n)
{
	const char *key;
	size_t kl, i;
	json_t *v;
	int rc;

	if (depth >= NG_MAX_DEPTH)
		return conv_fail(c, -E2BIG, "json: nested too deeply");
	if (json_is_array(j)) {
		json_array_foreach(j, i,
				   v) if ((rc = add_member(c, n, v, depth, NULL, 0)) < 0) return rc;
		return 0;
	}
	json_object_keylen_foreach(j, key, kl,
				   v) if ((rc = add_member(c, n, v, depth, key, kl)) < 0) return rc;
	return 0;
}

static int from_json(struct conv *c, json_t *j, unsigned depth, struct ng_node **out)
{
	struct ng_node *n;

	if (++c->nodes > NG_MAX_NODES)
		return conv_fail(c, -E2BIG, "json: too many nodes");
	if (json_is_real(j))
		return conv_fail(c, -EINVAL, "json: real numbers are not supported");
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		n = ng_new_dict(c->a);
		break;
	case JSON_ARRAY:
		n = ng_new_list(c->a);
		break;
	case JSON_STRING:
		n = ng_new_str(c->a, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		n = ng_new_int(c->a, (int64_t)json_integer_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		n = ng_new_int(c->a, json_is_true(j) ? 1 : 0);
		break;
	case JSON_NULL:
		n = ng_new_str(c->a, "", 0);
		break;
	default:
		return conv_fail(c, -EINVAL, "json: unsupported value");
	}
	if (!n)
		return conv_fail(c, -ENOMEM, "json: out of memory");
	*out = n;
	if (n->type == NG_LIST || n->type == NG_DICT)
		return from_container(c, j, depth, n);
	return 0;
}

int ngjson_decode(struct arena *a, const uint8_t *buf, size_t len, struct ng_node **out,
		  const char **err)
{
	struct conv c = { .a = a };
	json_error_t jerr;
	json_t *j;
	int rc;

	if (len > NG_MAX_MESSAGE) {
		rc = conv_fail(&c, -E2BIG, "json: message too large");
		goto out;
	}
	/* JSON_ALLOW_NUL: our strings carry a length, so "\u0000" is harmless. */
	j = json_loadb((const char *)buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!j) {
		rc = conv_fail(&c, -EINVAL, "json: malformed");
		goto out;
	}
	rc = from_json(&c, j, 0, out);
	json_decref(j);
	if (rc == 0)
		return 0;
out:
	if (err)
		*err = c.err;
	return rc;
}

static json_t *to_json(const struct ng_node *n, unsigned depth)
{
	const struct ng_node *m;
	json_t *j, *v;

	switch (n->type) {
	case NG_STR:
		/* NULL when the bytes are not UTF-8: JSON cannot carry them. */
		return json_stringn(n->str ? n->str : "", n->str ? n->str_len : 0);
	case NG_INT:
		return json_integer((json_int_t)n->num);
	case NG_LIST:
	case NG_DICT:
		break;
	default:
		return NULL;
	}
	if (depth >= NG_MAX_DEPTH)
		return NULL;
	j = n->type == NG_LIST ? json_array() : json_object();
	if (!j)
		return NULL;
	for (m = n->child; m; m = m->next) {
		v = to_json(m, depth + 1);
		if (!v)
			goto err;
		if (n->type == NG_LIST ? json_array_append_new(j, v) < 0
				       : json_object_setn_new(j, m->key ? m->key : "",
							      m->key ? m->key_len : 0, v) < 0)
			goto err; /* the _new setters consume v on failure too */
	}
	return j;
err:
	json_decref(j);
	return NULL;
}

long ngjson_encode(const struct ng_node *n, char *buf, size_t cap)
{
	json_t *j;
	size_t need;

	if (!n)
		return -EINVAL;
	j = to_json(n, 0);
	if (!j)
		return -EINVAL;
	need = json_dumpb(j, buf, cap, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (need == 0)
		return -EINVAL;
	if (need > cap)
		return -ENOSPC;
	return (long)need;
}
