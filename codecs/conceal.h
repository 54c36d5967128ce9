/*
 * conceal.h: packet loss concealment for codecs that have none of their own
 * (G.711, G.722): pitch-period waveform repetition.
 *
 * On the first lost sample the pitch is estimated from the recent history
 * (AMDF over the last 20 ms, periods 2.5-15 ms) and the last period is
 * repeated, its seam cross-faded with the period before it so that it loops
 * without a click. Concealment holds full level for 10 ms, then fades to
 * silence over 50 ms (a long gap turns quiet, it does not buzz). The first
 * good samples after a loss are cross-faded from the synthetic signal.
 *
 * State is a plain struct to embed in a codec's private state: no allocation.
 */
#ifndef RTPRELAY_CONCEAL_H
#define RTPRELAY_CONCEAL_H

#include <stdint.h>

#define CONCEAL_MAX_RATE  16000
#define CONCEAL_MAX_PITCH (CONCEAL_MAX_RATE * 15 / 1000) /* 15 ms */
#define CONCEAL_HIST	  (3 * CONCEAL_MAX_PITCH)

struct conceal {
	unsigned rate, min_pitch, max_pitch, hist_len;
	unsigned pitch, pos, missing;
	int16_t hist[CONCEAL_HIST]; /* the last hist_len samples, oldest first */
	float period[CONCEAL_MAX_PITCH];
};

/* @rate: 8000 or 16000 (up to CONCEAL_MAX_RATE). */
void conceal_init(struct conceal *c, unsigned rate);
/* Record @n good samples; after a loss their start is smoothed in place. */
void conceal_good(struct conceal *c, int16_t *pcm, unsigned n);
/* Write @n concealment samples. */
void conceal_fill(struct conceal *c, int16_t *pcm, unsigned n);

#endif
