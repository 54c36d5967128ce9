/*
 * test_rtp.c: the transcoder's RTP header parse on good and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "codecs/rtp.h"

static void test_round_trip(void **state)
{
	uint8_t b[32];
	struct rtp_hdr h;

	(void)state;
	rtp_hdr_write(b, true, 96, 0xBEEF, 0xDEADBEEF, 0x01020304);
	memset(b + 12, 0xAA, 20);
	assert_int_equal(rtp_hdr_parse(b, sizeof(b), &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.pt, 96);
	assert_int_equal(h.seq, 0xBEEF);
	assert_int_equal(h.ts, 0xDEADBEEF);
	assert_int_equal(h.ssrc, 0x01020304);
	assert_ptr_equal(h.payload, b + 12);
	assert_int_equal(h.payload_len, 20);
}

static void test_csrc_extension_padding(void **state)
{
	uint8_t b[64] = { 0 };
	struct rtp_hdr h;

	(void)state;
	rtp_hdr_write(b, false, 0, 1, 2, 3);
	b[0] |= 0x02 | 0x10 | 0x20;	/* 2 CSRCs, extension, padding */
	/* extension header at 20: profile, length 1 word */
	b[22] = 0;
	b[23] = 1;
	/* payload from 28; 4 bytes of padding at the end */
	b[63] = 4;
	assert_int_equal(rtp_hdr_parse(b, sizeof(b), &h), 0);
	assert_ptr_equal(h.payload, b + 28);
	assert_int_equal(h.payload_len, 64 - 28 - 4);
}

static void test_hostile(void **state)
{
	uint8_t b[64] = { 0 };
	struct rtp_hdr h;

	(void)state;
	rtp_hdr_write(b, false, 0, 1, 2, 3);
	assert_int_equal(rtp_hdr_parse(b, 11, &h), -EINVAL);	/* short */
	b[0] = 0x40;
	assert_int_equal(rtp_hdr_parse(b, 64, &h), -EINVAL);	/* version 1 */
	b[0] = 0x8F;						/* 15 CSRCs: 72 bytes */
	assert_int_equal(rtp_hdr_parse(b, 64, &h), -EINVAL);
	b[0] = 0x90;						/* extension past the end */
	b[14] = 0xFF;
	b[15] = 0xFF;
	assert_int_equal(rtp_hdr_parse(b, 64, &h), -EINVAL);
	assert_int_equal(rtp_hdr_parse(b, 14, &h), -EINVAL);	/* extension header cut */
	b[0] = 0xA0;						/* padding larger than payload */
	b[63] = 60;
	assert_int_equal(rtp_hdr_parse(b, 64, &h), -EINVAL);
	b[63] = 0;						/* zero padding count */
	assert_int_equal(rtp_hdr_parse(b, 64, &h), -EINVAL);
	b[63] = 52;						/* exactly the payload */
	assert_int_equal(rtp_hdr_parse(b, 64, &h), 0);
	assert_int_equal(h.payload_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_csrc_extension_padding),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
