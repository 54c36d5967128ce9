/* benc.h: just enough bencode for the bench tools (loadgen, floor).
 *
 * Writers append to a caller-owned fixed buffer and latch an overflow flag instead of
 * failing each call; readers look up one top-level key of a dictionary, skipping every
 * other value with bounded nesting. Kept apart from control/bencode.c on purpose: the
 * bench must measure relays with code that shares nothing with the relay under test.
 */
#ifndef BENCH_BENC_H
#define BENCH_BENC_H

#include <stddef.h>

struct benc_out {
	char *p;
	size_t len;
	size_t cap;
	int overflow; /* set once anything did not fit; the content is then unusable */
};

void benc_init(struct benc_out *b, char *mem, size_t cap);
/* Appends raw bytes (structure: "d", "l", "e"). */
void benc_raw(struct benc_out *b, const char *s, size_t n);
/* Appends one bencode string <len>:<bytes>. */
void benc_str(struct benc_out *b, const char *s, size_t n);
/* Appends key and string value (both NUL-terminated). */
void benc_kv(struct benc_out *b, const char *key, const char *val);

/* Looks up top-level `key` of the dictionary in buf[0..len) and returns its string value.
 * Returns 0, -ENOENT if absent or not a string, -EINVAL if the input is malformed. */
int benc_dict_str(const char *buf, size_t len, const char *key, const char **val,
		  size_t *vlen);

#endif
