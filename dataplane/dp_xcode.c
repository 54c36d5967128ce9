/*
 * dp_xcode.c: transcoders on data-plane endpoints (see dp_xcode.h).
 *
 * The timerfd is created the first time a worker gets a transcoder and is
 * armed only while it has some, so a relay that never transcodes never wakes
 * up for it. Budget as in dp_io.c: no malloc, lock, log or clock read per
 * packet (the worker's now_ms of this wake-up is the transcoder's clock).
 */
#include "dataplane/dp_xcode.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "codecs/transcode.h"
#include "lib/log.h"

static void arm(struct dp_worker *w, bool on)
{
	struct itimerspec its = { 0 };

	if (on) {
		its.it_value.tv_nsec = DP_XCODE_TICK_MS * 1000000L;
		its.it_interval.tv_nsec = DP_XCODE_TICK_MS * 1000000L;
	}
	timerfd_settime(w->xcode_tfd, 0, &its, NULL);
}

static bool timer_ready(struct dp_worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->xcode_tfd };
	int fd;

	if (w->xcode_timer)
		return true;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		log_err("dataplane: worker %u: timerfd for transcoding: %s", w->index,
			strerror(errno));
		return false;
	}
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_err("dataplane: worker %u: watch transcoding timer: %s", w->index,
			strerror(errno));
		close(fd);
		return false;
	}
	w->xcode_tfd = fd;
	w->xcode_timer = true;
	return true;
}

void dp_xcode_set(struct dp_worker *w, struct dp_endpoint *ep, struct xcode *x)
{
	if (ep->xcode == x)
		return;
	if (ep->xcode) {
		xcode_free(ep->xcode);
		w->n_xcode--;
	}
	ep->xcode = x;
	if (x)
		w->n_xcode++;
	/* Without a timer transcoding still works, driven by arrivals only. */
	if (timer_ready(w))
		arm(w, w->n_xcode > 0);
}

void dp_xcode_push(struct dp_worker *w, struct dp_endpoint *ep, const uint8_t *buf, size_t len)
{
	xcode_push(ep->xcode, buf, len, w->now_ms);
}

static bool can_send(const struct dp_endpoint *out)
{
	return out && !(out->flags & DP_DISABLED) && out->latch.remote.sa.sa_family;
}

/* The worker's wall clock in NTP format (RFC 3550 §4). */
static uint64_t ntp_now(const struct dp_worker *w)
{
	uint64_t ms = w->now_ms + w->wall_off_ms;

	return ((ms / 1000u + 2208988800u) << 32) | (((ms % 1000u) << 32) / 1000u);
}

/* A sender report for the transcoded stream when one is due, out of the
 * forward RTCP socket (the peer's RTCP or, muxed, RTP socket). */
static void send_report(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_endpoint *out = ep->fwd_rtcp;
	struct dp_slot *s;
	int n;

	if (!can_send(out))
		return;
	if (w->used == DP_SLOTS)
		dp_io_flush(w);
	s = &w->slots[w->used];
	n = xcode_rtcp_pull(ep->xcode, w->now_ms, ntp_now(w), s->buf, DP_BUF);
	if (n <= 0)
		return;
	s->in = ep;
	s->out = out;
	s->dst = out->latch.remote;
	s->iov.iov_len = (size_t)n;
	w->used++;
}

void dp_xcode_drain(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_endpoint *out = ep->fwd_rtp;
	bool sendable = can_send(out);

	send_report(w, ep);

	for (;;) {
		struct dp_slot *s;
		int n;

		if (w->used == DP_SLOTS)
			dp_io_flush(w);
		s = &w->slots[w->used];
		n = xcode_pull(ep->xcode, w->now_ms, s->buf, DP_BUF);
		if (n <= 0)
			return;
		if (!sendable)
			continue;	/* the clock runs on; nobody to send to yet */
		s->in = ep;
		s->out = out;
		s->dst = out->latch.remote;
		s->iov.iov_len = (size_t)n;
		w->used++;
	}
}

bool dp_xcode_is_timer(const struct dp_worker *w, const void *cookie)
{
	return cookie == &w->xcode_tfd;
}

void dp_xcode_tick(struct dp_worker *w)
{
	uint64_t expirations;

	if (read(w->xcode_tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	for (struct dp_endpoint *ep = w->eps; ep; ep = ep->next)
		if (ep->xcode && !ep->dead)
			dp_xcode_drain(w, ep);
}

void dp_xcode_fini(struct dp_worker *w)
{
	if (w->xcode_timer)
		close(w->xcode_tfd);
	w->xcode_timer = false;
}
