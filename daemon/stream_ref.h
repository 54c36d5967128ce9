/*
 * stream_ref.h: where an output stream rtprelay generates (a transcoder's)
 * continues after a Redis failover.
 *
 * The active cannot hold its workers to read a transcoder's SSRC, next
 * sequence number and timestamp when it writes a record (a takeover on one
 * machine can: daemon/takeover.h). Instead it keeps a reference point: the
 * SSRC, the next packet's extended sequence number (SRTP rollover counter
 * << 16 | sequence number, RFC 3711 3.3.1) and timestamp, and the wall clock
 * when the worker sampled them (dataplane.h dp_endpoint_sample_request). A
 * transcoder sends one packet per ptime and its timestamps follow the clock
 * (codecs/transcode.c), so the stream is where the reference predicts it,
 * or behind it (silence, DTX, a quiet sender). The record is written again
 * only when the stream left the prediction (stream_ref_moved): ran ahead
 * (DTMF packets) or fell far behind. A standby that takes over continues the
 * stream at the prediction for now plus STREAM_REF_SLACK_MS: the same SSRC,
 * sequence numbers and timestamps forward of the last the active sent, and
 * the SRTP counter of the extended sequence number it continues at.
 *
 * Wall clocks of the two hosts are assumed synchronised (NTP); a reference
 * from the future counts as now.
 */
#ifndef RTPRELAY_STREAM_REF_H
#define RTPRELAY_STREAM_REF_H

#include <stdbool.h>
#include <stdint.h>

#define STREAM_REF_SLACK_MS  1000 /* a standby continues this far past the prediction */
#define STREAM_REF_AHEAD_MS  200  /* the record is refreshed when the stream ran ahead ... */
#define STREAM_REF_BEHIND_MS 3000 /* ... or fell behind the prediction by more */
#define STREAM_REF_INDEX_MAX ((UINT64_C(1) << 48) - 1)

struct stream_ref {
	bool set;
	uint32_t ssrc;
	uint64_t index; /* next packet: rollover counter << 16 | sequence number */
	uint32_t ts;	/* next packet's timestamp */
	uint64_t wall_ms;
};

/* A reference from a worker's sample: @seq and @ts of the next packet, and
 * (@have_roc) the SRTP counter of the last packet sent (without: 0). */
void stream_ref_from_sample(struct stream_ref *r, uint32_t ssrc, uint16_t seq, uint32_t ts,
			    bool have_roc, uint32_t roc, uint64_t wall_ms);
/* Where the stream of @r is at @now_wall_ms plus @slack_ms, for an output of
 * @ptime_ms (0 = 20) packets at RTP clock @clock: *index, *ts. */
void stream_ref_predict(const struct stream_ref *r, unsigned ptime_ms, unsigned clock,
			uint64_t now_wall_ms, unsigned slack_ms, uint64_t *index, uint32_t *ts);
/* Whether @cur must replace @old in the record: no @old, another SSRC, or
 * @cur is more than STREAM_REF_AHEAD_MS ahead of or STREAM_REF_BEHIND_MS
 * behind what @old predicts for @cur's time. */
bool stream_ref_moved(const struct stream_ref *old, const struct stream_ref *cur, unsigned ptime_ms,
		      unsigned clock);
/* CLOCK_REALTIME in ms. */
uint64_t stream_ref_wall_ms(void);

#endif
