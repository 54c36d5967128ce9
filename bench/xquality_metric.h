/* xquality_metric.h: how close a decoded output is to the input, along an alignment
 * (xquality_align.h), and the quantiles of the latency figures. Both signals at 8 kHz.
 *   corr     normalized cross-correlation of the output with the input it carries, over
 *            the frames measured for seg_snr;
 *   seg_snr  segmental SNR: mean over the output's 20 ms frames whose input is not silence
 *            (energy above 1/1000 of the input's mean frame energy, i.e. -30 dB) of
 *            10 log10(input energy / error energy), each clamped to [-10, 35] dB;
 *   coverage frames measured / the input's non-silent frames (under 1: output missing).
 * Along the path, and with lag0 alone (the _global figures: a slip costs there). */
#ifndef BENCH_XQUALITY_METRIC_H
#define BENCH_XQUALITY_METRIC_H

#include "bench/xquality_align.h"

#include <stddef.h>
#include <stdint.h>

struct xq_quality {
	double corr, seg_snr_db, coverage;
	double corr_global, seg_snr_global_db;
	unsigned frames;	/* frames in seg_snr */
};

void xq_quality(const int16_t *ref, size_t n_ref, const int16_t *out, size_t n_out,
		const struct xq_align *a, struct xq_quality *q);

/* The q-quantile (0..1) of v[0..n), nearest rank; sorts v. 0 when n is 0. */
double xq_quantile(double *v, size_t n, double q);

#endif
