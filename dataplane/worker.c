/*
 * worker.c: the data-plane worker threads (epoll loop, command handling,
 * endpoint lifetimes on the worker side). The control-thread API of
 * dataplane/dataplane.h is dataplane.c's; it reaches a worker only through
 * its command queue (dataplane/dp_queue.h), dp_worker_start and
 * dp_worker_join.
 *
 * Each worker owns an epoll set, a command queue and fixed packet slots
 * (dp_io.c). The loop (like Redis ae.c) has one job: wait, read the clock
 * once, apply queued commands (so a packet sent after an offer/answer reply
 * sees its parameters), receive from every ready socket (dp_io_receive),
 * send everything (dp_io_flush), then reap released endpoints.
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
#include "dataplane/dp_xcode.h"
#include "lib/log.h"

#define DP_EVENTS 256

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
	if ((ep->flags ^ p->flags) & DP_GEN_RTCP) { /* the reports need the timer */
		w->n_gen_rtcp += (p->flags & DP_GEN_RTCP) ? 1u : -1u;
		dp_xcode_timer_update(w);
	}
	ep->flags = p->flags;
	ep->fwd_rtp = p->fwd_rtp;
	ep->fwd_rtcp = p->fwd_rtcp;
	ep->ice_twin = p->ice_twin;
	ep->clock_rate = p->clock_rate;
	memcpy(ep->forward_pt, p->forward_pt, sizeof(ep->forward_pt));
	dp_xcode_set(w, ep, p->xcode);
	if (ep->srtp || p->srtp.suite != SR_SUITE_NONE || (p->flags & DP_SRTP_PARTY))
		dp_srtp_set(ep, &p->srtp);
	if (ep->ctl)
		dp_ctl_refresh(ep); /* a new transcoder keeps the call control */
	dp_dtls_apply(ep, p, now_ms);
	if (dp_ice_apply(ep, p)) {
		log_warn("dataplane: out of memory for ICE credentials; ICE off on fd %d", ep->fd);
		ep->flags &= ~(uint32_t)(DP_ICE | DP_ICE_LATCH);
	}
	if (dp_bundle_apply(ep, p)) {
		log_warn("dataplane: out of memory for a BUNDLE table; fd %d drops its media",
			 ep->fd);
		ep->flags |= DP_DISABLED;
	}
	latch_configure(&ep->latch, &sdp, ep->flags, p->allowed_pt,
			(p->flags & DP_RTCP) ? LATCH_RTCP : LATCH_RTP, now_ms + window);
	dp_pub_remote(ep);
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
		if (e->ice_twin == ep)
			e->ice_twin = NULL;
	}
	dp_bundle_forget(w, ep);
	dp_bundle_free(ep);
	if (ep->prev)
		ep->prev->next = ep->next;
	else if (w->eps == ep)
		w->eps = ep->next;
	if (ep->next)
		ep->next->prev = ep->prev;
	if (ep->registered)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, ep->fd, NULL);
	ep->dead = true;
	if (ep->flags & DP_GEN_RTCP) {
		w->n_gen_rtcp--;
		ep->flags &= ~(uint32_t)DP_GEN_RTCP;
		dp_xcode_timer_update(w);
	}
	dp_xcode_set(w, ep, NULL);
	dp_ice_free(ep);
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
		dp_ctl_free(ep);
		dp_srtp_free(ep);
		dp_play_free(w, ep);
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
		case DP_CMD_CTL:
			dp_ctl_apply(c->ep, &c->ctl);
			break;
		case DP_CMD_DTMF:
			dp_ctl_dtmf(c->ep, &c->dtmf);
			break;
		case DP_CMD_SRTP:
			dp_srtp_set(c->ep, &c->params.srtp);
			break;
		case DP_CMD_PLAY:
			dp_play_apply(w, c->ep, &c->play, w->now_us);
			break;
		case DP_CMD_ADOPT: {
			/* a restored call's latched remote: as if nominated */
			union dp_addr a;
			if (dp_addr_from(&a, &c->params.sdp_remote)) {
				latch_nominate(&c->ep->latch, &a, w->now_us / 1000u);
				dp_pub_remote(c->ep);
				/* an ICE party's media leaves from the socket
				 * adopted last, as from the one nominated last */
				if (c->ep->flags & DP_ICE) {
					c->ep->ice_nom_seq = ++w->ice_nom_seq;
					DP_PUT(c->ep->pub.ice_nominated, true);
					DP_PUT(c->ep->pub.ice_nominated_ms, w->now_us / 1000u);
				}
			}
			break;
		}
		case DP_CMD_SRTP_ROC:
			dp_srtp_set_rocs(c->ep, c->rocs, c->n_rocs);
			break;
		case DP_CMD_SAMPLE:
			dp_sample_take(w, c->ep);
			break;
		case DP_CMD_XSEEK:
			dp_sample_seek(c->ep, &c->xseek);
			break;
		case DP_CMD_PAUSE:
			/* no socket is read while held: packets wait in the
			 * kernel's buffers (a takeover, daemon/takeover.h) */
			pthread_mutex_lock(&c->pause->lock);
			c->pause->paused++;
			pthread_cond_broadcast(&c->pause->cond);
			while (c->pause->hold)
				pthread_cond_wait(&c->pause->cond, &c->pause->lock);
			c->pause->paused--;
			pthread_cond_broadcast(&c->pause->cond);
			pthread_mutex_unlock(&c->pause->lock);
			break;
		case DP_CMD_REC:
			c->ep->rec_id = c->rec.id;
			c->ep->rec_leg = c->rec.leg;
			dp_addr_from(&c->ep->rec_local, &c->rec.local);
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

/* Everything @w owns, once its thread is gone (or never ran). */
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

int dp_worker_start(struct dp_worker *w, unsigned index)
{
	int rc = worker_init(w, index);

	if (rc < 0)
		return rc;
	rc = -pthread_create(&w->thread, NULL, worker_main, w);
	if (rc < 0)
		worker_free(w);
	return rc;
}

void dp_worker_join(struct dp_worker *w)
{
	pthread_join(w->thread, NULL);
	/* Commands queued after the worker's last drain: apply them here
	 * (the worker is gone, so this thread is its owner). */
	run_commands(w, dp_queue_take(&w->q));
	worker_free(w);
}
