/* test_hash.c: lib/hash.h's FNV-1a against the reference vectors of the FNV
 * authors, and the forms (bytes, string, in parts) agreeing with each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hash.h"

static void test_reference_vectors(void **state)
{
	(void)state;
	assert_int_equal(fnv1a("", 0), 0x811c9dc5u);
	assert_int_equal(fnv1a("a", 1), 0xe40c292cu);
	assert_int_equal(fnv1a("foobar", 6), 0xbf9cf968u);
	assert_int_equal(fnv1a_str(""), 0x811c9dc5u);
	assert_int_equal(fnv1a_str("a"), 0xe40c292cu);
	assert_int_equal(fnv1a_str("foobar"), 0xbf9cf968u);
}

static void test_parts_and_high_bytes(void **state)
{
	const char *s = "call-\xe4\xb8\xad-\xff@example";

	(void)state;
	/* bytes above 0x7f are hashed unsigned, whatever char's signedness */
	assert_int_equal(fnv1a_str(s), fnv1a(s, strlen(s)));
	assert_int_equal(fnv1a_add(fnv1a(s, 5), s + 5, strlen(s) - 5), fnv1a(s, strlen(s)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_parts_and_high_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
