/*
 * repl_record.c: the Redis record envelope (repl_record.h).
 */
#include "daemon/repl_record.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/call.h"
#include "lib/hash.h"

#define HDR 8 /* magic, version, flags, idlen */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int repl_record_wrap(const char *id, size_t id_len, const char *snap, size_t len, char **out,
		     size_t *out_len)
{
	size_t n = HDR + id_len + 4 + len + 4;
	unsigned char *r, *p;

	if (!id_len || id_len > CALL_TAG_MAX || !len || len > REPL_RECORD_MAX)
		return -EINVAL;
	r = malloc(n);
	if (!r)
		return -ENOMEM;
	memcpy(r, "RTPR", 4);
	r[4] = REPL_RECORD_VERSION;
	r[5] = 0;
	r[6] = (unsigned char)(id_len >> 8);
	r[7] = (unsigned char)id_len;
	p = r + HDR;
	memcpy(p, id, id_len);
	p += id_len;
	put32(p, (uint32_t)len);
	p += 4;
	memcpy(p, snap, len);
	p += len;
	put32(p, fnv1a(r, (size_t)(p - r)));
	*out = (char *)r;
	*out_len = n;
	return 0;
}

int repl_record_open(const char *rec, size_t len, const char *id, size_t id_len, const char **snap,
		     size_t *snap_len, const char **why)
{
	const unsigned char *r = (const unsigned char *)rec;
	size_t il, sl;

	if (len < HDR || memcmp(r, "RTPR", 4)) {
		*why = "not an rtprelay record (magic)";
		return -EINVAL;
	}
	if (r[4] != REPL_RECORD_VERSION) {
		*why = "record from another version";
		return -EINVAL;
	}
	if (r[5] != 0) {
		*why = "unknown record flags";
		return -EINVAL;
	}
	il = (size_t)r[6] << 8 | r[7];
	if (!il || il > CALL_TAG_MAX || len - HDR < il + 4) {
		*why = "call-id length out of bounds or truncated";
		return -EINVAL;
	}
	sl = get32(r + HDR + il);
	if (!sl || sl > REPL_RECORD_MAX || len - HDR - il - 4 < sl + 4) {
		*why = "snapshot length out of bounds or truncated";
		return -EINVAL;
	}
	if (len - HDR - il - 4 != sl + 4) {
		*why = "trailing bytes after the record";
		return -EINVAL;
	}
	if (get32(r + len - 4) != fnv1a(r, len - 4)) {
		*why = "checksum mismatch";
		return -EINVAL;
	}
	if (il != id_len || memcmp(r + HDR, id, il)) {
		*why = "call-id inside the record differs from its key";
		return -EINVAL;
	}
	*snap = (const char *)r + HDR + il + 4;
	*snap_len = sl;
	return 0;
}
