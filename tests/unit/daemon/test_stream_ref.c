/*
 * test_stream_ref.c: an output stream's reference point (daemon/stream_ref.h).
 * The extended sequence number of a sample counts the SRTP rollover counter
 * of the last packet sent (also when the next sequence number has just
 * wrapped); the prediction moves one packet per ptime and clock-rate
 * timestamps per second from the reference, wraps the 16-bit sequence number
 * into the counter and the timestamp modulo 2^32, and never goes back for a
 * reference from the future; a sample is written again only when it left
 * the prediction (another SSRC, DTMF packets ahead, a long silence behind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/stream_ref.h"

static void test_index_from_sample(void **state)
{
	struct stream_ref r;

	(void)state;
	stream_ref_from_sample(&r, 7, 100, 5, false, 0, 1000);
	assert_true(r.set);
	assert_int_equal(r.index, 100);
	stream_ref_from_sample(&r, 7, 100, 5, true, 3, 1000);
	assert_int_equal(r.index, (3ull << 16) | 100);
	/* next is 0: the last packet (65535) was sent with counter 3 */
	stream_ref_from_sample(&r, 7, 0, 5, true, 3, 1000);
	assert_int_equal(r.index, 4ull << 16);
}

static void test_predict(void **state)
{
	struct stream_ref r = { .set = true, .ssrc = 1, .index = (2ull << 16) | 65500,
				.ts = 0xffffff00u, .wall_ms = 50000 };
	uint64_t index;
	uint32_t ts;

	(void)state;
	stream_ref_predict(&r, 20, 8000, 50000, 0, &index, &ts);
	assert_int_equal(index, r.index);
	assert_int_equal(ts, r.ts);
	/* 2 s later at 20 ms: 100 packets, past the wrap into counter 3 */
	stream_ref_predict(&r, 20, 8000, 52000, 0, &index, &ts);
	assert_int_equal(index, (3ull << 16) | (65500 + 100 - 65536));
	assert_int_equal(ts, (uint32_t)(0xffffff00u + 16000u));
	/* slack adds as elapsed time; ptime 0 is 20 */
	stream_ref_predict(&r, 0, 48000, 52000, 1000, &index, &ts);
	assert_int_equal(index, r.index + 150);
	assert_int_equal(ts, (uint32_t)(0xffffff00u + 3u * 48000u));
	/* a reference from the future (clock skew): no step back */
	stream_ref_predict(&r, 30, 8000, 40000, 0, &index, &ts);
	assert_int_equal(index, r.index);
	assert_int_equal(ts, r.ts);
	/* the 48-bit index wraps as well */
	r.index = (1ull << 48) - 1;
	stream_ref_predict(&r, 20, 8000, 50020, 0, &index, &ts);
	assert_int_equal(index, 0);
}

static void test_moved(void **state)
{
	struct stream_ref old = { 0 }, cur;

	(void)state;
	stream_ref_from_sample(&cur, 9, 1000, 80000, false, 0, 10000);
	assert_true(stream_ref_moved(&old, &cur, 20, 8000)); /* none yet */
	old = cur;
	/* 10 s of steady output: where the reference predicts */
	stream_ref_from_sample(&cur, 9, 1500, 80000 + 80000, false, 0, 20000);
	assert_false(stream_ref_moved(&old, &cur, 20, 8000));
	/* a few DTMF packets ahead: within STREAM_REF_AHEAD_MS */
	stream_ref_from_sample(&cur, 9, 1505, 160000, false, 0, 20000);
	assert_false(stream_ref_moved(&old, &cur, 20, 8000));
	/* more: written again, or a standby could step back */
	stream_ref_from_sample(&cur, 9, 1520, 160000, false, 0, 20000);
	assert_true(stream_ref_moved(&old, &cur, 20, 8000));
	/* the timestamp ahead */
	stream_ref_from_sample(&cur, 9, 1500, 160000 + 8000, false, 0, 20000);
	assert_true(stream_ref_moved(&old, &cur, 20, 8000));
	/* far behind (a silent sender: no packets, the clock stopped) */
	stream_ref_from_sample(&cur, 9, 1000, 80000, false, 0, 20000);
	assert_true(stream_ref_moved(&old, &cur, 20, 8000));
	/* a little behind (DTX): not worth a write */
	stream_ref_from_sample(&cur, 9, 1450, 160000, false, 0, 20000);
	assert_false(stream_ref_moved(&old, &cur, 20, 8000));
	/* another SSRC (a new transcoder after a re-offer) */
	stream_ref_from_sample(&cur, 10, 1500, 160000, false, 0, 20000);
	assert_true(stream_ref_moved(&old, &cur, 20, 8000));
	/* across the sequence number wrap: steady, not moved */
	stream_ref_from_sample(&old, 9, 65530, 0, true, 1, 10000);
	stream_ref_from_sample(&cur, 9, (uint16_t)(65530 + 400), 400 * 160, true, 2, 18000);
	assert_int_equal(cur.index, old.index + 400);
	assert_false(stream_ref_moved(&old, &cur, 20, 8000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_from_sample),
		cmocka_unit_test(test_predict),
		cmocka_unit_test(test_moved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
