/*
 * tone.c: sine tones (see tone.h).
 */
#include "codecs/tone.h"

#include <math.h>

/* Peak of a 0 dBm0 sine in 16-bit linear PCM (G.711's digital milliwatt,
 * ITU-T G.711 table 5 / 3.17 dB below the coder's full scale). */
#define DBM0_PEAK 22718.0f

void tone_init(struct tone *t, const unsigned *freqs, unsigned n, unsigned volume, unsigned rate)
{
	const float two_pi = 6.28318530718f;

	if (n > TONE_MAX_FREQS)
		n = TONE_MAX_FREQS;
	if (volume > TONE_MAX_VOLUME)
		volume = TONE_MAX_VOLUME;
	if (!rate)
		rate = 8000;
	t->n = n;
	t->amp = DBM0_PEAK * powf(10.0f, -(float)volume / 20.0f) / (float)(n ? n : 1);
	for (unsigned i = 0; i < n; i++) {
		unsigned f = freqs[i] < 1 ? 1 : freqs[i] > TONE_MAX_HZ ? TONE_MAX_HZ : freqs[i];

		t->phase[i] = 0.0f;
		t->step[i] = two_pi * (float)f / (float)rate;
	}
}

void tone_fill(struct tone *t, int16_t *pcm, unsigned n)
{
	const float two_pi = 6.28318530718f;

	for (unsigned s = 0; s < n; s++) {
		float v = 0.0f;

		for (unsigned i = 0; i < t->n; i++) {
			v += sinf(t->phase[i]);
			t->phase[i] += t->step[i];
			if (t->phase[i] >= two_pi)
				t->phase[i] -= two_pi;
		}
		v *= t->amp;
		pcm[s] = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : v);
	}
}

bool tone_dtmf_freqs(uint8_t event, unsigned out[2])
{
	static const unsigned row[4] = { 697, 770, 852, 941 };
	static const unsigned col[4] = { 1209, 1336, 1477, 1633 };
	/* keypad position (row * 4 + column) of events 0-9, *, #, A-D */
	static const uint8_t pos[16] = { 13, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 14, 3, 7, 11, 15 };

	if (event > 15)
		return false;
	out[0] = row[pos[event] / 4];
	out[1] = col[pos[event] % 4];
	return true;
}
