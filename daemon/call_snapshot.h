/*
 * call_snapshot.h: one call's state as a versioned record, and a call made
 * again from such a record in another process (takeover, daemon/takeover.h;
 * a Redis standby), so that its media continues unchanged.
 *
 * The record is a bencode dictionary (control/bencode.h) with an integer
 * `version` (CALL_SNAPSHOT_VERSION) and the call: its call-id, times and
 * call-wide settings, its parties (tags, label, via-branch, peer), and per
 * media the local interface and port pair, the party's SDP addresses and the
 * remotes learned by latching, the payload types and call-control kinds,
 * ICE credentials and SDES-SRTP keys (docs/architecture.md, Takeover, lists
 * every field). Restoring checks every field (type, length, range, that
 * references name what exists) before it takes any resource: a truncated
 * record, one of another version or a forged one is refused with one log
 * line naming the field, and nothing of it is left behind.
 *
 * Control thread only.
 */
#ifndef RTPRELAY_CALL_SNAPSHOT_H
#define RTPRELAY_CALL_SNAPSHOT_H

#include <stddef.h>
#include <sys/socket.h>

#include "lib/strbuf.h"

/* Version 2 adds the transcoders (docs/architecture.md, Takeover); version
 * 3 a transcoder's output reference point and sampled SRTP counters for a
 * Redis standby (daemon/stream_ref.h) and the last SRTCP index per SSRC.
 * Versions 1 and 2 are still read. */
#define CALL_SNAPSHOT_VERSION	  3
#define CALL_SNAPSHOT_VERSION_MIN 1
#define CALL_SNAPSHOT_MAX	  (256 * 1024) /* bytes of one record at most */

struct call;
struct calls;

/* Where a restored call's sockets come from: @get puts into *fd a bound,
 * non-blocking UDP socket for local address @local (interface address and
 * port), which the call then owns; 0 or a negative errno. A takeover hands
 * over the old process's sockets; a standby opens its own (IP_FREEBIND). */
struct call_snapshot_sockets {
	int (*get)(void *ctx, const struct sockaddr_storage *local, int *fd);
	void *ctx;
};

/* Append @c's record to @out. 0, -ENOMEM or -E2BIG (over
 * CALL_SNAPSHOT_MAX). The latched remotes are read from the data plane's
 * published state: a takeover stops the workers first, so they are final. */
int call_snapshot_write(const struct call *c, struct strbuf *out)
	__attribute__((warn_unused_result));

/* Make the call recorded in data[0..len) in @calls, with its sockets from
 * @socks, and publish its streams to the data plane (latched remotes
 * included). A worker watches a socket from dp_endpoint_new on and gets its
 * parameters a little later: where packets already wait on the sockets,
 * restore with the data plane held (dp_pause ... dp_resume), so they are
 * read only once the call is complete. *out (if not NULL) gets the call. 0, or -EINVAL (refused: the
 * reason is logged), -EEXIST (a call with that call-id exists), -ENOSPC (a
 * recorded port is taken here), -ENOMEM, or what @socks->get returned. */
int call_snapshot_restore(struct calls *calls, const char *data, size_t len,
			  const struct call_snapshot_sockets *socks, struct call **out)
	__attribute__((warn_unused_result));

#endif
