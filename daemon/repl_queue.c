/*
 * repl_queue.c: bounded coalescing queue of call records (repl_queue.h).
 */
#include "daemon/repl_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/hash.h"

int rq_init(struct repl_queue *q, unsigned cap, bool with_eventfd)
{
	memset(q, 0, sizeof(*q));
	q->efd = -1;
	q->cap = cap ? cap : 1;
	q->n_buckets = 1;
	while (q->n_buckets < q->cap && q->n_buckets < (1u << 20))
		q->n_buckets <<= 1;
	q->buckets = calloc(q->n_buckets, sizeof(*q->buckets));
	if (!q->buckets)
		return -ENOMEM;
	if (with_eventfd) {
		q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->efd < 0) {
			int e = -errno;
			free(q->buckets);
			return e;
		}
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void rq_item_free(struct rq_item *it)
{
	if (!it)
		return;
	free(it->id);
	free(it->data);
	free(it);
}

void rq_list_free(struct rq_item *list)
{
	while (list) {
		struct rq_item *nx = list->next;
		rq_item_free(list);
		list = nx;
	}
}

void rq_fini(struct repl_queue *q)
{
	if (!q->buckets)
		return;
	rq_list_free(q->head);
	free(q->buckets);
	if (q->efd >= 0)
		close(q->efd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	memset(q, 0, sizeof(*q));
	q->efd = -1;
}

static struct rq_item **slot_of(struct repl_queue *q, const char *id, size_t id_len)
{
	struct rq_item **pp = &q->buckets[fnv1a(id, id_len) & (q->n_buckets - 1)];

	while (*pp && ((*pp)->id_len != id_len || memcmp((*pp)->id, id, id_len)))
		pp = &(*pp)->hnext;
	return pp;
}

int rq_put(struct repl_queue *q, const char *id, size_t id_len, char *data, size_t len,
	   bool replace)
{
	struct rq_item **pp, *it;
	bool wake;

	pthread_mutex_lock(&q->mu);
	q->puts++;
	pp = slot_of(q, id, id_len);
	if (*pp) {
		q->coalesced++;
		if (replace) {
			free((*pp)->data);
			(*pp)->data = data;
			(*pp)->len = len;
		} else {
			free(data);
		}
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	if (q->n >= q->cap) {
		q->refused++;
		pthread_mutex_unlock(&q->mu);
		free(data);
		return -ENOSPC;
	}
	it = calloc(1, sizeof(*it));
	if (it)
		it->id = malloc(id_len + 1);
	if (!it || !it->id) {
		free(it);
		pthread_mutex_unlock(&q->mu);
		free(data);
		return -ENOMEM;
	}
	memcpy(it->id, id, id_len);
	it->id[id_len] = '\0';
	it->id_len = id_len;
	it->data = data;
	it->len = len;
	*pp = it;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	wake = q->n++ == 0;
	if (wake)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (wake && q->efd >= 0) {
		uint64_t one = 1;
		if (write(q->efd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is already non-zero, the consumer wakes */
		}
	}
	return 0;
}

struct rq_item *rq_take(struct repl_queue *q, unsigned wait_ms)
{
	struct rq_item *list;

	if (q->efd >= 0) {
		uint64_t v;
		if (read(q->efd, &v, sizeof(v)) < 0) {
			/* EAGAIN: nothing was signalled; the list decides */
		}
	}
	pthread_mutex_lock(&q->mu);
	if (!q->head && wait_ms && !q->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += wait_ms / 1000;
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!q->head && !q->stopping)
			if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) == ETIMEDOUT)
				break;
	}
	list = q->head;
	/* every item of a chain is in the list: emptying each one's bucket
	 * empties the table at the cost of the items taken */
	for (struct rq_item *it = list; it; it = it->next) {
		q->buckets[fnv1a(it->id, it->id_len) & (q->n_buckets - 1)] = NULL;
		it->hnext = NULL;
	}
	q->head = q->tail = NULL;
	q->n = 0;
	pthread_mutex_unlock(&q->mu);
	return list;
}

void rq_stop(struct repl_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

unsigned rq_len(struct repl_queue *q)
{
	unsigned n;

	pthread_mutex_lock(&q->mu);
	n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}

int rq_fd(const struct repl_queue *q)
{
	return q->efd;
}
