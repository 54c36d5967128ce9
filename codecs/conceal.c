/*
 * conceal.c: pitch-repetition loss concealment (see conceal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "codecs/conceal.h"

void conceal_init(struct conceal *c, unsigned rate)
{
	memset(c, 0, sizeof(*c));
	if (rate > CONCEAL_MAX_RATE)
		rate = CONCEAL_MAX_RATE;
	c->rate = rate;
	c->min_pitch = rate / 400;	 /* 2.5 ms: 400 Hz */
	c->max_pitch = rate * 15 / 1000; /* 15 ms: 67 Hz */
	c->hist_len = 3 * c->max_pitch;
}

static void push_history(struct conceal *c, const int16_t *pcm, unsigned n)
{
	if (n >= c->hist_len) {
		memcpy(c->hist, pcm + n - c->hist_len, c->hist_len * sizeof(*pcm));
		return;
	}
	memmove(c->hist, c->hist + n, (c->hist_len - n) * sizeof(*pcm));
	memcpy(c->hist + c->hist_len - n, pcm, n * sizeof(*pcm));
}

/* Average magnitude difference over the last max_pitch samples; the lag with
 * the smallest difference is the period (the first of equals wins, so a
 * multiple of the true period is not preferred). */
static unsigned find_pitch(const struct conceal *c)
{
	const int16_t *end = c->hist + c->hist_len;
	unsigned span = c->max_pitch, best = c->max_pitch;
	long best_d = -1;

	for (unsigned lag = c->min_pitch; lag <= c->max_pitch; lag++) {
		long d = 0;

		for (unsigned i = 1; i <= span; i++)
			d += labs((long)end[-(long)i] - end[-(long)(i + lag)]);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = lag;
		}
	}
	return best;
}

static void start_loss(struct conceal *c)
{
	const int16_t *end = c->hist + c->hist_len;
	unsigned p = find_pitch(c), ov = p / 4;

	c->pitch = p;
	c->pos = 0;
	for (unsigned i = 0; i < p; i++)
		c->period[i] = end[(long)i - (long)p];
	/* Fade the period's tail into the period before it, whose own
	 * continuation is the period's head: the loop has no seam. */
	for (unsigned i = 0; i < ov; i++) {
		unsigned k = p - ov + i;
		float w = (float)(i + 1) / (float)(ov + 1);

		c->period[k] = (1 - w) * c->period[k] + w * end[(long)k - 2 * (long)p];
	}
}

static float gain_at(const struct conceal *c, unsigned missing)
{
	unsigned hold = c->rate / 100, fade = c->rate / 20;

	if (missing < hold)
		return 1.0f;
	if (missing >= hold + fade)
		return 0.0f;
	return 1.0f - (float)(missing - hold) / (float)fade;
}

void conceal_fill(struct conceal *c, int16_t *pcm, unsigned n)
{
	if (c->missing == 0)
		start_loss(c);
	for (unsigned i = 0; i < n; i++) {
		pcm[i] = (int16_t)(c->period[c->pos] * gain_at(c, c->missing));
		c->pos = (c->pos + 1) % c->pitch;
		c->missing++;
	}
	push_history(c, pcm, n);
}

void conceal_good(struct conceal *c, int16_t *pcm, unsigned n)
{
	if (c->missing) {
		unsigned ov = c->pitch / 4;

		for (unsigned i = 0; i < ov && i < n; i++) {
			float w = (float)(i + 1) / (float)(ov + 1);
			float synth = c->period[c->pos] * gain_at(c, c->missing + i);

			pcm[i] = (int16_t)(w * pcm[i] + (1 - w) * synth);
			c->pos = (c->pos + 1) % c->pitch;
		}
		c->missing = 0;
	}
	push_history(c, pcm, n);
}
