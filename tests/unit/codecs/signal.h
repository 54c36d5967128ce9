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

/* Voice-like: a harmonic series on a gliding pitch (100-180 Hz) with a
 * syllable-rate envelope; deterministic. Speech detectors take it as voice. */
static inline void sig_voice(int16_t *out, unsigned n, unsigned rate, double amp,
			     unsigned start)
{
	for (unsigned i = 0; i < n; i++) {
		double t = (double)(start + i) / rate;
		double f0 = 140 + 40 * sin(2 * M_PI * 0.7 * t);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 3.0 * t);
		double v = 0;

		for (int h = 1; h <= 12 && h * f0 < rate / 2.0; h++)
			v += sin(2 * M_PI * h * 140 * t + h * 0.3 * sin(2 * M_PI * 0.7 * t)) / h;
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
