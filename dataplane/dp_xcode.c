/*
 * dp_xcode.c: installing transcoders on data-plane endpoints and the
 * worker's transcoding timer (see dp_xcode.h). The packets themselves (push,
 * pull into slots, send) are dp_io.c's: nothing here touches the slots.
 *
 * The timerfd is created the first time a worker gets a transcoder and is
 * armed only while something on the worker has work for it (see dp_xcode.h:
 * the tick list), so a relay that never transcodes, or whose transcoders are
 * all idle, never wakes up for it. Worker thread only.
 */
#include "dataplane/dp_xcode.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "codecs/transcode.h"
#include "lib/log.h"

/* Arm the timer @mode (once: at @at, worker clock); a system call only when
 * that changes how it runs. */
static void arm(struct dp_worker *w, enum dp_xtimer mode, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (!w->xcode_timer)
		return; /* none: transcoding runs on arrivals only */
	if (mode == w->xcode_mode && (mode != DP_XTIMER_ONCE || at == w->xcode_at))
		return;
	if (mode == DP_XTIMER_PERIODIC) {
		its.it_value.tv_nsec = DP_XCODE_TICK_MS * 1000000L;
		its.it_interval.tv_nsec = DP_XCODE_TICK_MS * 1000000L;
	} else if (mode == DP_XTIMER_ONCE) {
		uint64_t delay = at > w->now_ms ? at - w->now_ms : 1;

		its.it_value.tv_sec = (time_t)(delay / 1000);
		its.it_value.tv_nsec = (long)(delay % 1000) * 1000000L;
	}
	if (timerfd_settime(w->xcode_tfd, 0, &its, NULL) == 0) {
		w->xcode_mode = (uint8_t)mode;
		w->xcode_at = at;
	}
}

static void unlist(struct dp_worker *w, struct dp_endpoint *ep)
{
	if (ep->xtick == DP_XTICK_OFF)
		return;
	if (ep->xt_prev)
		ep->xt_prev->xt_next = ep->xt_next;
	else
		w->xt_head = ep->xt_next;
	if (ep->xt_next)
		ep->xt_next->xt_prev = ep->xt_prev;
	ep->xt_prev = ep->xt_next = NULL;
	ep->xtick = DP_XTICK_OFF;
}

void dp_xcode_note(struct dp_worker *w, struct dp_endpoint *ep)
{
	uint64_t wake = ep->xcode && !ep->dead ? xcode_next_wake(ep->xcode) : 0;

	if (!wake) {
		unlist(w, ep);
		return;
	}
	if (ep->xtick == DP_XTICK_OFF) {
		ep->xt_prev = NULL;
		ep->xt_next = w->xt_head;
		if (w->xt_head)
			w->xt_head->xt_prev = ep;
		w->xt_head = ep;
	}
	/* With generate-RTCP the report block is taken at every pull, as on
	 * a running stream: keep pulling it at every tick. */
	if (wake == XCODE_WAKE_RUNNING || (ep->flags & DP_GEN_RTCP)) {
		ep->xtick = DP_XTICK_RUN;
		arm(w, DP_XTIMER_PERIODIC, 0);
		return;
	}
	ep->xtick = DP_XTICK_WAIT;
	if (w->xcode_mode == DP_XTIMER_OFF ||
	    (w->xcode_mode == DP_XTIMER_ONCE && w->xcode_at > wake))
		arm(w, DP_XTIMER_ONCE, wake);
}

void dp_xcode_timer_set(struct dp_worker *w, bool periodic, uint64_t at)
{
	if (periodic)
		arm(w, DP_XTIMER_PERIODIC, 0);
	else
		arm(w, at ? DP_XTIMER_ONCE : DP_XTIMER_OFF, at);
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
	unlist(w, ep); /* a new transcoder starts idle */
	if (ep->xcode) {
		xcode_free(ep->xcode);
		w->n_xcode--;
	}
	ep->xcode = x;
	if (x)
		w->n_xcode++;
	dp_xcode_timer_update(w);
}

void dp_xcode_timer_update(struct dp_worker *w)
{
	/* Without a timer transcoding still works, driven by arrivals only;
	 * generate-RTCP sends no reports until it has one. */
	if (!timer_ready(w))
		return;
	/* A listed transcoder may wait for a later report only: the next
	 * tick finds that out and arms the timer for it. */
	if (w->n_gen_rtcp + w->n_play > 0 || w->xt_head)
		arm(w, DP_XTIMER_PERIODIC, 0);
	else
		arm(w, DP_XTIMER_OFF, 0);
}

bool dp_xcode_is_timer(const struct dp_worker *w, const void *cookie)
{
	return cookie == &w->xcode_tfd;
}

bool dp_xcode_timer_ack(struct dp_worker *w)
{
	uint64_t expirations;

	if (w->xcode_mode == DP_XTIMER_ONCE)
		w->xcode_mode = DP_XTIMER_OFF; /* spent: the tick arms it again */
	return read(w->xcode_tfd, &expirations, sizeof(expirations)) >= 0 || errno == EAGAIN;
}

void dp_xcode_fini(struct dp_worker *w)
{
	if (w->xcode_timer)
		close(w->xcode_tfd);
	w->xcode_timer = false;
}
