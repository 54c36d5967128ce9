/*
 * resample.c: a thin owner of a speexdsp resampler state. The library's
 * error codes are translated here and nowhere else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_resampler.h>

#include "codecs/resample.h"

struct resampler {
	SpeexResamplerState *st; /* NULL when in_rate == out_rate */
	unsigned channels, in_rate, out_rate;
};

int resample_new(unsigned channels, unsigned in_rate, unsigned out_rate, int quality,
		 struct resampler **out)
{
	struct resampler *r;
	int err = 0;

	if (!channels || channels > 2 || !in_rate || !out_rate || quality < 0 || quality > 10)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->channels = channels;
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	if (in_rate != out_rate) {
		r->st = speex_resampler_init(channels, in_rate, out_rate, quality, &err);
		if (!r->st) {
			free(r);
			return err == RESAMPLER_ERR_ALLOC_FAILED ? -ENOMEM : -EINVAL;
		}
		/* No speex_resampler_skip_zeros: the filter's delay stays in the
		 * signal as leading silence, so n input samples always give
		 * n * out/in output samples. Skipping it would leave the first
		 * frames short, and the transcoder a whole frame behind forever. */
	}
	*out = r;
	return 0;
}

unsigned resample_out_max(const struct resampler *r, unsigned in_n)
{
	return (unsigned)(((uint64_t)in_n * r->out_rate + r->in_rate - 1) / r->in_rate) + 2;
}

int resample_run(struct resampler *r, const int16_t *in, unsigned in_n, int16_t *out,
		 unsigned out_cap)
{
	spx_uint32_t ilen = in_n, olen = out_cap;
	int err;

	if (!r->st) {
		unsigned n = in_n < out_cap ? in_n : out_cap;

		memcpy(out, in, (size_t)n * r->channels * sizeof(*in));
		return (int)n;
	}
	if (r->channels == 1)
		err = speex_resampler_process_int(r->st, 0, in, &ilen, out, &olen);
	else
		err = speex_resampler_process_interleaved_int(r->st, in, &ilen, out, &olen);
	if (err != RESAMPLER_ERR_SUCCESS)
		return -EINVAL;
	return (int)olen;
}

void resample_free(struct resampler *r)
{
	if (!r)
		return;
	if (r->st)
		speex_resampler_destroy(r->st);
	free(r);
}
