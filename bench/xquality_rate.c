/* xquality_rate.c: zero-delay whole-signal rate conversion (see xquality_rate.h).
 * speexdsp's skip_zeros drops the filter's leading delay; the same delay's worth of zeros
 * fed at the end brings out the tail, so the output is as long as the input in time. */
#include "bench/xquality_rate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_resampler.h>

#define QUALITY 10
#define ZBLOCK 1024

int xq_rate_convert(const int16_t *in, size_t n, unsigned in_rate, unsigned out_rate,
		    int16_t **out, size_t *out_n)
{
	static const int16_t zeros[ZBLOCK];
	size_t want = (size_t)((uint64_t)n * out_rate / in_rate), got = 0, pos = 0;
	SpeexResamplerState *st;
	int16_t *o;
	int err = 0;

	if (!in_rate || !out_rate || n > UINT32_MAX / 8)
		return -EINVAL;
	o = calloc(want + 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (in_rate == out_rate) {
		memcpy(o, in, n * sizeof(*in));
		*out = o;
		*out_n = n;
		return 0;
	}
	st = speex_resampler_init(1, in_rate, out_rate, QUALITY, &err);
	if (!st) {
		free(o);
		return -ENOMEM;
	}
	speex_resampler_skip_zeros(st);
	/* bounded: every round consumes input or, once it is used up, a block of zeros,
	 * and the filter's delay is far below 64 blocks */
	for (unsigned round = 0; got < want && round < n / ZBLOCK + 64 + 1024; round++) {
		const int16_t *src = pos < n ? in + pos : zeros;
		spx_uint32_t il = pos < n ? (spx_uint32_t)(n - pos) : ZBLOCK;
		spx_uint32_t ol = (spx_uint32_t)(want - got);

		if (il > 4096)
			il = 4096;
		speex_resampler_process_int(st, 0, src, &il, o + got, &ol);
		if (pos < n)
			pos += il;
		got += ol;
	}
	speex_resampler_destroy(st);
	*out = o;
	*out_n = got;
	return got == want ? 0 : -EIO;
}
