/*
 * dp_xcode.c: installing transcoders on data-plane endpoints and the
 * worker's transcoding timer (see dp_xcode.h). The packets themselves (push,
 * pull into slots, send) are dp_io.c's: nothing here touches the slots.
 *
 * The timerfd is created the first time a worker gets a transcoder and is
 * armed only while it has some, so a relay that never transcodes never wakes
 * up for it. Worker thread only.
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
	dp_xcode_timer_update(w);
}

void dp_xcode_timer_update(struct dp_worker *w)
{
	/* Without a timer transcoding still works, driven by arrivals only;
	 * generate-RTCP sends no reports until it has one. */
	if (timer_ready(w))
		arm(w, w->n_xcode + w->n_gen_rtcp + w->n_play > 0);
}

bool dp_xcode_is_timer(const struct dp_worker *w, const void *cookie)
{
	return cookie == &w->xcode_tfd;
}

bool dp_xcode_timer_ack(struct dp_worker *w)
{
	uint64_t expirations;

	return read(w->xcode_tfd, &expirations, sizeof(expirations)) >= 0 || errno == EAGAIN;
}

void dp_xcode_fini(struct dp_worker *w)
{
	if (w->xcode_timer)
		close(w->xcode_tfd);
	w->xcode_timer = false;
}
