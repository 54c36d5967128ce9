/* test_bencode.c: bencode decoding/encoding, round trips and every malformed shape. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/bencode.h"

static int dec(struct arena *a, const char *s, size_t len, struct ng_node **out)
{
	const char *err = NULL;
	int rc = bencode_decode(a, (const uint8_t *)s, len, out, &err);

	if (rc < 0)
		assert_non_null(err);	/* every failure explains itself */
	return rc;
}

#define DEC(a, lit, out) dec(a, lit, sizeof(lit) - 1, out)

static void roundtrip(const char *in)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	char buf[4096];
	long len;

	assert_int_equal(dec(a, in, strlen(in), &n), 0);
	len = bencode_encode(n, buf, sizeof(buf));
	assert_true(len >= 0);
	assert_int_equal((size_t)len, strlen(in));
	assert_memory_equal(buf, in, (size_t)len);
	arena_free(a);
}

static void test_roundtrips(void **state)
{
	(void)state;
	roundtrip("0:");
	roundtrip("4:spam");
	roundtrip("i0e");
	roundtrip("i-42e");
	roundtrip("i9223372036854775807e");
	roundtrip("i-9223372036854775808e");
	roundtrip("le");
	roundtrip("de");
	roundtrip("l4:spami42ee");
	roundtrip("d3:cow3:moo4:spam4:eggse");
	/* unsorted keys and duplicates are kept in order */
	roundtrip("d1:zi1e1:ai2e1:zi3ee");
	roundtrip("d7:command5:offer5:flagsl13:trust-address13:strict-sourcee"
		  "7:replacel6:origin18:session-connectione3:sdp3:v=0e");
	roundtrip("lllleeee");
}

static void test_values(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;

	assert_int_equal(DEC(a, "d3:keyl1:ai-3eee", &n), 0);
	assert_int_equal(n->type, NG_DICT);
	assert_int_equal(n->count, 1);
	const struct ng_node *l = ng_dict_get(n, "key");
	assert_non_null(l);
	assert_int_equal(l->type, NG_LIST);
	assert_int_equal(l->count, 2);
	assert_true(ng_str_eq(l->child, "a"));
	assert_int_equal(l->last->type, NG_INT);
	assert_int_equal(l->last->num, -3);

	/* strings may hold NULs; the length is authoritative */
	assert_int_equal(DEC(a, "3:a\0b", &n), 0);
	assert_int_equal(n->str_len, 3);
	assert_memory_equal(n->str, "a\0b", 3);
	assert_int_equal(n->str[3], '\0');
	arena_free(a);
}

static void test_truncated(void **state)
{
	const char *msg = "d7:command5:offer5:flagsl13:trust-addresse3:sdpi5ee";
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;

	for (size_t i = 0; i < strlen(msg); i++)
		assert_int_equal(dec(a, msg, i, &n), -EINVAL);
	assert_int_equal(dec(a, msg, strlen(msg), &n), 0);
	arena_free(a);
}

static void test_bad_ints(void **state)
{
	static const char *bad[] = { "ie", "i-e", "i-0e", "i03e", "i-03e", "i1x2e", "i 1e",
				     "i+1e", "i1", "i9223372036854775808e",
				     "i-9223372036854775809e", "i99999999999999999999999e" };
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = dec(a, bad[i], strlen(bad[i]), &n);
		assert_true(rc == -EINVAL || rc == -E2BIG);
	}
	arena_free(a);
}

static void test_bad_strings(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;

	assert_int_equal(DEC(a, "5:abc", &n), -EINVAL);	/* shorter than said */
	assert_int_equal(DEC(a, "05:abcde", &n), -EINVAL);	/* leading zero */
	assert_int_equal(DEC(a, "3", &n), -EINVAL);
	assert_int_equal(DEC(a, "3x:abc", &n), -EINVAL);
	assert_int_equal(DEC(a, ":abc", &n), -EINVAL);
	/* huge declared lengths never allocate or read past the buffer */
	assert_int_equal(DEC(a, "4294967296:x", &n), -E2BIG);
	assert_int_equal(DEC(a, "99999999999999999999999999:x", &n), -E2BIG);
	assert_int_equal(DEC(a, "262144:x", &n), -EINVAL);
	assert_int_equal(DEC(a, "d3:key99999:abce", &n), -EINVAL);
	arena_free(a);
}

static void test_structure_errors(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;

	assert_int_equal(dec(a, "", 0, &n), -EINVAL);
	assert_int_equal(DEC(a, "x", &n), -EINVAL);
	assert_int_equal(DEC(a, "e", &n), -EINVAL);
	assert_int_equal(DEC(a, "di1ei2ee", &n), -EINVAL);	/* key not a string */
	assert_int_equal(DEC(a, "dlee1:ae", &n), -EINVAL);
	assert_int_equal(DEC(a, "d1:ae", &n), -EINVAL);	/* key without value */
	assert_int_equal(DEC(a, "l", &n), -EINVAL);
	assert_int_equal(DEC(a, "d", &n), -EINVAL);
	/* trailing garbage */
	assert_int_equal(DEC(a, "dei", &n), -EINVAL);
	assert_int_equal(DEC(a, "de ", &n), -EINVAL);
	assert_int_equal(DEC(a, "i1ei2e", &n), -EINVAL);
	assert_int_equal(DEC(a, "4:spamx", &n), -EINVAL);
	assert_int_equal(DEC(a, "lee", &n), -EINVAL);
	arena_free(a);
}

static char *nested(size_t depth, char open, size_t *len)
{
	char *s = malloc(2 * depth + 1);
	for (size_t i = 0; i < depth; i++) {
		s[i] = open;
		s[depth + i] = 'e';
	}
	if (open == 'd') {
		/* dicts need keys: build d1:kd1:k...ee..e instead */
		free(s);
		s = malloc(5 * depth + 1);
		size_t p = 0;
		for (size_t i = 0; i < depth; i++) {
			s[p++] = 'd';
			if (i + 1 < depth) {
				memcpy(s + p, "1:k", 3);
				p += 3;
			}
		}
		for (size_t i = 0; i < depth; i++)
			s[p++] = 'e';
		*len = p;
		return s;
	}
	*len = 2 * depth;
	return s;
}

static void test_depth(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	size_t len;
	char *s;
	(void)state;

	s = nested(NG_MAX_DEPTH, 'l', &len);
	assert_int_equal(dec(a, s, len, &n), 0);
	free(s);
	s = nested(NG_MAX_DEPTH + 1, 'l', &len);
	assert_int_equal(dec(a, s, len, &n), -E2BIG);
	free(s);
	s = nested(NG_MAX_DEPTH, 'd', &len);
	assert_int_equal(dec(a, s, len, &n), 0);
	free(s);
	s = nested(NG_MAX_DEPTH + 1, 'd', &len);
	assert_int_equal(dec(a, s, len, &n), -E2BIG);
	free(s);
	/* 10000 levels (and unterminated 100000) fail cleanly, without recursion */
	s = nested(10000, 'l', &len);
	assert_int_equal(dec(a, s, len, &n), -E2BIG);
	assert_int_equal(dec(a, s, len / 2, &n), -E2BIG);
	free(s);
	s = nested(10000, 'd', &len);
	assert_int_equal(dec(a, s, len, &n), -E2BIG);
	free(s);
	arena_free(a);
}

/* "l" + @ints times "i0e" + "e": 1 + @ints nodes */
static char *int_list(size_t ints, size_t *len)
{
	char *s = malloc(2 + 3 * ints);

	s[0] = 'l';
	for (size_t i = 0; i < ints; i++)
		memcpy(s + 1 + 3 * i, "i0e", 3);
	s[1 + 3 * ints] = 'e';
	*len = 2 + 3 * ints;
	return s;
}

static void test_limits(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	size_t len;
	char *s;
	(void)state;

	s = int_list(NG_MAX_NODES - 1, &len);
	assert_int_equal(dec(a, s, len, &n), 0);	/* exactly NG_MAX_NODES */
	assert_int_equal(n->count, NG_MAX_NODES - 1);
	free(s);
	s = int_list(NG_MAX_NODES, &len);
	assert_int_equal(dec(a, s, len, &n), -E2BIG);
	free(s);

	s = calloc(1, NG_MAX_MESSAGE + 1);
	assert_int_equal(dec(a, s, NG_MAX_MESSAGE + 1, &n), -E2BIG);
	free(s);
	arena_free(a);
}

static void test_arena_cap(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	(void)state;
	/* 40 kB of input that expands to far more node memory than the cap */
	char *s = malloc(2 + 2 * 20000);
	size_t p = 0;
	s[p++] = 'l';
	for (int i = 0; i < 20000; i++) {
		memcpy(s + p, "0:", 2);
		p += 2;
	}
	s[p++] = 'e';
	arena_set_cap(a, 64 * 1024);
	assert_int_equal(dec(a, s, p, &n), -ENOMEM);
	free(s);
	arena_free(a);
}

static void test_encode(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *d = ng_new_dict(a);
	char buf[64];
	long n;
	(void)state;

	ng_dict_add_str(a, d, "result", "ok");
	ng_dict_add_int(a, d, "n", -5);
	ng_list_add(ng_dict_add_list(a, d, "warnings"), ng_new_cstr(a, "w"));
	n = bencode_encode(d, buf, sizeof(buf));
	assert_int_equal(n, strlen("d6:result2:ok1:ni-5e8:warningsl1:wee"));
	assert_memory_equal(buf, "d6:result2:ok1:ni-5e8:warningsl1:wee", (size_t)n);
	/* every too-small buffer is refused, never overrun */
	for (size_t cap = 0; cap < (size_t)n; cap++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(bencode_encode(d, buf, cap), -ENOSPC);
		assert_int_equal(buf[cap], 'X');
	}
	/* trees deeper than any decoder accepts are refused */
	struct ng_node *root = ng_new_list(a), *cur = root;
	for (int i = 0; i < NG_MAX_DEPTH + 2; i++)
		cur = ng_list_add(cur, ng_new_list(a));
	assert_int_equal(bencode_encode(root, buf, sizeof(buf)), -EINVAL);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_ints),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_arena_cap),
		cmocka_unit_test(test_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
