/*
 * test_rtp_stats.c: RTP/RTCP header parsing bounds and the RFC 3550
 * receiver statistics (A.1 sequence validation, A.3 loss, A.8 jitter).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib/rtp.h"
#include "dp_test_util.h"

static void test_rtp_parse_basic(void **state)
{
	(void)state;
	uint8_t b[200];
	struct rtp_info ri;
	size_t len = tu_rtp(b, 96, 0x1234, 0xdeadbeef, 0xcafebabe, 20);

	b[1] |= 0x80;
	assert_int_equal(rtp_parse(b, len, &ri), 0);
	assert_int_equal(ri.pt, 96);
	assert_true(ri.marker);
	assert_int_equal(ri.seq, 0x1234);
	assert_int_equal(ri.ts, 0xdeadbeef);
	assert_int_equal(ri.ssrc, 0xcafebabe);
	assert_int_equal(ri.hdr_len, 12);
	assert_int_equal(ri.payload_len, 20);
}

static void test_rtp_parse_csrc_ext_padding(void **state)
{
	(void)state;
	uint8_t b[200];
	struct rtp_info ri;
	size_t len = tu_rtp(b, 0, 1, 2, 3, 60);

	/* 2 CSRCs (8 bytes), extension of 1 word (4 + 4 bytes), 4 padding */
	b[0] = 0x80 | 0x20 | 0x10 | 2;
	b[20] = 0xbe;
	b[21] = 0xde;
	b[22] = 0;
	b[23] = 1;
	b[len - 1] = 4;
	assert_int_equal(rtp_parse(b, len, &ri), 0);
	assert_int_equal(ri.hdr_len, 12 + 8 + 8);
	assert_int_equal(ri.payload_len, len - 28 - 4);
}

static void test_rtp_parse_rejects(void **state)
{
	(void)state;
	uint8_t b[64];
	struct rtp_info ri;
	size_t len = tu_rtp(b, 0, 1, 2, 3, 4);

	assert_int_equal(rtp_parse(b, 11, &ri), -EINVAL);		/* short */
	b[0] = 0x40;
	assert_int_equal(rtp_parse(b, len, &ri), -EINVAL);		/* version 1 */
	b[0] = 0x80 | 2;
	assert_int_equal(rtp_parse(b, 16, &ri), -EINVAL);		/* CSRCs past end */
	b[0] = 0x90;
	assert_int_equal(rtp_parse(b, 12, &ri), -EINVAL);		/* no room for ext hdr */
	b[12] = 0; b[13] = 0; b[14] = 0; b[15] = 9;
	assert_int_equal(rtp_parse(b, len, &ri), -EINVAL);		/* ext past end */
	b[0] = 0xa0;
	b[len - 1] = 0;
	assert_int_equal(rtp_parse(b, len, &ri), -EINVAL);		/* padding 0 */
	b[len - 1] = 200;
	assert_int_equal(rtp_parse(b, len, &ri), -EINVAL);		/* padding > packet */
	b[len - 1] = 4;
	assert_int_equal(rtp_parse(b, len, &ri), 0);			/* all payload is padding */
	assert_int_equal(ri.payload_len, 0);
}

static void test_rtcp_parse(void **state)
{
	(void)state;
	uint8_t b[64];
	struct rtcp_info ci;
	size_t len = tu_rtcp_rr(b, 0x01020304);

	assert_int_equal(rtcp_parse(b, len, &ci), 0);
	assert_int_equal(ci.first_pt, 201);
	assert_int_equal(ci.ssrc, 0x01020304);
	assert_int_equal(ci.count, 1);
	/* compound: RR + an empty SDES (PT 202, length 0 words -> 4 bytes) */
	b[8] = 0x80; b[9] = 202; b[10] = 0; b[11] = 0;
	assert_int_equal(rtcp_parse(b, 12, &ci), 0);
	assert_int_equal(ci.count, 2);
	assert_int_equal(rtcp_parse(b, 10, &ci), -EINVAL);		/* trailing junk */
	b[8] = 0x40;
	assert_int_equal(rtcp_parse(b, 12, &ci), -EINVAL);		/* bad version inside */
	b[3] = 50;
	assert_int_equal(rtcp_parse(b, 8, &ci), -EINVAL);		/* length past end */
	tu_rtp(b, 0, 1, 2, 3, 4);
	assert_int_equal(rtcp_parse(b, 16, &ci), -EINVAL);		/* RTP is not RTCP */
}

static void test_rtcp_mux_demux(void **state)
{
	(void)state;
	uint8_t b[16] = { 0x80, 0 };
	for (unsigned v = 0; v < 256; v++) {
		b[1] = (uint8_t)v;
		assert_int_equal(rtp_is_rtcp(b, 16), v >= 192 && v <= 223);
	}
	b[0] = 0x00;
	b[1] = 200;
	assert_false(rtp_is_rtcp(b, 16));
	assert_false(rtp_is_rtcp(b, 1));
}

/* Feed seq numbers (ts = 160 * seq, evenly spaced arrival). */
static void feed(struct rtp_source *s, uint32_t ssrc, const uint16_t *seq, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rtp_info ri = { .seq = seq[i], .ts = 160u * seq[i], .ssrc = ssrc };
		rtp_source_update(s, &ri, 160u * seq[i] + 1000);
	}
}

static void test_seq_loss(void **state)
{
	(void)state;
	struct rtp_source s = { 0 };
	uint16_t seq[100];
	size_t n = 0;

	for (uint16_t i = 0; i < 100; i++)
		if (i < 40 || i >= 45)
			seq[n++] = i;
	feed(&s, 7, seq, n);
	/* probation packet 0 is not counted: base is 1 */
	assert_int_equal(rtp_source_expected(&s), 99);
	assert_int_equal(rtp_source_lost(&s), 5);
	assert_int_equal(s.jitter, 0);
}

static void test_seq_wrap_and_duplicates(void **state)
{
	(void)state;
	struct rtp_source s = { 0 };
	uint16_t seq[] = { 65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 2, 1, 3 };

	feed(&s, 9, seq, sizeof(seq) / sizeof(seq[0]));
	assert_int_equal(s.cycles, 65536);
	assert_int_equal(rtp_source_ext_max(&s), 65536 + 3);
	/* 65531..3 = 9 expected; 11 received incl. 2 duplicates: lost clamps to 0 */
	assert_int_equal(rtp_source_expected(&s), 9);
	assert_int_equal(s.received, 11);
	assert_int_equal(rtp_source_lost(&s), 0);
}

static void test_seq_restart_and_ssrc_change(void **state)
{
	(void)state;
	struct rtp_source s = { 0 };
	uint16_t a[] = { 10, 11, 12, 13 };
	uint16_t jump[] = { 30000 };
	uint16_t after[] = { 30001, 30002 };

	feed(&s, 1, a, 4);
	assert_int_equal(rtp_source_expected(&s), 3);
	feed(&s, 1, jump, 1);		/* one wild packet: ignored */
	assert_int_equal(rtp_source_expected(&s), 3);
	feed(&s, 1, after, 2);		/* it continues: sender restarted */
	assert_int_equal(s.base_seq, 30001);
	assert_int_equal(rtp_source_expected(&s), 2);
	feed(&s, 2, a, 4);		/* new SSRC: fresh state */
	assert_int_equal(s.ssrc, 2);
	assert_int_equal(rtp_source_expected(&s), 3);
	assert_int_equal(rtp_source_lost(&s), 0);
}

static void test_jitter(void **state)
{
	(void)state;
	struct rtp_source s = { 0 };

	/* Arrivals alternate 0 / 80 timestamp units late: |D| = 80 each
	 * step, so J converges to 80 (A.8). */
	for (uint32_t i = 0; i < 400; i++) {
		struct rtp_info ri = { .seq = (uint16_t)i, .ts = 160u * i, .ssrc = 5 };
		rtp_source_update(&s, &ri, 160u * i + (i & 1 ? 80 : 0));
	}
	uint32_t j = (s.jitter + 8) >> 4;
	assert_true(j >= 78 && j <= 80);
}

static void test_static_clock_rates(void **state)
{
	(void)state;
	assert_int_equal(rtp_static_clock_rate(0), 8000);
	assert_int_equal(rtp_static_clock_rate(8), 8000);
	assert_int_equal(rtp_static_clock_rate(9), 8000);
	assert_int_equal(rtp_static_clock_rate(96), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_parse_basic),
		cmocka_unit_test(test_rtp_parse_csrc_ext_padding),
		cmocka_unit_test(test_rtp_parse_rejects),
		cmocka_unit_test(test_rtcp_parse),
		cmocka_unit_test(test_rtcp_mux_demux),
		cmocka_unit_test(test_seq_loss),
		cmocka_unit_test(test_seq_wrap_and_duplicates),
		cmocka_unit_test(test_seq_restart_and_ssrc_change),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_static_clock_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
