/*
 * test_resample.c: rate conversion keeps a tone's frequency and level, runs
 * frame by frame with a bounded output, and equal rates are a copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "codecs/resample.h"
#include "tests/unit/codecs/signal.h"

static void convert(unsigned in_rate, unsigned out_rate, double hz)
{
	struct resampler *r;
	static int16_t in[48000], out[48000 + 64], ref[48000];
	unsigned got = 0, fin = in_rate / 50;
	struct quality q;

	assert_int_equal(resample_new(1, in_rate, out_rate, RESAMPLE_DEFAULT_QUALITY, &r), 0);
	sig_sine(in, in_rate, in_rate, hz, 10000, 0);
	for (unsigned i = 0; i + fin <= in_rate; i += fin) {	/* 20 ms at a time */
		int n = resample_run(r, in + i, fin, out + got, resample_out_max(r, fin));

		assert_true(n >= 0);
		assert_true((unsigned)n <= resample_out_max(r, fin));
		got += (unsigned)n;
	}
	/* All of it came out (give or take the filter's delay). */
	assert_true(got + out_rate / 100 >= out_rate && got <= out_rate + 2);
	sig_sine(ref, out_rate, out_rate, hz, 10000, 0);
	q = quality_best(ref, out, got, out_rate / 10, out_rate / 100);
	print_message("%u -> %u, %.0f Hz: corr %.4f snr %.1f dB (lag %u)\n", in_rate, out_rate, hz,
		      q.corr, q.snr_db, q.lag);
	assert_true(q.corr > 0.999);
	assert_true(q.snr_db > 25);
	resample_free(r);
}

static void test_up_and_down(void **state)
{
	(void)state;
	convert(8000, 16000, 1000);
	convert(16000, 8000, 1000);
	convert(8000, 48000, 440);
	convert(48000, 8000, 3000);
	convert(8000, 8000, 1000);
}

static void test_bad_args(void **state)
{
	struct resampler *r;

	(void)state;
	assert_int_equal(resample_new(3, 8000, 16000, 3, &r), -EINVAL);
	assert_int_equal(resample_new(1, 0, 16000, 3, &r), -EINVAL);
	assert_int_equal(resample_new(1, 8000, 16000, 11, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_and_down),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
