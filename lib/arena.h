/*
 * arena.h: bump allocator for one control-plane message or one call.
 *
 * Everything parsed out of a request (dictionary nodes, strings, SDP structure)
 * and everything built for its reply lives in one arena that is freed in one go.
 * No per-object free. Not thread-safe: one arena belongs to one thread at a time.
 */
#ifndef RTPRELAY_ARENA_H
#define RTPRELAY_ARENA_H

#include <stddef.h>

struct arena;

/* Create an arena; the first block holds at least @hint bytes. NULL on ENOMEM. */
struct arena *arena_new(size_t hint);
/* Free the arena and everything allocated from it. NULL is fine. */
void arena_free(struct arena *a);
/* @n bytes aligned for any type, zeroed. NULL on ENOMEM or when the arena would
 * grow past its cap (see arena_set_cap). */
void *arena_alloc(struct arena *a, size_t n);
/* Copy of @s[0..n) with a terminating NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bound the total bytes the arena may hold (0 = unbounded); protects against
 * hostile input that expands. */
void arena_set_cap(struct arena *a, size_t cap);
/* Bytes currently held (for memory-per-call figures). */
size_t arena_used(const struct arena *a);

#endif
