/* xquality_metric.c: correlation, segmental SNR and quantiles (see xquality_metric.h). */
#include "bench/xquality_metric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SILENCE_REL 1e-3
#define SNR_MIN (-10.0)
#define SNR_MAX 35.0

struct acc {
	double xy, xx, yy, snr;
	unsigned frames;
};

/* Output frame f against the input at lag; skipped when the input there is silence. */
static void frame(const int16_t *ref, size_t n_ref, const int16_t *out, size_t f, long lag,
		  double thr, struct acc *s)
{
	long a = (long)(f * XQ_FRAME8) - lag;
	double es = 0, ee = 0, xy = 0, yy = 0, snr;

	if (a < 0 || a + XQ_FRAME8 > (long)n_ref)
		return;
	for (size_t i = 0; i < XQ_FRAME8; i++) {
		double x = ref[a + (long)i], y = out[f * XQ_FRAME8 + i];

		es += x * x;
		yy += y * y;
		xy += x * y;
		ee += (x - y) * (x - y);
	}
	if (es <= thr || es == 0)
		return;
	snr = ee > 0 ? 10 * log10(es / ee) : SNR_MAX;
	s->snr += snr < SNR_MIN ? SNR_MIN : snr > SNR_MAX ? SNR_MAX : snr;
	s->xy += xy;
	s->xx += es;
	s->yy += yy;
	s->frames++;
}

void xq_quality(const int16_t *ref, size_t n_ref, const int16_t *out, size_t n_out,
		const struct xq_align *a, struct xq_quality *q)
{
	size_t nf = n_ref / XQ_FRAME8, active = 0, of = n_out / XQ_FRAME8;
	struct acc p = {0}, g = {0};
	double mean = 0, thr;

	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < nf * XQ_FRAME8; i++)
		mean += (double)ref[i] * ref[i];
	thr = mean / (double)(nf ? nf : 1) * SILENCE_REL;
	for (size_t f = 0; f < nf; f++) {
		double es = 0;

		for (size_t i = f * XQ_FRAME8; i < (f + 1) * XQ_FRAME8; i++)
			es += (double)ref[i] * ref[i];
		active += es > thr;
	}
	for (size_t f = 0; f < of; f++) {
		frame(ref, n_ref, out, f, xq_align_lag_at(a, f * XQ_FRAME8), thr, &p);
		frame(ref, n_ref, out, f, a->lag0, thr, &g);
	}
	q->frames = p.frames;
	q->seg_snr_db = p.frames ? p.snr / p.frames : SNR_MIN;
	q->seg_snr_global_db = g.frames ? g.snr / g.frames : SNR_MIN;
	q->corr = p.xx > 0 && p.yy > 0 ? p.xy / sqrt(p.xx * p.yy) : 0;
	q->corr_global = g.xx > 0 && g.yy > 0 ? g.xy / sqrt(g.xx * g.yy) : 0;
	q->coverage = active ? (double)p.frames / (double)active : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double xq_quantile(double *v, size_t n, double q)
{
	size_t k;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}
