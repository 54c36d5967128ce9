/*
 * test_g711.c: G.711 µ-law and A-law, hand written, against known answers:
 * code points from the G.711 tables, every 16-bit input against spandsp's
 * implementation, and a codec round trip on a sine through the codec API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "codecs/codec.h"
#include "codecs/g711.h"
#include "tests/unit/codecs/signal.h"

static void test_ulaw_known_answers(void **state)
{
	(void)state;
	/* Zero encodes to 0xFF (and its negative twin 0x7F decodes to 0 too). */
	assert_int_equal(g711_ulaw_encode(0), 0xFF);
	assert_int_equal(g711_ulaw_encode(-1), 0x7F);
	assert_int_equal(g711_ulaw_encode(32767), 0x80);
	assert_int_equal(g711_ulaw_encode(-32768), 0x00);
	assert_int_equal(g711_ulaw_encode(1000), 0xCE);
	assert_int_equal(g711_ulaw_decode(0xFF), 0);
	assert_int_equal(g711_ulaw_decode(0x7F), 0);
	assert_int_equal(g711_ulaw_decode(0x80), 32124);
	assert_int_equal(g711_ulaw_decode(0x00), -32124);
	assert_int_equal(g711_ulaw_decode(0xCE), 988);
}

static void test_alaw_known_answers(void **state)
{
	(void)state;
	assert_int_equal(g711_alaw_encode(0), 0xD5);
	assert_int_equal(g711_alaw_encode(-1), 0x55);
	assert_int_equal(g711_alaw_encode(32767), 0xAA);
	assert_int_equal(g711_alaw_encode(-32768), 0x2A);
	assert_int_equal(g711_alaw_decode(0xD5), 8);
	assert_int_equal(g711_alaw_decode(0x55), -8);
	assert_int_equal(g711_alaw_decode(0xAA), 32256);
	assert_int_equal(g711_alaw_decode(0x2A), -32256);
}

/* Every input sample and every code against an independent implementation.
 * spandsp's µ-law takes the magnitude of a negative sample as -x where the
 * G.191 reference (and we) take -x - 1; so below -1 ours equals spandsp's one
 * step up. A-law and all decoding are identical. */
static void test_matches_reference_everywhere(void **state)
{
	(void)state;
	for (int x = -32768; x <= 32767; x++) {
		assert_int_equal(g711_ulaw_encode((int16_t)x), linear_to_ulaw(x < -1 ? x + 1 : x));
		assert_int_equal(g711_alaw_encode((int16_t)x), linear_to_alaw(x));
	}
	for (int c = 0; c < 256; c++) {
		assert_int_equal(g711_ulaw_decode((uint8_t)c), ulaw_to_linear((uint8_t)c));
		assert_int_equal(g711_alaw_decode((uint8_t)c), alaw_to_linear((uint8_t)c));
	}
}

/* Decoding a code and encoding it again gives the same code (the laws are
 * idempotent on their own reconstruction levels), except µ-law's -0. */
static void test_code_round_trip(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		if (c != 0x7F)
			assert_int_equal(g711_ulaw_encode(g711_ulaw_decode((uint8_t)c)), c);
		assert_int_equal(g711_alaw_encode(g711_alaw_decode((uint8_t)c)), c);
	}
}

static void round_trip(const struct codec_desc *d)
{
	struct codec_params p = { .channels = 1, .ptime_ms = 20 };
	struct codec *c;
	int16_t in[160], out[160];
	uint8_t pay[200];
	int n;

	assert_int_equal(codec_new(d, &p, &c), 0);
	assert_int_equal(c->frame_samples, 160);
	sig_sine(in, 160, 8000, 1004, 12000, 0);
	n = codec_encode(c, in, pay, sizeof(pay));
	assert_int_equal(n, 160);	/* one byte per sample */
	assert_int_equal(codec_decode(c, pay, (size_t)n, out, 160), 160);
	/* G.711 gives about 38 dB on a loud sine; 33 leaves room. */
	assert_true(quality_at(in, out, 160, 0, 0).snr_db > 33.0);
	assert_int_equal(codec_encode(c, in, pay, 100), -ENOBUFS);
	codec_free(c);
}

static void test_codec_round_trip(void **state)
{
	(void)state;
	round_trip(&codec_pcmu);
	round_trip(&codec_pcma);
	assert_ptr_equal(codec_find_static(0), &codec_pcmu);
	assert_ptr_equal(codec_find_static(8), &codec_pcma);
	assert_ptr_equal(codec_find("pcmu", 4, 8000, 1), &codec_pcmu);
	assert_null(codec_find("PCMU", 4, 16000, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ulaw_known_answers),
		cmocka_unit_test(test_alaw_known_answers),
		cmocka_unit_test(test_matches_reference_everywhere),
		cmocka_unit_test(test_code_round_trip),
		cmocka_unit_test(test_codec_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
