/*
 * codec_floor.c: thread CPU per 20 ms frame for each codec's encode and decode
 * (CLOCK_THREAD_CPUTIME_ID, one core), and the cost of one whole transcoded
 * channel (both directions through the pipeline, PCMU <-> X) beside the sum of
 * its codec work: the floor a transcoding relay cannot go below (issue 7).
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
#include "codecs/rtp.h"
#include "codecs/transcode.h"

#define MAX_RATE 48000

static double thread_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void voice(int16_t *out, unsigned n, unsigned rate, unsigned start)
{
	unsigned seed = 12345 + start;

	for (unsigned i = 0; i < n; i++) {
		double t = (double)(start + i) / rate;
		double f0 = 140 + 40 * sin(2 * M_PI * 0.7 * t);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 3.0 * t);
		double v = 0;

		for (int h = 1; h <= 12 && h * f0 < rate / 2.0; h++)
			v += sin(2 * M_PI * h * f0 * t) / h;
		seed = seed * 1103515245 + 12345;
		v = v * env * 6000 + ((int)(seed >> 16) % 400 - 200);
		out[i] = (int16_t)v;
	}
}

static int bench_codec(const struct codec_desc *d, unsigned frames, int complexity)
{
	struct codec_params p = { .channels = 1, .ptime_ms = 20, .complexity = complexity };
	static int16_t pcm[CODEC_MAX_FRAME_SAMPLES * 2], dec[CODEC_MAX_FRAME_SAMPLES * 2];
	static uint8_t pay[CODEC_MAX_PAYLOAD];
	struct codec *c;
	double enc_us = 0, dec_us = 0;
	size_t bytes = 0;

	if (codec_new(d, &p, &c) < 0)
		return -1;
	for (unsigned f = 0; f < frames; f++) {
		double t0, t1, t2;
		int n;

		voice(pcm, c->frame_samples, c->pcm_rate, f * c->frame_samples);
		t0 = thread_us();
		n = codec_encode(c, pcm, pay, sizeof(pay));
		t1 = thread_us();
		if (n > 0)
			codec_decode(c, pay, (size_t)n, dec, CODEC_MAX_FRAME_SAMPLES);
		t2 = thread_us();
		enc_us += t1 - t0;
		dec_us += t2 - t1;
		bytes += n > 0 ? (size_t)n : 0;
	}
	printf("%-6s %5u Hz  cx %-2d  encode %7.2f us  decode %6.2f us  %4zu B/frame\n",
	       d->name, c->pcm_rate, d == &codec_opus ? complexity : -1, enc_us / frames,
	       dec_us / frames, bytes / frames);
	codec_free(c);
	return 0;
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
	int16_t pcm[160];
	uint8_t pkt[1600], out[1600];
	double us = 0;

	b.in_codec = x;
	b.out_codec = &codec_pcmu;
	b.in_pt = 96;
	b.out_pt = 0;
	if (xcode_new(&a, &ab) < 0 || xcode_new(&b, &ba) < 0 || codec_new(&codec_pcmu, &pp, &pcmu) < 0)
		return -1;
	for (unsigned f = 0; f < frames; f++) {
		uint64_t now = 1000 + f * 20ull;
		int n;
		double t0;

		voice(pcm, 160, 8000, f * 160);
		rtp_hdr_write(pkt, f == 0, 0, (uint16_t)f, f * 160, 0x1234);
		codec_encode(pcmu, pcm, pkt + RTP_HDR_LEN, 160);
		t0 = thread_us();
		xcode_push(ab, pkt, RTP_HDR_LEN + 160, now);
		while ((n = xcode_pull(ab, now, out, sizeof(out))) > 0) {
			xcode_push(ba, out, (size_t)n, now);
			while (xcode_pull(ba, now, pkt, sizeof(pkt)) > 0)
				;
		}
		us += thread_us() - t0;
	}
	xcode_free(ab);
	xcode_free(ba);
	codec_free(pcmu);
	return us / frames;
}

int main(int argc, char **argv)
{
	unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 5000;
	int cx = argc > 2 ? atoi(argv[2]) : -1;
	unsigned n;
	const struct codec_desc *const *all = codec_all(&n);

	printf("# thread CPU per 20 ms frame, %u frames, mono\n", frames);
	for (unsigned i = 0; i < n; i++)
		if (all[i] != &codec_opus)
			bench_codec(all[i], frames, cx);
	for (int c = 0; c <= 10; c++)
		bench_codec(&codec_opus, frames, c);
	printf("# one transcoded channel, both directions, per 20 ms (opus cx %d = %s)\n", cx,
	       cx < 0 ? "default" : "given");
	for (unsigned i = 0; i < n; i++) {
		double us;

		if (all[i] == &codec_pcmu)
			continue;
		us = bench_channel(all[i], frames, cx);
		printf("PCMU<->%-5s pipeline %7.2f us/frame = %5.2f ms CPU per channel-second\n",
		       all[i]->name, us, us * 50 / 1000);
	}
	return 0;
}
