/*
 * jitter.h: an adaptive jitter buffer for one incoming RTP stream on the
 * transcoding path.
 *
 * Playout is by sequence number, driven by the consumer (the transcoder asks
 * for the next input frame when it needs one). The buffer waits until its
 * target depth is reached, then hands frames out in order; a hole with later
 * packets behind it is reported lost (the packet after it is offered for FEC),
 * an empty buffer while playing is an underrun (concealed, playout stalls one
 * frame, which is how the delay grows). The target depth follows the RFC 3550
 * A.8 interarrival jitter; a buffer that stays deeper than the target (the
 * sender's clock runs fast) drops a frame now and then, and an underrun lets
 * a slow sender's clock catch up. Duplicates and packets behind the playout
 * point are dropped; a new SSRC or a large sequence jump restarts the buffer,
 * and so does a packet far behind the playout point confirmed by its
 * successor (the sender renumbered). Once idle (the sender went quiet: DTX,
 * hold, a stall) the next packet restarts playout wherever its sequence
 * number lies: nothing from before the pause is late or lost any more.
 *
 * Memory: fixed slots inside the struct, nothing allocated after jb_new.
 * Threads: one owner (the data-plane worker of the stream).
 */
#ifndef RTPRELAY_JITTER_H
#define RTPRELAY_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_SLOTS       32 /* max depth in frames (640 ms at 20 ms) */
#define JB_MAX_PAYLOAD 1500

enum jb_put_result {
	JB_PUT_OK = 0,
	JB_PUT_DUP,	 /* already buffered: dropped */
	JB_PUT_LATE,	 /* behind the playout point: dropped */
	JB_PUT_RESET,	 /* new SSRC, sequence jump or renumbering, or a resume
				 * off the old sequence after idle: restarted with it */
	JB_PUT_OVERSIZE, /* payload longer than JB_MAX_PAYLOAD: dropped */
};

enum jb_get_result {
	JB_EMPTY = 0, /* nothing to play (not started, or idle after silence) */
	JB_FRAME,     /* a packet to decode */
	JB_LOST,      /* conceal one frame */
};

struct jb_frame {
	const uint8_t *data; /* JB_FRAME: payload, valid until the next jb_* call */
	size_t len;
	uint32_t ts;
	uint8_t pt;
	bool marker;
	uint32_t duration;   /* JB_LOST: timestamp units to conceal */
	const uint8_t *next; /* JB_LOST: the following packet if buffered (FEC), else NULL */
	size_t next_len;
	uint8_t next_pt;
};

struct jb_stats {
	uint64_t received, played, lost, late, dup, resets, underruns, drift_drops;
	uint64_t overflow;	/* frames pushed out by a packet too far ahead */
	uint64_t oversize;	/* packets dropped for a payload over JB_MAX_PAYLOAD */
	unsigned depth, target; /* frames */
	double jitter_ms;
};

struct jitter_buffer;

/* @clock_rate: RTP clock; @frame_ms: nominal packet time; depth bounds in ms
 * (0 = defaults: 1 frame .. JB_SLOTS frames). 0 or -errno. */
int jb_new(unsigned clock_rate, unsigned frame_ms, unsigned min_ms, unsigned max_ms,
	   struct jitter_buffer **out) __attribute__((warn_unused_result));
void jb_free(struct jitter_buffer *jb);
/* Insert one packet (payload already separated from its RTP header).
 * A packet with @len 0 only holds its sequence number: the stream sent
 * something there that is not audio for this buffer (an RFC 4733 event, a
 * comfort-noise packet), so its slot is skipped at playout, not concealed. */
enum jb_put_result jb_put(struct jitter_buffer *jb, uint32_t ssrc, uint16_t seq, uint32_t ts,
			  uint8_t pt, bool marker, const uint8_t *payload, size_t len,
			  uint64_t now_ms);
/* Next frame to play at @now_ms. With @conceal_underrun false, an underrun
 * (playing, next packet not here, nothing behind it) returns JB_EMPTY and
 * changes nothing, so the caller can wait a little longer for it. */
enum jb_get_result jb_get(struct jitter_buffer *jb, uint64_t now_ms, bool conceal_underrun,
			  struct jb_frame *out);
void jb_get_stats(const struct jitter_buffer *jb, struct jb_stats *out);
/* Playout time (ms) of what is buffered: 0 before playout starts, when idle or
 * empty. */
unsigned jb_buffered_ms(const struct jitter_buffer *jb);

#endif
