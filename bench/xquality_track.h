/* xquality_track.h: a relay's output stream, as received, turned back into audio.
 *
 * The output has its own SSRC, sequence and timestamp space, so packets are placed by RTP
 * timestamp (relative to the lowest one received), decoded in that order with one decoder,
 * gaps filled with silence and counted, and the result brought to 8 kHz. Each packet keeps
 * where its samples landed in the 8 kHz track and when it arrived, for the latency. */
#ifndef BENCH_XQUALITY_TRACK_H
#define BENCH_XQUALITY_TRACK_H

#include "codecs/codec.h"

#include <stddef.h>
#include <stdint.h>

/* One received RTP packet (payload points into the receiver's storage). */
struct xq_rx_pkt {
	uint64_t t_ns;		/* kernel receive time, CLOCK_REALTIME */
	uint32_t ts;
	uint16_t seq;
	uint16_t len;
	const uint8_t *pay;
};

struct xq_track_pkt {
	size_t pos8, len8;	/* its samples in the 8 kHz track: [pos8, pos8 + len8) */
	uint64_t t_ns;
};

struct xq_track {
	int16_t *pcm8;
	size_t n8;
	struct xq_track_pkt *pk;	/* in timestamp order */
	unsigned npk;
	unsigned gap_frames;	/* 20 ms frames filled with silence between packets */
	unsigned dups;		/* packets with a timestamp already placed (first one kept) */
	unsigned outliers;	/* timestamps beyond max_n8 of the first one (not placed) */
	unsigned decode_errors;	/* payloads the decoder refused (silence instead) */
	unsigned seq_lost;	/* sequence numbers never received */
};

/* Builds the track of n packets of codec d, at most max_n8 samples long at 8 kHz.
 * 0 or -errno; an empty stream gives an empty track. */
int xq_track_build(const struct codec_desc *d, const struct xq_rx_pkt *p, unsigned n,
		   size_t max_n8, struct xq_track *t) __attribute__((warn_unused_result));
void xq_track_free(struct xq_track *t);

#endif
