/*
 * g722.c: ITU-T G.722 at 64 kbit/s through libspandsp (static PT 9).
 *
 * RFC 3551 §4.5.2: the RTP clock of G.722 is 8000 although it samples at
 * 16000 Hz (an error in RFC 1890 kept for compatibility), so one 20 ms frame
 * is 320 PCM samples, 160 payload bytes and 160 RTP timestamp units. Loss is
 * concealed by conceal.c's pitch repetition on the 16 kHz signal.
 */
#include <errno.h>

#include <stdint.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include "codecs/codec.h"
#include "codecs/conceal.h"

struct g722_priv {
	g722_encode_state_t *enc;
	g722_decode_state_t *dec;
	struct conceal plc;
};

static void g722_fini(struct codec *c)
{
	struct g722_priv *g = c->priv;

	if (g->enc)
		g722_encode_free(g->enc);
	if (g->dec)
		g722_decode_free(g->dec);
}

static int g722_init(struct codec *c, const struct codec_params *p)
{
	struct g722_priv *g = c->priv;

	(void)p;
	g->enc = g722_encode_init(NULL, 64000, 0);
	g->dec = g722_decode_init(NULL, 64000, 0);
	conceal_init(&g->plc, 16000);
	if (!g->enc || !g->dec) {
		g722_fini(c);
		return -ENOMEM;
	}
	return 0;
}

static int g722_enc_frame(struct codec *c, const int16_t *pcm, unsigned n, uint8_t *out, size_t cap)
{
	struct g722_priv *g = c->priv;

	if (n / 2 > cap)
		return -ENOBUFS;
	return g722_encode(g->enc, out, pcm, (int)n);
}

static int g722_dec_frame(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm,
			  unsigned cap)
{
	struct g722_priv *g = c->priv;
	int n;

	if (len * 2 > cap)
		return -ENOBUFS;
	n = g722_decode(g->dec, pcm, in, (int)len);
	if (n > 0)
		conceal_good(&g->plc, pcm, (unsigned)n);
	return n;
}

static int g722_plc(struct codec *c, int16_t *pcm, unsigned n)
{
	struct g722_priv *g = c->priv;

	conceal_fill(&g->plc, pcm, n);
	return (int)n;
}

const struct codec_desc codec_g722 = {
	.name = "G722",
	.clock_rate = 8000,
	.pcm_rate = 16000,
	.max_channels = 1,
	.static_pt = 9,
	.frame_ms = 10,
	.default_ptime = 20,
	.priv_size = sizeof(struct g722_priv),
	.init = g722_init,
	.encode = g722_enc_frame,
	.decode = g722_dec_frame,
	.plc = g722_plc,
	.fini = g722_fini,
};
