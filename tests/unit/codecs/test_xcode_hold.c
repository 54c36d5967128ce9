/*
 * test_xcode_hold.c: a transcoder made with out_hold (a Redis standby's,
 * daemon/stream_ref.h) sends nothing, whatever it is given, until
 * xcode_out_seek; then its output carries the SSRC it was made with and
 * continues at the sequence number and timestamp the seek named: the first
 * packet marked (a gap for the receiver), the next ones in step (one
 * sequence number and one frame of timestamp each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "codecs/codec.h"
#include "codecs/transcode.h"
#include "lib/rtp.h"

#define SSRC 0x5eed1234u

static void push_pcmu(struct xcode *x, uint16_t seq, uint32_t ts, uint64_t now)
{
	uint8_t pkt[12 + 160];

	memset(pkt + 12, 0xff, 160); /* PCMU silence */
	rtp_write_hdr(pkt, seq == 1, 0, seq, ts, 0xabcd);
	assert_int_equal(xcode_push(x, pkt, sizeof(pkt), now), 0);
}

static void test_hold_then_seek(void **state)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = &codec_pcma, .in_pt = 0,
				  .out_pt = 8, .in_dtmf_pt = -1, .out_dtmf_pt = -1,
				  .complexity = -1, .resample_quality = -1,
				  .out_ssrc = SSRC, .out_hold = true };
	struct xcode *x;
	uint8_t out[1500];
	uint64_t now = 1000;
	uint16_t seq = 1;
	uint32_t ts = 160;
	struct rtp_info h[3];
	unsigned got = 0;

	(void)state;
	assert_int_equal(xcode_new(&c, &x), 0);
	/* held: 200 ms of input, nothing out */
	for (int i = 0; i < 10; i++, now += 20, seq++, ts += 160) {
		push_pcmu(x, seq, ts, now);
		for (uint64_t t = now; t < now + 20; t += 5)
			assert_int_equal(xcode_pull(x, t, out, sizeof(out)), 0);
	}
	xcode_out_seek(x, 65535, 0xfffffff0u);
	for (int i = 0; i < 20 && got < 3; i++, now += 20, seq++, ts += 160) {
		push_pcmu(x, seq, ts, now);
		for (uint64_t t = now; t < now + 20 && got < 3; t += 5) {
			int n;
			while (got < 3 && (n = xcode_pull(x, t, out, sizeof(out))) > 0)
				assert_int_equal(rtp_parse(out, (size_t)n, &h[got++]), 0);
		}
	}
	assert_int_equal(got, 3);
	assert_int_equal(h[0].ssrc, SSRC);
	assert_int_equal(h[0].seq, 65535);
	assert_int_equal(h[0].ts, 0xfffffff0u);
	assert_true(h[0].marker);
	assert_int_equal(h[1].ssrc, SSRC);
	assert_int_equal(h[1].seq, 0); /* wraps */
	assert_int_equal(h[1].ts, 0xfffffff0u + 160u);
	assert_false(h[1].marker);
	assert_int_equal(h[2].seq, 1);
	assert_int_equal(h[2].ts, 0xfffffff0u + 320u);
	xcode_free(x);
}

/* Without out_hold, nothing changes: output from the first pull that is due. */
static void test_no_hold_sends(void **state)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = &codec_pcma, .in_pt = 0,
				  .out_pt = 8, .in_dtmf_pt = -1, .out_dtmf_pt = -1,
				  .complexity = -1, .resample_quality = -1 };
	struct xcode *x;
	uint8_t out[1500];
	int n = 0;

	(void)state;
	assert_int_equal(xcode_new(&c, &x), 0);
	for (int i = 0; i < 5 && n <= 0; i++) {
		push_pcmu(x, (uint16_t)(1 + i), 160u * (1 + i), 1000 + 20 * i);
		n = xcode_pull(x, 1000 + 20 * i + 15, out, sizeof(out));
	}
	assert_true(n > 0);
	xcode_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_then_seek),
		cmocka_unit_test(test_no_hold_sends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
