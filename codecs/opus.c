/*
 * opus.c: Opus (RFC 6716) through libopus, RTP payload format RFC 7587.
 *
 * The RTP clock is always 48000 and a=rtpmap always says "/2"; whether a
 * receiver wants stereo is in its fmtp (stereo=1). The PCM side may run at any
 * Opus rate (8/12/16/24/48 kHz, codec_params.pcm_rate) so that a call to a
 * narrowband codec needs no separate resampler: libopus resamples internally.
 * The receiver's fmtp shapes our encoder: useinbandfec (LBRR frames + an
 * expected-loss hint), maxplaybackrate (bandwidth cap), maxaveragebitrate,
 * usedtx, cbr. Loss: the decoder's PLC, or the FEC carried in the next packet.
 */
#include <errno.h>

#include <opus/opus.h>

#include "codecs/codec.h"

#define OPUS_DEFAULT_COMPLEXITY 5
#define OPUS_FEC_LOSS_PERC	5
#define OPUS_FEC_BITRATE	24000

struct opus_priv {
	OpusEncoder *enc;
	OpusDecoder *dec;
};

/* The one place libopus error codes become errno values. */
static int opus_errno(int err)
{
	switch (err) {
	case OPUS_BAD_ARG:
		return -EINVAL;
	case OPUS_BUFFER_TOO_SMALL:
		return -ENOBUFS;
	case OPUS_INVALID_PACKET:
		return -EBADMSG;
	case OPUS_ALLOC_FAIL:
		return -ENOMEM;
	case OPUS_UNIMPLEMENTED:
		return -ENOTSUP;
	default:
		return -EIO;
	}
}

static int bandwidth_for(long maxplaybackrate)
{
	if (maxplaybackrate <= 8000)
		return OPUS_BANDWIDTH_NARROWBAND;
	if (maxplaybackrate <= 12000)
		return OPUS_BANDWIDTH_MEDIUMBAND;
	if (maxplaybackrate <= 16000)
		return OPUS_BANDWIDTH_WIDEBAND;
	if (maxplaybackrate <= 24000)
		return OPUS_BANDWIDTH_SUPERWIDEBAND;
	return OPUS_BANDWIDTH_FULLBAND;
}

static void opus_fini(struct codec *c)
{
	struct opus_priv *o = c->priv;

	opus_encoder_destroy(o->enc);
	opus_decoder_destroy(o->dec);
}

static void apply_fmtp(OpusEncoder *enc, unsigned pcm_rate, const struct codec_params *p)
{
	long fec = codec_fmtp_int(p->fmtp, p->fmtp_len, "useinbandfec", 0);
	long mpr = codec_fmtp_int(p->fmtp, p->fmtp_len, "maxplaybackrate", 48000);
	long br = codec_fmtp_int(p->fmtp, p->fmtp_len, "maxaveragebitrate", 0);

	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
	if (fec)
		opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(OPUS_FEC_LOSS_PERC));
	opus_encoder_ctl(enc, OPUS_SET_MAX_BANDWIDTH(bandwidth_for(mpr)));
	if (br >= 6000 && br <= 510000)
		opus_encoder_ctl(enc, OPUS_SET_BITRATE((opus_int32)br));
	else if (fec && pcm_rate <= 16000)
		/* libopus only spends bits on LBRR (the FEC copy) from about
		 * 20 kbit/s up in SILK mode; its automatic rate at 8/16 kHz is
		 * below that, which would make useinbandfec=1 a no-op. */
		opus_encoder_ctl(enc, OPUS_SET_BITRATE(OPUS_FEC_BITRATE));
	if (codec_fmtp_int(p->fmtp, p->fmtp_len, "usedtx", 0))
		opus_encoder_ctl(enc, OPUS_SET_DTX(1));
	if (codec_fmtp_int(p->fmtp, p->fmtp_len, "cbr", 0))
		opus_encoder_ctl(enc, OPUS_SET_VBR(0));
}

static int opus_init(struct codec *c, const struct codec_params *p)
{
	struct opus_priv *o = c->priv;
	int err, cx = p->complexity >= 0 && p->complexity <= 10 ? p->complexity
								: OPUS_DEFAULT_COMPLEXITY;

	o->enc = opus_encoder_create((opus_int32)c->pcm_rate, (int)c->channels,
				     OPUS_APPLICATION_VOIP, &err);
	if (!o->enc)
		return opus_errno(err);
	o->dec = opus_decoder_create((opus_int32)c->pcm_rate, (int)c->channels, &err);
	if (!o->dec) {
		opus_encoder_destroy(o->enc);
		return opus_errno(err);
	}
	opus_encoder_ctl(o->enc, OPUS_SET_COMPLEXITY(cx));
	apply_fmtp(o->enc, c->pcm_rate, p);
	return 0;
}

static int opus_encode_frame(struct codec *c, const int16_t *pcm, unsigned n, uint8_t *out,
			     size_t cap)
{
	struct opus_priv *o = c->priv;
	opus_int32 r = opus_encode(o->enc, pcm, (int)n, out, (opus_int32)(cap > 4000 ? 4000 : cap));

	if (r < 0)
		return opus_errno(r);
	/* 1 byte = a DTX frame (TOC only): the receiver conceals it anyway. */
	return (int)r;
}

static int opus_decode_frame(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm,
			     unsigned cap)
{
	struct opus_priv *o = c->priv;
	int r;

	if (len == 0 || len > CODEC_MAX_PAYLOAD)
		return -EINVAL;
	r = opus_decode(o->dec, in, (opus_int32)len, pcm, (int)cap, 0);
	return r < 0 ? opus_errno(r) : r;
}

static int opus_plc(struct codec *c, int16_t *pcm, unsigned n)
{
	struct opus_priv *o = c->priv;
	int r = opus_decode(o->dec, NULL, 0, pcm, (int)n, 0);

	return r < 0 ? opus_errno(r) : r;
}

static int opus_fec(struct codec *c, const uint8_t *next, size_t len, int16_t *pcm, unsigned n)
{
	struct opus_priv *o = c->priv;
	int r;

	if (len == 0 || len > CODEC_MAX_PAYLOAD)
		return -EINVAL;
	r = opus_decode(o->dec, next, (opus_int32)len, pcm, (int)n, 1);
	return r < 0 ? opus_errno(r) : r;
}

const struct codec_desc codec_opus = {
	.name = "opus",
	.clock_rate = 48000,
	.pcm_rate = 48000,
	.rtpmap_channels = 2,
	.max_channels = 2,
	.static_pt = -1,
	.frame_ms = 10,
	.default_ptime = 20,
	.default_fmtp = "useinbandfec=1",
	.flexible_rate = true,
	.priv_size = sizeof(struct opus_priv),
	.init = opus_init,
	.encode = opus_encode_frame,
	.decode = opus_decode_frame,
	.plc = opus_plc,
	.fec = opus_fec,
	.fini = opus_fini,
};
