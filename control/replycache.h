/*
 * replycache.h: replies to recent UDP ng commands, keyed by (cookie, source
 * address and port), so a proxy's retransmission gets the same reply again
 * and the command is never executed twice (a retransmitted offer must not
 * allocate a second set of ports).
 *
 * Bounded in entries and bytes; an entry lives @ttl_ms (rtpengine keeps them
 * about 30 s, longer than any proxy's retransmission schedule). When full, the
 * oldest entry goes first. Control thread only.
 */
#ifndef RTPRELAY_REPLYCACHE_H
#define RTPRELAY_REPLYCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct reply_cache;

struct reply_cache *reply_cache_new(unsigned max_entries, size_t max_bytes, uint64_t ttl_ms);
void reply_cache_free(struct reply_cache *rc);
/* The cached reply for (cookie, from) if present and not expired; NULL otherwise. */
const char *reply_cache_get(struct reply_cache *rc, const char *cookie, size_t cookie_len,
			    const struct sockaddr_storage *from, uint64_t now_ms, size_t *len);
/* Remember @reply (copied). Returns 0 or -ENOMEM / -E2BIG (larger than the cache). */
int reply_cache_put(struct reply_cache *rc, const char *cookie, size_t cookie_len,
		    const struct sockaddr_storage *from, const char *reply, size_t len,
		    uint64_t now_ms);
/* Drop expired entries (called from the periodic tick). */
void reply_cache_expire(struct reply_cache *rc, uint64_t now_ms);
unsigned reply_cache_count(const struct reply_cache *rc);
/* Every entry that has not expired at @now_ms, oldest first (a takeover
 * hands them to the next process, daemon/takeover.h). */
typedef void (*reply_cache_fn)(void *ctx, const char *cookie, size_t cookie_len,
			       const struct sockaddr_storage *from, const char *reply, size_t len);
void reply_cache_each(const struct reply_cache *rc, uint64_t now_ms, reply_cache_fn fn, void *ctx);
size_t reply_cache_bytes(const struct reply_cache *rc);

#endif
