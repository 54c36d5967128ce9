/*
 * repl_rewrite.h: the calls a standby that became the active writes to Redis
 * again, paced (daemon/repl.c, docs/architecture.md "Redis active/standby").
 *
 * At the takeover the call-ids are noted; from a due time on, the control
 * loop's tick takes the next ones, a bounded number a tick, and writes the
 * calls that still exist. So the snapshots of thousands of calls neither
 * hold the control thread nor take the CPU the workers need in the
 * milliseconds the first media reaches the new active. Control thread only.
 */
#ifndef RTPRELAY_REPL_REWRITE_H
#define RTPRELAY_REPL_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

struct repl_rewrite {
	char **ids;	   /* copies; taken ones are freed */
	unsigned cap, n;   /* room, noted */
	unsigned next;	   /* the next to take */
	uint64_t due_ms;   /* nothing is taken before */
	const char *taken; /* the last one taken, freed at the next take */
};

/* Room for @cap call-ids, the first due at @due_ms (loop_now_ms clock); an
 * earlier plan is dropped. -ENOMEM: nothing planned. */
int repl_rewrite_init(struct repl_rewrite *rw, unsigned cap, uint64_t due_ms);
/* Note @call_id (copied); -ENOMEM when it cannot be copied, -ENOSPC past
 * the room given to init. */
int repl_rewrite_add(struct repl_rewrite *rw, const char *call_id);
/* The next call-id when it is due at @now_ms, in the order noted; NULL when
 * it is not due yet or none is left. Valid until the next call. */
const char *repl_rewrite_next(struct repl_rewrite *rw, uint64_t now_ms);
/* Call-ids noted and not taken yet. */
unsigned repl_rewrite_left(const struct repl_rewrite *rw);
void repl_rewrite_free(struct repl_rewrite *rw);

#endif
