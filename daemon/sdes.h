/*
 * sdes.h: SDES-SRTP keying of a call's media (RFC 4568, RFC 8643 OSRTP),
 * with rtpengine's "SDES" and "OSRTP" options.
 *
 * rtprelay terminates SRTP on every leg that speaks it: it decrypts what a
 * party sends with the key from that party's a=crypto line and encrypts
 * what it sends the party with a key of its own, fresh from getrandom for
 * each party (leg) and suite, kept across re-INVITEs so the contexts (and
 * their rollover counters) survive them. It never passes SRTP through with
 * the parties' own keys (rtpengine's default when both sides share one):
 * that would forward packets nobody authenticated. rtpengine's "recrypt" is
 * therefore what rtprelay always does.
 *
 * Offer (sender S, receiver R): S's usable a=crypto lines are kept; the
 * one S gets answered with is chosen now (the first usable after SDES-no-/
 * only-). R is offered SDES when its profile is RTP/SAVP[F], or RTP/AVP[F]
 * with an OSRTP offer (S's own, or OSRTP=offer): the suites S offered first
 * (S's tags), then every other suite libsrtp does unless SDES-nonew, minus
 * SDES-no-, or only SDES-only-; session parameters copied from S's first
 * line, then SDES-[un]encrypted_* applied.
 * Answer (sender S = callee, R = offerer): S's a=crypto must name a tag
 * rtprelay offered it, with that suite; R gets exactly one line, on the tag
 * chosen at the offer, with rtprelay's key for R.
 *
 * UDP/TLS/RTP/SAVP[F] is keyed by DTLS-SRTP (daemon/dtls_media.h), not here.
 * RTP/SAVP[F] is offered DTLS-SRTP alongside SDES unless DTLS=off (SDES-off:
 * DTLS-SRTP alone); an answer with a=fingerprint picks DTLS, one with
 * a=crypto SDES. An offerer whose section has both is answered with DTLS,
 * with SDES under SDES-prefer (rtpengine's meaning).
 * Control thread only.
 */
#ifndef RTPRELAY_DAEMON_SDES_H
#define RTPRELAY_DAEMON_SDES_H

#include <stdbool.h>

#include "control/ngrequest.h"
#include "lib/arena.h"
#include "sdp/sdp.h"
#include "srtp/sr_stream.h"

struct call_media;

/* Before anything is allocated: is what the request and the sender's SDP
 * ask possible at all? NULL or the error-reason (nothing is refused today:
 * DTLS profiles are daemon/dtls_media.c's). */
const char *sdes_refuse(struct arena *a, const struct ng_request *req,
			const struct sdp_session *sdp);

/* Offer or answer for one media: @m is the sender's section in @sdp, @sm
 * the sender's media, @rm the receiver's (its proto already decided for
 * this SDP: @out_proto). 0, or -EINVAL/-ENOMEM with *err set. */
int sdes_negotiate(struct arena *a, const struct ng_request *req, const struct sdp_session *sdp,
		   const struct sdp_media *m, struct call_media *sm, struct call_media *rm,
		   const char *out_proto, const char **err);

/* The receiver's a=crypto lines for the SDP it gets (drops what the sender
 * wrote); leaves @mr alone when neither side has anything to do with SRTP. */
void sdes_rewrite(struct arena *a, const struct call_media *rm, struct sdp_media_rewrite *mr);

/* The keys of the endpoints facing @m's party (suite NONE: plain), and
 * whether that party is to speak SRTP but has no keys yet (offered, not
 * answered: nothing it sends can be authenticated, nothing can be
 * encrypted for it). */
void sdes_keys(const struct call_media *m, struct sr_keys *out, bool *pending);
/* The suite @m's party speaks, NULL when plain (query's "crypto suite"). */
const char *sdes_suite_name(const struct call_media *m);

void sdes_free(struct call_media *m);

/* What a call snapshot carries of a media's SDES state (daemon/call_snapshot.h):
 * the endpoints' keys (pending: offered, not answered) and rtprelay's own key
 * per suite towards the party, so a re-INVITE after a takeover keeps them. */
struct sdes_saved {
	struct sr_keys keys;
	bool pending;
	struct sr_key local[SR_N_SUITES];
	bool have_local[SR_N_SUITES];
};
void sdes_save(const struct call_media *m, struct sdes_saved *out);
/* @m gets SDES state from @sv (its offered/answered lines are not kept: the
 * next offer/answer negotiates them again with the same own keys). 0 or
 * -ENOMEM. */
int sdes_restore(struct call_media *m, const struct sdes_saved *sv)
	__attribute__((warn_unused_result));

#endif
