/*
 * dp_queue.c: control -> worker command FIFO (mutex + eventfd).
 *
 * Invariant: the eventfd is non-zero whenever the list is non-empty, so a
 * worker that drains on every eventfd wake-up never misses a command.
 */
#include "dataplane/dp_queue.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

int dp_queue_init(struct dp_queue *q)
{
	q->head = q->tail = NULL;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	int rc = pthread_mutex_init(&q->lock, NULL);
	if (rc) {
		close(q->efd);
		q->efd = -1;
		return -rc;
	}
	return 0;
}

void dp_queue_destroy(struct dp_queue *q)
{
	struct dp_cmd *c = q->head;
	while (c) {
		struct dp_cmd *n = c->next;
		free(c);
		c = n;
	}
	q->head = q->tail = NULL;
	if (q->efd >= 0)
		close(q->efd);
	q->efd = -1;
	pthread_mutex_destroy(&q->lock);
}

void dp_queue_push(struct dp_queue *q, struct dp_cmd *c)
{
	bool was_empty;

	c->next = NULL;
	pthread_mutex_lock(&q->lock);
	was_empty = !q->head;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	pthread_mutex_unlock(&q->lock);
	if (was_empty) {
		uint64_t one = 1;
		/* Only fails if the counter would overflow: it is then
		 * already non-zero, which is all we need. */
		(void)!write(q->efd, &one, sizeof(one));
	}
}

struct dp_cmd *dp_queue_take(struct dp_queue *q)
{
	uint64_t v;
	struct dp_cmd *c;

	/* Clear the wake-up first: a push racing with us re-arms it. */
	(void)!read(q->efd, &v, sizeof(v));
	pthread_mutex_lock(&q->lock);
	c = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return c;
}
