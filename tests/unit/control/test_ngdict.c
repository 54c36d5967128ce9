/* test_ngdict.c: building dictionaries, ordered lookups, integer-from-string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "control/ngdict.h"

static void test_build_and_lookup(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *d = ng_new_dict(a), *l;
	size_t len;
	(void)state;

	assert_non_null(ng_dict_add_str(a, d, "command", "offer"));
	assert_non_null(ng_dict_add_int(a, d, "ptime", 20));
	l = ng_dict_add_list(a, d, "flags");
	assert_non_null(ng_list_add(l, ng_new_cstr(a, "trust-address")));
	assert_non_null(ng_list_add(l, ng_new_str(a, "a\0b", 3)));
	assert_int_equal(d->count, 3);
	assert_int_equal(l->count, 2);
	assert_string_equal(ng_dict_get_str(d, "command", &len), "offer");
	assert_int_equal(len, 5);
	assert_null(ng_dict_get_str(d, "ptime", NULL));	/* not a string */
	assert_null(ng_dict_get(d, "missing"));
	assert_true(ng_str_eq(l->child, "trust-address"));
	assert_int_equal(l->last->str_len, 3);
	assert_false(ng_str_eq(l->last, "a"));
	/* order is insertion order */
	assert_string_equal(d->child->key, "command");
	assert_string_equal(d->last->key, "flags");
	arena_free(a);
}

static void test_wrong_parent_type(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *l = ng_new_list(a), *d = ng_new_dict(a);
	(void)state;
	assert_null(ng_dict_add(a, l, "k", ng_new_int(a, 1)));
	assert_null(ng_list_add(d, ng_new_int(a, 1)));
	assert_null(ng_dict_get(l, "k"));
	arena_free(a);
}

static void test_get_int(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *d = ng_new_dict(a);
	int64_t v = 0;
	(void)state;
	ng_dict_add_int(a, d, "i", -7);
	ng_dict_add_str(a, d, "s", "30");
	ng_dict_add_str(a, d, "neg", "-12");
	ng_dict_add_str(a, d, "bad", "12x");
	ng_dict_add_str(a, d, "empty", "");
	ng_dict_add_str(a, d, "huge", "99999999999999999999");
	ng_dict_add_str(a, d, "max", "9223372036854775807");
	ng_dict_add_str(a, d, "min", "-9223372036854775808");
	ng_dict_add_list(a, d, "list");
	assert_true(ng_dict_get_int(d, "i", &v));
	assert_int_equal(v, -7);
	assert_true(ng_dict_get_int(d, "s", &v));
	assert_int_equal(v, 30);
	assert_true(ng_dict_get_int(d, "neg", &v));
	assert_int_equal(v, -12);
	assert_true(ng_dict_get_int(d, "max", &v));
	assert_true(v == INT64_MAX);
	assert_true(ng_dict_get_int(d, "min", &v));
	assert_true(v == INT64_MIN);
	assert_false(ng_dict_get_int(d, "bad", &v));
	assert_false(ng_dict_get_int(d, "empty", &v));
	assert_false(ng_dict_get_int(d, "huge", &v));
	assert_false(ng_dict_get_int(d, "list", &v));
	assert_false(ng_dict_get_int(d, "nope", &v));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_lookup),
		cmocka_unit_test(test_wrong_parent_type),
		cmocka_unit_test(test_get_int),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
