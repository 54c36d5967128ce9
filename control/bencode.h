/*
 * bencode.h: bencode <-> ng_node (what Kamailio's and OpenSIPS's rtpengine
 * modules send). Decoding is iterative-bounded: at most NG_MAX_DEPTH nesting,
 * NG_MAX_NODES nodes, every length checked against the remaining input.
 */
#ifndef RTPRELAY_BENCODE_H
#define RTPRELAY_BENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "control/ngdict.h"

/* Decode exactly one value spanning all of buf[0..len). Returns 0 and sets
 * *out, or a negative errno (-EINVAL malformed, -E2BIG over a limit, -ENOMEM);
 * *err (if not NULL) then points to a static human-readable reason. */
int bencode_decode(struct arena *a, const uint8_t *buf, size_t len, struct ng_node **out,
		   const char **err) __attribute__((warn_unused_result));

/* Encode @n; returns the number of bytes written to @buf (at most @cap), or
 * -ENOSPC if it does not fit (-EINVAL for a tree nested deeper than
 * NG_MAX_DEPTH). Dict keys are emitted in insertion order. Whatever
 * bencode_decode accepted re-encodes to exactly its input. */
long bencode_encode(const struct ng_node *n, char *buf, size_t cap)
	__attribute__((warn_unused_result));

#endif
