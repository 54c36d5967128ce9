/*
 * moh.h: music on hold, rtpengine's "moh" dictionary of an offer or answer.
 *
 * The party that sends the dictionary (the offerer with an offer, the
 * answerer with an answer) advertises it can hold with music: `file` (inside
 * media-dir, as play media), `mode` sendonly (default: the held party is
 * told sendonly) or sendrecv (it is told sendrecv). When that party's SDP
 * later puts its audio on hold (sendonly, inactive, c=0.0.0.0), its peer
 * hears the file, repeated for up to MOH_MAX_MS, through the playback of
 * daemon/playmedia.c (made by the worker while the holder sends nothing,
 * dataplane/dp_play.c); its SDP resuming (sendrecv, recvonly) stops it.
 * `blob`, `db-id`, `mode` reflect and `connection` zero are refused with a
 * reason. Control thread only.
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
/* While the SDP for the receiver is written: with mode sendrecv, a held
 * audio section of @s (that advertised moh) is told sendrecv. */
void moh_rewrite(const struct call_party *s, const struct call_media *sm, const struct sdp_media *m,
		 struct sdp_media_rewrite *mr);
/* After the offer/answer from @s took effect: remember its moh, start or
 * stop the music to its peer by its hold state. A warning or NULL. */
const char *moh_offer_answer(struct calls *cs, struct call *c, struct call_party *s,
			     const struct ng_request *req);

#endif
