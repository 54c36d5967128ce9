/* xquality_codec.h: what xquality does with rtprelay's codec library (codecs/): encode
 * the test signal into the 20 ms payloads a side sends, and the direct round trip that
 * the relays are held against (the same codecs and resampler as a transcoder, no relay).
 *
 * Codecs run at their native PCM rate (G.722 16 kHz, Opus 48 kHz, G.711 and G.729 8 kHz),
 * mono, 20 ms frames, default settings (G.729 without Annex B, as the bench's SDP says). */
#ifndef BENCH_XQUALITY_CODEC_H
#define BENCH_XQUALITY_CODEC_H

#include "codecs/codec.h"

#include <stddef.h>
#include <stdint.h>

/* One stream's payloads, one per 20 ms frame. */
struct xq_payloads {
	unsigned frames;
	uint16_t *len;
	uint8_t (*pay)[CODEC_MAX_PAYLOAD];
};

/* The codec instance xquality uses for d (20 ms, mono; PCM at pcm_rate when d takes
 * a flexible rate and pcm_rate is not 0, else d's native rate). 0 or -errno. */
int xq_codec_new(const struct codec_desc *d, unsigned pcm_rate, struct codec **out)
	__attribute__((warn_unused_result));

/* Encodes pcm (n samples at d's native rate, whole frames) into out. 0 or -errno. */
int xq_encode(const struct codec_desc *d, const int16_t *pcm, size_t n, struct xq_payloads *out)
	__attribute__((warn_unused_result));
void xq_payloads_free(struct xq_payloads *p);

/* How the direct round trip runs its codecs. */
struct xq_trip_opts {
	int rs_quality;		/* codecs/resample.h quality, < 0: the transcoder's default */
	unsigned flex_rate;	/* a flexible-rate codec (Opus) at this PCM rate, 0: native */
};

/* The direct round trip of in (payloads of src): decode, resample to dst's rate with the
 * transcoder's resampler (codecs/resample.h), encode with dst, then decode at dst's native
 * rate as a receiver (and xquality, for a relay's output) does, bring to 8 kHz
 * (xquality_rate.h). *out8 (malloc'd, *n8 samples) starts where the input starts.
 * 0 or -errno. */
int xq_round_trip(const struct codec_desc *src, const struct codec_desc *dst,
		  const struct xq_payloads *in, const struct xq_trip_opts *o, int16_t **out8,
		  size_t *n8) __attribute__((warn_unused_result));

#endif
