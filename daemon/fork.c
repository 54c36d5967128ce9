/*
 * fork.c: call branches and label selection (see fork.h).
 */
#include "daemon/fork.h"

#include <string.h>

#include "daemon/call.h"
#include "lib/log.h"

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

struct call_party *fork_branch_find(struct call *c, const char *via_branch,
				    const struct call_party *skip)
{
	if (!via_branch || !via_branch[0])
		return NULL;
	for (unsigned i = 0; i < c->n_parties; i++)
		if (c->parties[i] != skip && str_eq(c->parties[i]->via_branch, via_branch))
			return c->parties[i];
	return NULL;
}

struct call_party *fork_offer_callee(struct call *c, struct call_party *caller,
				     const char *via_branch)
{
	struct call_party *y = fork_branch_find(c, via_branch, caller);

	if (y)
		return y;
	y = caller->peer;
	/* the first branch takes the callee an offer without via-branch made */
	if (y && !y->n_tags && !y->via_branch)
		return y;
	return NULL;
}

struct call_party *fork_answer_callee(struct call *c, struct call_party *caller,
				      const char *via_branch)
{
	struct call_party *y = fork_branch_find(c, via_branch, caller);

	if (y && y->peer == caller)
		return y;
	return caller->peer;
}

unsigned fork_branches(const struct call *c, const struct call_party *caller)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_parties; i++)
		n += c->parties[i] != caller && c->parties[i]->peer == caller;
	return n;
}

unsigned fork_release_losers(struct calls *cs, struct call *c, struct call_party *caller,
			     struct call_party *winner, uint64_t now_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_parties;) {
		struct call_party *p = c->parties[i];

		if (p == caller || p == winner || p->peer != caller) {
			i++;
			continue;
		}
		log_info("call %s: branch %s (via-branch %s) released: %s answered", c->call_id,
			 call_party_tag(p)[0] ? call_party_tag(p) : "(untagged)",
			 p->via_branch ? p->via_branch : "-", call_party_tag(winner));
		call_party_remove(cs, c, p, now_ms); /* the array changed: same index again */
		n++;
	}
	return n;
}
