/*
 * dtmf.c: RFC 4733 §2.3 event payload (event, E|R|volume, duration) and the
 * re-timing of events between two RTP timestamp spaces.
 *
 * An event is identified by its RTP timestamp (all its packets, including the
 * three retransmitted end packets, share it, §2.5.1.4); a new timestamp is a
 * new event and gets the marker bit.
 */
#include <errno.h>

#include "codecs/dtmf.h"

int dtmf_parse(const uint8_t *p, size_t len, struct dtmf_event *ev)
{
	if (len < DTMF_PAYLOAD_LEN)
		return -EINVAL;
	ev->event = p[0];
	ev->end = p[1] & 0x80;
	ev->volume = p[1] & 0x3F;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

void dtmf_write(uint8_t out[DTMF_PAYLOAD_LEN], const struct dtmf_event *ev)
{
	out[0] = ev->event;
	out[1] = (uint8_t)((ev->end ? 0x80 : 0) | (ev->volume & 0x3F));
	out[2] = (uint8_t)(ev->duration >> 8);
	out[3] = (uint8_t)ev->duration;
}

void dtmf_relay_init(struct dtmf_relay *r, unsigned in_clock, unsigned out_clock)
{
	r->active = false;
	r->in_ts = r->out_ts = 0;
	r->in_clock = in_clock ? in_clock : 8000;
	r->out_clock = out_clock ? out_clock : 8000;
}

int dtmf_relay_map(struct dtmf_relay *r, uint32_t in_ts, const uint8_t *p, size_t len,
		   uint32_t out_now, struct dtmf_event *out_ev, uint32_t *out_ts, bool *marker)
{
	struct dtmf_event ev;
	uint64_t dur;

	if (dtmf_parse(p, len, &ev) < 0)
		return -EINVAL;
	*marker = false;
	if (!r->active || in_ts != r->in_ts) {
		r->active = true;
		r->in_ts = in_ts;
		r->out_ts = out_now;
		*marker = true;
	}
	dur = (uint64_t)ev.duration * r->out_clock / r->in_clock;
	ev.duration = dur > 0xFFFF ? 0xFFFF : (uint16_t)dur;
	*out_ev = ev;
	*out_ts = r->out_ts;
	return 0;
}
