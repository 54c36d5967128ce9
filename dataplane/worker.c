/*
 * worker.c: data-plane workers (threads, epoll loop, command handling) and
 * the API of dataplane/dataplane.h.
 *
 * Each worker owns an epoll set, a command queue (dataplane/dp_queue.h) and
 * fixed packet slots. The loop (like Redis ae.c) has one job: wait, read the
 * clock once, apply queued commands (so a packet sent after an offer/answer
 * reply sees its parameters), receive from every ready socket
 * (dp_io_receive), send everything (dp_io_flush), then reap released
 * endpoints.
 *
 * Lifetimes: an endpoint is malloc'ed by the caller's thread, registered by
 * its worker on DP_CMD_ADD, retired on DP_CMD_RELEASE (out of epoll, marked
 * dead, skipped by this iteration's events) and closed/freed at the end of
 * that iteration, when no packet slot can refer to it any more (or at
 * stop). Because the queue is FIFO per worker and all endpoints that forward
 * to each other live on the same worker, a release is ordered after every
 * change queued before it. On release the worker also clears any fwd
 * pointer still aiming at the endpoint, so releasing the streams of a call in
 * any order is safe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dp_endpoint.h"
#include "dataplane/dp_offload.h"
#include "dataplane/dp_xcode.h"
#include "lib/log.h"

#define DP_EVENTS 256

struct dp_sync {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending;
};

/* The data plane instance: set by dp_start, cleared by dp_stop (control
 * thread only). */
static struct {
	struct dp_worker *w;
	unsigned n;
} dp;

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t wall_offset_ms(void)
{
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t wall = (uint64_t)rt.tv_sec * 1000u + (uint64_t)rt.tv_nsec / 1000000u;
	return wall - mono_us() / 1000u;
}

static void ep_register(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ep };

	ep->prev = NULL;
	ep->next = w->eps;
	if (w->eps)
		w->eps->prev = ep;
	w->eps = ep;
	w->neps++;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, ep->fd, &ev) < 0)
		log_warn("dataplane: worker %u cannot watch fd %d: %s", w->index, ep->fd,
			 strerror(errno));
	else
		ep->registered = true;
	/* The source for raw sends: only a concrete IPv4 address will do. */
	socklen_t sl = sizeof(ep->local);
	if (getsockname(ep->fd, (struct sockaddr *)&ep->local, &sl) < 0 ||
	    sl != sizeof(ep->local) || ep->local.sin_family != AF_INET ||
	    ep->local.sin_addr.s_addr == htonl(INADDR_ANY))
		ep->local.sin_port = 0;
}

static void ep_apply(struct dp_worker *w, struct dp_endpoint *ep,
		     const struct dp_endpoint_params *p)
{
	union dp_addr sdp;
	uint32_t window = p->learn_window_ms ? p->learn_window_ms : DP_LEARN_WINDOW_DEFAULT_MS;
	uint64_t now_ms = mono_us() / 1000u;

	dp_addr_from(&sdp, &p->sdp_remote);
	ep->flags = p->flags;
	ep->fwd_rtp = p->fwd_rtp;
	ep->fwd_rtcp = p->fwd_rtcp;
	ep->clock_rate = p->clock_rate;
	memcpy(ep->forward_pt, p->forward_pt, sizeof(ep->forward_pt));
	dp_xcode_set(w, ep, p->xcode);
	latch_configure(&ep->latch, &sdp, p->flags, p->allowed_pt,
			(p->flags & DP_RTCP) ? LATCH_RTCP : LATCH_RTP, now_ms + window);
	dp_io_publish_remote(ep);
	(void)w;
}

static void sync_done(struct dp_sync *s)
{
	pthread_mutex_lock(&s->lock);
	s->pending--;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Take @ep out of service: nothing forwards into it any more and epoll
 * forgets it, but its memory and fd stay until ep_reap, because this
 * iteration's epoll events may still name it (and a closed fd number could be
 * reused by the control thread for a new socket at once). */
static void ep_retire(struct dp_worker *w, struct dp_endpoint *ep)
{
	for (struct dp_endpoint *e = w->eps; e; e = e->next) {
		if (e->fwd_rtp == ep)
			e->fwd_rtp = NULL;
		if (e->fwd_rtcp == ep)
			e->fwd_rtcp = NULL;
	}
	if (ep->prev)
		ep->prev->next = ep->next;
	else if (w->eps == ep)
		w->eps = ep->next;
	if (ep->next)
		ep->next->prev = ep->prev;
	w->neps--;
	if (ep->registered)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, ep->fd, NULL);
	ep->dead = true;
	dp_xcode_set(w, ep, NULL);
	ep->zombie_next = w->zombies;
	w->zombies = ep;
}

/* Close and free what ep_retire set aside (no packet slot refers to it: the
 * slots were flushed). */
static void ep_reap(struct dp_worker *w)
{
	while (w->zombies) {
		struct dp_endpoint *ep = w->zombies;
		w->zombies = ep->zombie_next;
		close(ep->fd);
		free(ep->release); /* unused if the endpoint goes at dp_stop */
		free(ep);
	}
	while (w->syncs) {
		struct dp_cmd *c = w->syncs;
		w->syncs = c->next;
		sync_done(c->sync);
		free(c);
	}
}

/* Apply a FIFO chain of commands; true if one of them was DP_CMD_STOP. */
static bool run_commands(struct dp_worker *w, struct dp_cmd *c)
{
	bool stop = false;

	while (c) {
		struct dp_cmd *next = c->next;
		switch (c->type) {
		case DP_CMD_ADD:
			ep_register(w, c->ep);
			break;
		case DP_CMD_SET:
			ep_apply(w, c->ep, &c->params);
			break;
		case DP_CMD_RELEASE:
			c->ep->release = NULL; /* it is c, freed below */
			ep_retire(w, c->ep);
			break;
		case DP_CMD_STOP:
			stop = true;
			break;
		case DP_CMD_SYNC:
			/* answered after this iteration's reap, so that a
			 * release before it has closed its fd */
			c->next = w->syncs;
			w->syncs = c;
			c = next;
			continue;
		}
		free(c);
		c = next;
	}
	return stop;
}

static void *worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct epoll_event ev[DP_EVENTS];
	uint64_t wall_sync_ms = 0;
	char name[16];

	/* visible in top -H and /proc/PID/task/TID/comm (CPU per worker) */
	snprintf(name, sizeof(name), "dp-worker-%u", w->index);
	pthread_setname_np(pthread_self(), name);

	for (;;) {
		int n = epoll_wait(w->epfd, ev, DP_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			log_err("dataplane: worker %u epoll_wait: %s", w->index, strerror(errno));
			break;
		}
		w->now_us = mono_us();
		w->now_ms = w->now_us / 1000u;
		if (w->now_ms - wall_sync_ms >= 1000u) {
			w->wall_off_ms = wall_offset_ms();
			wall_sync_ms = w->now_ms;
		}
		/* Commands first: a packet that arrives after the reply to an
		 * offer/answer must see that offer/answer's parameters. */
		bool stop = false;
		for (int i = 0; i < n; i++) {
			if (!ev[i].data.ptr) {
				stop = run_commands(w, dp_queue_take(&w->q));
				break;
			}
		}
		/* The transcoding tick after the sockets: after a stall the
		 * backlog must be in the jitter buffers before their clocks are
		 * asked what is due, or it would be taken for loss. */
		bool tick = false;
		for (int i = 0; i < n; i++) {
			struct dp_endpoint *ep = ev[i].data.ptr;
			if (dp_xcode_is_timer(w, ep)) {
				tick = true;
				continue;
			}
			if (ep && !ep->dead)
				dp_io_receive(w, ep);
		}
		if (tick && dp_xcode_timer_ack(w))
			dp_io_xcode_tick(w);
		dp_io_flush(w);
		ep_reap(w);
		if (stop)
			break;
	}
	return NULL;
}

static void worker_free(struct dp_worker *w)
{
	while (w->eps)
		ep_retire(w, w->eps);
	ep_reap(w);
	dp_xcode_fini(w);
	dp_queue_destroy(&w->q);
	if (w->epfd >= 0)
		close(w->epfd);
	dp_io_fini(w);
}

static int worker_init(struct dp_worker *w, unsigned index)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int rc;

	w->index = index;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	rc = dp_queue_init(&w->q);
	if (rc < 0)
		goto err_epoll;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->q.efd, &ev) < 0) {
		rc = -errno;
		goto err_queue;
	}
	rc = dp_io_init(w);
	if (rc < 0)
		goto err_queue;
	return 0;
err_queue:
	dp_queue_destroy(&w->q);
err_epoll:
	close(w->epfd);
	w->epfd = -1;
	return rc;
}

int dp_start(unsigned nthreads)
{
	int rc;
	unsigned i;

	if (dp.w)
		return -EALREADY;
	if (nthreads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus > 0 ? (unsigned)cpus : 1;
	}
	dp.w = calloc(nthreads, sizeof(*dp.w));
	if (!dp.w)
		return -ENOMEM;
	for (i = 0; i < nthreads; i++) {
		rc = worker_init(&dp.w[i], i);
		if (rc < 0)
			goto err_workers;
		rc = -pthread_create(&dp.w[i].thread, NULL, worker_main, &dp.w[i]);
		if (rc < 0) {
			worker_free(&dp.w[i]);
			goto err_workers;
		}
	}
	dp.n = nthreads;
	log_info("dataplane: %u worker(s)", nthreads);
	return 0;
err_workers:
	dp.n = i;
	dp_stop();
	return rc;
}

static struct dp_cmd *cmd_new(enum dp_cmd_type type, struct dp_endpoint *ep)
{
	struct dp_cmd *c = calloc(1, sizeof(*c));
	if (c) {
		c->type = type;
		c->ep = ep;
	}
	return c;
}

void dp_stop(void)
{
	if (!dp.w)
		return;
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_cmd *c = cmd_new(DP_CMD_STOP, NULL);
		if (!c)
			abort(); /* cannot stop a worker: nothing sane to do */
		dp_queue_push(&dp.w[i].q, c);
	}
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_worker *w = &dp.w[i];
		pthread_join(w->thread, NULL);
		/* Commands queued after the worker's last drain: apply them
		 * here (the worker is gone, so this thread is its owner). */
		run_commands(w, dp_queue_take(&w->q));
		worker_free(w);
	}
	free(dp.w);
	dp.w = NULL;
	dp.n = 0;
}

unsigned dp_num_workers(void)
{
	return dp.n;
}

unsigned dp_worker_for_key(const char *key)
{
	/* FNV-1a: cheap and spreads call-ids well enough. */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; p && *p; p++)
		h = (h ^ *p) * 16777619u;
	return dp.n ? h % dp.n : 0;
}

struct dp_endpoint *dp_endpoint_new(int fd, unsigned worker)
{
	if (!dp.w || worker >= dp.n || fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct dp_endpoint *ep = calloc(1, sizeof(*ep));
	struct dp_cmd *add = cmd_new(DP_CMD_ADD, ep);
	struct dp_cmd *rel = cmd_new(DP_CMD_RELEASE, ep);
	if (!ep || !add || !rel) {
		free(ep);
		free(add);
		free(rel);
		errno = ENOMEM;
		return NULL;
	}
	ep->fd = fd;
	ep->worker = worker;
	ep->flags = DP_DISABLED;
	ep->release = rel;
	dp_queue_push(&dp.w[worker].q, add);
	return ep;
}

int dp_endpoint_set(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	if (!ep || !p)
		return -EINVAL;
	/* Forwarding reads the target's learned address: it must live on
	 * the same worker (dp_worker_for_key per call). */
	if ((p->fwd_rtp && p->fwd_rtp->worker != ep->worker) ||
	    (p->fwd_rtcp && p->fwd_rtcp->worker != ep->worker))
		return -EXDEV;
	struct dp_cmd *c = cmd_new(DP_CMD_SET, ep);
	if (!c)
		return -ENOMEM;
	c->params = *p;
	dp_offload_params(ep, p);
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

void dp_endpoint_release(struct dp_endpoint *ep)
{
	if (!ep)
		return;
	dp_offload_release(ep);
	dp_queue_push(&dp.w[ep->worker].q, ep->release);
}

static void read_remote(const struct dp_endpoint *ep, struct sockaddr_storage *out, bool *latched)
{
	struct dp_pub *pub = (struct dp_pub *)&ep->pub;
	uint64_t words[4];
	uint32_t s1, s2;

	do {
		s1 = atomic_load_explicit(&pub->remote_seq, memory_order_acquire);
		for (int i = 0; i < 4; i++)
			words[i] = DP_GET(pub->remote_words[i]);
		*latched = DP_GET(pub->latched);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&pub->remote_seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
	memset(out, 0, sizeof(*out));
	memcpy(out, words, sizeof(union dp_addr));
}

void dp_endpoint_stats(const struct dp_endpoint *ep, struct dp_stats *out)
{
	struct dp_pub *pub = (struct dp_pub *)&ep->pub;

	memset(out, 0, sizeof(*out));
	out->packets = DP_GET(pub->packets);
	out->bytes = DP_GET(pub->bytes);
	out->errors = DP_GET(pub->errors);
	out->forwarded = DP_GET(pub->forwarded);
	out->dropped_source = DP_GET(pub->dropped_source);
	out->dropped_other = DP_GET(pub->dropped_other);
	out->last_packet_ms = DP_GET(pub->last_ms);
	out->last_packet_wall = DP_GET(pub->last_wall);
	out->ssrc = DP_GET(pub->ssrc);
	/* RFC 3550 A.3 from three separately published values: clamp. */
	uint64_t ext_max = DP_GET(pub->ext_max), base = DP_GET(pub->base_seq);
	uint64_t received = DP_GET(pub->rtp_received);
	out->expected = ext_max > base ? ext_max - base : 0;
	out->lost = out->expected > received ? out->expected - received : 0;
	uint32_t rate = DP_GET(pub->clock_rate);
	out->jitter_ms = rate ? (double)DP_GET(pub->jitter16) / 16.0 * 1000.0 / rate : 0.0;
	read_remote(ep, &out->remote, &out->latched);
	dp_offload_merge(ep, out);
}

void dp_totals(struct dp_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_worker_totals *t = &dp.w[i].tot;
		out->packets += DP_GET(t->packets);
		out->bytes += DP_GET(t->bytes);
		out->forwarded += DP_GET(t->forwarded);
		out->dropped += DP_GET(t->dropped);
		out->errors += DP_GET(t->errors);
	}
	dp_offload_totals(out);
}

int dp_sync(void)
{
	struct dp_sync s = { .pending = 0 };
	int rc = 0;

	if (!dp.w)
		return -EINVAL;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_cmd *c = cmd_new(DP_CMD_SYNC, NULL);
		if (!c) {
			rc = -ENOMEM;
			break;
		}
		c->sync = &s;
		pthread_mutex_lock(&s.lock);
		s.pending++;
		pthread_mutex_unlock(&s.lock);
		dp_queue_push(&dp.w[i].q, c);
	}
	pthread_mutex_lock(&s.lock);
	while (s.pending)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	return rc;
}
