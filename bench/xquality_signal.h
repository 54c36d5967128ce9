/* xquality_signal.h: xquality's test signal, held at every rate a codec of the bench
 * samples at (8, 16, 48 kHz), each copy sample-aligned with the others (xquality_rate.h),
 * and a whole number of 20 ms frames long.
 *
 * The source is a raw file (signed 16-bit little-endian mono at 48 kHz; bench/run makes
 * one from espeak-ng speech with sox) or, without one, voice.c's synthetic speech-like
 * signal (8 kHz, one second repeated, so band-limited to 4 kHz). */
#ifndef BENCH_XQUALITY_SIGNAL_H
#define BENCH_XQUALITY_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#define XQ_RATES 3

struct xq_signal {
	int16_t *pcm[XQ_RATES];	/* at 8000, 16000, 48000 Hz */
	size_t n[XQ_RATES];
	unsigned frames;	/* 20 ms frames */
	const char *source;	/* "file" or "synthetic" */
};

/* Loads path (NULL: synthetic), at most max_s seconds. 0 or -errno. */
int xq_signal_load(struct xq_signal *s, const char *path, double max_s)
	__attribute__((warn_unused_result));
/* The signal at rate (8000, 16000 or 48000), *n samples; NULL for another rate. */
const int16_t *xq_signal_at(const struct xq_signal *s, unsigned rate, size_t *n);
void xq_signal_free(struct xq_signal *s);

#endif
