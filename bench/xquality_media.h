/* xquality_media.h: xquality's RTP: one UDP socket per call endpoint (side A and side B of
 * each call, bound to the address and port its SDP gave the relay), every stream's 20 ms
 * frames sent in real time, and everything the relay sends back captured with its kernel
 * receive time, sequence number, timestamp and payload.
 *
 * Stream s = 2 * call + dir: dir 0 is A -> B (side A sends, side B receives), dir 1 is
 * B -> A. The 2 * calls streams are spread evenly over the 20 ms interval. Send and
 * receive times are CLOCK_REALTIME (the kernel's receive timestamps use that clock);
 * pacing is on CLOCK_MONOTONIC. Light load only: one thread, one send() per packet. */
#ifndef BENCH_XQUALITY_MEDIA_H
#define BENCH_XQUALITY_MEDIA_H

#include "bench/lg_calls.h"
#include "bench/xquality_codec.h"
#include "bench/xquality_track.h"

#include <stdint.h>

/* What one side sends and what it expects back. */
struct xq_side {
	const struct xq_payloads *pay;	/* one per 20 ms frame */
	uint8_t pt;			/* payload type it sends */
	uint32_t ts_step;		/* RTP timestamp per frame */
	uint8_t rx_pt;			/* payload type it accepts from the relay */
};

struct xq_stream {
	uint64_t *tx_ns;	/* per frame: send time, 0 = not sent */
	struct xq_rx_pkt *rx;	/* arrival order */
	unsigned nrx, cap;
	uint8_t *store;		/* payload bytes of rx */
	unsigned other_pt;	/* packets with another payload type (counted, not kept) */
	unsigned overflow;	/* packets beyond cap (counted, not kept) */
	unsigned tx_err;
	uint64_t late_max_ns;	/* the latest send behind its schedule (the generator's lag) */
};

struct xq_media {
	unsigned calls, frames;
	int *fd;		/* fd[2 * call + side], side 0 = A, 1 = B */
	struct sockaddr_in *dst;	/* where fd[k] sends: the relay's port for it */
	struct xq_stream *st;
};

/* Opens and binds the sockets of calls->c[0..calls->n) for streams of `frames` frames.
 * 0 or -errno (then nothing is left open). */
int xq_media_open(struct xq_media *m, const struct lg_calls *calls, unsigned frames)
	__attribute__((warn_unused_result));
/* Sends side[0]'s frames from every A and side[1]'s from every B, paced at 20 ms, and
 * captures until drain_s after the last send. 0 or -errno. */
int xq_media_run(struct xq_media *m, const struct xq_side side[2], double drain_s)
	__attribute__((warn_unused_result));
void xq_media_close(struct xq_media *m);

#endif
