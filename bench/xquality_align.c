/* xquality_align.c: the lag search and the lag path (see xquality_align.h). Energies over
 * an overlap come from prefix sums, so each candidate lag costs one dot product. */
#include "bench/xquality_align.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DECIM 4
#define REFINE 8
#define WIN 1600	/* 200 ms */
#define HOP 800
#define MIN_CORR 0.6
#define SLIP 4		/* samples: a smaller change is estimation noise, not a slip */
#define KEEP 0.05	/* correlation a window's earlier lag may lose and still be kept */
#define GAIN 0.7	/* a run of a new lag stays when its error is below this share of the
			 * error the lag before it would have there */

struct sig {
	float *x;
	double *e;	/* e[i] = sum of x[0..i)^2 */
	size_t n;
};

struct ctx {
	struct sig rc, oc, rf, of;	/* coarse (decimated) and full-rate ref and out */
	const int16_t *ref, *out;
	size_t n_ref, n_out;
	long max_lag, extra;
};

static int sig_make(struct sig *s, const int16_t *p, size_t n, unsigned decim)
{
	s->n = n / decim;
	s->x = calloc(s->n + 1, sizeof(*s->x));
	s->e = calloc(s->n + 1, sizeof(*s->e));
	if (!s->x || !s->e)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		float v = 0;

		for (unsigned k = 0; k < decim; k++)
			v += p[i * decim + k];
		s->x[i] = v / (float)decim;
		s->e[i + 1] = s->e[i] + (double)s->x[i] * s->x[i];
	}
	return 0;
}

static void sig_free(struct sig *s)
{
	free(s->x);
	free(s->e);
}

/* Normalized correlation of o[lo..hi) with r[i - lag] where both exist; -2 when (nearly)
 * empty or silent. */
static double ncorr(const struct sig *r, const struct sig *o, long lag, long lo, long hi)
{
	double d0 = 0, d1 = 0, d2 = 0, d3 = 0, er, eo;
	long i;

	if (lo < lag)
		lo = lag;
	if (hi > (long)o->n)
		hi = (long)o->n;
	if (hi > (long)r->n + lag)
		hi = (long)r->n + lag;
	if (hi - lo < 16)
		return -2;
	for (i = lo; i + 4 <= hi; i += 4) {
		d0 += (double)(o->x[i] * r->x[i - lag]);
		d1 += (double)(o->x[i + 1] * r->x[i + 1 - lag]);
		d2 += (double)(o->x[i + 2] * r->x[i + 2 - lag]);
		d3 += (double)(o->x[i + 3] * r->x[i + 3 - lag]);
	}
	for (; i < hi; i++)
		d0 += (double)(o->x[i] * r->x[i - lag]);
	eo = o->e[hi] - o->e[lo];
	er = r->e[hi - lag] - r->e[lo - lag];
	if (eo <= 0 || er <= 0)
		return -2;
	return (d0 + d1 + d2 + d3) / sqrt(eo * er);
}

/* Best lag in [lo_lag, hi_lag] for o[lo..hi); *best_c its correlation. */
static long search(const struct sig *r, const struct sig *o, long lo_lag, long hi_lag, long lo,
		   long hi, double *best_c)
{
	long best = lo_lag;

	*best_c = -3;
	for (long l = lo_lag; l <= hi_lag; l++) {
		double c = ncorr(r, o, l, lo, hi);

		if (c > *best_c) {
			*best_c = c;
			best = l;
		}
	}
	return best;
}

/* Coarse to fine: the lag of out[lo..hi). */
static long find_lag(const struct ctx *x, long lo, long hi, double *c)
{
	long m = x->max_lag, top = x->max_lag + x->extra, coarse;

	coarse = search(&x->rc, &x->oc, -m / DECIM, top / DECIM, lo / DECIM, hi / DECIM, c) * DECIM;
	return search(&x->rf, &x->of, coarse - REFINE < -m ? -m : coarse - REFINE,
		      coarse + REFINE > top ? top : coarse + REFINE, lo, hi, c);
}

/* Squared error of output frame f against the input at lag (missing input counts as 0). */
static double frame_err(const struct ctx *x, size_t f, long lag)
{
	double e = 0;

	for (size_t i = f * XQ_FRAME8; i < (f + 1) * XQ_FRAME8 && i < x->n_out; i++) {
		long k = (long)i - lag;
		double d = (double)x->out[i] - (k >= 0 && k < (long)x->n_ref ? x->ref[k] : 0);

		e += d * d;
	}
	return e;
}

/* Frames in (a, b] switch from lag l1 to l2 at the boundary with the least error. */
static void place_switch(const struct ctx *x, long *path, size_t a, size_t b, long l1, long l2)
{
	double sum = 0, best = 0;
	size_t k = a + 1;

	/* sum: the error saved by keeping l1 up to frame f; switch after the frame where most */
	for (size_t f = a + 1; f <= b; f++) {
		sum += frame_err(x, f, l2) - frame_err(x, f, l1);
		if (sum > best) {
			best = sum;
			k = f + 1;
		}
	}
	for (size_t f = a + 1; f <= b; f++)
		path[f] = f < k ? l1 : l2;
}

/* The lag of every 200 ms window (LONG_MIN: silent, not found or not confirmed). A window
 * keeps the lag before it when that fits nearly as well (KEEP) or differs by at most SLIP
 * samples, and a new lag counts only when the next window found agrees with it: speech
 * has near-periodic stretches where a wrong lag can score well once. Returns how many
 * windows have a lag. */
static size_t window_lags(const struct ctx *x, long *wl, size_t nw)
{
	long prev = LONG_MIN;
	size_t found = 0, last = 0;

	for (size_t w = 0; w < nw; w++) {
		long lo = (long)(w * HOP), hi = lo + WIN, l;
		double c;

		l = find_lag(x, lo, hi, &c);
		wl[w] = LONG_MIN;
		if (c < MIN_CORR)
			continue;
		if (prev != LONG_MIN &&
		    (labs(l - prev) <= SLIP || ncorr(&x->rf, &x->of, prev, lo, hi) >= c - KEEP))
			l = prev;
		wl[w] = prev = l;
	}
	for (size_t w = 0; w < nw; w++) {
		size_t n = w + 1;

		if (wl[w] == LONG_MIN)
			continue;
		while (n < nw && wl[n] == LONG_MIN)
			n++;
		if (found && labs(wl[w] - wl[last]) > SLIP && (n == nw || labs(wl[n] - wl[w]) > SLIP)) {
			wl[w] = LONG_MIN;
			continue;
		}
		last = w;
		found++;
	}
	return found;
}

static int build_path(const struct ctx *x, struct xq_align *a)
{
	size_t nw = x->n_out > WIN ? (x->n_out - WIN) / HOP + 1 : 0, prev_w = (size_t)-1;
	long *wl = calloc(nw + 1, sizeof(*wl));

	if (!wl)
		return -ENOMEM;
	for (size_t f = 0; f < a->frames; f++)
		a->path[f] = a->lag0;
	if (!window_lags(x, wl, nw)) {
		free(wl);
		return 0;
	}
	for (size_t w = 0; w < nw; w++) {
		/* frames whose centre is in this window's half: its lag */
		size_t c = (w * HOP + WIN / 2) / XQ_FRAME8;

		if (wl[w] == LONG_MIN)
			continue;
		if (prev_w == (size_t)-1) {
			for (size_t f = 0; f <= c && f < a->frames; f++)
				a->path[f] = wl[w];
		} else {
			size_t pc = (prev_w * HOP + WIN / 2) / XQ_FRAME8;

			if (c < a->frames)
				place_switch(x, a->path, pc, c, wl[prev_w], wl[w]);
		}
		for (size_t f = c; f < a->frames; f++)
			a->path[f] = wl[w];
		prev_w = w;
	}
	free(wl);
	return 0;
}

static double path_err(const struct ctx *x, const struct xq_align *a)
{
	double e = 0;

	for (size_t f = 0; f < a->frames; f++)
		e += frame_err(x, f, a->path[f]);
	return e;
}

/* Squared error of frames [f0, f1) at lag. */
static double run_err(const struct ctx *x, size_t f0, size_t f1, long lag)
{
	double e = 0;

	for (size_t f = f0; f < f1; f++)
		e += frame_err(x, f, lag);
	return e;
}

/* Keeps a run of frames on a new lag only where that lag fits clearly better than the one
 * before it (a codec like G.729 matches the input loosely enough for a wrong lag to win a
 * window now and then), and the whole path only where it beats lag0. */
static void verify_path(const struct ctx *x, struct xq_align *a)
{
	size_t f0 = 0;

	while (f0 < a->frames) {
		size_t f1 = f0;

		while (f1 < a->frames && a->path[f1] == a->path[f0])
			f1++;
		if (f0 > 0 && a->path[f0] != a->path[f0 - 1] &&
		    run_err(x, f0, f1, a->path[f0]) >= GAIN * run_err(x, f0, f1, a->path[f0 - 1])) {
			for (size_t f = f0; f < f1; f++)
				a->path[f] = a->path[f0 - 1];
			continue;	/* the run grew: look at what follows it again */
		}
		f0 = f1;
	}
	if (run_err(x, 0, a->frames, a->lag0) <= path_err(x, a))
		for (size_t f = 0; f < a->frames; f++)
			a->path[f] = a->lag0;
}

long xq_align_lag_at(const struct xq_align *a, size_t i)
{
	return i / XQ_FRAME8 < a->frames ? a->path[i / XQ_FRAME8] : a->lag0;
}

void xq_align_free(struct xq_align *a)
{
	free(a->path);
	memset(a, 0, sizeof(*a));
}

int xq_align(const int16_t *ref, size_t n_ref, const int16_t *out, size_t n_out, long max_lag,
	     long extra, struct xq_align *a)
{
	struct ctx x = {.ref = ref, .out = out, .n_ref = n_ref, .n_out = n_out,
			.max_lag = max_lag, .extra = extra > 0 ? extra : 0};
	int r;

	memset(a, 0, sizeof(*a));
	r = sig_make(&x.rc, ref, n_ref, DECIM);
	if (!r)
		r = sig_make(&x.oc, out, n_out, DECIM);
	if (!r)
		r = sig_make(&x.rf, ref, n_ref, 1);
	if (!r)
		r = sig_make(&x.of, out, n_out, 1);
	if (r)
		goto out;
	a->lag0 = find_lag(&x, 0, (long)n_out, &a->corr0);
	if (a->corr0 < -1) {
		r = -ENODATA;
		goto out;
	}
	a->frames = n_out / XQ_FRAME8;
	a->path = calloc(a->frames + 1, sizeof(*a->path));
	r = a->path ? build_path(&x, a) : -ENOMEM;
	if (!r)
		verify_path(&x, a);
	for (size_t f = 1; !r && f < a->frames; f++)
		if (labs(a->path[f] - a->path[f - 1]) > SLIP) {
			a->slips++;
			a->slip_ms += (double)labs(a->path[f] - a->path[f - 1]) / 8.0;
		}
out:
	if (r)
		xq_align_free(a);
	sig_free(&x.rc);
	sig_free(&x.oc);
	sig_free(&x.rf);
	sig_free(&x.of);
	return r;
}
