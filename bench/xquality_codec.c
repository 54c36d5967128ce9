/* xquality_codec.c: encoding the test signal and the direct round trip with the codec
 * library (see xquality_codec.h). The round trip mirrors a transcoder's pipeline frame by
 * frame (decode, stream resampler, PCM FIFO, encode) without jitter buffer or timing. */
#include "bench/xquality_codec.h"

#include "bench/xquality_rate.h"
#include "codecs/resample.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int xq_codec_new(const struct codec_desc *d, unsigned pcm_rate, struct codec **out)
{
	/* the fmtp the bench's SDP carries (bench/msdp.c): G.729 without Annex B */
	static const char g729_fmtp[] = "annexb=no";
	struct codec_params p = {.channels = 1, .ptime_ms = 20, .complexity = -1,
				 .pcm_rate = d->flexible_rate ? pcm_rate : 0};

	if (d == &codec_g729) {
		p.fmtp = g729_fmtp;
		p.fmtp_len = sizeof(g729_fmtp) - 1;
	}
	return codec_new(d, &p, out);
}

void xq_payloads_free(struct xq_payloads *p)
{
	free(p->len);
	free(p->pay);
	memset(p, 0, sizeof(*p));
}

int xq_encode(const struct codec_desc *d, const int16_t *pcm, size_t n, struct xq_payloads *out)
{
	struct codec *c;
	unsigned fs;
	int r;

	memset(out, 0, sizeof(*out));
	r = xq_codec_new(d, 0, &c);
	if (r)
		return r;
	fs = c->frame_samples;
	out->frames = (unsigned)(n / fs);
	out->len = calloc(out->frames + 1, sizeof(*out->len));
	out->pay = calloc(out->frames + 1, sizeof(*out->pay));
	if (!out->len || !out->pay) {
		r = -ENOMEM;
		goto err_alloc;
	}
	for (unsigned f = 0; f < out->frames; f++) {
		r = codec_encode(c, pcm + (size_t)f * fs, out->pay[f], CODEC_MAX_PAYLOAD);
		if (r < 0)
			goto err_alloc;
		out->len[f] = (uint16_t)r;
	}
	codec_free(c);
	return 0;

err_alloc:
	xq_payloads_free(out);
	codec_free(c);
	return r < 0 ? r : -EIO;
}

/* The round trip's state: the transcoder's two codec instances, its resampler and the FIFO
 * between them, and the receiver's decoder (native rate, as xquality_track.c decodes). */
struct trip {
	struct codec *sc, *dc, *rc;
	struct resampler *rs;
	int16_t *fifo, *res;
	size_t fifo_n, res_cap;
};

static void trip_free(struct trip *t)
{
	codec_free(t->sc);
	codec_free(t->dc);
	codec_free(t->rc);
	if (t->rs)
		resample_free(t->rs);
	free(t->fifo);
	free(t->res);
}

static int trip_new(struct trip *t, const struct codec_desc *src, const struct codec_desc *dst,
		    const struct xq_trip_opts *o)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = xq_codec_new(src, o->flex_rate, &t->sc);
	if (!r)
		r = xq_codec_new(dst, o->flex_rate, &t->dc);
	if (!r)
		r = xq_codec_new(dst, 0, &t->rc);
	if (!r)
		r = resample_new(1, t->sc->pcm_rate, t->dc->pcm_rate,
				 o->rs_quality < 0 ? RESAMPLE_DEFAULT_QUALITY : o->rs_quality,
				 &t->rs);
	if (r)
		return r;
	t->res_cap = resample_out_max(t->rs, CODEC_MAX_FRAME_SAMPLES) + 16;
	t->res = calloc(t->res_cap, sizeof(*t->res));
	t->fifo = calloc(t->res_cap + t->dc->frame_samples, sizeof(*t->fifo));
	return t->res && t->fifo ? 0 : -ENOMEM;
}

int xq_round_trip(const struct codec_desc *src, const struct codec_desc *dst,
		  const struct xq_payloads *in, const struct xq_trip_opts *o, int16_t **out8,
		  size_t *n8)
{
	static int16_t pcm[CODEC_MAX_FRAME_SAMPLES], dec[CODEC_MAX_FRAME_SAMPLES];
	uint8_t pay[CODEC_MAX_PAYLOAD];
	struct trip t;
	int16_t *outp = NULL;
	size_t out_n = 0, out_cap;
	int r;

	r = trip_new(&t, src, dst, o);
	if (r)
		goto out;
	out_cap = (size_t)in->frames * t.rc->frame_samples + t.rc->frame_samples;
	outp = calloc(out_cap, sizeof(*outp));
	if (!outp) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned f = 0; f < in->frames; f++) {
		int m = codec_decode(t.sc, in->pay[f], in->len[f], pcm, CODEC_MAX_FRAME_SAMPLES);

		if (m < 0) {
			r = m;
			goto out;
		}
		m = resample_run(t.rs, pcm, (unsigned)m, t.res, (unsigned)t.res_cap);
		if (m < 0) {
			r = m;
			goto out;
		}
		memcpy(t.fifo + t.fifo_n, t.res, (size_t)m * sizeof(*t.res));
		t.fifo_n += (size_t)m;
		while (t.fifo_n >= t.dc->frame_samples) {
			int len = codec_encode(t.dc, t.fifo, pay, sizeof(pay)), d = 0;

			if (len > 0)
				d = codec_decode(t.rc, pay, (size_t)len, dec, CODEC_MAX_FRAME_SAMPLES);
			if (len < 0 || d < 0) {
				r = len < 0 ? len : d;
				goto out;
			}
			t.fifo_n -= t.dc->frame_samples;
			memmove(t.fifo, t.fifo + t.dc->frame_samples, t.fifo_n * sizeof(*t.fifo));
			if ((size_t)d > out_cap - out_n)
				d = (int)(out_cap - out_n);
			memcpy(outp + out_n, dec, (size_t)d * sizeof(*dec));
			out_n += (size_t)d;
		}
	}
	r = xq_rate_convert(outp, out_n, t.rc->pcm_rate, 8000, out8, n8);
out:
	free(outp);
	trip_free(&t);
	return r;
}
