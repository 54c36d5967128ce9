/*
 * resample.h: sample-rate conversion of 16-bit interleaved PCM (libspeexdsp).
 *
 * Allocated once per direction of a transcoded stream; resample_run never
 * allocates. A resampler with equal rates is a plain copy.
 */
#ifndef RTPRELAY_RESAMPLE_H
#define RTPRELAY_RESAMPLE_H

#include <stdint.h>

struct resampler;

/* speexdsp quality 0..10; 3 is its "VoIP" setting and our default. */
#define RESAMPLE_DEFAULT_QUALITY 3

/* 0 with *out set, or -EINVAL / -ENOMEM. */
int resample_new(unsigned channels, unsigned in_rate, unsigned out_rate, int quality,
		 struct resampler **out) __attribute__((warn_unused_result));
/* Convert @in_n samples per channel; writes at most @out_cap per channel.
 * Returns samples per channel written, or -errno. All input is consumed when
 * @out_cap >= resample_out_max(r, in_n). */
int resample_run(struct resampler *r, const int16_t *in, unsigned in_n, int16_t *out,
		 unsigned out_cap);
/* Upper bound of output samples for @in_n input samples. */
unsigned resample_out_max(const struct resampler *r, unsigned in_n);
void resample_free(struct resampler *r);

#endif
