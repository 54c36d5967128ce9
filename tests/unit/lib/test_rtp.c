/*
 * test_rtp.c: lib/rtp: RTP/RTCP header parsing bounds, the header and
 * SR/SDES writers (read back by the parsers), the RTP/RTCP split on a muxed
 * port at its boundaries, the static payload type table, and the RFC 3550
 * receiver statistics (A.1 sequence validation, A.3 loss, A.8 jitter).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/rtp.h"

/* An RTP packet: fixed header, then @plen bytes of payload. */
static size_t tu_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		     size_t plen)
{
	rtp_write_hdr(buf, false, pt, seq, ts, ssrc);
	memset(buf + RTP_HDR_MIN, seq & 0xff, plen);
	return RTP_HDR_MIN + plen;
}

/* A minimal RTCP receiver report (PT 201, no report blocks). */
static size_t tu_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
	static const uint8_t rr[4] = { 0x80, 201, 0, 1 };	/* 2 words */

	memcpy(buf, rr, 4);
	buf[4] = (uint8_t)(ssrc >> 24);
	buf[5] = (uint8_t)(ssrc >> 16);
	buf[6] = (uint8_t)(ssrc >> 8);
	buf[7] = (uint8_t)ssrc;
	return 8;
}

static void test_rtp_write_parse_round_trip(void **state)
{
	uint8_t b[32];
	struct rtp_info ri;

	(void)state;
	rtp_write_hdr(b, true, 96, 0xBEEF, 0xDEADBEEF, 0x01020304);
	memset(b + 12, 0xAA, 20);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[1], 0x80 | 96);
	assert_int_equal(rtp_parse(b, sizeof(b), &ri), 0);
	assert_true(ri.marker);
	assert_int_equal(ri.pt, 96);
	assert_int_equal(ri.seq, 0xBEEF);
	assert_int_equal(ri.ts, 0xDEADBEEF);
	assert_int_equal(ri.ssrc, 0x01020304);
	assert_int_equal(ri.hdr_len, 12);
	assert_int_equal(ri.payload_len, 20);
	/* a payload type above 127 cannot reach the marker bit */
	rtp_write_hdr(b, false, 0xff, 0, 0, 0);
	assert_int_equal(b[1], 0x7f);
}

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

/* A header that fills the packet exactly parses; one byte less does not. */
static void test_rtp_parse_exact_bounds(void **state)
{
	uint8_t b[64] = { 0 };
	struct rtp_info ri;

	(void)state;
	rtp_write_hdr(b, false, 0, 1, 2, 3);
	b[0] = 0x80 | 0x10 | 15;	/* 15 CSRCs (60 bytes): 72 > 64 */
	assert_int_equal(rtp_parse(b, 64, &ri), -EINVAL);
	b[0] = 0x80 | 0x10 | 1;		/* CSRC, extension header at 16, 3 words */
	b[18] = 0;
	b[19] = 3;
	assert_int_equal(rtp_parse(b, 32, &ri), 0);
	assert_int_equal(ri.hdr_len, 32);
	assert_int_equal(ri.payload_len, 0);
	assert_int_equal(rtp_parse(b, 31, &ri), -EINVAL);
	assert_int_equal(rtp_parse(b, 19, &ri), -EINVAL);	/* extension header cut */
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
	/* the first packet's type: 192..223 only (as rtp_is_rtcp) */
	tu_rtcp_rr(b, 1);
	for (unsigned v = 188; v < 228; v++) {
		b[1] = (uint8_t)v;
		assert_int_equal(rtcp_parse(b, 8, &ci) == 0, v >= 192 && v <= 223);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A report block at @p about @ssrc with the given figures. */
static void tu_block(uint8_t *p, uint32_t ssrc, uint8_t frac, uint32_t lost24, uint32_t lsr,
		     uint32_t dlsr)
{
	put32(p, ssrc);
	put32(p + 4, (uint32_t)frac << 24 | (lost24 & 0xffffffu));
	put32(p + 8, 0x00010064);
	put32(p + 12, 160);
	put32(p + 16, lsr);
	put32(p + 20, dlsr);
}

static void test_rtcp_parse_reports(void **state)
{
	(void)state;
	uint8_t b[128];
	struct rtcp_reports r;

	/* SR with one block: header, SSRC, NTP 0x11223344:55667788, RTP ts,
	 * counts (28 bytes), the block (24): length 12 words */
	memset(b, 0, sizeof(b));
	b[0] = 0x81, b[1] = 200, b[3] = 12;
	put32(b + 4, 0xa1a2a3a4);
	put32(b + 8, 0x11223344);
	put32(b + 12, 0x55667788);
	tu_block(b + 28, 0xb1b2b3b4, 64, 0xfffffe, 0x33445566, 65536 / 2);
	assert_int_equal(rtcp_parse_reports(b, 52, &r), 0);
	assert_true(r.has_sr);
	assert_int_equal(r.sr_ssrc, 0xa1a2a3a4);
	assert_int_equal(r.sr_ntp_mid, 0x33445566);
	assert_true(r.has_block);
	assert_int_equal(r.block.ssrc, 0xb1b2b3b4);
	assert_int_equal(r.block.fraction_lost, 64);
	assert_int_equal(r.block.cum_lost, -2); /* 24-bit two's complement */
	assert_int_equal(r.block.ext_max, 0x00010064);
	assert_int_equal(r.block.jitter, 160);
	assert_int_equal(r.block.lsr, 0x33445566);
	assert_int_equal(r.block.dlsr, 32768);

	/* RR with one block (8 + 24 bytes, 7 words), then an SDES */
	memset(b, 0, sizeof(b));
	b[0] = 0x81, b[1] = 201, b[3] = 7;
	put32(b + 4, 0xc0c0c0c0);
	tu_block(b + 8, 0xa1a2a3a4, 0, 5, 0x01020304, 1000);
	b[32] = 0x80, b[33] = 202;
	assert_int_equal(rtcp_parse_reports(b, 36, &r), 0);
	assert_false(r.has_sr);
	assert_true(r.has_block);
	assert_int_equal(r.block.ssrc, 0xa1a2a3a4);
	assert_int_equal(r.block.cum_lost, 5);
	assert_int_equal(r.block.lsr, 0x01020304);
	assert_int_equal(r.block.dlsr, 1000);

	/* a report count the packet's length does not hold: no block taken */
	b[0] = 0x82;
	assert_int_equal(rtcp_parse_reports(b, 36, &r), 0);
	assert_true(r.has_block); /* the first block still fits */
	b[0] = 0x81, b[3] = 1;	  /* RR of 8 bytes claiming one block */
	assert_int_equal(rtcp_parse_reports(b, 8, &r), 0);
	assert_false(r.has_block);
	/* an SR shorter than its sender information: no SR taken */
	b[0] = 0x80, b[1] = 200, b[3] = 1;
	assert_int_equal(rtcp_parse_reports(b, 8, &r), 0);
	assert_false(r.has_sr);
	/* invalid compounds are refused as by rtcp_parse */
	b[3] = 9;
	assert_int_equal(rtcp_parse_reports(b, 8, &r), -EINVAL);
	assert_int_equal(rtcp_parse_reports(b, 3, &r), -EINVAL);
}

static void test_rtcp_write_sr(void **state)
{
	static const char cname[] = "rtprelay";
	struct rtcp_sr sr = {
		.ssrc = 0x11223344, .ntp = 0x0102030405060708ull, .rtp_ts = 0xA0B0C0D0,
		.packets = 1000, .octets = 160000,
	};
	static const uint8_t want[48] = {
		0x80, 200, 0, 6, 0x11, 0x22, 0x33, 0x44,		/* SR, 7 words */
		1, 2, 3, 4, 5, 6, 7, 8, 0xA0, 0xB0, 0xC0, 0xD0,
		0, 0, 0x03, 0xE8, 0, 0x02, 0x71, 0x00,
		0x81, 202, 0, 4, 0x11, 0x22, 0x33, 0x44,		/* SDES, 5 words */
		1, 8, 'r', 't', 'p', 'r', 'e', 'l', 'a', 'y', 0, 0,	/* CNAME, end */
	};
	uint8_t b[600];
	struct rtcp_info ci;
	char name[256];

	(void)state;
	memset(b, 0xEE, sizeof(b));
	assert_int_equal(rtcp_write_sr(b, sizeof(b), &sr, cname), 48);
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(b[48], 0xEE);
	assert_int_equal(rtcp_write_sr(b, 47, &sr, cname), -ENOBUFS);
	/* every CNAME length pads to a whole word with at least one zero octet
	 * ending the item list, and reads back as a two-packet compound */
	for (size_t n = 0; n < sizeof(name); n++) {
		memset(name, 'x', n);
		name[n] = 0;
		int len = rtcp_write_sr(b, sizeof(b), &sr, name);

		assert_true(len > 0);
		assert_int_equal(len % 4, 0);
		assert_true((size_t)len >= 28 + 8 + 2 + n + 1);
		assert_true((size_t)len < 28 + 8 + 2 + n + 1 + 4);
		assert_int_equal(b[len - 1], 0);
		assert_int_equal(rtcp_parse(b, (size_t)len, &ci), 0);
		assert_int_equal(ci.count, 2);
		assert_int_equal(ci.first_pt, 200);
		assert_int_equal(ci.ssrc, 0x11223344);
		assert_int_equal(b[28 + 9], n);
	}
	char longer[257];

	memset(longer, 'x', 256);
	longer[256] = 0;
	assert_int_equal(rtcp_write_sr(b, sizeof(b), &sr, longer), -EINVAL);
}

/* generate-RTCP's report: SR + one report block + SDES; the block reads back
 * through rtcp_parse_reports as written, negative and huge losses clamp to
 * 24 bits, and rtp_source_block gives RFC 3550 A.3's interval figures. */
static void test_rtcp_write_report_block(void **state)
{
	struct rtcp_sr sr = { .ssrc = 0x11223344, .ntp = 0x0102030405060708ull, .packets = 7 };
	struct rtcp_report_block rb = {
		.ssrc = 0x55667788, .fraction_lost = 64, .cum_lost = -3, .ext_max = 0x00012345,
		.jitter = 99, .lsr = 0xdeadbeef, .dlsr = 65536,
	};
	struct rtcp_reports r;
	uint8_t b[200];
	int len;

	(void)state;
	len = rtcp_write_report(b, sizeof(b), &sr, &rb, "rtprelay");
	assert_int_equal(len, 48 + 24);
	assert_int_equal(b[0], 0x81); /* RC = 1 */
	assert_int_equal(b[3], 12);   /* 13 words */
	assert_int_equal(rtcp_write_report(b, 71, &sr, &rb, "rtprelay"), -ENOBUFS);
	assert_int_equal(rtcp_parse_reports(b, (size_t)len, &r), 0);
	assert_true(r.has_sr && r.has_block);
	assert_int_equal(r.sr_ssrc, 0x11223344);
	assert_int_equal(r.block.ssrc, 0x55667788);
	assert_int_equal(r.block.fraction_lost, 64);
	assert_int_equal(r.block.cum_lost, -3);
	assert_int_equal(r.block.ext_max, 0x00012345);
	assert_int_equal(r.block.jitter, 99);
	assert_int_equal(r.block.lsr, 0xdeadbeef);
	assert_int_equal(r.block.dlsr, 65536);
	rb.cum_lost = 0x7fffffff;
	len = rtcp_write_report(b, sizeof(b), &sr, &rb, "x");
	assert_int_equal(rtcp_parse_reports(b, (size_t)len, &r), 0);
	assert_int_equal(r.block.cum_lost, 0x7fffff);
	/* no block: the plain SR */
	assert_int_equal(rtcp_write_report(b, sizeof(b), &sr, NULL, "rtprelay"), 48);

	/* 100 packets, 10 of them lost: 10/100 of 256 in the first interval,
	 * nothing lost in the next (the prior moved on) */
	struct rtp_source s;
	struct rtp_source_prior prior = { 0 };
	struct rtcp_report_block got;
	memset(&s, 0, sizeof(s));
	assert_false(rtp_source_block(&s, &prior, &got)); /* nothing received yet */
	for (unsigned i = 0; i < 100; i++) {
		struct rtp_info ri = { .ssrc = 42, .seq = (uint16_t)(65500 + i), .ts = 160 * i };
		if (i >= 50 && i < 60)
			continue;
		rtp_source_update(&s, &ri, 160 * i);
	}
	assert_true(rtp_source_block(&s, &prior, &got));
	assert_int_equal(got.ssrc, 42);
	assert_int_equal(got.cum_lost, 10);
	/* expected counts from the first valid packet (probation takes one) */
	uint64_t exp = rtp_source_expected(&s);
	assert_int_equal(got.fraction_lost, (10 * 256) / exp);
	assert_int_equal(got.ext_max, (1u << 16) + (uint16_t)(65500 + 99));
	for (unsigned i = 100; i < 150; i++) {
		struct rtp_info ri = { .ssrc = 42, .seq = (uint16_t)(65500 + i), .ts = 160 * i };
		rtp_source_update(&s, &ri, 160 * i);
	}
	assert_true(rtp_source_block(&s, &prior, &got));
	assert_int_equal(got.fraction_lost, 0);
	assert_int_equal(got.cum_lost, 10);
}

/* RFC 5761 4: 192..223 in the second byte is RTCP; payload types 64..95
 * without the marker (second byte 64..95) and 63/96 with it (191/224) are
 * RTP. The kernel fast path's side of the same rule is held to this one in
 * tests/unit/offload/test_passthrough.c. */
static void test_rtcp_mux_demux(void **state)
{
	(void)state;
	uint8_t b[16] = { 0x80, 0 };
	static const uint8_t rtp[] = { 0, 63, 64, 72, 95, 96, 127, 128, 191, 224, 255 };
	static const uint8_t rtcp[] = { 192, 200, 201, 206, 223 };

	for (size_t i = 0; i < sizeof(rtp); i++) {
		b[1] = rtp[i];
		assert_false(rtp_is_rtcp(b, 16));
		assert_false(rtp_second_byte_is_rtcp(rtp[i]));
	}
	for (size_t i = 0; i < sizeof(rtcp); i++) {
		b[1] = rtcp[i];
		assert_true(rtp_is_rtcp(b, 16));
		assert_true(rtp_second_byte_is_rtcp(rtcp[i]));
	}
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

/* RFC 3551 tables 4 and 5; every other payload type is dynamic or
 * unassigned. */
static void test_static_clock_rates(void **state)
{
	static const uint32_t rfc3551[35] = {
		[0] = 8000, [3] = 8000, [4] = 8000, [5] = 8000, [6] = 16000, [7] = 8000,
		[8] = 8000, [9] = 8000, [10] = 44100, [11] = 44100, [12] = 8000,
		[13] = 8000, [14] = 90000, [15] = 8000, [16] = 11025, [17] = 22050,
		[18] = 8000, [25] = 90000, [26] = 90000, [28] = 90000, [31] = 90000,
		[32] = 90000, [33] = 90000, [34] = 90000,
	};

	(void)state;
	for (unsigned pt = 0; pt < 256; pt++)
		assert_int_equal(rtp_static_clock_rate(pt), pt < 35 ? rfc3551[pt] : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_write_parse_round_trip),
		cmocka_unit_test(test_rtp_parse_basic),
		cmocka_unit_test(test_rtp_parse_csrc_ext_padding),
		cmocka_unit_test(test_rtp_parse_exact_bounds),
		cmocka_unit_test(test_rtp_parse_rejects),
		cmocka_unit_test(test_rtcp_parse),
		cmocka_unit_test(test_rtcp_parse_reports),
		cmocka_unit_test(test_rtcp_write_sr),
		cmocka_unit_test(test_rtcp_write_report_block),
		cmocka_unit_test(test_rtcp_mux_demux),
		cmocka_unit_test(test_seq_loss),
		cmocka_unit_test(test_seq_wrap_and_duplicates),
		cmocka_unit_test(test_seq_restart_and_ssrc_change),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_static_clock_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
