/*
 * jitter.c: adaptive jitter buffer (see jitter.h for the model).
 *
 * Sequence numbers are extended to 32 bits relative to the highest seen
 * (RFC 3550 A.1 in spirit: a 16-bit difference decides before/after), so
 * wrap-around needs no special case. Slot i holds extended seq s with
 * s % JB_SLOTS == i; next_seq is the playout point and every buffered packet
 * lies in [next_seq, next_seq + JB_SLOTS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/jitter.h"

#define SEQ_RESET_JUMP 256 /* a jump this large (either way) is a new stream */
#define DRIFT_PATIENCE \
	8		 /* frames deeper than target+2 before dropping one:
				 * keeps up with a sender up to ~10 % fast */
#define MAX_STALL_MS 200 /* underrun longer than this: the sender went silent */
#define STALE_BEHIND \
	JB_SLOTS /* behind the playout point by more than any depth:
				 * not a late packet but an older numbering */

struct jb_slot {
	bool used;
	bool marker;
	uint8_t pt;
	uint16_t len;
	uint32_t ext_seq;
	uint32_t ts;
	uint8_t data[JB_MAX_PAYLOAD];
};

struct jitter_buffer {
	unsigned clock_rate, frame_ms, min_frames, max_frames;
	bool have_ssrc, playing, any_since_idle;
	bool have_stale; /* stale_next: successor of a stale packet */
	uint16_t stale_next;
	uint32_t ssrc;
	uint32_t next_seq, highest_seq, highest_ts;
	uint32_t frame_ts;	  /* timestamp units per frame, learned */
	uint64_t buffering_since; /* ms: first packet after idle */
	int64_t last_transit;
	bool have_transit;
	double jitter_ts; /* RFC 3550 A.8 estimate, timestamp units */
	unsigned target, over_count, stall;
	bool drift_seen;
	uint64_t drift_at_ms; /* last drift check (playout time) */
	struct jb_stats st;
	struct jb_slot slots[JB_SLOTS];
};

int jb_new(unsigned clock_rate, unsigned frame_ms, unsigned min_ms, unsigned max_ms,
	   struct jitter_buffer **out)
{
	struct jitter_buffer *jb;

	if (!clock_rate || !frame_ms || frame_ms > 120)
		return -EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (!jb)
		return -ENOMEM;
	jb->clock_rate = clock_rate;
	jb->frame_ms = frame_ms;
	jb->min_frames = min_ms ? (min_ms + frame_ms - 1) / frame_ms : 1;
	jb->max_frames = max_ms ? max_ms / frame_ms : JB_SLOTS - 2;
	if (jb->max_frames > JB_SLOTS - 2)
		jb->max_frames = JB_SLOTS - 2;
	if (jb->min_frames < 1)
		jb->min_frames = 1;
	if (jb->min_frames > jb->max_frames)
		jb->min_frames = jb->max_frames;
	jb->target = jb->min_frames;
	jb->frame_ts = clock_rate / 1000 * frame_ms;
	*out = jb;
	return 0;
}

void jb_free(struct jitter_buffer *jb)
{
	free(jb);
}

static void flush(struct jitter_buffer *jb)
{
	for (unsigned i = 0; i < JB_SLOTS; i++)
		jb->slots[i].used = false;
	jb->playing = false;
	jb->stall = 0;
	jb->over_count = 0;
	jb->have_transit = false;
}

static void restart(struct jitter_buffer *jb, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	flush(jb);
	jb->have_ssrc = true;
	jb->ssrc = ssrc;
	/* Base the extended space high so that "before the first packet" never
	 * underflows. */
	jb->next_seq = 0x10000000u + seq;
	jb->highest_seq = jb->next_seq - 1;
	jb->highest_ts = ts - jb->frame_ts;
	jb->any_since_idle = false;
	jb->have_stale = false;
}

/* Idle: not playing and nothing since the sender went quiet (or since the
 * start). The old playout point then means nothing: the sender may resume
 * with any sequence number (after DTX, a hold, a stall, a restarted sender
 * that kept its SSRC), so its next packet is where playout starts again.
 * Judging it against the old point would drop a renumbered stream as late
 * forever, or conceal up to a buffer's worth of "lost" frames before a
 * forward jump. */
static bool idle(const struct jitter_buffer *jb)
{
	return !jb->playing && !jb->any_since_idle;
}

/* A packet far behind the playout point whose successor came next: the
 * sender renumbered its stream while we were playing (RFC 3550 A.1 treats
 * a bad sequence number confirmed by the next packet the same way). */
static bool renumbered(struct jitter_buffer *jb, uint16_t seq, uint32_t ext)
{
	bool confirmed;

	if ((int32_t)(jb->next_seq - ext) <= STALE_BEHIND) {
		jb->have_stale = false;
		return false;
	}
	confirmed = jb->have_stale && seq == jb->stale_next;
	jb->have_stale = !confirmed;
	jb->stale_next = (uint16_t)(seq + 1);
	return confirmed;
}

static unsigned depth(const struct jitter_buffer *jb)
{
	int32_t d = (int32_t)(jb->highest_seq - jb->next_seq) + 1;

	return d > 0 ? (unsigned)d : 0;
}

static void update_jitter(struct jitter_buffer *jb, uint32_t ts, uint64_t now_ms)
{
	int64_t arrival = (int64_t)(now_ms * jb->clock_rate / 1000);
	int64_t transit = arrival - (int64_t)ts;
	unsigned t;

	if (jb->have_transit) {
		int64_t d = transit - jb->last_transit;

		if (d < 0)
			d = -d;
		if (d < (int64_t)jb->clock_rate) /* ignore timestamp jumps */
			jb->jitter_ts += ((double)d - jb->jitter_ts) / 16.0;
	}
	jb->last_transit = transit;
	jb->have_transit = true;
	/* Cover about 3 standard deviations of the jitter, plus the frame in flight. */
	t = 1 + (unsigned)(3.0 * jb->jitter_ts / jb->frame_ts);
	if (t < jb->min_frames)
		t = jb->min_frames;
	if (t > jb->max_frames)
		t = jb->max_frames;
	jb->target = t;
}

/* Make room for @ext: frames that fall off the front are lost to overflow. */
static void make_room(struct jitter_buffer *jb, uint32_t ext)
{
	while ((int32_t)(ext - jb->next_seq) >= JB_SLOTS) {
		struct jb_slot *s = &jb->slots[jb->next_seq % JB_SLOTS];

		if (s->used && s->ext_seq == jb->next_seq)
			s->used = false;
		jb->st.overflow++;
		jb->next_seq++;
	}
}

enum jb_put_result jb_put(struct jitter_buffer *jb, uint32_t ssrc, uint16_t seq, uint32_t ts,
			  uint8_t pt, bool marker, const uint8_t *payload, size_t len,
			  uint64_t now_ms)
{
	enum jb_put_result res = JB_PUT_OK;
	uint32_t ext;
	int32_t ahead;
	struct jb_slot *s;
	bool behind, renumber;

	jb->st.received++;
	if (len > JB_MAX_PAYLOAD) {
		jb->st.oversize++;
		return JB_PUT_OVERSIZE;
	}
	if (!jb->have_ssrc || ssrc != jb->ssrc) {
		if (jb->have_ssrc)
			res = JB_PUT_RESET;
		restart(jb, ssrc, seq, ts);
	}
	ext = jb->highest_seq + (uint32_t)(int16_t)(seq - (uint16_t)jb->highest_seq);
	ahead = (int32_t)(ext - jb->highest_seq);
	behind = (int32_t)(ext - jb->next_seq) < 0;
	/* renumbered() keeps the stale packet it waits to see confirmed: asked
	 * for every packet behind the playout point (a restart for another
	 * reason below clears what it kept) */
	renumber = behind && renumbered(jb, seq, ext);
	if (ahead > SEQ_RESET_JUMP || ahead < -SEQ_RESET_JUMP ||
	    (ext != jb->next_seq && idle(jb)) || renumber) {
		restart(jb, ssrc, seq, ts);
		ext = jb->next_seq;
		res = JB_PUT_RESET;
	}
	if (res == JB_PUT_RESET)
		jb->st.resets++;
	if ((int32_t)(ext - jb->next_seq) < 0) {
		jb->st.late++;
		return JB_PUT_LATE;
	}
	jb->have_stale = false;
	s = &jb->slots[ext % JB_SLOTS];
	if (s->used && s->ext_seq == ext) {
		jb->st.dup++;
		return JB_PUT_DUP;
	}
	make_room(jb, ext);
	s->used = true;
	s->ext_seq = ext;
	s->ts = ts;
	s->pt = pt;
	s->marker = marker;
	s->len = (uint16_t)len;
	if (len)
		memcpy(s->data, payload, len);
	if (len == 0) { /* a placeholder: timing of other payloads says nothing */
		if ((int32_t)(ext - jb->highest_seq) > 0)
			jb->highest_seq = ext;
		return res;
	}
	if ((int32_t)(ext - jb->highest_seq) > 0) {
		uint32_t dts = ts - jb->highest_ts;

		if (ext == jb->highest_seq + 1 && dts > 0 && dts <= jb->clock_rate / 1000 * 120)
			jb->frame_ts = dts;
		jb->highest_seq = ext;
		jb->highest_ts = ts;
	}
	if (!jb->any_since_idle) {
		jb->any_since_idle = true;
		jb->buffering_since = now_ms;
	}
	update_jitter(jb, ts, now_ms);
	return res;
}

static void take(struct jitter_buffer *jb, struct jb_slot *s, struct jb_frame *out)
{
	s->used = false;
	out->data = s->data;
	out->len = s->len;
	out->ts = s->ts;
	out->pt = s->pt;
	out->marker = s->marker;
	out->duration = jb->frame_ts;
	jb->next_seq++;
	jb->stall = 0;
	jb->st.played++;
}

static struct jb_slot *slot_for(struct jitter_buffer *jb, uint32_t ext)
{
	struct jb_slot *s = &jb->slots[ext % JB_SLOTS];

	return s->used && s->ext_seq == ext ? s : NULL;
}

/* Sender clock faster than ours: the buffer keeps growing past its target.
 * Drop one frame after DRIFT_PATIENCE frame times in that state. Counted in
 * playout time, not in gets: a backlog played out at once after a stall of
 * ours is deep only for that instant and loses nothing. */
static void correct_drift(struct jitter_buffer *jb, uint64_t now_ms)
{
	struct jb_slot *s;

	if (jb->drift_seen && now_ms < jb->drift_at_ms + jb->frame_ms)
		return;
	jb->drift_seen = true;
	jb->drift_at_ms = now_ms;
	if (depth(jb) <= jb->target + 2) {
		jb->over_count = 0;
		return;
	}
	if (++jb->over_count < DRIFT_PATIENCE)
		return;
	jb->over_count = 0;
	s = slot_for(jb, jb->next_seq);
	if (s)
		s->used = false;
	jb->next_seq++;
	jb->st.drift_drops++;
}

enum jb_get_result jb_get(struct jitter_buffer *jb, uint64_t now_ms, bool conceal_underrun,
			  struct jb_frame *out)
{
	struct jb_slot *s, *n;

	memset(out, 0, sizeof(*out));
	if (!jb->have_ssrc || !jb->any_since_idle)
		return JB_EMPTY;
	if (!jb->playing) {
		if (depth(jb) < jb->target &&
		    now_ms < jb->buffering_since + (uint64_t)jb->target * jb->frame_ms)
			return JB_EMPTY;
		jb->playing = true;
	}
	correct_drift(jb, now_ms);
	s = slot_for(jb, jb->next_seq);
	while (s && s->len == 0) { /* placeholders take no playout time */
		s->used = false;
		jb->next_seq++;
		s = slot_for(jb, jb->next_seq);
	}
	if (s) {
		take(jb, s, out);
		return JB_FRAME;
	}
	out->duration = jb->frame_ts;
	if (depth(jb) > 0) { /* a hole with packets behind it */
		n = slot_for(jb, jb->next_seq + 1);
		if (n && n->len) {
			out->next = n->data;
			out->next_len = n->len;
			out->next_pt = n->pt;
		}
		jb->next_seq++;
		jb->stall = 0;
		jb->st.lost++;
		return JB_LOST;
	}
	/* Underrun: conceal without moving the playout point, so the packet
	 * still plays when it comes (the delay grows by a frame). */
	if (!conceal_underrun)
		return JB_EMPTY;
	if (++jb->stall * jb->frame_ms > MAX_STALL_MS) {
		jb->playing = false;
		jb->any_since_idle = false;
		jb->stall = 0;
		return JB_EMPTY;
	}
	jb->st.underruns++;
	return JB_LOST;
}

unsigned jb_buffered_ms(const struct jitter_buffer *jb)
{
	if (!jb->have_ssrc || !jb->any_since_idle)
		return 0;
	return depth(jb) * jb->frame_ms;
}

void jb_get_stats(const struct jitter_buffer *jb, struct jb_stats *out)
{
	*out = jb->st;
	out->depth = depth(jb);
	out->target = jb->target;
	out->jitter_ms = jb->jitter_ts * 1000.0 / jb->clock_rate;
}
