/*
 * test_rtp_ext.c: lib/rtp_ext: RFC 8285 header extension elements, one-byte
 * and two-byte forms, padding, the reserved id 15, another profile, and every
 * length that points past the packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/rtp_ext.h"

/* A fixed header with the X bit and @cc CSRCs, then the extension header
 * (@profile, @words) and @ext; returns the length (payload of 4 bytes). */
static size_t pkt(uint8_t *b, unsigned cc, uint16_t profile, uint16_t words, const uint8_t *ext,
		  size_t ext_len)
{
	size_t n = 12 + 4 * cc;

	memset(b, 0, 512);
	b[0] = (uint8_t)(0x90 | cc);
	b[1] = 96;
	b[n] = (uint8_t)(profile >> 8);
	b[n + 1] = (uint8_t)profile;
	b[n + 2] = (uint8_t)(words >> 8);
	b[n + 3] = (uint8_t)words;
	memcpy(b + n + 4, ext, ext_len);
	return n + 4 + ext_len + 4;
}

static void test_one_byte(void **state)
{
	/* padding, id 2 (2 bytes), id 3 "v1", padding */
	static const uint8_t ext[8] = { 0, 0x21, 0xaa, 0xbb, 0x31, 'v', '1', 0 };
	uint8_t b[512];
	const uint8_t *v = NULL;
	size_t vl = 0, n;

	(void)state;
	n = pkt(b, 2, 0xBEDE, 2, ext, sizeof(ext));
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), 1);
	assert_int_equal(vl, 2);
	assert_memory_equal(v, "v1", 2);
	assert_int_equal(rtp_ext_find(b, n, 2, &v, &vl), 1);
	assert_int_equal(vl, 2);
	assert_int_equal(v[0], 0xaa);
	assert_int_equal(rtp_ext_find(b, n, 5, &v, &vl), 0);
}

static void test_two_byte(void **state)
{
	static const uint8_t ext[8] = { 0, 200, 3, 'a', 'u', 'd', 7, 0 };
	uint8_t b[512];
	const uint8_t *v = NULL;
	size_t vl = 0, n;

	(void)state;
	n = pkt(b, 0, 0x1003, 2, ext, sizeof(ext));
	assert_int_equal(rtp_ext_find(b, n, 200, &v, &vl), 1);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, "aud", 3);
	/* id 7 with length 0 at the end: found, empty */
	assert_int_equal(rtp_ext_find(b, n, 7, &v, &vl), 1);
	assert_int_equal(vl, 0);
}

static void test_none_and_other_profile(void **state)
{
	static const uint8_t ext[4] = { 0x30, 'x', 0, 0 };
	uint8_t b[512];
	const uint8_t *v;
	size_t vl, n;

	(void)state;
	n = pkt(b, 0, 0xBEDE, 1, ext, sizeof(ext));
	b[0] &= (uint8_t)~0x10; /* no X bit */
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), 0);
	n = pkt(b, 0, 0x1234, 1, ext, sizeof(ext));
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), 0);
	/* id 15 stops the one-byte walk (RFC 8285 4.2) */
	static const uint8_t stop[4] = { 0xf0, 0x30, 'x', 0 };
	n = pkt(b, 0, 0xBEDE, 1, stop, sizeof(stop));
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), 0);
}

static void test_bounds(void **state)
{
	static const uint8_t longer[4] = { 0x3f, 'x', 0, 0 }; /* 16 bytes claimed */
	static const uint8_t two[4] = { 3, 9, 'x', 0 };	      /* 9 bytes claimed */
	uint8_t b[512];
	const uint8_t *v;
	size_t vl, n;

	(void)state;
	n = pkt(b, 0, 0xBEDE, 1, longer, sizeof(longer));
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), -1);
	n = pkt(b, 0, 0x1000, 1, two, sizeof(two));
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), -1);
	/* the extension's word count past the packet */
	n = pkt(b, 0, 0xBEDE, 200, longer, sizeof(longer));
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), -1);
	/* CSRCs past the packet; too short; not version 2 */
	n = pkt(b, 15, 0xBEDE, 1, longer, sizeof(longer));
	assert_int_equal(rtp_ext_find(b, 40, 3, &v, &vl), -1);
	assert_int_equal(rtp_ext_find(b, 11, 3, &v, &vl), -1);
	b[0] = 0x50;
	assert_int_equal(rtp_ext_find(b, n, 3, &v, &vl), -1);
	assert_int_equal(rtp_ext_find(NULL, 0, 3, &v, &vl), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_byte),
		cmocka_unit_test(test_two_byte),
		cmocka_unit_test(test_none_and_other_profile),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
