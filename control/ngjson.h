/*
 * ngjson.h: JSON <-> ng_node through jansson. JSON true/false become the
 * strings "true"/"false" is NOT done: booleans map to NG_INT 1/0, null to an empty
 * string, reals are rejected (the ng protocol has none). Same limits as bencode.
 */
#ifndef RTPRELAY_NGJSON_H
#define RTPRELAY_NGJSON_H

#include <stddef.h>
#include <stdint.h>

#include "control/ngdict.h"

int ngjson_decode(struct arena *a, const uint8_t *buf, size_t len, struct ng_node **out,
		  const char **err) __attribute__((warn_unused_result));
long ngjson_encode(const struct ng_node *n, char *buf, size_t cap)
	__attribute__((warn_unused_result));

#endif
