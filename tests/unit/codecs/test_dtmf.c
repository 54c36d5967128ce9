/*
 * test_dtmf.c: RFC 4733 telephone-event payloads and their re-timing into
 * another stream's timestamp space and clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "codecs/dtmf.h"

static void test_parse_write(void **state)
{
	const uint8_t p[4] = { 11, 0x80 | 10, 0x03, 0x20 };	/* '#', end, -10 dBm0, 800 */
	struct dtmf_event ev;
	uint8_t out[4];

	(void)state;
	assert_int_equal(dtmf_parse(p, 4, &ev), 0);
	assert_int_equal(ev.event, 11);
	assert_true(ev.end);
	assert_int_equal(ev.volume, 10);
	assert_int_equal(ev.duration, 800);
	dtmf_write(out, &ev);
	assert_memory_equal(out, p, 4);
	assert_int_equal(dtmf_parse(p, 3, &ev), -EINVAL);
	/* The reserved bit is not carried. */
	{
		const uint8_t r[4] = { 1, 0x40 | 5, 0, 160 };

		assert_int_equal(dtmf_parse(r, 4, &ev), 0);
		assert_false(ev.end);
		assert_int_equal(ev.volume, 5);
		dtmf_write(out, &ev);
		assert_int_equal(out[1], 5);
	}
}

/* One event: start, updates, three end packets (same RTP timestamp); then a
 * second event. 8 kHz in, 48 kHz out (an Opus side). */
static void test_relay_retimes_events(void **state)
{
	struct dtmf_relay r;
	struct dtmf_event ev;
	uint32_t ts;
	bool marker;
	const uint8_t start[4] = { 5, 10, 0, 160 }, mid[4] = { 5, 10, 0x01, 0xE0 },
		      end[4] = { 5, 0x80 | 10, 0x03, 0x20 }, next[4] = { 7, 10, 0, 160 };

	(void)state;
	dtmf_relay_init(&r, 8000, 48000);
	assert_int_equal(dtmf_relay_map(&r, 1000, start, 4, 777000, &ev, &ts, &marker), 0);
	assert_true(marker);
	assert_int_equal(ts, 777000);
	assert_int_equal(ev.duration, 960);
	assert_int_equal(ev.event, 5);
	/* Later packets of the event keep its start timestamp, whatever the
	 * output clock has done meanwhile, and carry no marker. */
	assert_int_equal(dtmf_relay_map(&r, 1000, mid, 4, 778920, &ev, &ts, &marker), 0);
	assert_false(marker);
	assert_int_equal(ts, 777000);
	assert_int_equal(ev.duration, 2880);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dtmf_relay_map(&r, 1000, end, 4, 780000, &ev, &ts, &marker), 0);
		assert_false(marker);
		assert_true(ev.end);
		assert_int_equal(ev.duration, 4800);
		assert_int_equal(ts, 777000);
	}
	assert_int_equal(dtmf_relay_map(&r, 9000, next, 4, 800000, &ev, &ts, &marker), 0);
	assert_true(marker);
	assert_int_equal(ts, 800000);
	assert_int_equal(ev.event, 7);
	assert_int_equal(dtmf_relay_map(&r, 9000, next, 2, 800000, &ev, &ts, &marker), -EINVAL);
}

/* Long events at a faster clock saturate rather than wrap. */
static void test_duration_saturates(void **state)
{
	struct dtmf_relay r;
	struct dtmf_event ev;
	uint32_t ts;
	bool marker;
	const uint8_t p[4] = { 1, 10, 0x40, 0x00 };	/* 16384 units at 8 kHz = 2 s */

	(void)state;
	dtmf_relay_init(&r, 8000, 48000);
	assert_int_equal(dtmf_relay_map(&r, 0, p, 4, 0, &ev, &ts, &marker), 0);
	assert_int_equal(ev.duration, 0xFFFF);
	dtmf_relay_init(&r, 48000, 8000);
	assert_int_equal(dtmf_relay_map(&r, 0, p, 4, 0, &ev, &ts, &marker), 0);
	assert_int_equal(ev.duration, 16384 / 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_write),
		cmocka_unit_test(test_relay_retimes_events),
		cmocka_unit_test(test_duration_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
