/*
 * repl_queue.h: the bounded, coalescing queue between the control thread and
 * a Redis thread (daemon/repl.h). An item is one call's record (or its
 * deletion) under the call-id; putting a call-id that is already queued
 * replaces the queued record, so a call changed ten times before the thread
 * comes round is written once, with its latest state. At most `cap` call-ids
 * wait; past that a put is refused and counted (the caller resynchronises
 * later). One mutex, taken per put and per take; never on the packet path.
 *
 * With an eventfd (rq_init(..., true)) every put into an empty queue makes
 * rq_fd() readable, for a consumer on the control thread's loop.
 */
#ifndef RTPRELAY_REPL_QUEUE_H
#define RTPRELAY_REPL_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rq_item {
	char *id; /* call-id, NUL-terminated, malloc'd */
	size_t id_len;
	char *data; /* the record (malloc'd), NULL = the call is gone */
	size_t len;
	struct rq_item *next, *hnext;
};

struct repl_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rq_item *head, *tail;
	struct rq_item **buckets;
	unsigned n_buckets;
	unsigned n, cap;
	int efd; /* -1 = none */
	bool stopping;
	uint64_t puts, coalesced, refused;
};

/* 0 or -ENOMEM/-errno. @cap: call-ids waiting at most (>= 1). */
int rq_init(struct repl_queue *q, unsigned cap, bool with_eventfd);
void rq_fini(struct repl_queue *q);

/* Queue @data (@len bytes, ownership passes to the queue, NULL = deletion)
 * for call-id @id. @replace false: an item already queued for @id wins (a
 * retry of an older record must not overwrite a newer one). 0, or -ENOSPC
 * (full: refused and counted, @data freed) / -ENOMEM. */
int rq_put(struct repl_queue *q, const char *id, size_t id_len, char *data, size_t len,
	   bool replace);

/* Everything queued, oldest first (the caller owns the list), waiting up to
 * @wait_ms for the first item (0 = do not wait). NULL when nothing came or
 * the queue is stopping. */
struct rq_item *rq_take(struct repl_queue *q, unsigned wait_ms);
/* Wake rq_take's waiter and make later ones return at once. */
void rq_stop(struct repl_queue *q);
unsigned rq_len(struct repl_queue *q);
int rq_fd(const struct repl_queue *q);

void rq_item_free(struct rq_item *it);
void rq_list_free(struct rq_item *list);

#endif
