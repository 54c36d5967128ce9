/*
 * codec_floor.c: thread CPU per 20 ms frame for each codec's encode and decode
 * (CLOCK_THREAD_CPUTIME_ID, one core), and the cost of one whole transcoded
 * channel (both directions through the pipeline, PCMU <-> X) beside the sum of
 * its codec work: the floor a transcoding relay cannot go below.
 *
 * usage: codec_floor [frames] [opus-complexity]
 * The input is a synthetic voice-like signal (a harmonic series on a gliding
 * pitch with a syllable envelope and a little noise), the same every run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/codec.h"
#include "codecs/transcode.h"
#include "tests/unit/codecs/signal.h" /* sig_voice: the codec tests' speech-like signal */
#include "lib/rtp.h"

#define MAX_RATE 48000

static double thread_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct cost {
	double enc_us, dec_us, corr;
	size_t bytes;
};

/* Normalised correlation of @got against @ref at the best lag in 0..max_lag. */
static double best_corr(const int16_t *ref, const int16_t *got, unsigned n, unsigned max_lag)
{
	double best = 0;

	for (unsigned lag = 0; lag <= max_lag; lag++) {
		double x = 0, a = 0, b = 0;

		for (unsigned i = 0; i + lag < n; i++) {
			x += (double)ref[i] * got[i + lag];
			a += (double)ref[i] * ref[i];
			b += (double)got[i + lag] * got[i + lag];
		}
		if (a > 0 && b > 0 && x / sqrt(a * b) > best)
			best = x / sqrt(a * b);
	}
	return best;
}

#define MAX_FRAMES 5000

/* Encode @frames 20 ms frames at @pcm_rate (0 = native), then decode them; each
 * loop timed as a whole (thread CPU), so the clock's own cost does not count. */
static int bench_codec(const struct codec_desc *d, unsigned frames, unsigned pcm_rate,
		       int complexity, struct cost *out)
{
	struct codec_params p = { .channels = 1, .ptime_ms = 20, .complexity = complexity,
				  .pcm_rate = pcm_rate };
	static int16_t pcm[MAX_FRAMES * 960], dec[MAX_FRAMES * 960 + CODEC_MAX_FRAME_SAMPLES];
	static uint8_t pay[MAX_FRAMES][CODEC_MAX_PAYLOAD];
	static int len[MAX_FRAMES];
	struct codec *c;
	unsigned fs, got = 0;
	double t0;

	memset(out, 0, sizeof(*out));
	if (frames > MAX_FRAMES)
		frames = MAX_FRAMES;
	if (codec_new(d, &p, &c) < 0)
		return -1;
	fs = c->frame_samples;
	sig_voice(pcm, frames * fs, c->pcm_rate, 10000, 0);
	t0 = thread_us();
	for (unsigned f = 0; f < frames; f++)
		len[f] = codec_encode(c, pcm + f * fs, pay[f], CODEC_MAX_PAYLOAD);
	out->enc_us = (thread_us() - t0) / frames;
	t0 = thread_us();
	for (unsigned f = 0; f < frames; f++) {
		int m = len[f] > 0 ? codec_decode(c, pay[f], (size_t)len[f], dec + got,
						  CODEC_MAX_FRAME_SAMPLES) : 0;

		got += m > 0 ? (unsigned)m : 0;
	}
	out->dec_us = (thread_us() - t0) / frames;
	for (unsigned f = 0; f < frames; f++)
		out->bytes += len[f] > 0 ? (size_t)len[f] : 0;
	out->bytes /= frames;
	/* quality over 0.5 s after 0.5 s of warm-up */
	if (got >= c->pcm_rate)
		out->corr = best_corr(pcm + c->pcm_rate / 2, dec + c->pcm_rate / 2, c->pcm_rate / 2,
				      c->pcm_rate / 50);
	codec_free(c);
	return 0;
}

static void print_cost(const char *name, unsigned rate, int cx, const struct cost *k)
{
	printf("%-6s %5u Hz  cx %2d  encode %7.2f us  decode %6.2f us  %4zu B  corr %.3f\n",
	       name, rate, cx, k->enc_us, k->dec_us, k->bytes, k->corr);
}

/* One channel both ways: PCMU -> X and X -> PCMU, driven like the data plane
 * (push then pull, every 20 ms of simulated time). */
static double bench_channel(const struct codec_desc *x, unsigned frames, int complexity)
{
	struct xcode_config a = { .in_codec = &codec_pcmu, .out_codec = x, .in_pt = 0,
				  .out_pt = 96, .in_dtmf_pt = -1, .out_dtmf_pt = -1,
				  .complexity = complexity, .resample_quality = -1 };
	struct xcode_config b = a;
	struct xcode *ab, *ba;
	struct codec *pcmu;
	struct codec_params pp = { .channels = 1 };
	static uint8_t in[MAX_FRAMES][RTP_HDR_MIN + 160];
	int16_t pcm[160];
	uint8_t out[1600], back[1600];
	double t0, us;

	b.in_codec = x;
	b.out_codec = &codec_pcmu;
	b.in_pt = 96;
	b.out_pt = 0;
	if (frames > MAX_FRAMES)
		frames = MAX_FRAMES;
	if (xcode_new(&a, &ab) < 0 || xcode_new(&b, &ba) < 0 || codec_new(&codec_pcmu, &pp, &pcmu) < 0)
		return -1;
	for (unsigned f = 0; f < frames; f++) {
		sig_voice(pcm, 160, 8000, 10000, f * 160);
		rtp_write_hdr(in[f], f == 0, 0, (uint16_t)f, f * 160, 0x1234);
		codec_encode(pcmu, pcm, in[f] + RTP_HDR_MIN, 160);
	}
	/* Driven like the data plane: push, then pull what is due (20 ms steps). */
	t0 = thread_us();
	for (unsigned f = 0; f < frames; f++) {
		uint64_t now = 1000 + f * 20ull;
		int n;

		xcode_push(ab, in[f], sizeof(in[f]), now);
		while ((n = xcode_pull(ab, now, out, sizeof(out))) > 0) {
			xcode_push(ba, out, (size_t)n, now);
			while (xcode_pull(ba, now, back, sizeof(back)) > 0)
				;
		}
	}
	us = (thread_us() - t0) / frames;
	xcode_free(ab);
	xcode_free(ba);
	codec_free(pcmu);
	return us;
}

int main(int argc, char **argv)
{
	unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 5000;
	int cx = argc > 2 ? atoi(argv[2]) : -1;
	unsigned n;
	const struct codec_desc *const *all = codec_all(&n);
	struct cost pcmu, k;

	printf("# thread CPU per 20 ms frame, %u frames, mono; corr = decoded vs input\n", frames);
	for (unsigned i = 0; i < n; i++) {
		if (all[i] == &codec_opus)
			continue;
		bench_codec(all[i], frames, 0, cx, &k);
		print_cost(all[i]->name, all[i]->pcm_rate, -1, &k);
	}
	for (unsigned rate = 8000; rate <= 48000; rate = rate == 8000 ? 16000 : rate * 3)
		for (int c = 0; c <= 10; c++) {
			bench_codec(&codec_opus, frames, rate, c, &k);
			print_cost("opus", rate, c, &k);
		}
	printf("# one transcoded channel, both directions, per 20 ms frame, beside the codec\n"
	       "# floor at the rates the pipeline uses (opus cx %d%s)\n", cx,
	       cx < 0 ? " = default" : "");
	bench_codec(&codec_pcmu, frames, 0, cx, &pcmu);
	for (unsigned i = 0; i < n; i++) {
		double us, floor_us;

		if (all[i] == &codec_pcmu)
			continue;
		/* the pipeline runs Opus at the other side's rate (8 kHz) */
		bench_codec(all[i], frames, all[i]->flexible_rate ? 8000 : 0, cx, &k);
		floor_us = pcmu.enc_us + pcmu.dec_us + k.enc_us + k.dec_us;
		us = bench_channel(all[i], frames, cx);
		printf("PCMU<->%-5s floor %7.2f us  pipeline %7.2f us  (x%.2f)  = %5.2f ms CPU "
		       "per channel-second\n", all[i]->name, floor_us, us, us / floor_us,
		       us * 50 / 1000);
	}
	return 0;
}
