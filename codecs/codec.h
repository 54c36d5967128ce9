/*
 * codec.h: one small interface for every audio codec the transcoder speaks.
 *
 * A codec file (g711.c, g722.c, g729.c, opus.c) exports one
 * `const struct codec_desc` built with designated initializers; registry.c lists
 * them in an explicit array and finds one by (encoding name, RTP clock, channels).
 *
 * An instance (struct codec) holds both directions of one codec (an encoder and
 * a decoder) and is allocated once by codec_new: nothing in encode/decode/plc
 * allocates. PCM is signed 16-bit, interleaved when channels == 2, at the
 * instance's pcm_rate (which is not the RTP clock for G.722 and may be chosen
 * for Opus). Sample counts are always per channel.
 *
 * Threads: an instance is used by one thread at a time; descriptors are const.
 */
#ifndef RTPRELAY_CODEC_H
#define RTPRELAY_CODEC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest decoded frame: Opus 120 ms, 48 kHz, stereo (per-channel samples). */
#define CODEC_MAX_FRAME_SAMPLES 5760
#define CODEC_MAX_CHANNELS	2
/* Largest encoded frame we produce or accept (Opus: 1275 bytes per frame,
 * up to 3 frames; we cap what we accept at a sane RTP payload). */
#define CODEC_MAX_PAYLOAD	1500

struct codec;

struct codec_params {
	unsigned channels; /* 0 = 1 */
	unsigned ptime_ms; /* encoder frame length; 0 = the descriptor's default */
	unsigned pcm_rate; /* 0 = the descriptor's; only codecs with flexible_rate honour it */
	const char *fmtp;  /* receiver's a=fmtp parameters (for our encoder), may be NULL */
	size_t fmtp_len;
	int complexity; /* Opus 0..10; < 0 = default */
	bool vad;	/* G.729: encode with Annex B (VAD/DTX/SID) */
};

struct codec_desc {
	const char *name;	  /* a=rtpmap encoding name, e.g. "PCMU" */
	unsigned clock_rate;	  /* RTP clock */
	unsigned pcm_rate;	  /* native sampling rate (G.722: 16000 on an 8000 clock) */
	unsigned rtpmap_channels; /* channels written in a=rtpmap (Opus: 2), 0 = none */
	unsigned max_channels;
	int static_pt;	   /* RFC 3551 static payload type, -1 = dynamic */
	unsigned frame_ms; /* ptime must be a multiple of this */
	unsigned default_ptime;
	const char *default_fmtp; /* what we advertise, NULL = none */
	bool flexible_rate;	  /* accepts codec_params.pcm_rate (8/12/16/24/48 kHz) */
	size_t priv_size;	  /* bytes of private state allocated with the instance */

	/* Set up encoder and decoder in c->priv; 0 or -errno. */
	int (*init)(struct codec *c, const struct codec_params *p);
	/* Encode exactly @n samples (c->frame_samples); returns payload bytes
	 * (0 = nothing to send, e.g. DTX) or -errno. */
	int (*encode)(struct codec *c, const int16_t *pcm, unsigned n, uint8_t *out, size_t cap);
	/* Decode one RTP payload; returns samples per channel written or -errno. */
	int (*decode)(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm, unsigned cap);
	/* Conceal @n lost samples; returns samples written or -errno. */
	int (*plc)(struct codec *c, int16_t *pcm, unsigned n);
	/* Optional: recover the frame lost just before @next from its in-band FEC
	 * (Opus). Returns samples written, or -ENOTSUP / -errno. */
	int (*fec)(struct codec *c, const uint8_t *next, size_t len, int16_t *pcm, unsigned n);
	void (*fini)(struct codec *c);
};

struct codec {
	const struct codec_desc *desc;
	unsigned pcm_rate; /* rate of the PCM this instance consumes/produces */
	unsigned channels;
	unsigned ptime_ms;
	unsigned frame_samples; /* per channel per encoder frame at pcm_rate */
	void *priv;		/* desc->priv_size bytes, zeroed */
};

/* Lookup by encoding name (case-insensitive, @len bytes), RTP clock (0 = any)
 * and channels (0 = any). NULL when unknown. */
const struct codec_desc *codec_find(const char *name, size_t len, unsigned clock,
				    unsigned channels);
/* Lookup by static payload type (0 PCMU, 8 PCMA, 9 G722, 18 G729). */
const struct codec_desc *codec_find_static(unsigned pt);
/* The registered codecs, in order of preference when we pick one. */
const struct codec_desc *const *codec_all(unsigned *n);

/* Create an instance; 0 with *out set, or -EINVAL (bad parameters) / -ENOMEM. */
int codec_new(const struct codec_desc *d, const struct codec_params *p, struct codec **out)
	__attribute__((warn_unused_result));
void codec_free(struct codec *c);

static inline int codec_encode(struct codec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	return c->desc->encode(c, pcm, c->frame_samples, out, cap);
}

static inline int codec_decode(struct codec *c, const uint8_t *in, size_t len, int16_t *pcm,
			       unsigned cap)
{
	return c->desc->decode(c, in, len, pcm, cap);
}

static inline int codec_plc(struct codec *c, int16_t *pcm, unsigned n)
{
	return c->desc->plc(c, pcm, n);
}

/* Recover a lost frame from the next packet's FEC, -ENOTSUP if the codec has none. */
static inline int codec_fec(struct codec *c, const uint8_t *next, size_t len, int16_t *pcm,
			    unsigned n)
{
	return c->desc->fec ? c->desc->fec(c, next, len, pcm, n) : -ENOTSUP;
}

/* Find parameter @key in an fmtp string ("a=1;b=2"). Returns the value's
 * length and sets *val, or -1 when absent. Bounded by @len. */
int codec_fmtp_get(const char *fmtp, size_t len, const char *key, const char **val);
/* Integer value of @key, or @dflt when absent or not a number. */
long codec_fmtp_int(const char *fmtp, size_t len, const char *key, long dflt);

/* The codec descriptors (one per file). */
extern const struct codec_desc codec_pcmu;
extern const struct codec_desc codec_pcma;
extern const struct codec_desc codec_g722;
extern const struct codec_desc codec_g729;
extern const struct codec_desc codec_opus;

#endif
