/*
 * query.h: a call in rtpengine's `query` shape (tags -> medias -> streams with
 * local port, endpoint, advertised endpoint, last packet, stats), and the
 * daemon-wide `statistics`. Control thread only.
 */
#ifndef RTPRELAY_QUERY_H
#define RTPRELAY_QUERY_H

#include <stdbool.h>

#include "lib/arena.h"
#include "control/ngdict.h"

struct call;
struct call_party;
struct calls;

/* Add created / last signal / tags / totals of @c to @reply. 0 or -ENOMEM. */
int query_call(struct arena *a, const struct call *c, struct ng_node *reply)
	__attribute__((warn_unused_result));
/* As query_call, with @selecting: "tags" holds only @sel and its peer (none
 * when @sel is NULL: the message named a tag the call does not have), and
 * the totals are theirs; as rtpengine's query with from-tag/to-tag. */
int query_call_for(struct arena *a, const struct call *c, bool selecting,
		   const struct call_party *sel, struct ng_node *reply)
	__attribute__((warn_unused_result));

#endif
