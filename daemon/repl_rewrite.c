/*
 * repl_rewrite.c: the paced list of calls written again after a takeover
 * (repl_rewrite.h).
 */
#include "daemon/repl_rewrite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void repl_rewrite_free(struct repl_rewrite *rw)
{
	for (unsigned i = rw->next; i < rw->n; i++)
		free(rw->ids[i]);
	free(rw->ids);
	free((char *)rw->taken);
	memset(rw, 0, sizeof(*rw));
}

int repl_rewrite_init(struct repl_rewrite *rw, unsigned cap, uint64_t due_ms)
{
	repl_rewrite_free(rw);
	if (cap) {
		rw->ids = calloc(cap, sizeof(*rw->ids));
		if (!rw->ids)
			return -ENOMEM;
	}
	rw->cap = cap;
	rw->due_ms = due_ms;
	return 0;
}

int repl_rewrite_add(struct repl_rewrite *rw, const char *call_id)
{
	if (rw->n >= rw->cap)
		return -ENOSPC;
	rw->ids[rw->n] = strdup(call_id);
	if (!rw->ids[rw->n])
		return -ENOMEM;
	rw->n++;
	return 0;
}

const char *repl_rewrite_next(struct repl_rewrite *rw, uint64_t now_ms)
{
	free((char *)rw->taken);
	rw->taken = NULL;
	if (now_ms < rw->due_ms || rw->next >= rw->n)
		return NULL;
	rw->taken = rw->ids[rw->next];
	rw->ids[rw->next++] = NULL;
	return rw->taken;
}

unsigned repl_rewrite_left(const struct repl_rewrite *rw)
{
	return rw->n - rw->next;
}
