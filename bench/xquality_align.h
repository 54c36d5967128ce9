/* xquality_align.h: where in the input each part of a decoded output comes from.
 *
 * Both signals at 8 kHz. out[i] carries in[i - lag]; a relay that conceals a frame and then
 * plays the late one as well (or drops one to catch up) changes the lag in the middle of a
 * stream, so one lag for the whole stream is not enough. The alignment holds:
 *   lag0   the single lag maximizing the normalized cross-correlation of the whole signals
 *          (search in [-max_lag, max_lag]: 4:1 box-averaged copies at every 4th lag, then
 *          every lag within +-8 samples of that peak at full rate);
 *   path   a lag per 20 ms output frame: the same search over 200 ms windows every 100 ms
 *          (a window counts when its correlation is at least 0.6), each frame taking its
 *          nearest window's lag, and between two windows whose lags differ the switch put
 *          at the frame boundary that minimizes the squared error;
 *   slips  how often the path's lag changes by more than 0.5 ms, and by how much in all. */
#ifndef BENCH_XQUALITY_ALIGN_H
#define BENCH_XQUALITY_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#define XQ_FRAME8 160 /* 20 ms at 8 kHz */

struct xq_align {
	long lag0;
	double corr0;		/* normalized cross-correlation at lag0 */
	long *path;		/* per output frame [160 f, 160 f + 160) */
	size_t frames;
	unsigned slips;
	double slip_ms;
};

/* Aligns out (n_out samples) to ref (n_ref), lags in [-max_lag, max_lag + extra]: a relay
 * that stalls and then resumes with its timestamps moved on by the stall (a gap in the
 * output) raises the lag by the gap, so extra is the length of the output's gaps.
 * 0, or -ENODATA when they do not overlap or either is silent, or -ENOMEM. */
int xq_align(const int16_t *ref, size_t n_ref, const int16_t *out, size_t n_out, long max_lag,
	     long extra, struct xq_align *a) __attribute__((warn_unused_result));
/* The lag at output sample i (the path's, lag0 past its end). */
long xq_align_lag_at(const struct xq_align *a, size_t i);
void xq_align_free(struct xq_align *a);

#endif
