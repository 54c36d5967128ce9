/*
 * bundle.h: a=group:BUNDLE (RFC 9143) in the SDP rtprelay writes
 * (docs/architecture.md, WebRTC).
 *
 * Towards a party rtprelay speaks ICE with (a WebRTC peer), two or more
 * sections may share one port, the bundle's: rtprelay's "bundle towards
 * the party" (call_media.bundle_lead). That happens
 *   - in an answer to an offerer that bundled them (rtpengine's bundle key
 *     "accept", the default here; "reject" turns it off), and
 *   - in an offer with bundle "offer", "require" or "strict" (and in later
 *     offers to a party that was offered a bundle), for every section with
 *     a port; "require" adds a=bundle-only to every bundled section but the
 *     first (same port, remembered for later offers), "strict" also gives
 *     them port 0 (this offer only), as rtpengine documents; a party that
 *     answers without BUNDLE keeps a port per section of its own, which
 *     rtprelay sends to from the bundle's port and tells apart by source
 *     (call_media.bundle_split, DP_BUNDLE_SPLIT);
 * each such section must multiplex RTCP and be keyed by DTLS-SRTP or not
 * at all (SDES gives each section keys of its own; such a party gets a port
 * per section). The first of them (by index) is
 * the bundle's socket: its port, ICE credentials and candidate and DTLS
 * lines are written into every section of the bundle, with an a=mid each
 * (the sender's, else the index) and one a=group:BUNDLE naming them. The
 * data plane demultiplexes what arrives there by MID header extension,
 * SSRC (a=ssrc lines, learned) and payload type (dataplane/dp_bundle.h);
 * one DTLS association and one SRTP context, the bundle socket's, serve the
 * whole bundle. The other party gets one port per section as always.
 * Besides:
 *   - it notes, per media, whether a party's SDP put the section in a
 *     BUNDLE group (call_media.bundled), its a=ssrc values and the MID
 *     header extension's id;
 *   - an SDP towards a party rtprelay speaks no ICE with (a plain SIP phone
 *     or trunk) loses the other side's a=group:BUNDLE lines: that party gets
 *     one port per section, and a group would promise otherwise;
 *   - an answer towards an offerer that bundled exactly one accepted
 *     section names that group of one.
 * Control thread only.
 */
#ifndef RTPRELAY_DAEMON_BUNDLE_H
#define RTPRELAY_DAEMON_BUNDLE_H

#include <stdbool.h>

#include "control/ngrequest.h"
#include "lib/arena.h"
#include "sdp/sdp.h"

struct call_media;

struct call_party;
struct dp_endpoint_params;

/* Set @sm->bundled from @s: does a session-level a=group:BUNDLE name the
 * section's a=mid (@sm->mid, already noted)? And its a=ssrc values and MID
 * extension id from section @m. */
void bundle_note(const struct sdp_session *s, const struct sdp_media *m, struct call_media *sm);

/* A received offer's sections with port 0 and a=bundle-only in a BUNDLE
 * group (RFC 9143 6, rtpengine's bundle=strict) are accepted into it (not
 * with bundle=reject): each gets its group's transport, the port, address,
 * rtcp-mux and ICE of the group's first section that has a port, and is
 * treated as any bundled section from then on. */
void bundle_only_resolve(const struct ng_request *req, struct sdp_session *s);

/* Decide rtprelay's bundle towards the receiver @r of the SDP @s (sent
 * with @req): sets r->media[i].bundle_lead (and bundle_only with
 * bundle=require/strict); @ice[i]: @r gets rtprelay's ICE lines for media
 * i; @mux[i]: it gets a=rtcp-mux. NULL, or the error reason when this
 * offer asks for require/strict and a section towards @r cannot be
 * bundled (no ICE, no rtcp-mux, SDES). */
const char *bundle_plan(struct arena *a, const struct ng_request *req, const struct sdp_session *s,
			struct call_party *r, const bool *ice, const bool *mux);
/* The answer @s from @x, whom rtprelay offered a bundle: NULL, or the
 * error reason when it rejects a bundle's first section while accepting
 * others in a group with it, or accepts a section outside a BUNDLE group with ICE of its
 * own or while SRTP keys the answer (one ICE agent and one SRTP context
 * serve the bundle's port). Otherwise the sections it rejected (port 0, RFC
 * 9143's answer without BUNDLE) leave the bundle, a bundle left with one
 * section is none, and a section it accepted outside a BUNDLE group (a
 * party without BUNDLE, RFC 9143 7.3.3) is bundle_split: it stays on the
 * bundle's port towards @x, sent to its own address, and what @x sends
 * from that address is its media (also when @x rejected the first section,
 * whose socket then carries only those). */
const char *bundle_answered(struct arena *a, const struct sdp_session *s, struct call_party *x);
/* After every section's rewrite towards @r: the bundled ones share the
 * bundle socket's port, ICE and DTLS lines, each has its a=mid (@sender:
 * the sender's media, whose mid a section without a=mid lacks); a bundled
 * section's own ICE and DTLS state towards @r ends. In an offer to a party
 * with bundle_only, every bundled section but the first carries
 * a=bundle-only; with bundle=strict also port 0 and no candidates. 0 or
 * -ENOMEM. */
int bundle_rewrite_media(struct arena *a, const struct ng_request *req, const struct sdp_session *s,
			 const struct call_media *sender, struct call_party *r,
			 struct sdp_rewrite *rw);
/* The media whose keys (SDES, DTLS) protect @x's media @i: the bundle
 * socket's for a bundled one, else its own. */
const struct call_media *bundle_key_media(const struct call_party *x, unsigned i);
/* The DP_BUNDLE / DP_BUNDLED part of the parameters of @x's media @i RTP
 * socket into @p (already filled); and DP_NO_OFFLOAD where @x's peer's
 * media @i is bundled (what it forwards leaves another socket). */
void bundle_publish(const struct call_party *x, unsigned i, struct dp_endpoint_params *p);
/* The same for the RTCP socket of @x's media @i: when @x answered media of
 * its bundle outside it and does not multiplex RTCP, that socket's RTCP
 * leaves the bundle's socket to @x's RTCP address (DP_BUNDLED,
 * DP_BUNDLE_SPLIT) and what @x sends from there is handed to it. */
void bundle_publish_rtcp(const struct call_party *x, unsigned i, struct dp_endpoint_params *p);

/* The session-level BUNDLE part of the rewrite towards the receiver: @s is
 * the sender's SDP, @sender/@receiver their media (index = media index),
 * @rw the rewrite with its media already filled in. 0, or -ENOMEM. */
int bundle_rewrite(struct arena *a, enum ng_command cmd, const struct sdp_session *s,
		   const struct call_media *sender, const struct call_media *receiver,
		   struct sdp_rewrite *rw);

#endif
