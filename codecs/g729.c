/*
 * g729.c: ITU-T G.729 (CS-ACELP, 8 kbit/s) with Annex B through bcg729
 * (static PT 18).
 *
 * One 10 ms frame is 80 samples and 10 bytes. RFC 3551 §4.5.6: a packet holds
 * zero or more 10-byte frames, optionally followed by one 2-byte Annex B SID
 * (comfort noise) frame; a SID frame only ever ends a packet. With VAD on,
 * the encoder may emit a SID (2 bytes) or nothing for a frame: a SID closes
 * the packet, and a packet with no frame at all is not sent (DTX).
 * Loss: the decoder's own frame-erasure concealment; after a SID, a missing
 * frame is not a loss but silence the sender chose not to send, so the
 * decoder keeps generating comfort noise instead.
 */
#include <errno.h>
#include <string.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#include "codecs/codec.h"

#define G729_FRAME     80
#define G729_BYTES     10
#define G729_SID_BYTES 2

struct g729_priv {
	bcg729EncoderChannelContextStruct *enc;
	bcg729DecoderChannelContextStruct *dec;
	bool in_cng; /* last frame decoded was a SID: gaps are comfort noise */
};

static void g729_fini(struct codec *c)
{
	struct g729_priv *g = c->priv;

	if (g->enc)
		closeBcg729EncoderChannel(g->enc);
	if (g->dec)
		closeBcg729DecoderChannel(g->dec);
}

static int g729_init(struct codec *c, const struct codec_params *p)
{
	struct g729_priv *g = c->priv;

	g->enc = initBcg729EncoderChannel(p->vad ? 1 : 0);
	g->dec = initBcg729DecoderChannel();
	if (!g->enc || !g->dec) {
		g729_fini(c);
		return -ENOMEM;
	}
	return 0;
}

static int g729_encode(struct codec *c, const int16_t *pcm, unsigned n, uint8_t *out, size_t cap)
{
	struct g729_priv *g = c->priv;
	size_t used = 0;

	if (n % G729_FRAME || (size_t)n / G729_FRAME * G729_BYTES > cap)
		return -ENOBUFS;
	for (unsigned i = 0; i < n; i += G729_FRAME) {
		uint8_t len = 0;

		bcg729Encoder(g->enc, pcm + i, out + used, &len);
		used += len;
		if (len == G729_SID_BYTES)
			break; /* SID ends the packet; the rest is comfort noise */
	}
	return (int)used;
}

static int g729_decode(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, unsigned cap)
{
	struct g729_priv *g = c->priv;
	unsigned out = 0;

	while (len >= G729_BYTES) {
		if (out + G729_FRAME > cap)
			return -ENOBUFS;
		bcg729Decoder(g->dec, in, G729_BYTES, 0, 0, 0, pcm + out);
		in += G729_BYTES;
		len -= G729_BYTES;
		out += G729_FRAME;
		g->in_cng = false;
	}
	if (len == G729_SID_BYTES) {
		if (out + G729_FRAME > cap)
			return -ENOBUFS;
		bcg729Decoder(g->dec, in, G729_SID_BYTES, 0, 1, 0, pcm + out);
		out += G729_FRAME;
		g->in_cng = true;
	} else if (len) {
		return -EINVAL;
	}
	return (int)out;
}

static int g729_plc(struct codec *c, int16_t *pcm, unsigned n)
{
	struct g729_priv *g = c->priv;
	unsigned i;

	for (i = 0; i + G729_FRAME <= n; i += G729_FRAME) {
		if (g->in_cng) /* untransmitted frame during silence: more comfort noise */
			bcg729Decoder(g->dec, NULL, 0, 0, 1, 0, pcm + i);
		else
			bcg729Decoder(g->dec, NULL, 0, 1, 0, 0, pcm + i);
	}
	return (int)i;
}

const struct codec_desc codec_g729 = {
	.name = "G729",
	.clock_rate = 8000,
	.pcm_rate = 8000,
	.max_channels = 1,
	.static_pt = 18,
	.frame_ms = 10,
	.default_ptime = 20,
	.priv_size = sizeof(struct g729_priv),
	.init = g729_init,
	.encode = g729_encode,
	.decode = g729_decode,
	.plc = g729_plc,
	.fini = g729_fini,
};
