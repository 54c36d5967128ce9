/* xquality_rate.h: whole-signal sample-rate conversion for xquality's analysis, with
 * the converter's own delay removed, so that a signal and its converted copy stay
 * sample-aligned: sample i at in_rate is sample i * out_rate / in_rate at out_rate.
 * Without that, every conversion on the analysis side would add a fraction of a
 * millisecond to the measured latency and shift the content the quality figures compare.
 * Not the transcoder's resampler (codecs/resample.h): the direct round trip uses that one,
 * as the relay does. Mono 16-bit PCM. */
#ifndef BENCH_XQUALITY_RATE_H
#define BENCH_XQUALITY_RATE_H

#include <stddef.h>
#include <stdint.h>

/* Converts in[0..n) from in_rate to out_rate (speexdsp quality 10, leading delay
 * skipped, tail flushed). On success *out (malloc'd) holds n * out_rate / in_rate samples
 * and *out_n says how many. 0 or -errno. */
int xq_rate_convert(const int16_t *in, size_t n, unsigned in_rate, unsigned out_rate,
		    int16_t **out, size_t *out_n) __attribute__((warn_unused_result));

#endif
