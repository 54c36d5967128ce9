/*
 * dtls_role.h: which end of a DTLS-SRTP association rtprelay is (client: it
 * sends the ClientHello; server: it waits for one), decided from the a=setup
 * attributes of an offer/answer the way rtpengine decides it
 * (docs/webrtc.md, "DTLS roles"):
 *
 *   - rtprelay's own offer always says a=setup:actpass (RFC 5763 5; many
 *     stacks refuse anything else in an offer), whatever the DTLS key;
 *   - the answer to that offer decides: active makes rtprelay the server,
 *     passive the client; actpass (not allowed in an answer) keeps an
 *     association's role, or makes rtprelay the server; no a=setup is
 *     active (RFC 4145 4); holdconn takes no role and is refused;
 *   - a party's offer: active/passive decide; actpass or none leaves the
 *     choice to rtprelay: passive (server) when asked (DTLS=passive on that
 *     offer) or when it already is the server of an association with the
 *     party, active (client) otherwise.
 *
 * Pure functions: no state, no I/O.
 */
#ifndef RTPRELAY_DTLS_ROLE_H
#define RTPRELAY_DTLS_ROLE_H

#include <stdbool.h>

#include "dtls/dtls.h"

/* The a=setup rtprelay writes into an offer it sends. */
enum dtls_setup dtls_role_offer_setup(void);

/* rtprelay offered actpass; the answerer said @answer. @was_known and
 * @was_client: the role of the association already there (a re-offer).
 * 0 and *client set, or -EINVAL with *err (holdconn, or a value out of
 * range). */
int dtls_role_from_answer(enum dtls_setup answer, bool was_known, bool was_client, bool *client,
			  const char **err);

/* A party offered @offer; rtprelay will answer it. @want_passive: the
 * offer's command asked for the passive role. 0 and the a=setup rtprelay
 * answers with (DTLS_SETUP_ACTIVE or DTLS_SETUP_PASSIVE) in *ours, or
 * -EINVAL with *err (holdconn: no role to take). */
int dtls_role_answer_offer(enum dtls_setup offer, bool want_passive, bool was_known,
			   bool was_client, enum dtls_setup *ours, const char **err);

#endif
