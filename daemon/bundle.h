/*
 * bundle.h: a=group:BUNDLE (RFC 9143) in the SDP rtprelay writes
 * (docs/architecture.md, WebRTC).
 *
 * rtprelay gives each media section its own port towards each party; it
 * does not multiplex several sections on one 5-tuple. Within that:
 *   - it notes, per media, whether a party's SDP put the section in a
 *     BUNDLE group (call_media.bundled);
 *   - an SDP towards a party rtprelay speaks no ICE with (a plain SIP phone
 *     or trunk) loses the other side's a=group:BUNDLE lines: that party gets
 *     one port per section, and a group would promise otherwise;
 *   - an answer towards an offerer that bundled, whose answerer wrote no
 *     group of its own, names the group when exactly one accepted section
 *     was bundled by the offerer: a group of one section is what one port
 *     per section already is, and a browser with bundlePolicy max-bundle
 *     rejects an answer without it. With two or more such sections no group
 *     is written (their ports differ): such an offer is answered unbundled,
 *     which a max-bundle browser refuses.
 * Control thread only.
 */
#ifndef RTPRELAY_DAEMON_BUNDLE_H
#define RTPRELAY_DAEMON_BUNDLE_H

#include <stdbool.h>

#include "control/ngrequest.h"
#include "lib/arena.h"
#include "sdp/sdp.h"

struct call_media;

/* Set @sm->bundled from @s: does a session-level a=group:BUNDLE name the
 * section's a=mid (@sm->mid, already noted)? */
void bundle_note(const struct sdp_session *s, struct call_media *sm);

/* The session-level BUNDLE part of the rewrite towards the receiver: @s is
 * the sender's SDP, @sender/@receiver their media (index = media index),
 * @rw the rewrite with its media already filled in. 0, or -ENOMEM. */
int bundle_rewrite(struct arena *a, enum ng_command cmd, const struct sdp_session *s,
		   const struct call_media *sender, const struct call_media *receiver,
		   struct sdp_rewrite *rw);

#endif
