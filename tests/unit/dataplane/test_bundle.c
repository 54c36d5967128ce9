/*
 * test_bundle.c: dataplane/dp_bundle.h: which media of a BUNDLE a packet
 * belongs to (RFC 8843 9.2): MID header extension first (an unknown MID is
 * nobody's), then SSRC (signalled, learned), then a payload type only one
 * media has; learning is bounded and never moves a signalled SSRC; RTCP by
 * sender SSRC, then by the SSRC its report block is about. With media
 * answered outside the bundle the source names the media first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/dp_bundle.h"

static struct dp_endpoint *const EP_A = (struct dp_endpoint *)0x10;
static struct dp_endpoint *const EP_V = (struct dp_endpoint *)0x20;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* audio "a": PT 0 and 101, a=ssrc 1111; video "v": PT 96 and 101; MID id 3 */
static void table(struct dp_bundle *b)
{
	struct dp_endpoint_params p;

	memset(&p, 0, sizeof(p));
	p.bundle.n = 2;
	p.bundle.mid_ext = 3;
	p.bundle.m[0].ep = EP_A;
	strcpy(p.bundle.m[0].mid, "a");
	p.bundle.m[0].pts[0] = 1;		   /* PT 0 */
	p.bundle.m[0].pts[101 / 8] = 1u << (101 % 8); /* PT 101 */
	p.bundle.m[0].ssrc[0] = 1111;
	p.bundle.m[0].n_ssrc = 1;
	p.bundle.m[1].ep = EP_V;
	strcpy(p.bundle.m[1].mid, "v");
	p.bundle.m[1].pts[96 / 8] = 1u << (96 % 8);
	p.bundle.m[1].pts[101 / 8] |= 1u << (101 % 8);
	dp_bundle_init(b, &p);
}

/* An RTP packet, with the one-byte MID element (id 3) when @mid != NULL. */
static size_t rtp(uint8_t *b, uint8_t pt, uint32_t ssrc, const char *mid)
{
	size_t n = 12;

	memset(b, 0, 64);
	b[0] = 0x80;
	b[1] = pt;
	put32(b + 8, ssrc);
	if (mid) {
		size_t ml = strlen(mid);

		b[0] |= 0x10;
		b[12] = 0xBE;
		b[13] = 0xDE;
		b[15] = (uint8_t)((1 + ml + 3) / 4);
		b[16] = (uint8_t)(3 << 4 | (ml - 1));
		memcpy(b + 17, mid, ml);
		n = 16 + 4u * b[15];
	}
	return n + 20;
}

static const uint32_t NONE[DP_BUNDLE_MAX] = { 0 };

static void test_mid_first(void **state)
{
	struct dp_bundle b;
	uint8_t p[64];

	(void)state;
	table(&b);
	/* the MID names video although the SSRC is audio's signalled one and
	 * the payload type audio's: the MID wins, the signalled SSRC stays */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 0, 1111, "v"), false, NONE), 1);
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 0, 1111, NULL), false, NONE), 0);
	/* an unknown MID is nobody's, whatever else the packet says */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 0, 1111, "x"), false, NONE), -1);
	/* a MID teaches the SSRC */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 2222, "v"), false, NONE), 1);
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 2222, NULL), false, NONE), 1);
	/* ... and moves a learned one */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 2222, "a"), false, NONE), 0);
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 2222, NULL), false, NONE), 0);
	/* a malformed extension is nobody's */
	size_t n = rtp(p, 0, 1111, "v");
	p[15] = 40;
	assert_int_equal(dp_bundle_demux(&b, p, n, false, NONE), -1);
}

static void test_ssrc_then_pt(void **state)
{
	struct dp_bundle b;
	uint8_t p[64];

	(void)state;
	table(&b);
	/* a payload type only video has: video, and the SSRC is learned */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 96, 3333, NULL), false, NONE), 1);
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 3333, NULL), false, NONE), 1);
	/* 101 is both media's, 127 nobody's: an unknown SSRC is dropped */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 4444, NULL), false, NONE), -1);
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 127, 4444, NULL), false, NONE), -1);
	/* too short for RTP */
	assert_int_equal(dp_bundle_demux(&b, p, 11, false, NONE), -1);
}

static void test_learning_bounded(void **state)
{
	struct dp_bundle b;
	uint8_t p[64];

	(void)state;
	table(&b);
	for (uint32_t s = 1; s <= 100; s++)
		assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 96, 5000 + s, NULL), false, NONE),
				 1);
	assert_true(b.m[1].n_ssrc <= DP_BUNDLE_SSRCS);
	/* the newest are known, the signalled one of audio too */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 5100, NULL), false, NONE), 1);
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 1111, NULL), false, NONE), 0);
	/* the oldest was forgotten */
	assert_int_equal(dp_bundle_demux(&b, p, rtp(p, 101, 5001, NULL), false, NONE), -1);
	/* learning for audio never takes more than its slots either */
	for (uint32_t s = 1; s <= 50; s++)
		dp_bundle_demux(&b, p, rtp(p, 0, 9000 + s, NULL), false, NONE);
	assert_true(b.m[0].n_ssrc <= DP_BUNDLE_SSRCS);
	assert_int_equal(b.m[0].ssrc[0], 1111);
}

static void test_rtcp(void **state)
{
	struct dp_bundle b;
	uint8_t p[64];
	uint32_t sent[DP_BUNDLE_MAX] = { 7777, 8888 };

	(void)state;
	table(&b);
	memset(p, 0, sizeof(p));
	/* RR from the audio SSRC without blocks */
	p[0] = 0x80;
	p[1] = 201;
	p[3] = 1;
	put32(p + 4, 1111);
	assert_int_equal(dp_bundle_demux(&b, p, 8, true, sent), 0);
	/* an unknown sender: its one report block is about what video sends */
	put32(p + 4, 42);
	assert_int_equal(dp_bundle_demux(&b, p, 8, true, sent), -1);
	p[0] = 0x81;
	p[3] = 7;
	put32(p + 8, 8888);
	assert_int_equal(dp_bundle_demux(&b, p, 32, true, sent), 1);
	put32(p + 8, 1);
	assert_int_equal(dp_bundle_demux(&b, p, 32, true, sent), -1);
	/* a block the length does not hold, and a runt */
	assert_int_equal(dp_bundle_demux(&b, p, 20, true, sent), -1);
	assert_int_equal(dp_bundle_demux(&b, p, 7, true, sent), -1);
}

/* Media answered outside the bundle (RFC 9143 7.3.3): the one media at the
 * packet's source is its media whatever the packet says, and teaches its
 * SSRC; several at the source are told apart by the content, which cannot
 * name one at another address; none at the source: the content decides. */
static void test_split_source_first(void **state)
{
	struct dp_bundle b;
	uint8_t p[64];

	(void)state;
	table(&b);
	/* from the video's address: video, even with audio's MID, SSRC and PT */
	assert_int_equal(dp_bundle_split_demux(&b, 2, p, rtp(p, 0, 1111, "a"), false, NONE), 1);
	assert_int_equal(dp_bundle_split_demux(&b, 2, p, rtp(p, 96, 4242, NULL), false, NONE), 1);
	/* ... whose SSRC it learned: from an unknown source it is the video's */
	assert_int_equal(dp_bundle_split_demux(&b, 0, p, rtp(p, 101, 4242, NULL), false, NONE),
			 1);
	/* both at the source (equal addresses): the payload type decides */
	assert_int_equal(dp_bundle_split_demux(&b, 3, p, rtp(p, 0, 5151, NULL), false, NONE), 0);
	assert_int_equal(dp_bundle_split_demux(&b, 3, p, rtp(p, 96, 6161, NULL), false, NONE), 1);
	/* nothing says: dropped */
	assert_int_equal(dp_bundle_split_demux(&b, 3, p, rtp(p, 127, 7171, NULL), false, NONE),
			 -1);
	/* bits of media the table lacks are ignored: only audio is at the source */
	assert_int_equal(dp_bundle_split_demux(&b, 1u | 8u, p, rtp(p, 96, 8181, NULL), false, NONE),
			 0);
	/* the content names a media not at the source: nobody's (a third
	 * media, PT 100, shares the audio's address) */
	table(&b);
	b.n = 3;
	b.m[2].ep = (struct dp_endpoint *)0x30;
	b.m[2].pts[100 / 8] = 1u << (100 % 8);
	assert_int_equal(dp_bundle_split_demux(&b, 1u | 4u, p, rtp(p, 100, 9090, NULL), false, NONE),
			 2);
	assert_int_equal(dp_bundle_split_demux(&b, 1u | 4u, p, rtp(p, 96, 9191, NULL), false, NONE),
			 -1);
	/* RTCP from the video's address is the video's */
	memset(p, 0, sizeof(p));
	p[0] = 0x80;
	p[1] = 201;
	p[3] = 1;
	put32(p + 4, 1111);
	assert_int_equal(dp_bundle_split_demux(&b, 2, p, 8, true, NONE), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mid_first),
		cmocka_unit_test(test_ssrc_then_pt),
		cmocka_unit_test(test_learning_bounded),
		cmocka_unit_test(test_rtcp),
		cmocka_unit_test(test_split_source_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
