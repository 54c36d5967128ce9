/*
 * offer.h: offer/answer processing: an SDP from one party becomes (re)allocated
 * sockets on both sides, dataplane parameters, and the SDP for the other party.
 * Control thread only.
 */
#ifndef RTPRELAY_OFFER_H
#define RTPRELAY_OFFER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "control/ngrequest.h"

struct calls;
struct call;
struct call_party;

#define OFFER_LEARN_WINDOW_MS 3000 /* latching allowed this long after signalling */

/* Handle an offer or an answer (@req->cmd). On success returns 0 with the
 * rewritten SDP in *sdp and *sdp_len (arena memory); extra warnings may be added
 * to @req. On failure returns a negative errno with *err set to the reply's
 * error-reason (arena or static). A failed offer that created the call
 * deletes it again; so does a failure once the call's state took the new SDP
 * (no memory, the data plane refusing the new parameters) for a call that
 * existed before: no call is left half updated. Another call is never
 * touched. */
int offer_answer(struct calls *cs, struct ng_request *req, struct arena *a, uint64_t now_ms,
		 char **sdp, size_t *sdp_len, const char **err) __attribute__((warn_unused_result));

/* Publish @p's media parameters again: its peer changed outside an
 * offer/answer (a branch of it was deleted). 0 or a negative errno. */
int offer_publish_party(const struct call *c, struct call_party *p, struct arena *a);

#endif
