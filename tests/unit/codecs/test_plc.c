/*
 * test_plc.c: loss concealment of every codec, and the codec-specific extras
 * around silence and loss: G.729 Annex B SID / comfort noise, Opus in-band FEC.
 *
 * After a run of good frames of a steady tone, one concealed frame must carry
 * on the sound (level near the tone's, and it follows the tone's waveform),
 * and a long run of concealment must fade rather than buzz.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "codecs/codec.h"
#include "tests/unit/codecs/signal.h"

#define GOOD 25

struct plc_case {
	const struct codec_desc *d;
	unsigned pcm_rate;
	double min_level, min_corr;	/* of the first concealed frame */
};

static void run_plc(const struct plc_case *k)
{
	struct codec_params p = { .channels = 1, .ptime_ms = 20, .pcm_rate = k->pcm_rate,
				  .complexity = -1 };
	struct codec *c;
	int16_t in[CODEC_MAX_FRAME_SAMPLES], out[CODEC_MAX_FRAME_SAMPLES];
	int16_t truth[CODEC_MAX_FRAME_SAMPLES];
	uint8_t pay[CODEC_MAX_PAYLOAD];
	double tone, first, last = 0;
	unsigned fs;
	struct quality q;
	int n;

	assert_int_equal(codec_new(k->d, &p, &c), 0);
	fs = c->frame_samples;
	for (unsigned f = 0; f < GOOD; f++) {
		sig_sine(in, fs, c->pcm_rate, 400, 8000, f * fs);
		n = codec_encode(c, in, pay, sizeof(pay));
		assert_true(n > 0);
		assert_int_equal(codec_decode(c, pay, (size_t)n, out, CODEC_MAX_FRAME_SAMPLES), fs);
	}
	tone = rms(out, fs);
	/* The frame that would have come next, for the waveform comparison. */
	sig_sine(truth, fs, c->pcm_rate, 400, 8000, GOOD * fs);
	assert_int_equal(codec_plc(c, out, fs), fs);
	first = rms(out, fs);
	q = quality_best(truth, out, fs, 0, fs / 4);
	print_message("%s: tone %.0f, concealed %.0f, corr %.3f (lag %u)\n", k->d->name, tone,
		      first, q.corr, q.lag);
	assert_true(first > k->min_level * tone);
	assert_true(first < 1.5 * tone);
	assert_true(q.corr > k->min_corr);
	for (unsigned f = 0; f < 15; f++) {	/* 300 ms more: must fade out */
		assert_int_equal(codec_plc(c, out, fs), fs);
		last = rms(out, fs);
	}
	print_message("%s: after 320 ms of loss %.0f\n", k->d->name, last);
	assert_true(last < 0.5 * first);
	codec_free(c);
}

static void test_plc_pcmu(void **s) { (void)s; run_plc(&(struct plc_case){ &codec_pcmu, 0, 0.8, 0.95 }); }
static void test_plc_pcma(void **s) { (void)s; run_plc(&(struct plc_case){ &codec_pcma, 0, 0.8, 0.95 }); }
static void test_plc_g722(void **s) { (void)s; run_plc(&(struct plc_case){ &codec_g722, 0, 0.8, 0.95 }); }
static void test_plc_g729(void **s) { (void)s; run_plc(&(struct plc_case){ &codec_g729, 0, 0.3, 0.5 }); }
static void test_plc_opus(void **s) { (void)s; run_plc(&(struct plc_case){ &codec_opus, 0, 0.3, 0.5 }); }
static void test_plc_opus_8k(void **s) { (void)s; run_plc(&(struct plc_case){ &codec_opus, 8000, 0.3, 0.5 }); }

/* Annex B: with VAD on, silence becomes SID frames (2 bytes, ending the
 * packet) or nothing at all; a SID decodes to quiet comfort noise, and the
 * gaps after it are comfort noise too, not loss. */
static void test_g729_annexb(void **state)
{
	struct codec_params p = { .channels = 1, .ptime_ms = 20, .vad = true };
	struct codec *c;
	int16_t in[160], out[640];
	uint8_t pay[64];
	unsigned sid = 0, empty = 0, voice = 0;

	(void)state;
	assert_int_equal(codec_new(&codec_g729, &p, &c), 0);
	for (unsigned f = 0; f < 50; f++) {	/* 1 s of tone, then 2 s of near silence */
		int n;

		sig_sine(in, 160, 8000, 500, 8000, f * 160);
		n = codec_encode(c, in, pay, sizeof(pay));
		assert_int_equal(n, 20);
	}
	for (unsigned f = 0; f < 100; f++) {
		int n;

		sig_sine(in, 160, 8000, 500, 3, f * 160);
		n = codec_encode(c, in, pay, sizeof(pay));
		assert_true(n == 0 || n == 2 || n == 12 || n == 20);
		if (n == 0) {
			empty++;
			assert_int_equal(codec_plc(c, out, 160), 160);
			assert_true(rms(out, 160) < 200);
			continue;
		}
		if (n % 10 == 2)
			sid++;
		else
			voice++;
		assert_int_equal(codec_decode(c, pay, (size_t)n, out, 640), n / 10 * 80 + (n % 10 ? 80 : 0));
		if (n % 10 == 2)
			assert_true(rms(out, 160) < 200);
	}
	print_message("silence: %u SID packets, %u untransmitted, %u voice\n", sid, empty, voice);
	assert_true(sid >= 1);
	assert_true(empty >= 50);
	codec_free(c);
}

/* Opus in-band FEC (narrowband, as towards a G.711 side): with useinbandfec=1
 * in the receiver's fmtp, a lost frame
 * is rebuilt from the next packet, close to what the lost packet held. */
static void test_opus_fec(void **state)
{
	const char *fmtp = "useinbandfec=1";
	struct codec_params p = { .channels = 1, .ptime_ms = 20, .pcm_rate = 8000,
				  .fmtp = fmtp, .fmtp_len = strlen(fmtp), .complexity = 5 };
	struct codec *c;
	int16_t in[160], out[CODEC_MAX_FRAME_SAMPLES], ref[160];
	uint8_t pay[20][CODEC_MAX_PAYLOAD];
	int len[20];
	struct quality q;

	(void)state;
	assert_int_equal(codec_new(&codec_opus, &p, &c), 0);
	for (unsigned f = 0; f < 20; f++) {
		sig_voice(in, 160, 8000, 10000, f * 160);
		len[f] = codec_encode(c, in, pay[f], CODEC_MAX_PAYLOAD);
		assert_true(len[f] > 0);
	}
	for (unsigned f = 0; f < 15; f++)
		assert_int_equal(codec_decode(c, pay[f], (size_t)len[f], out, CODEC_MAX_FRAME_SAMPLES), 160);
	/* Frame 15 is lost; 16 carries its FEC. */
	assert_int_equal(codec_fec(c, pay[16], (size_t)len[16], out, 160), 160);
	{
		struct codec *ref_dec;

		assert_int_equal(codec_new(&codec_opus, &p, &ref_dec), 0);
		for (unsigned f = 0; f <= 15; f++)
			codec_decode(ref_dec, pay[f], (size_t)len[f], ref, 160);
		q = quality_best(ref, out, 160, 0, 10);
		codec_free(ref_dec);
	}
	{
		struct codec *plc_dec;
		struct quality qp;

		assert_int_equal(codec_new(&codec_opus, &p, &plc_dec), 0);
		for (unsigned f = 0; f < 15; f++)
			codec_decode(plc_dec, pay[f], (size_t)len[f], in, 160);
		assert_int_equal(codec_plc(plc_dec, in, 160), 160);
		qp = quality_best(ref, in, 160, 0, 10);
		codec_free(plc_dec);
		print_message("opus: lost frame vs the real one: FEC corr %.3f snr %.1f, PLC corr %.3f snr %.1f\n",
			      q.corr, q.snr_db, qp.corr, qp.snr_db);
		assert_true(q.snr_db > qp.snr_db + 6);
	}
	assert_true(q.corr > 0.98 && q.snr_db > 15);
	assert_int_equal(codec_fec(c, NULL, 0, out, 320), -EINVAL);
	codec_free(c);
	/* Codecs without FEC say so. */
	p.fmtp = NULL;
	assert_int_equal(codec_new(&codec_pcmu, &p, &c), 0);
	assert_int_equal(codec_fec(c, pay[0], 10, out, 160), -ENOTSUP);
	codec_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plc_pcmu),
		cmocka_unit_test(test_plc_pcma),
		cmocka_unit_test(test_plc_g722),
		cmocka_unit_test(test_plc_g729),
		cmocka_unit_test(test_plc_opus),
		cmocka_unit_test(test_plc_opus_8k),
		cmocka_unit_test(test_g729_annexb),
		cmocka_unit_test(test_opus_fec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
