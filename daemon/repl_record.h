/*
 * repl_record.h: the envelope around one call's snapshot (daemon/call_snapshot.h)
 * as stored in Redis under `rtprelay:call:<call-id>` (daemon/repl.h).
 *
 *   "RTPR"  magic, 4 bytes
 *   version 1 byte (REPL_RECORD_VERSION)
 *   flags   1 byte (0)
 *   idlen   2 bytes, big endian: the call-id's length (1..CALL_TAG_MAX)
 *   id      the call-id
 *   len     4 bytes, big endian: the snapshot's length (1..REPL_RECORD_MAX)
 *   snap    the snapshot
 *   sum     4 bytes, big endian: FNV-1a over everything before it
 *
 * Opening checks every length against the bytes there are, the version, the
 * sum, and that the call-id inside is the one the key names (a record copied
 * under another key is refused). The sum catches truncation and corruption,
 * not a writer with access to Redis: the snapshot's own parser refuses each
 * field it cannot accept. Pure functions; fuzzed by tests/fuzz/daemon/fuzz_repl_record.c.
 */
#ifndef RTPRELAY_REPL_RECORD_H
#define RTPRELAY_REPL_RECORD_H

#include <stddef.h>

#define REPL_RECORD_VERSION 1
#define REPL_RECORD_MAX	    (4u << 20) /* largest snapshot accepted */
#define REPL_KEY_PREFIX	    "rtprelay:call:"

/* Wrap snapshot @snap (@len bytes) of call @id: a malloc'd record in *out.
 * 0, -EINVAL (lengths out of bounds) or -ENOMEM. */
int repl_record_wrap(const char *id, size_t id_len, const char *snap, size_t len, char **out,
		     size_t *out_len);

/* Open record @rec (@len bytes) found under call-id @id: 0 with the snapshot
 * inside it in *snap and *snap_len, or -EINVAL with the reason in *why (static). */
int repl_record_open(const char *rec, size_t len, const char *id, size_t id_len, const char **snap,
		     size_t *snap_len, const char **why);

#endif
