/* voice.h: a voice-like test signal in G.711 mu-law for the generator's PCMU packets.
 * Transcoders spend far less encoding digital silence than speech, so a fair channel
 * count needs a signal with pitch, harmonics, a syllable envelope and noise. Integer
 * arithmetic only (libc only, same bytes on every machine). */
#ifndef BENCH_VOICE_H
#define BENCH_VOICE_H

#include <stdint.h>

#define VOICE_FRAME 160  /* 20 ms at 8 kHz */
#define VOICE_FRAMES 50  /* one second, repeated */

/* Fills out[VOICE_FRAMES][VOICE_FRAME] with mu-law encoded signal. */
void voice_fill(uint8_t out[VOICE_FRAMES][VOICE_FRAME]);

/* G.711 mu-law encoding of one 16-bit linear sample (ITU-T G.711, segment/quantisation
 * with the 0x84 bias, bits inverted). */
uint8_t voice_mulaw(int16_t s);

#endif
