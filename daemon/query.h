/*
 * query.h: a call in rtpengine's `query` shape (tags -> medias -> streams with
 * local port, endpoint, advertised endpoint, last packet, stats), and the
 * daemon-wide `statistics`. Control thread only.
 */
#ifndef RTPRELAY_QUERY_H
#define RTPRELAY_QUERY_H

#include "lib/arena.h"
#include "control/ngdict.h"

struct call;
struct calls;

/* Add created / last signal / tags / totals of @c to @reply. 0 or -ENOMEM. */
int query_call(struct arena *a, const struct call *c, struct ng_node *reply)
	__attribute__((warn_unused_result));

#endif
