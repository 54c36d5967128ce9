/*
 * g711.c: ITU-T G.711 µ-law (PCMU, static PT 0) and A-law (PCMA, static PT 8),
 * written by hand: 8 kHz, one byte per sample, any ptime that is a multiple of
 * 10 ms. Packet loss concealment is conceal.c's pitch repetition (G.711 has
 * none of its own), fed every decoded frame so it has history to repeat.
 *
 * Both laws are the segmented (companded) 8-bit encodings of G.711 §2/§3:
 * 8 segments, each 16 steps; µ-law adds a bias of 0x84 so segment 0 starts at
 * 0, A-law has segments 0 and 1 at the same step. Negative inputs use the
 * one's complement magnitude (-x - 1) as the G.191 reference does.
 */
#include <errno.h>
#include <string.h>

#include <stdint.h>

#include "codecs/codec.h"
#include "codecs/conceal.h"
#include "codecs/g711.h"

#define ULAW_BIAS 0x84

static int top_bit(unsigned v)
{
	return 31 - __builtin_clz(v | 1);
}

uint8_t g711_ulaw_encode(int16_t pcm)
{
	int x = pcm, mask, seg;

	if (x < 0) {
		x = ULAW_BIAS - x - 1;
		mask = 0x7F;
	} else {
		x = ULAW_BIAS + x;
		mask = 0xFF;
	}
	seg = top_bit((unsigned)x | 0xFF) - 7;
	if (seg >= 8) /* clipped: largest code of this sign */
		return (uint8_t)(0x7F ^ mask);
	return (uint8_t)(((seg << 4) | ((x >> (seg + 3)) & 0x0F)) ^ mask);
}

int16_t g711_ulaw_decode(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = (((u & 0x0F) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
	return (int16_t)((u & 0x80) ? (ULAW_BIAS - t) : (t - ULAW_BIAS));
}

uint8_t g711_alaw_encode(int16_t pcm)
{
	int x = pcm, mask, seg;

	if (x >= 0) {
		mask = 0xD5; /* sign bit set, even bits inverted */
	} else {
		mask = 0x55;
		x = -x - 1;
	}
	seg = top_bit((unsigned)x | 0xFF) - 7;
	if (seg >= 8)
		return (uint8_t)(0x7F ^ mask);
	return (uint8_t)(((seg << 4) | ((x >> (seg ? seg + 3 : 4)) & 0x0F)) ^ mask);
}

int16_t g711_alaw_decode(uint8_t a)
{
	int mant, seg, v;

	a ^= 0x55;
	mant = a & 0x0F;
	seg = (a & 0x70) >> 4;
	if (seg)
		v = (mant * 2 + 1 + 32) << (seg + 2);
	else
		v = (mant * 2 + 1) << 3;
	return (int16_t)((a & 0x80) ? v : -v);
}

struct g711_priv {
	struct conceal plc;
	bool alaw;
};

static int g711_init(struct codec *c, const struct codec_params *p)
{
	struct g711_priv *g = c->priv;

	(void)p;
	g->alaw = c->desc == &codec_pcma;
	conceal_init(&g->plc, 8000);
	return 0;
}

static int g711_enc_frame(struct codec *c, const int16_t *pcm, unsigned n, uint8_t *out, size_t cap)
{
	struct g711_priv *g = c->priv;

	if (n > cap)
		return -ENOBUFS;
	if (g->alaw)
		for (unsigned i = 0; i < n; i++)
			out[i] = g711_alaw_encode(pcm[i]);
	else
		for (unsigned i = 0; i < n; i++)
			out[i] = g711_ulaw_encode(pcm[i]);
	return (int)n;
}

static int g711_dec_frame(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm,
			  unsigned cap)
{
	struct g711_priv *g = c->priv;

	if (len > cap)
		return -ENOBUFS;
	if (g->alaw)
		for (size_t i = 0; i < len; i++)
			pcm[i] = g711_alaw_decode(in[i]);
	else
		for (size_t i = 0; i < len; i++)
			pcm[i] = g711_ulaw_decode(in[i]);
	conceal_good(&g->plc, pcm, (unsigned)len);
	return (int)len;
}

static int g711_plc(struct codec *c, int16_t *pcm, unsigned n)
{
	struct g711_priv *g = c->priv;

	conceal_fill(&g->plc, pcm, n);
	return (int)n;
}

const struct codec_desc codec_pcmu = {
	.name = "PCMU",
	.clock_rate = 8000,
	.pcm_rate = 8000,
	.max_channels = 1,
	.static_pt = 0,
	.frame_ms = 10,
	.default_ptime = 20,
	.priv_size = sizeof(struct g711_priv),
	.init = g711_init,
	.encode = g711_enc_frame,
	.decode = g711_dec_frame,
	.plc = g711_plc,
};

const struct codec_desc codec_pcma = {
	.name = "PCMA",
	.clock_rate = 8000,
	.pcm_rate = 8000,
	.max_channels = 1,
	.static_pt = 8,
	.frame_ms = 10,
	.default_ptime = 20,
	.priv_size = sizeof(struct g711_priv),
	.init = g711_init,
	.encode = g711_enc_frame,
	.decode = g711_dec_frame,
	.plc = g711_plc,
};
