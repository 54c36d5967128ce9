/*
 * test_codecs.c: every codec through the codec API: frame and payload sizes,
 * and a round trip of a known signal (tone sweep through the voice band) with
 * the quality each codec really achieves, measured after finding the codec's
 * own delay. Thresholds sit a little under what each codec measured here:
 * waveform codecs (G.711, G.722) by SNR, model-based ones (G.729, Opus) by
 * correlation, since they do not preserve the waveform sample by sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "codecs/codec.h"
#include "tests/unit/codecs/signal.h"

#define SECONDS 2

struct rt_case {
	const struct codec_desc *d;
	unsigned channels, pcm_rate, ptime;
	const char *fmtp;
	unsigned frame_samples, payload_len;	/* expected; payload 0 = variable */
	double min_corr, min_snr;
};

static int16_t in[48000 * SECONDS * 2], out[48000 * SECONDS * 2];

static void run_case(const struct rt_case *k)
{
	struct codec_params p = { .channels = k->channels, .ptime_ms = k->ptime,
				  .pcm_rate = k->pcm_rate, .fmtp = k->fmtp,
				  .fmtp_len = k->fmtp ? strlen(k->fmtp) : 0, .complexity = -1 };
	struct codec *c;
	unsigned total, done = 0, got = 0, ch;
	struct quality q;
	int16_t mono_in[48000 * SECONDS], mono_out[48000 * SECONDS];

	assert_int_equal(codec_new(k->d, &p, &c), 0);
	assert_int_equal(c->frame_samples, k->frame_samples);
	ch = c->channels;
	total = c->pcm_rate * SECONDS;
	sig_sweep(mono_in, total, c->pcm_rate, 10000, 0, c->pcm_rate);
	for (unsigned i = 0; i < total; i++)
		for (unsigned j = 0; j < ch; j++)
			in[i * ch + j] = mono_in[i];
	while (done + c->frame_samples <= total) {
		uint8_t pay[CODEC_MAX_PAYLOAD];
		int n = codec_encode(c, in + done * ch, pay, sizeof(pay)), m;

		assert_true(n > 0);
		if (k->payload_len)
			assert_int_equal(n, k->payload_len);
		m = codec_decode(c, pay, (size_t)n, out + got * ch, CODEC_MAX_FRAME_SAMPLES);
		assert_int_equal(m, c->frame_samples);
		done += c->frame_samples;
		got += (unsigned)m;
	}
	for (unsigned i = 0; i < got; i++)
		mono_out[i] = out[i * ch + ch - 1];	/* last channel: the right one in stereo */
	q = quality_best(mono_in, mono_out, got, c->pcm_rate / 10, c->pcm_rate / 50);
	print_message("%s/%u ch%u: lag %u corr %.4f snr %.1f dB\n", k->d->name, c->pcm_rate, ch,
		      q.lag, q.corr, q.snr_db);
	assert_true(q.corr >= k->min_corr);
	assert_true(q.snr_db >= k->min_snr);
	codec_free(c);
}

static void test_pcmu(void **s) { (void)s; run_case(&(struct rt_case){ &codec_pcmu, 1, 0, 20, NULL, 160, 160, 0.999, 34 }); }
static void test_pcma(void **s) { (void)s; run_case(&(struct rt_case){ &codec_pcma, 1, 0, 30, NULL, 240, 240, 0.999, 34 }); }
static void test_g722(void **s) { (void)s; run_case(&(struct rt_case){ &codec_g722, 1, 0, 20, NULL, 320, 160, 0.999, 35 }); }
static void test_g729(void **s) { (void)s; run_case(&(struct rt_case){ &codec_g729, 1, 0, 20, NULL, 160, 20, 0.93, 8 }); }
static void test_g729_30ms(void **s) { (void)s; run_case(&(struct rt_case){ &codec_g729, 1, 0, 30, NULL, 240, 30, 0.93, 8 }); }
static void test_opus_48k(void **s) { (void)s; run_case(&(struct rt_case){ &codec_opus, 1, 0, 20, NULL, 960, 0, 0.97, 12 }); }
static void test_opus_8k(void **s) { (void)s; run_case(&(struct rt_case){ &codec_opus, 1, 8000, 20, NULL, 160, 0, 0.96, 10 }); }
static void test_opus_stereo(void **s) { (void)s; run_case(&(struct rt_case){ &codec_opus, 2, 0, 20, "stereo=1; useinbandfec=1", 960, 0, 0.97, 12 }); }
static void test_opus_40ms(void **s) { (void)s; run_case(&(struct rt_case){ &codec_opus, 1, 16000, 40, "maxplaybackrate=16000", 640, 0, 0.98, 15 }); }

static void test_bad_params(void **state)
{
	struct codec_params p = { .channels = 2 };
	struct codec *c;

	(void)state;
	assert_int_equal(codec_new(&codec_pcmu, &p, &c), -EINVAL);	/* G.711 is mono */
	p.channels = 1;
	p.ptime_ms = 25;
	assert_int_equal(codec_new(&codec_g729, &p, &c), -EINVAL);	/* not 10 ms units */
	p.ptime_ms = 20;
	p.pcm_rate = 44100;	/* not an Opus rate: falls back to 48 kHz */
	assert_int_equal(codec_new(&codec_opus, &p, &c), 0);
	assert_int_equal(c->pcm_rate, 48000);
	/* Garbage is not a packet. */
	{
		uint8_t junk[3] = { 0xFF, 0xFF, 0xFF };
		int16_t pcm[CODEC_MAX_FRAME_SAMPLES];

		assert_true(codec_decode(c, junk, sizeof(junk), pcm, CODEC_MAX_FRAME_SAMPLES) < 0);
	}
	codec_free(c);
	assert_int_equal(codec_new(&codec_g729, &p, &c), 0);
	{
		uint8_t odd[7] = { 0 };
		int16_t pcm[CODEC_MAX_FRAME_SAMPLES];

		assert_int_equal(codec_decode(c, odd, sizeof(odd), pcm, 640), -EINVAL);
	}
	codec_free(c);
}

static void test_registry(void **state)
{
	unsigned n;
	const struct codec_desc *const *all = codec_all(&n);

	(void)state;
	assert_int_equal(n, 5);
	for (unsigned i = 0; i < n; i++)
		assert_ptr_equal(codec_find(all[i]->name, strlen(all[i]->name),
					    all[i]->clock_rate, all[i]->rtpmap_channels),
				 all[i]);
	assert_ptr_equal(codec_find("OPUS", 4, 48000, 2), &codec_opus);
	assert_ptr_equal(codec_find("G722", 4, 8000, 0), &codec_g722);
	assert_ptr_equal(codec_find_static(9), &codec_g722);
	assert_ptr_equal(codec_find_static(18), &codec_g729);
	assert_null(codec_find("speex", 5, 0, 0));
	assert_null(codec_find_static(3));
}

static void test_fmtp(void **state)
{
	const char *f = "minptime=10; useinbandfec=1;stereo=0 ;maxplaybackrate=16000";
	const char *v;

	(void)state;
	assert_int_equal(codec_fmtp_int(f, strlen(f), "useinbandfec", 0), 1);
	assert_int_equal(codec_fmtp_int(f, strlen(f), "stereo", 7), 0);
	assert_int_equal(codec_fmtp_int(f, strlen(f), "maxplaybackrate", 0), 16000);
	assert_int_equal(codec_fmtp_int(f, strlen(f), "sprop-stereo", 5), 5);
	assert_int_equal(codec_fmtp_get(f, strlen(f), "minptime", &v), 2);
	assert_memory_equal(v, "10", 2);
	/* Bounded by the length, not a NUL. */
	assert_int_equal(codec_fmtp_int(f, 12, "useinbandfec", 9), 9);
	assert_int_equal(codec_fmtp_get(NULL, 0, "x", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcmu),
		cmocka_unit_test(test_pcma),
		cmocka_unit_test(test_g722),
		cmocka_unit_test(test_g729),
		cmocka_unit_test(test_g729_30ms),
		cmocka_unit_test(test_opus_48k),
		cmocka_unit_test(test_opus_8k),
		cmocka_unit_test(test_opus_stereo),
		cmocka_unit_test(test_opus_40ms),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_fmtp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
