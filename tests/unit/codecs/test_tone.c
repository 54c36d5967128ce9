/*
 * test_tone.c: the tone generator behind in-band DTMF and the `tone` mode of
 * block DTMF: the right frequencies (Goertzel), the level asked for, no clicks
 * between frames, bounds on absurd input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <cmocka.h>

#include "codecs/g711.h"
#include "codecs/tone.h"

/* Power of @f Hz in @pcm (Goertzel), normalised by the number of samples. */
static double goertzel(const int16_t *pcm, unsigned n, double f, unsigned rate)
{
	double w = 2.0 * M_PI * f / rate, c = 2.0 * cos(w), s1 = 0, s2 = 0;

	for (unsigned i = 0; i < n; i++) {
		double s = pcm[i] + c * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

static double rms(const int16_t *pcm, unsigned n)
{
	double e = 0;

	for (unsigned i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	return sqrt(e / n);
}

static void test_dtmf_pairs(void **state)
{
	static const unsigned rows[4] = { 697, 770, 852, 941 }, cols[4] = { 1209, 1336, 1477, 1633 };
	unsigned f[2];

	(void)state;
	assert_true(tone_dtmf_freqs(1, f));
	assert_int_equal(f[0], 697);
	assert_int_equal(f[1], 1209);
	assert_true(tone_dtmf_freqs(0, f));
	assert_int_equal(f[0], 941);
	assert_int_equal(f[1], 1336);
	assert_true(tone_dtmf_freqs(11, f)); /* # */
	assert_int_equal(f[0], 941);
	assert_int_equal(f[1], 1477);
	assert_true(tone_dtmf_freqs(15, f)); /* D */
	assert_int_equal(f[0], 941);
	assert_int_equal(f[1], 1633);
	assert_false(tone_dtmf_freqs(16, f));
	assert_false(tone_dtmf_freqs(255, f));
	/* every event has one row and one column frequency */
	for (uint8_t e = 0; e < 16; e++) {
		int r = -1, c = -1;
		assert_true(tone_dtmf_freqs(e, f));
		for (int i = 0; i < 4; i++) {
			if (f[0] == rows[i])
				r = i;
			if (f[1] == cols[i])
				c = i;
		}
		assert_true(r >= 0 && c >= 0);
	}
}

/* The two tones of '5' dominate every other DTMF frequency by far, in
 * frames generated one after another (phase carried on). */
static void test_digit_spectrum(void **state)
{
	static const double all[8] = { 697, 770, 852, 941, 1209, 1336, 1477, 1633 };
	int16_t pcm[1600];
	struct tone t;
	unsigned f[2];

	(void)state;
	assert_true(tone_dtmf_freqs(5, f)); /* 770 + 1336 */
	tone_init(&t, f, 2, 8, 8000);
	for (unsigned i = 0; i < 1600; i += 160)
		tone_fill(&t, pcm + i, 160);
	/* each component at -8 dBm0 / 2: (A/2)^2 with A = 22718 * 10^(-8/20) / 2 */
	double a = 22718.0 * pow(10, -8 / 20.0) / 2, want = a * a / 4;
	for (int i = 0; i < 8; i++) {
		double p = goertzel(pcm, 1600, all[i], 8000);
		if (all[i] == 770 || all[i] == 1336)
			assert_true(p > want * 0.8 && p < want * 1.25);
		else
			assert_true(p < want / 1000); /* 30 dB down */
	}
	/* no discontinuity at frame joins: frames of 160 give the same signal
	 * as one run of 1600 (within float rounding) */
	int16_t one[1600];
	tone_init(&t, f, 2, 8, 8000);
	tone_fill(&t, one, 1600);
	for (unsigned i = 0; i < 1600; i++)
		assert_true(abs(pcm[i] - one[i]) <= 2);
}

/* Level: a single tone at -V dBm0 has an RMS of 22718 * 10^(-V/20) / sqrt 2;
 * after G.711 the level is within a dB. */
static void test_level_and_bounds(void **state)
{
	int16_t pcm[8000], dec[8000];
	struct tone t;
	unsigned f = 1000;

	(void)state;
	tone_init(&t, &f, 1, 10, 8000);
	tone_fill(&t, pcm, 8000);
	double want = 22718.0 * pow(10, -10 / 20.0) / sqrt(2);
	assert_true(fabs(rms(pcm, 8000) - want) < want * 0.01);
	for (int i = 0; i < 8000; i++)
		dec[i] = g711_ulaw_decode(g711_ulaw_encode(pcm[i]));
	assert_true(fabs(20 * log10(rms(dec, 8000) / want)) < 1.0);
	/* absurd input is clamped: volume 200 is -63 dBm0, 0 Hz is 1 Hz,
	 * 90 kHz is 4 kHz, more than two frequencies are two */
	unsigned many[5] = { 0, 90000, 500, 600, 700 };
	tone_init(&t, many, 5, 200, 8000);
	assert_int_equal(t.n, 2);
	tone_fill(&t, pcm, 8000);
	assert_true(rms(pcm, 8000) < 30);
	tone_init(&t, many, 0, 0, 0); /* nothing: silence, no division by zero */
	tone_fill(&t, pcm, 100);
	assert_true(rms(pcm, 100) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtmf_pairs),
		cmocka_unit_test(test_digit_spectrum),
		cmocka_unit_test(test_level_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
