/*
 * moh.h: music on hold, rtpengine's "moh" dictionary of an offer or answer.
 *
 * The party that sends the dictionary (the offerer with an offer, the
 * answerer with an answer) advertises it can hold with music: a sound source,
 * `file` (inside media-dir, as play media) or `blob`/`blob64` (the media's
 * bytes, decoded once and kept with the party), `mode` sendonly (default: the
 * held party is told sendonly) or sendrecv (it is told sendrecv), and
 * `connection` zero (the held party's SDP gets c=0.0.0.0 while held). When
 * that party's SDP later puts its audio on hold (sendonly, inactive,
 * c=0.0.0.0), its peer hears the music, repeated for up to MOH_MAX_MS,
 * through the playback of daemon/playmedia.c (made by the worker while the
 * holder sends nothing, dataplane/dp_play.c); its SDP resuming (sendrecv,
 * recvonly) stops it.
 * `mode` reflect (rtpengine: in-dialog offers only) is for a holder that
 * advertised no music itself: the held party hears the music it advertised,
 * with its mode and connection. `db-id` is refused: rtprelay has no media
 * database. Control thread only.
 */
#ifndef RTPRELAY_MOH_H
#define RTPRELAY_MOH_H

#include <stdint.h>

#include "control/ngrequest.h"
#include "daemon/call.h"
#include "sdp/sdp.h"

/* rtpengine's moh-max-duration default: half an hour */
#define MOH_MAX_MS (1800u * 1000u)

/* Before an offer/answer changes anything: 0, or -EINVAL with *err when
 * its moh dictionary is refused (bad or outside media-dir, unsupported). */
int moh_check(struct calls *cs, const struct ng_request *req, const char **err);
/* While the SDP from @s (its request @req) for the receiver is written: a
 * held audio section of @s whose music plays (its own, or reflected) is told
 * sendrecv with mode sendrecv, and c=0.0.0.0 with connection zero. */
void moh_rewrite(const struct ng_request *req, const struct call_party *s,
		 const struct call_media *sm, const struct sdp_media *m,
		 struct sdp_media_rewrite *mr);
/* After the offer/answer from @s took effect: remember its moh, start or
 * stop the music to its peer by its hold state. A warning or NULL. */
const char *moh_offer_answer(struct calls *cs, struct call *c, struct call_party *s,
			     const struct ng_request *req);

#endif
