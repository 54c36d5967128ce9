/*
 * test_timeline.c: the call's timeline. Samples land at their position,
 * gaps are silence, overlapping tracks sum (and clip), late samples are
 * dropped and counted, and a placement beyond the window writes the oldest
 * part first without losing it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "recording/timeline.h"
#include "recording/wav_writer.h"

static int16_t *read_data(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	static int16_t buf[1 << 16];

	assert_non_null(f);
	fseek(f, 44, SEEK_SET);
	*n = fread(buf, 2, sizeof(buf) / 2, f);
	fclose(f);
	return buf;
}

static void ramp(int16_t *p, unsigned n, int16_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = v;
}

static void test_positions_gaps_sum(void **state)
{
	char path[] = "/tmp/rtprelay-tl-XXXXXX";
	int fd = mkstemp(path);
	struct wav_writer w;
	struct timeline t;
	int16_t a[160], b[160];
	size_t n;
	(void)state;

	close(fd);
	unlink(path);
	assert_int_equal(wav_open(&w, path, 8000), 0);
	assert_int_equal(timeline_init(&t, 8000, &w), 0);
	ramp(a, 160, 1000);
	ramp(b, 160, 30000);
	timeline_add(&t, 0, a, 160);	  /* 0..160: A */
	timeline_add(&t, 480, a, 160);	  /* 160..480 nothing: silence */
	timeline_add(&t, 560, b, 160);	  /* overlaps A's second frame: sum, clipped */
	assert_int_equal(timeline_flush(&t, 1000), 0);
	timeline_add(&t, 900, a, 160);	  /* behind what was written: 100 late */
	assert_int_equal(t.late, 100);
	assert_int_equal(timeline_flush(&t, 1200), 0);
	int16_t *d = read_data(path, &n);
	assert_int_equal(n, 1200);
	assert_int_equal(d[0], 1000);
	assert_int_equal(d[159], 1000);
	assert_int_equal(d[160], 0);
	assert_int_equal(d[479], 0);
	assert_int_equal(d[480], 1000);
	assert_int_equal(d[559], 1000);
	assert_int_equal(d[560], 31000 > 32767 ? 32767 : 31000);
	assert_int_equal(d[639], 31000);
	assert_int_equal(d[640], 30000);
	assert_int_equal(d[719], 30000);
	assert_int_equal(d[720], 0);
	assert_int_equal(d[999], 0);
	assert_int_equal(d[1000], 1000); /* the 60 samples of the late frame that were not late */
	assert_int_equal(d[1059], 1000);
	assert_int_equal(d[1060], 0);
	timeline_fini(&t);
	wav_close(&w);
	unlink(path);
}

/* Two legs on one clock with no drift: what one sends at position p and the
 * other at p stays at p in the mix, over a long run with the window sliding. */
static void test_window_slides(void **state)
{
	char path[] = "/tmp/rtprelay-tl-XXXXXX";
	int fd = mkstemp(path);
	struct wav_writer w;
	struct timeline t;
	int16_t f[160];
	size_t n;
	(void)state;

	close(fd);
	unlink(path);
	assert_int_equal(wav_open(&w, path, 8000), 0);
	assert_int_equal(timeline_init(&t, 1000, &w), 0); /* a small window */
	for (unsigned k = 0; k < 200; k++) {
		ramp(f, 160, (int16_t)(k + 1));
		timeline_add(&t, (uint64_t)k * 160, f, 160);
		timeline_add(&t, (uint64_t)k * 160, f, 160);
	}
	assert_int_equal(t.late, 0);
	assert_int_equal(timeline_flush(&t, 200 * 160), 0);
	int16_t *d = read_data(path, &n);
	assert_int_equal(n, 200 * 160);
	for (unsigned k = 0; k < 200; k++) {
		assert_int_equal(d[k * 160], 2 * (k + 1));
		assert_int_equal(d[k * 160 + 159], 2 * (k + 1));
	}
	timeline_fini(&t);
	wav_close(&w);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions_gaps_sum),
		cmocka_unit_test(test_window_slides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
