/*
 * rec_ring.c: single-producer single-consumer record ring (rec_ring.h).
 */
#include "recording/rec_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REC_RING_MIN (64u << 10)

#define ADD(field, v)                                                                     \
	atomic_store_explicit(&(field),                                                   \
			      atomic_load_explicit(&(field), memory_order_relaxed) + (v), \
			      memory_order_relaxed)

int rec_ring_init(struct rec_ring *r, size_t size)
{
	size_t s = REC_RING_MIN;

	memset(r, 0, sizeof(*r));
	while (s < size && s < ((size_t)1 << 30))
		s <<= 1;
	r->buf = aligned_alloc(64, s);
	if (!r->buf)
		return -ENOMEM;
	r->size = s;
	return 0;
}

void rec_ring_fini(struct rec_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = 0;
}

static size_t rec_size(size_t len)
{
	return (sizeof(struct rec_pkt) + len + 7u) & ~(size_t)7u;
}

/* Free bytes as the producer sees them; refreshes the cached tail only when
 * the cached one says there is not enough (one shared load per refill). */
static size_t room(struct rec_ring *r, uint64_t head, size_t need)
{
	size_t free_b = r->size - (size_t)(head - r->tail_seen);

	if (free_b >= need)
		return free_b;
	r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->size - (size_t)(head - r->tail_seen);
}

bool rec_ring_push(struct rec_ring *r, struct rec_pkt *h, const void *payload, size_t len)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t need = rec_size(len);
	size_t off = (size_t)(head & (r->size - 1));
	size_t to_end = r->size - off;
	size_t total = need > to_end ? need + to_end : need;

	if (len > UINT16_MAX || !r->buf || room(r, head, total) < total) {
		ADD(r->dropped, 1);
		ADD(r->dropped_bytes, len);
		return false;
	}
	if (need > to_end) { /* pad the tail end, start over at 0 */
		struct rec_pkt *pad = (struct rec_pkt *)(r->buf + off);
		if (to_end >= sizeof(pad->size))
			pad->size = 0;
		head += to_end;
		off = 0;
	}
	h->size = (uint32_t)need;
	h->len = (uint16_t)len;
	memcpy(r->buf + off, h, sizeof(*h));
	memcpy(r->buf + off + sizeof(*h), payload, len);
	atomic_store_explicit(&r->head, head + need, memory_order_release);
	ADD(r->pushed, 1);
	return true;
}

const struct rec_pkt *rec_ring_peek(struct rec_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	while (tail != head) {
		size_t off = (size_t)(tail & (r->size - 1));
		size_t to_end = r->size - off;
		const struct rec_pkt *p = (const struct rec_pkt *)(r->buf + off);

		/* a pad (or a tail end too short for a header) means: start over at 0 */
		if (to_end < sizeof(struct rec_pkt) || p->size == 0) {
			tail += to_end;
			atomic_store_explicit(&r->tail, tail, memory_order_release);
			continue;
		}
		return p;
	}
	return NULL;
}

void rec_ring_pop(struct rec_ring *r, const struct rec_pkt *p)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + p->size, memory_order_release);
}

size_t rec_ring_backlog(struct rec_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	return head > tail ? (size_t)(head - tail) : 0;
}
