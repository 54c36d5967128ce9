/*
 * signal.h: test signals and quality measures shared by the codec tests.
 *
 * quality_best() searches the delay (0..max_lag samples) a codec adds and
 * reports, at that alignment, the normalised correlation and the SNR of the
 * decoded signal against the input, skipping @skip warm-up samples.
 */
#ifndef RTPRELAY_TEST_SIGNAL_H
#define RTPRELAY_TEST_SIGNAL_H

#include <math.h>
#include <stdint.h>

struct quality {
	unsigned lag;
	double corr;
	double snr_db;
};

/* A sine at @hz, amplitude @amp, starting at sample @start. */
static inline void sig_sine(int16_t *out, unsigned n, unsigned rate, double hz, double amp,
			    unsigned start)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (int16_t)(amp * sin(2 * M_PI * hz * (double)(start + i) / rate));
}

/* A slow tone sweep (300 Hz .. 3000 Hz over @period samples), voice band. */
static inline void sig_sweep(int16_t *out, unsigned n, unsigned rate, double amp,
			     unsigned start, unsigned period)
{
	for (unsigned i = 0; i < n; i++) {
		double t = (double)(start + i) / rate, T = (double)period / rate;
		double k = (3000.0 - 300.0) / T;
		double tt = fmod(t, T);

		out[i] = (int16_t)(amp * sin(2 * M_PI * (300.0 * tt + 0.5 * k * tt * tt)));
	}
}

/* Voice-like and never periodic: a harmonic series on a gliding pitch
 * (100-180 Hz, phase integrated so the glide is smooth) under a syllable
 * envelope made of two incommensurate rates; deterministic. Speech detectors
 * take it as voice, and no two 100 ms stretches look alike. */
static inline void sig_voice(int16_t *out, unsigned n, unsigned rate, double amp,
			     unsigned start)
{
	for (unsigned i = 0; i < n; i++) {
		double t = (double)(start + i) / rate;
		double f0 = 140 + 40 * sin(2 * M_PI * 0.7 * t);
		double ph = 2 * M_PI * 140 * t - 40 / 0.7 * cos(2 * M_PI * 0.7 * t);
		double env = 0.6 + 0.25 * sin(2 * M_PI * 3.1 * t) + 0.15 * sin(2 * M_PI * 4.7 * t);
		double v = 0;

		for (int h = 1; h <= 12 && h * f0 < rate / 2.0; h++)
			v += sin(h * ph + h * h * 0.4) / h;
		out[i] = (int16_t)(amp * env * v / 2.5);
	}
}

static inline struct quality quality_at(const int16_t *ref, const int16_t *got, unsigned n,
					unsigned skip, unsigned lag)
{
	double sr = 0, sg = 0, sx = 0, se = 0;
	struct quality q = { .lag = lag };

	for (unsigned i = skip; i + lag < n; i++) {
		double r = ref[i], g = got[i + lag];

		sr += r * r;
		sg += g * g;
		sx += r * g;
		se += (r - g) * (r - g);
	}
	q.corr = (sr > 0 && sg > 0) ? sx / sqrt(sr * sg) : 0;
	q.snr_db = se > 0 ? 10 * log10(sr / se) : 99;
	return q;
}

/* @ref[0..n) against @got[lag..lag+n): @got must hold n + lag samples. */
static inline struct quality quality_window(const int16_t *ref, const int16_t *got, unsigned n,
					    unsigned lag)
{
	double sr = 0, sg = 0, sx = 0, se = 0;
	struct quality q = { .lag = lag };

	for (unsigned i = 0; i < n; i++) {
		double r = ref[i], g = got[i + lag];

		sr += r * r;
		sg += g * g;
		sx += r * g;
		se += (r - g) * (r - g);
	}
	q.corr = (sr > 0 && sg > 0) ? sx / sqrt(sr * sg) : 0;
	q.snr_db = se > 0 ? 10 * log10(sr / se) : 99;
	return q;
}

static inline struct quality quality_best(const int16_t *ref, const int16_t *got, unsigned n,
					  unsigned skip, unsigned max_lag)
{
	struct quality best = { 0 };

	for (unsigned lag = 0; lag <= max_lag; lag++) {
		struct quality q = quality_at(ref, got, n - max_lag, skip, lag);

		if (q.corr > best.corr)
			best = q;
	}
	return best;
}

static inline double rms(const int16_t *x, unsigned n)
{
	double s = 0;

	for (unsigned i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return n ? sqrt(s / n) : 0;
}

#endif
