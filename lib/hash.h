/*
 * hash.h: 32-bit FNV-1a over bytes, for the hash tables and the call-id to
 * worker mapping: cheap, no state, spreads short keys (call-ids, cookies)
 * well enough. Not for anything an attacker must not be able to collide.
 *
 * Header only, libc only, so that tools built without the relay's libraries
 * (bench/) can use it too.
 */
#ifndef RTPRELAY_HASH_H
#define RTPRELAY_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_BASIS 2166136261u
#define FNV1A_PRIME 16777619u

/* Continue hash @h over @len bytes at @buf; a new hash starts at FNV1A_BASIS,
 * so that keys in several parts hash as their concatenation. */
static inline uint32_t fnv1a_add(uint32_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV1A_PRIME;
	return h;
}

static inline uint32_t fnv1a(const void *buf, size_t len)
{
	return fnv1a_add(FNV1A_BASIS, buf, len);
}

/* The hash of a NUL-terminated string, without the NUL. */
static inline uint32_t fnv1a_str(const char *s)
{
	uint32_t h = FNV1A_BASIS;

	while (*s)
		h = (h ^ (uint8_t)*s++) * FNV1A_PRIME;
	return h;
}

#endif
