/*
 * dtmf.h: RFC 4733 telephone-event payloads carried across a transcoded call.
 *
 * The relay does not interpret the tones: it re-times each event into the
 * outgoing stream's timestamp space (an event starts at the output timestamp
 * current when its first packet arrives), scales durations to the outgoing
 * telephone-event clock and sets the marker on an event's first packet. The
 * payload type is renumbered by the caller (each side negotiated its own).
 */
#ifndef RTPRELAY_DTMF_H
#define RTPRELAY_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_PAYLOAD_LEN 4

struct dtmf_event {
	uint8_t event; /* 0-9, 10 '*', 11 '#', 12-15 A-D, ... */
	bool end;
	uint8_t volume;	   /* -dBm0, 0..63 */
	uint16_t duration; /* timestamp units */
};

/* Parse the first event of a telephone-event payload. 0 or -EINVAL. */
int dtmf_parse(const uint8_t *p, size_t len, struct dtmf_event *ev);
void dtmf_write(uint8_t out[DTMF_PAYLOAD_LEN], const struct dtmf_event *ev);

/* Re-timing state of one direction. */
struct dtmf_relay {
	bool active;	 /* an event is in progress */
	uint32_t in_ts;	 /* its timestamp on the way in */
	uint32_t out_ts; /* ... and on the way out */
	unsigned in_clock, out_clock;
};

void dtmf_relay_init(struct dtmf_relay *r, unsigned in_clock, unsigned out_clock);
/* Map one incoming event packet (RTP timestamp @in_ts). @out_now is the
 * output timestamp the next audio frame would carry. Fills *out_ev, *out_ts,
 * *marker. Returns 0, or -EINVAL for a malformed payload. */
int dtmf_relay_map(struct dtmf_relay *r, uint32_t in_ts, const uint8_t *p, size_t len,
		   uint32_t out_now, struct dtmf_event *out_ev, uint32_t *out_ts, bool *marker);

#endif
