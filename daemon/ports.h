/*
 * ports.h: the media port allocator. Hands out RTP/RTCP pairs (RTP even,
 * RTCP = RTP + 1) at random from [min, max], never the same pair twice while it
 * is in use, and keeps a released pair in quarantine for a while so late
 * packets of an old call do not reach a new one (while any other pair is free). Allocation and release are
 * O(1): a shuffled free array (random index, swap with last) plus a FIFO of
 * quarantined pairs with their release time.
 *
 * Control thread only (no locking). Randomness: getrandom(2) once per pool for
 * a seed, then a xorshift generator (unpredictable enough that an attacker who
 * sees a few ports cannot guess the next call's ports).
 */
#ifndef RTPRELAY_PORTS_H
#define RTPRELAY_PORTS_H

#include <stdint.h>

struct port_pool;

/* A pool for the pairs in [min, max] (min rounded up to even; a pair needs
 * both its ports inside). @quarantine_ms: how long a released pair rests.
 * NULL on ENOMEM or an empty range. */
struct port_pool *ports_new(uint16_t min, uint16_t max, uint64_t quarantine_ms);
void ports_free(struct port_pool *p);

/* Take a random free pair; *rtp gets the even port. When no pair is free but
 * some are quarantined, the longest-resting one is taken early (counted by
 * ports_early_reuses) rather than refusing a call. 0, or -ENOSPC when every
 * pair is in use. @now_ms: a monotonic clock (tests pass their own). */
int ports_alloc(struct port_pool *p, uint64_t now_ms, uint16_t *rtp)
	__attribute__((warn_unused_result));
/* Give back the pair starting at @rtp (quarantined until now_ms + quarantine).
 * Releasing a port that is not allocated is ignored (and counted). */
void ports_release(struct port_pool *p, uint16_t rtp, uint64_t now_ms);

/* Take the pair starting at @rtp (a call restored from a snapshot keeps its
 * ports). 0, -EINVAL (not a pair of this pool) or -EBUSY (not free). */
int ports_take(struct port_pool *p, uint16_t rtp) __attribute__((warn_unused_result));
/* Undo ports_take when the restore fails: the pair is free again at once
 * (it never carried a call here, so it needs no quarantine). */
void ports_untake(struct port_pool *p, uint16_t rtp);

unsigned ports_total(const struct port_pool *p); /* pairs in the range */
unsigned ports_in_use(const struct port_pool *p);
unsigned ports_quarantined(const struct port_pool *p);
uint64_t ports_early_reuses(const struct port_pool *p);
/* Seed the generator (tests). */
void ports_seed(struct port_pool *p, uint64_t seed);

#endif
