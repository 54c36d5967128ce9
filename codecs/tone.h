/*
 * tone.h: sine tones for in-band signalling: the two frequencies of a DTMF
 * digit (ITU-T Q.23) or one plain tone, at a level in -dBm0, as 16-bit PCM
 * at any rate. Used where DTMF must be heard in the audio itself (play DTMF
 * without telephone-event, block DTMF in rtpengine's `tone` mode).
 *
 * The phase runs on across calls of tone_fill, so consecutive frames of one
 * tone join without clicks. No allocation; one owner per instance.
 */
#ifndef RTPRELAY_TONE_H
#define RTPRELAY_TONE_H

#include <stdbool.h>
#include <stdint.h>

#define TONE_MAX_FREQS	2
#define TONE_MAX_HZ	4000u /* highest frequency an 8000 Hz stream carries */
#define TONE_MAX_VOLUME 63u   /* -dBm0, RFC 4733's volume range */

struct tone {
	float phase[TONE_MAX_FREQS], step[TONE_MAX_FREQS]; /* radians, per sample */
	float amp;					   /* peak of each component */
	unsigned n;
};

/* @n frequencies (1..TONE_MAX_FREQS, each 1..TONE_MAX_HZ, else clamped) at
 * @volume -dBm0 (0..63, larger is clamped) each, sampled at @rate Hz. Two
 * components share the level so that their sum stays within 0 dBm0's peak. */
void tone_init(struct tone *t, const unsigned *freqs, unsigned n, unsigned volume, unsigned rate);
/* The next @n samples. */
void tone_fill(struct tone *t, int16_t *pcm, unsigned n);
/* The row and column frequency of DTMF event @event (0-9, 10 '*', 11 '#',
 * 12-15 A-D); false for any other event. */
bool tone_dtmf_freqs(uint8_t event, unsigned out[2]);

#endif
