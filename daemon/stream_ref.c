/*
 * stream_ref.c: an output stream's reference point and its prediction (see
 * stream_ref.h). Pure arithmetic, modulo 2^48 for the extended sequence
 * number and 2^32 for the timestamp, as the stream itself wraps.
 */
#include "daemon/stream_ref.h"

#include <time.h>

void stream_ref_from_sample(struct stream_ref *r, uint32_t ssrc, uint16_t seq, uint32_t ts,
			    bool have_roc, uint32_t roc, uint64_t wall_ms)
{
	r->set = true;
	r->ssrc = ssrc;
	r->ts = ts;
	r->wall_ms = wall_ms;
	if (have_roc) /* the counter is the last packet's: seq - 1 */
		r->index = (((uint64_t)roc << 16 | (uint16_t)(seq - 1)) + 1) & STREAM_REF_INDEX_MAX;
	else
		r->index = seq;
}

void stream_ref_predict(const struct stream_ref *r, unsigned ptime_ms, unsigned clock,
			uint64_t now_wall_ms, unsigned slack_ms, uint64_t *index, uint32_t *ts)
{
	uint64_t ms = (now_wall_ms > r->wall_ms ? now_wall_ms - r->wall_ms : 0) + slack_ms;

	if (!ptime_ms)
		ptime_ms = 20;
	*index = (r->index + ms / ptime_ms) & STREAM_REF_INDEX_MAX;
	/* ms * clock: below 2^64 for any clock up to 2^32 and ms up to 2^32 */
	if (ms > UINT32_MAX)
		ms = UINT32_MAX;
	*ts = r->ts + (uint32_t)(ms * clock / 1000);
}

bool stream_ref_moved(const struct stream_ref *old, const struct stream_ref *cur, unsigned ptime_ms,
		      unsigned clock)
{
	uint64_t pi;
	uint32_t pts;
	int64_t di;
	int32_t dts;

	if (!old->set || old->ssrc != cur->ssrc)
		return true;
	if (!ptime_ms)
		ptime_ms = 20;
	stream_ref_predict(old, ptime_ms, clock, cur->wall_ms, 0, &pi, &pts);
	/* signed distances: 48-bit and 32-bit two's complement */
	di = (int64_t)(((cur->index - pi) & STREAM_REF_INDEX_MAX) << 16) >> 16;
	dts = (int32_t)(cur->ts - pts);
	if (di > (int64_t)(STREAM_REF_AHEAD_MS / ptime_ms) ||
	    di < -(int64_t)(STREAM_REF_BEHIND_MS / ptime_ms))
		return true;
	return dts > (int32_t)((uint64_t)STREAM_REF_AHEAD_MS * clock / 1000) ||
	       dts < -(int32_t)((uint64_t)STREAM_REF_BEHIND_MS * clock / 1000);
}

uint64_t stream_ref_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
