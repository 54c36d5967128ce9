/* test_ngjson.c: JSON <-> ng dictionary mapping through jansson, with our limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/bencode.h"
#include "control/ngjson.h"

static int dec(struct arena *a, const char *s, struct ng_node **out)
{
	const char *err = NULL;
	int rc = ngjson_decode(a, (const uint8_t *)s, strlen(s), out, &err);

	if (rc < 0)
		assert_non_null(err);
	return rc;
}

static void test_mapping(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	const struct ng_node *m;
	int64_t v;
	(void)state;

	assert_int_equal(dec(a, "{\"command\":\"offer\",\"t\":true,\"f\":false,\"z\":null,"
				"\"i\":-42,\"l\":[\"a\",1,[]],\"d\":{\"k\":\"v\"},"
				"\"u\":\"caf\\u00e9\",\"nul\":\"a\\u0000b\"}", &n), 0);
	assert_int_equal(n->type, NG_DICT);
	assert_int_equal(n->count, 9);
	/* order of members is the order in the text */
	assert_string_equal(n->child->key, "command");
	assert_string_equal(n->last->key, "nul");
	assert_true(ng_str_eq(ng_dict_get(n, "command"), "offer"));
	m = ng_dict_get(n, "t");
	assert_int_equal(m->type, NG_INT);
	assert_int_equal(m->num, 1);
	assert_int_equal(ng_dict_get(n, "f")->num, 0);
	m = ng_dict_get(n, "z");
	assert_int_equal(m->type, NG_STR);
	assert_int_equal(m->str_len, 0);
	assert_true(ng_dict_get_int(n, "i", &v));
	assert_int_equal(v, -42);
	m = ng_dict_get(n, "l");
	assert_int_equal(m->type, NG_LIST);
	assert_int_equal(m->count, 3);
	assert_int_equal(m->last->type, NG_LIST);
	assert_true(ng_str_eq(ng_dict_get(ng_dict_get(n, "d"), "k"), "v"));
	assert_true(ng_str_eq(ng_dict_get(n, "u"), "caf\xc3\xa9"));
	m = ng_dict_get(n, "nul");
	assert_int_equal(m->str_len, 3);
	assert_memory_equal(m->str, "a\0b", 3);
	arena_free(a);
}

static void test_rejects(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;

	assert_int_equal(dec(a, "{\"ptime\":20.5}", &n), -EINVAL);	/* no reals */
	assert_int_equal(dec(a, "{\"a\":", &n), -EINVAL);
	assert_int_equal(dec(a, "{\"a\":1} x", &n), -EINVAL);	/* trailing garbage */
	assert_int_equal(dec(a, "", &n), -EINVAL);
	assert_int_equal(dec(a, "{'a':1}", &n), -EINVAL);
	assert_int_equal(dec(a, "{\"a\":\"\xff\"}", &n), -EINVAL);	/* not UTF-8 */
	arena_free(a);
}

static char *nest(size_t depth)
{
	char *s = malloc(2 * depth + 1);
	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

static void test_depth_and_size(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	char *s;
	(void)state;

	s = nest(NG_MAX_DEPTH);
	assert_int_equal(dec(a, s, &n), 0);
	free(s);
	s = nest(NG_MAX_DEPTH + 1);
	assert_int_equal(dec(a, s, &n), -E2BIG);
	free(s);
	s = nest(10000);	/* jansson's own limit (2048) or ours: fails cleanly */
	assert_true(dec(a, s, &n) < 0);
	free(s);

	s = malloc(NG_MAX_MESSAGE + 2);
	memset(s, ' ', NG_MAX_MESSAGE + 1);
	s[0] = '1';
	s[NG_MAX_MESSAGE + 1] = '\0';
	assert_int_equal(dec(a, s, &n), -E2BIG);
	free(s);

	/* NG_MAX_NODES + 1 nodes */
	size_t cnt = NG_MAX_NODES, p = 0;
	s = malloc(2 * cnt + 3);
	s[p++] = '[';
	for (size_t i = 0; i < cnt; i++) {
		s[p++] = '0';
		s[p++] = ',';
	}
	s[p - 1] = ']';
	s[p] = '\0';
	assert_int_equal(dec(a, s, &n), -E2BIG);
	s[p - 3] = ']';	/* one element fewer: exactly the limit */
	s[p - 2] = '\0';
	assert_int_equal(dec(a, s, &n), 0);
	free(s);
	arena_free(a);
}

static void test_encode(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *d = ng_new_dict(a), *l;
	char buf[256];
	long n;
	(void)state;

	ng_dict_add_str(a, d, "result", "ok");
	ng_dict_add_int(a, d, "n", -5);
	l = ng_dict_add_list(a, d, "warnings");
	ng_list_add(l, ng_new_cstr(a, "a \"quoted\" one"));
	ng_dict_add_dict(a, d, "empty");
	n = ngjson_encode(d, buf, sizeof(buf));
	const char *want = "{\"result\":\"ok\",\"n\":-5,\"warnings\":[\"a \\\"quoted\\\" one\"],"
			   "\"empty\":{}}";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(ngjson_encode(d, buf, cap), -ENOSPC);
	/* bytes that are not UTF-8 cannot be carried by JSON */
	ng_dict_add_strn(a, d, "bin", "\xff\xfe", 2);
	assert_int_equal(ngjson_encode(d, buf, sizeof(buf)), -EINVAL);
	arena_free(a);
}

/* The same request in bencode and JSON gives the same tree. */
static void test_same_tree_as_bencode(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *j, *b;
	char e1[256];
	long n1;
	const char *benc = "d7:command5:offer5:flagsl13:trust-addresse4:sdpsi3ee";
	(void)state;

	assert_int_equal(dec(a, "{\"command\":\"offer\",\"flags\":[\"trust-address\"],"
				"\"sdps\":3}", &j), 0);
	assert_int_equal(bencode_decode(a, (const uint8_t *)benc, strlen(benc), &b, NULL), 0);
	n1 = bencode_encode(j, e1, sizeof(e1));
	assert_int_equal(n1, strlen(benc));
	assert_memory_equal(e1, benc, (size_t)n1);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_depth_and_size),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_same_tree_as_bencode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
