/*
 * replycache.c: bounded (cookie, source) -> reply map with FIFO expiry.
 *
 * Entries are inserted with the same TTL, so insertion order is expiry order:
 * a ring of entry pointers (capacity = max entries) gives both expiry and
 * eviction of the oldest in O(1); a chained hash table gives lookup. An
 * entry is one allocation holding key and reply.
 */
#include "control/replycache.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"

struct rc_entry {
	struct rc_entry *hnext; /* hash chain */
	uint64_t expires_ms;
	uint32_t hash;
	struct sockaddr_storage from;
	size_t cookie_len, reply_len;
	char data[]; /* cookie, then reply */
};

struct reply_cache {
	unsigned max_entries, n_buckets;
	size_t max_bytes, bytes;
	uint64_t ttl_ms;
	struct rc_entry **buckets;
	struct rc_entry **ring; /* oldest at ring[head] */
	unsigned head, count;
};

/* Only family, address and port take part: the rest of sockaddr_storage is
 * padding whose contents recvfrom does not define. */
static size_t addr_key(const struct sockaddr_storage *sa, uint8_t *out)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		memcpy(out, &s->sin_addr, 4);
		memcpy(out + 4, &s->sin_port, 2);
		return 6;
	}
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		memcpy(out, &s->sin6_addr, 16);
		memcpy(out + 16, &s->sin6_port, 2);
		return 18;
	}
	return 0; /* unix sockets: no address, cookie alone */
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t ka[18], kb[18];
	size_t la = addr_key(a, ka), lb = addr_key(b, kb);

	return a->ss_family == b->ss_family && la == lb && memcmp(ka, kb, la) == 0;
}

static uint32_t hash_key(const char *cookie, size_t len, const struct sockaddr_storage *from)
{
	uint8_t k[18];
	size_t kl = addr_key(from, k);

	return fnv1a_add(fnv1a(cookie, len), k, kl);
}

struct reply_cache *reply_cache_new(unsigned max_entries, size_t max_bytes, uint64_t ttl_ms)
{
	struct reply_cache *rc = calloc(1, sizeof(*rc));

	if (!rc || max_entries == 0)
		goto err;
	rc->max_entries = max_entries;
	rc->max_bytes = max_bytes;
	rc->ttl_ms = ttl_ms;
	rc->n_buckets = 1;
	while (rc->n_buckets < max_entries)
		rc->n_buckets <<= 1;
	rc->buckets = calloc(rc->n_buckets, sizeof(*rc->buckets));
	rc->ring = calloc(max_entries, sizeof(*rc->ring));
	if (!rc->buckets || !rc->ring)
		goto err;
	return rc;
err:
	reply_cache_free(rc);
	return NULL;
}

/* Remove the oldest entry. */
static void drop_oldest(struct reply_cache *rc)
{
	struct rc_entry *e = rc->ring[rc->head], **pp;

	for (pp = &rc->buckets[e->hash & (rc->n_buckets - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	rc->bytes -= e->cookie_len + e->reply_len;
	rc->ring[rc->head] = NULL;
	rc->head = (rc->head + 1) % rc->max_entries;
	rc->count--;
	free(e);
}

void reply_cache_free(struct reply_cache *rc)
{
	if (!rc)
		return;
	while (rc->ring && rc->count)
		drop_oldest(rc);
	free(rc->buckets);
	free(rc->ring);
	free(rc);
}

const char *reply_cache_get(struct reply_cache *rc, const char *cookie, size_t cookie_len,
			    const struct sockaddr_storage *from, uint64_t now_ms, size_t *len)
{
	uint32_t h = hash_key(cookie, cookie_len, from);

	for (struct rc_entry *e = rc->buckets[h & (rc->n_buckets - 1)]; e; e = e->hnext) {
		if (e->hash != h || e->cookie_len != cookie_len ||
		    memcmp(e->data, cookie, cookie_len) != 0 || !same_addr(&e->from, from))
			continue;
		if (e->expires_ms <= now_ms)
			return NULL;
		*len = e->reply_len;
		return e->data + e->cookie_len;
	}
	return NULL;
}

int reply_cache_put(struct reply_cache *rc, const char *cookie, size_t cookie_len,
		    const struct sockaddr_storage *from, const char *reply, size_t len,
		    uint64_t now_ms)
{
	size_t need = cookie_len + len;
	struct rc_entry *e;

	if (need > rc->max_bytes)
		return -E2BIG;
	while (rc->count && (rc->count >= rc->max_entries || rc->bytes + need > rc->max_bytes))
		drop_oldest(rc);
	e = malloc(sizeof(*e) + need);
	if (!e)
		return -ENOMEM;
	e->hash = hash_key(cookie, cookie_len, from);
	e->expires_ms = now_ms + rc->ttl_ms;
	e->from = *from;
	e->cookie_len = cookie_len;
	e->reply_len = len;
	memcpy(e->data, cookie, cookie_len);
	memcpy(e->data + cookie_len, reply, len);
	e->hnext = rc->buckets[e->hash & (rc->n_buckets - 1)];
	rc->buckets[e->hash & (rc->n_buckets - 1)] = e;
	rc->ring[(rc->head + rc->count) % rc->max_entries] = e;
	rc->count++;
	rc->bytes += need;
	return 0;
}

void reply_cache_expire(struct reply_cache *rc, uint64_t now_ms)
{
	while (rc->count && rc->ring[rc->head]->expires_ms <= now_ms)
		drop_oldest(rc);
}

unsigned reply_cache_count(const struct reply_cache *rc)
{
	return rc->count;
}

size_t reply_cache_bytes(const struct reply_cache *rc)
{
	return rc->bytes;
}

void reply_cache_each(const struct reply_cache *rc, uint64_t now_ms, reply_cache_fn fn, void *ctx)
{
	for (unsigned i = 0; i < rc->count; i++) {
		const struct rc_entry *e = rc->ring[(rc->head + i) % rc->max_entries];
		if (e->expires_ms > now_ms)
			fn(ctx, e->data, e->cookie_len, &e->from, e->data + e->cookie_len,
			   e->reply_len);
	}
}
