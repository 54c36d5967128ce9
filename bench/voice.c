/* voice.c: the generator's speech-like PCMU signal. A glottal-like sawtooth whose pitch
 * glides between about 100 and 220 Hz, a triangle one octave up, a syllable envelope of
 * about 4 Hz with short pauses, and a little white noise. */
#include "bench/voice.h"

uint8_t voice_mulaw(int16_t s)
{
	int v = s, sign = 0, seg = 0;

	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > 32635)
		v = 32635;
	v += 0x84;
	for (int t = v >> 7; t > 1 && seg < 7; t >>= 1)
		seg++;
	return (uint8_t)~(sign | (seg << 4) | ((v >> (seg + 3)) & 0x0f));
}

void voice_fill(uint8_t out[VOICE_FRAMES][VOICE_FRAME])
{
	uint32_t phase = 0, phase2 = 0, rnd = 12345;

	for (unsigned n = 0; n < VOICE_FRAMES * VOICE_FRAME; n++) {
		/* pitch: 100..220 Hz along a triangle over the second */
		unsigned tri = n < 4000 ? n : 8000 - n;
		uint32_t f0 = 100 + tri * 120 / 4000;
		/* syllables: 250 ms each, the last 50 ms of each nearly silent */
		unsigned pos = n % 2000;
		int env = pos < 1600 ? (pos < 400 ? (int)pos * 64 / 400 : 64) : 4;
		int saw, trg, noise, s;

		phase += f0 * 65536u / 8000u;
		phase2 += 2 * f0 * 65536u / 8000u;
		saw = (int)(phase & 0xffff) - 32768;
		trg = (int)(phase2 & 0xffff);
		trg = (trg < 32768 ? trg : 65535 - trg) * 2 - 32768;
		rnd = rnd * 1103515245u + 12345u;
		noise = (int)((rnd >> 16) & 0xfff) - 2048;
		s = (saw / 3 + trg / 4 + noise) * env / 64;
		out[n / VOICE_FRAME][n % VOICE_FRAME] = voice_mulaw((int16_t)(s / 2));
	}
}
