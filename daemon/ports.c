/*
 * ports.c: random, O(1) RTP/RTCP port-pair allocation with quarantine.
 *
 * Pair i is ports (min + 2i, min + 2i + 1). Invariant: every pair is in exactly
 * one of three places: the free array (first n_free slots of `free_idx`), in use
 * (state USED, nowhere), or the quarantine FIFO (ring of n slots, so it can never
 * overflow). Allocation picks a uniformly random slot of the free array and fills
 * the hole with the last entry; release appends to the FIFO; pairs whose
 * quarantine ended move back to the free array a few at a time on allocation.
 */
#include "daemon/ports.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

enum pair_state {
	PAIR_FREE,
	PAIR_USED,
	PAIR_QUARANTINE
};

struct quar_entry {
	uint32_t idx;
	uint64_t until_ms;
};

struct port_pool {
	uint16_t min;
	uint32_t n; /* pairs */
	uint64_t quarantine_ms;
	uint32_t *free_idx; /* [0, n_free) are free pairs */
	uint32_t n_free;
	uint8_t *state;		 /* enum pair_state per pair */
	struct quar_entry *quar; /* ring, capacity n */
	uint32_t q_head, q_len;
	uint32_t in_use;
	uint64_t early_reuses; /* pairs taken before their quarantine ended */
	uint64_t rng;
};

/* xorshift64*: fast, and seeded from getrandom so the sequence is not guessable
 * from outside without seeing many ports. */
static uint64_t rng_next(struct port_pool *p)
{
	uint64_t x = p->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void ports_seed(struct port_pool *p, uint64_t seed)
{
	p->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

struct port_pool *ports_new(uint16_t min, uint16_t max, uint64_t quarantine_ms)
{
	struct port_pool *p;
	uint32_t lo = (min + 1u) & ~1u;
	uint64_t seed = 0;

	if (lo == 0 || (uint32_t)max < lo + 1)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->min = (uint16_t)lo;
	p->n = ((uint32_t)max - lo + 1) / 2;
	p->quarantine_ms = quarantine_ms;
	p->free_idx = calloc(p->n, sizeof(*p->free_idx));
	p->state = calloc(p->n, 1);
	p->quar = calloc(p->n, sizeof(*p->quar));
	if (!p->free_idx || !p->state || !p->quar) {
		ports_free(p);
		return NULL;
	}
	for (uint32_t i = 0; i < p->n; i++)
		p->free_idx[i] = i;
	p->n_free = p->n;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)p;
	ports_seed(p, seed);
	return p;
}

void ports_free(struct port_pool *p)
{
	if (!p)
		return;
	free(p->free_idx);
	free(p->state);
	free(p->quar);
	free(p);
}

/* Move at most @max pairs whose quarantine ended back to the free array. */
static void unquarantine(struct port_pool *p, uint64_t now_ms, unsigned max)
{
	while (max-- && p->q_len) {
		struct quar_entry *q = &p->quar[p->q_head];
		if (q->until_ms > now_ms)
			return; /* FIFO: the rest ended later */
		p->state[q->idx] = PAIR_FREE;
		p->free_idx[p->n_free++] = q->idx;
		p->q_head = (p->q_head + 1) % p->n;
		p->q_len--;
	}
}

int ports_alloc(struct port_pool *p, uint64_t now_ms, uint16_t *rtp)
{
	uint32_t slot, idx;

	unquarantine(p, now_ms, 4);
	if (p->n_free == 0) {
		if (p->q_len == 0)
			return -ENOSPC;
		/* Every pair is in use or resting: under heavy call churn a
		 * refused call is worse than a short rest, so cut the rest of
		 * the pair that has rested longest. */
		unquarantine(p, UINT64_MAX, 1);
		p->early_reuses++;
	}
	slot = (uint32_t)(rng_next(p) % p->n_free);
	idx = p->free_idx[slot];
	p->free_idx[slot] = p->free_idx[--p->n_free];
	p->state[idx] = PAIR_USED;
	p->in_use++;
	*rtp = (uint16_t)(p->min + 2 * idx);
	return 0;
}

void ports_release(struct port_pool *p, uint16_t rtp, uint64_t now_ms)
{
	uint32_t idx;

	if (rtp < p->min || ((rtp - p->min) & 1))
		return;
	idx = (uint32_t)(rtp - p->min) / 2;
	if (idx >= p->n || p->state[idx] != PAIR_USED)
		return; /* double release: ignore rather than corrupt the free array */
	p->state[idx] = PAIR_QUARANTINE;
	p->quar[(p->q_head + p->q_len) % p->n] = (struct quar_entry){
		.idx = idx, .until_ms = now_ms + p->quarantine_ms
	};
	p->q_len++;
	p->in_use--;
}

int ports_take(struct port_pool *p, uint16_t rtp)
{
	uint32_t idx;

	if (rtp < p->min || ((rtp - p->min) & 1))
		return -EINVAL;
	idx = (uint32_t)(rtp - p->min) / 2;
	if (idx >= p->n)
		return -EINVAL;
	if (p->state[idx] != PAIR_FREE)
		return -EBUSY;
	for (uint32_t k = 0; k < p->n_free; k++) {
		if (p->free_idx[k] == idx) {
			p->free_idx[k] = p->free_idx[--p->n_free];
			p->state[idx] = PAIR_USED;
			p->in_use++;
			return 0;
		}
	}
	return -EBUSY; /* not reachable: a free pair is in the free array */
}

void ports_untake(struct port_pool *p, uint16_t rtp)
{
	uint32_t idx;

	if (rtp < p->min || ((rtp - p->min) & 1))
		return;
	idx = (uint32_t)(rtp - p->min) / 2;
	if (idx >= p->n || p->state[idx] != PAIR_USED)
		return;
	p->state[idx] = PAIR_FREE;
	p->free_idx[p->n_free++] = idx;
	p->in_use--;
}

unsigned ports_total(const struct port_pool *p)
{
	return p->n;
}

unsigned ports_in_use(const struct port_pool *p)
{
	return p->in_use;
}

unsigned ports_quarantined(const struct port_pool *p)
{
	return p->q_len;
}

uint64_t ports_early_reuses(const struct port_pool *p)
{
	return p->early_reuses;
}
