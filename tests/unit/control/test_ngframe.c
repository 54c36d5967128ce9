/* test_ngframe.c: finding message boundaries in an ng stream (TCP/unix):
 * bencode and JSON, split and pipelined input, garbage, and the size bound. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "control/ngframe.h"

static long frame(const char *s, size_t max, size_t *skip)
{
	return ng_frame_len((const uint8_t *)s, strlen(s), max, skip);
}

static void complete_messages(void **state)
{
	(void)state;
	size_t skip;
	const char *b = "c1 d7:command4:pinge";
	const char *j = "c2 {\"command\":\"ping\",\"x\":\"}{\\\"\"}";

	assert_int_equal(frame(b, 1000, &skip), (long)strlen(b));
	assert_int_equal(skip, 0);
	assert_int_equal(frame(j, 1000, &skip), (long)strlen(j));
	/* pipelined: only the first */
	assert_int_equal(frame("c1 d1:ai5ee c2 d1:ai6ee", 1000, &skip), 11);
	/* leading whitespace between messages */
	assert_int_equal(frame("\r\n c1 li1e3:abce", 1000, &skip), 13);
	assert_int_equal(skip, 3);
	/* a string containing structure bytes */
	assert_int_equal(frame("k 5:de{}ex", 1000, &skip), 9);
}

static void incomplete_messages(void **state)
{
	(void)state;
	const char *b = "cookie d7:command5:offer3:sdp10:v=0\r\no=- 1e";
	size_t skip;

	for (size_t n = 0; n < strlen(b); n++)
		assert_int_equal(ng_frame_len((const uint8_t *)b, n, 1000, &skip), 0);
	assert_int_equal(ng_frame_len((const uint8_t *)b, strlen(b), 1000, &skip), (long)strlen(b));
	assert_int_equal(frame("c {\"a\": [1, {\"b\": 2}]", 1000, &skip), 0);
}

static void garbage(void **state)
{
	(void)state;
	size_t skip;
	char longcookie[300];

	assert_int_equal(frame("c1 x", 1000, &skip), -EINVAL);
	/* framing only: "d1:ae" ends there; the decoder rejects the odd dict */
	assert_int_equal(frame("c1 d1:ae1:be", 1000, &skip), 8);
	assert_int_equal(frame("c1 e", 1000, &skip), -EINVAL);
	assert_int_equal(frame("c1 i12x", 1000, &skip), -EINVAL);
	assert_int_equal(frame("c1 9999999999:", 1000, &skip), -EINVAL);
	assert_int_equal(frame("c1 {]}", 1000, &skip), -EINVAL);
	memset(longcookie, 'a', sizeof(longcookie) - 1);
	longcookie[sizeof(longcookie) - 1] = '\0';
	assert_int_equal(frame(longcookie, 10000, &skip), -EINVAL);
}

static void size_bound(void **state)
{
	(void)state;
	size_t skip;

	assert_int_equal(frame("c1 d1:a20:", 15, &skip), 0);	/* could still fit */
	assert_int_equal(frame("c1 d1:a20:xxxxxxxxxxxxxxxxxxxxe", 15, &skip), -E2BIG);
	assert_int_equal(frame("c1 d1:a20:xxxxxxxxxxxxxxxx", 15, &skip), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(complete_messages),
		cmocka_unit_test(incomplete_messages),
		cmocka_unit_test(garbage),
		cmocka_unit_test(size_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
