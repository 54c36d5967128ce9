/*
 * g711.h: the G.711 sample laws, exposed for the known-answer tests and for
 * anyone who needs a single sample converted (the codecs are codec_pcmu/pcma).
 */
#ifndef RTPRELAY_G711_H
#define RTPRELAY_G711_H

#include <stdint.h>

uint8_t g711_ulaw_encode(int16_t pcm);
int16_t g711_ulaw_decode(uint8_t u);
uint8_t g711_alaw_encode(int16_t pcm);
int16_t g711_alaw_decode(uint8_t a);

#endif
