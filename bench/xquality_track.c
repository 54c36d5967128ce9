/* xquality_track.c: received packets to an 8 kHz track (see xquality_track.h). Sequence
 * numbers only count loss (RFC 3550 A.1 style unwrapping from the first packet); placement
 * is by timestamp, which is what a receiver plays by. */
#include "bench/xquality_track.h"

#include "bench/xquality_codec.h"
#include "bench/xquality_rate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct order {
	int64_t rel;	/* timestamp relative to the first packet, in RTP clock units */
	unsigned idx;	/* arrival order: the first of equal timestamps wins */
};

static int by_rel(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->rel != y->rel)
		return x->rel < y->rel ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static unsigned seq_lost(const struct xq_rx_pkt *p, unsigned n, unsigned dups)
{
	int64_t ext = 0, lo = 0, hi = 0;

	for (unsigned i = 1; i < n; i++) {
		ext += (int16_t)(uint16_t)(p[i].seq - p[i - 1].seq);
		lo = ext < lo ? ext : lo;
		hi = ext > hi ? ext : hi;
	}
	return n && hi - lo + 1 > (int64_t)(n - dups) ? (unsigned)(hi - lo + 1 - (n - dups)) : 0;
}

void xq_track_free(struct xq_track *t)
{
	free(t->pcm8);
	free(t->pk);
	memset(t, 0, sizeof(*t));
}

/* Decodes the packets in order into pcm (cap samples at the codec's rate). */
static int place(struct codec *c, const struct xq_rx_pkt *p, const struct order *o, unsigned n,
		 int16_t *pcm, size_t cap, struct xq_track *t, size_t *len)
{
	const struct codec_desc *d = c->desc;
	size_t cur = 0;
	int64_t last = INT64_MIN;

	for (unsigned k = 0; k < n; k++) {
		const struct xq_rx_pkt *q = &p[o[k].idx];
		size_t pos = (size_t)((o[k].rel - o[0].rel) * c->pcm_rate / d->clock_rate);
		struct xq_track_pkt *tp;
		int m;

		if (o[k].rel == last) {
			t->dups++;
			continue;
		}
		last = o[k].rel;
		if (pos + CODEC_MAX_FRAME_SAMPLES > cap) {
			t->outliers++;
			continue;
		}
		if (pos > cur)
			t->gap_frames += (unsigned)((pos - cur + c->frame_samples / 2) /
						    c->frame_samples);
		m = codec_decode(c, q->pay, q->len, pcm + pos, CODEC_MAX_FRAME_SAMPLES);
		if (m < 0) {
			t->decode_errors++;
			continue;
		}
		tp = &t->pk[t->npk++];
		tp->pos8 = pos * 8000 / c->pcm_rate;
		tp->len8 = (size_t)m * 8000 / c->pcm_rate;
		tp->t_ns = q->t_ns;
		if (pos + (size_t)m > cur)
			cur = pos + (size_t)m;
	}
	*len = cur;
	return 0;
}

int xq_track_build(const struct codec_desc *d, const struct xq_rx_pkt *p, unsigned n,
		   size_t max_n8, struct xq_track *t)
{
	struct order *o = NULL;
	struct codec *c = NULL;
	int16_t *pcm = NULL;
	size_t cap, len = 0;
	int r;

	memset(t, 0, sizeof(*t));
	r = xq_codec_new(d, 0, &c);
	if (r)
		return r;
	cap = max_n8 * (c->pcm_rate / 8000) + CODEC_MAX_FRAME_SAMPLES;
	o = calloc(n + 1, sizeof(*o));
	t->pk = calloc(n + 1, sizeof(*t->pk));
	pcm = calloc(cap, sizeof(*pcm));
	if (!o || !t->pk || !pcm) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		o[i] = (struct order){.rel = (int32_t)(p[i].ts - p[0].ts), .idx = i};
	qsort(o, n, sizeof(*o), by_rel);
	r = place(c, p, o, n, pcm, cap, t, &len);
	if (!r)
		r = xq_rate_convert(pcm, len, c->pcm_rate, 8000, &t->pcm8, &t->n8);
	t->seq_lost = seq_lost(p, n, t->dups);
out:
	free(o);
	free(pcm);
	codec_free(c);
	if (r) {
		free(t->pk);
		t->pk = NULL;
	}
	return r;
}
