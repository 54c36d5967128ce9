/* test_arena.c: the bump allocator hands out zeroed, aligned memory and honours its cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arena.h"

static void test_alloc_zeroed_aligned(void **state)
{
	struct arena *a = arena_new(0);
	(void)state;
	assert_non_null(a);
	for (int i = 1; i < 200; i++) {
		unsigned char *p = arena_alloc(a, (size_t)i);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (int j = 0; j < i; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xab, (size_t)i);
	}
	arena_free(a);
}

static void test_large_alloc_grows(void **state)
{
	struct arena *a = arena_new(64);
	(void)state;
	char *p = arena_alloc(a, 1 << 20);
	assert_non_null(p);
	p[(1 << 20) - 1] = 1;
	assert_true(arena_used(a) >= (1u << 20));
	arena_free(a);
}

static void test_cap_refuses_growth(void **state)
{
	struct arena *a = arena_new(0);
	size_t n = 0;
	(void)state;
	arena_set_cap(a, 64 * 1024);
	while (arena_alloc(a, 1000))
		n++;
	assert_true(n > 10);
	assert_true(arena_used(a) <= 64 * 1024);
	/* Still refuses after the first failure, and small requests may still fit. */
	assert_null(arena_alloc(a, 64 * 1024));
	arena_free(a);
}

static void test_strndup_printf(void **state)
{
	struct arena *a = arena_new(0);
	(void)state;
	char *s = arena_strndup(a, "hello world", 5);
	assert_string_equal(s, "hello");
	char *p = arena_printf(a, "%s-%d", "x", 42);
	assert_string_equal(p, "x-42");
	char *e = arena_strndup(a, NULL, 0);
	assert_string_equal(e, "");
	arena_free(a);
	arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_zeroed_aligned),
		cmocka_unit_test(test_large_alloc_grows),
		cmocka_unit_test(test_cap_refuses_growth),
		cmocka_unit_test(test_strndup_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
