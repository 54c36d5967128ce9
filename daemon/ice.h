/*
 * ice.h: ICE towards WebRTC parties (RFC 8445, RFC 8839), control side.
 *
 * rtprelay is an ICE-lite agent towards every party it gives ICE lines to,
 * whether it offers to that party or answers it (docs/architecture.md, ICE):
 * its SDP carries a=ice-lite, fresh credentials per party and media (from
 * the kernel's CSPRNG) and one host candidate per component on the media's
 * socket (and on its second pair of the other address family, when the
 * interface has one: daemon/ice_family.h); with ICE=force-relay the same
 * candidates are written typ relay. The full agent on the other side runs
 * the checks and nominates.
 * The data plane answers them (dataplane/dp_ice.c) and, once a pair is
 * nominated, sends the party's media there.
 *
 * rtpengine's ICE key decides, per media, whether the SDP going to a party
 * carries rtprelay's ICE lines (ice_decide). A party's own ICE lines are
 * read into its media (ice_note_sender); a new ice-ufrag from it is an ICE
 * restart: rtprelay's credentials towards it are renewed as well, and the
 * pair is nominated again. Candidates a party trickles in a re-offer are
 * parsed (bounded, sdp/sdp_ice.h); a lite agent never sends checks to them,
 * and needs only their address families (peer_fams: whether the party gets
 * a socket of the other family, daemon/ice_family.h).
 */
#ifndef RTPRELAY_ICE_H
#define RTPRELAY_ICE_H

#include <stdbool.h>

#include "control/ngrequest.h"
#include "daemon/call.h"
#include "dataplane/dataplane.h"
#include "sdp/sdp.h"

struct ice_family;

#define ICE_UFRAG_LEN 8	 /* ice-chars; RFC 8445 5.3: at least 24 bits */
#define ICE_PWD_LEN   24 /* at least 128 bits */

struct media_ice {
	bool on;	/* the party got rtprelay's ICE lines: its checks are answered */
	bool peer_ice;	/* the party's last SDP had ICE credentials */
	bool peer_lite; /* ... and a=ice-lite (then nobody checks: media latching as usual) */
	bool rejected;	/* reject-ICE with its offer: answered without ICE */
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1]; /* rtprelay's, towards the party */
	char remote_ufrag[SDP_ICE_CRED_MAX + 1];	     /* the party's */
	unsigned restarts;				     /* ICE restarts seen */
	/* the families (SDP_ICE_FAM_*) of the party's candidates since its
	 * last ICE restart, 0 = none seen (daemon/ice_family.h), and whether
	 * its last SDP said a=end-of-candidates */
	unsigned peer_fams;
	bool peer_complete;
	struct ice_family *fam; /* sockets of the other address family (ice_family.h) */
};

/* What the party's SDP (media @m of @s, sent with @req) says about ICE,
 * into @cm. 0, -ENOMEM or -EIO. */
int ice_note_sender(struct call_media *cm, const struct ng_request *req,
		    const struct sdp_session *s, const struct sdp_media *m)
	__attribute__((warn_unused_result));
/* Whether the SDP that goes to the receiver for media @m carries rtprelay's
 * ICE lines (rtpengine's ICE key; @rm is the receiver's media). */
bool ice_decide(const struct ng_request *req, const struct sdp_session *s,
		const struct sdp_media *m, const struct call_media *rm);
/* rtprelay's ICE lines for receiver media @rm (its sockets, @addr as the
 * candidates' address, @mux: no RTCP component) into @mr; turns ICE on for
 * @rm, with new credentials if it has none. 0, -ENOMEM or -EIO (no
 * randomness). */
int ice_rewrite(struct arena *a, const struct ng_request *req, struct call_media *rm,
		const char *addr, bool mux, struct sdp_media_rewrite *mr)
	__attribute__((warn_unused_result));
/* The receiver is not given ICE for this media: its checks are no longer
 * answered. */
void ice_off(struct call_media *rm);
/* An answerer that did not answer with ICE does not use it. */
void ice_answered(struct call_media *sm);
/* The DP_ICE flags and credentials of @m's sockets into @p. */
void ice_publish(const struct call_media *m, struct dp_endpoint_params *p);

#endif
