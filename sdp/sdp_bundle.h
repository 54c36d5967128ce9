/*
 * sdp_bundle.h: what BUNDLE demultiplexing (RFC 8843 9.2) needs from a
 * media section: its a=ssrc values (RFC 5576) and the id of an a=extmap
 * (RFC 8285) such as the MID's, urn:ietf:params:rtp-hdrext:sdes:mid.
 * Pure functions over a parsed session; every field bounded.
 */
#ifndef RTPRELAY_SDP_BUNDLE_H
#define RTPRELAY_SDP_BUNDLE_H

#include <stdint.h>

#include "sdp/sdp.h"

#define SDP_EXTMAP_MID "urn:ietf:params:rtp-hdrext:sdes:mid"

/* The distinct SSRCs of the a=ssrc lines of section @m (in order, at most
 * @max) into @out; how many. A line whose id is not a decimal 32-bit
 * number is skipped. */
unsigned sdp_media_ssrcs(const struct sdp_session *s, const struct sdp_media *m, uint32_t *out,
			 unsigned max);
/* The id (1..255) "a=extmap:<id>[/<direction>] <uri>" gives @uri in
 * section @m, else at session level; 0 = none (or an id out of range). */
unsigned sdp_media_extmap(const struct sdp_session *s, const struct sdp_media *m, const char *uri);

#endif
