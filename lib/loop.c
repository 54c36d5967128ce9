/*
 * loop.c: epoll loop of the control thread (see loop.h).
 *
 * Watchers carry their callback, so dispatch is one indirect call per event.
 * A watcher may delete itself (or another) from inside a callback, even free
 * it: loop_del clears that watcher's pending events in the current batch, so
 * a freed watcher is never called.
 */
#include "lib/loop.h"

#include "lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 64

struct loop {
	int epfd;
	struct loop_watch sig;
	bool stop;
	int stop_sig;
	void (*on_hup)(void *arg); /* loop_on_hup, NULL = log and ignore */
	void *hup_arg;
	void (*on_usr2)(void *arg); /* loop_on_usr2, NULL = log and ignore */
	void *usr2_arg;
	struct epoll_event batch[LOOP_BATCH];
	int n_batch;
};

void loop_on_usr2(struct loop *l, void (*cb)(void *arg), void *arg)
{
	l->on_usr2 = cb;
	l->usr2_arg = arg;
}

void loop_on_hup(struct loop *l, void (*cb)(void *arg), void *arg)
{
	l->on_hup = cb;
	l->hup_arg = arg;
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_signal(struct loop_watch *w, uint32_t events)
{
	struct loop *l = w->data;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* a stray HUP (closed terminal) must not stop us */
			if (l->on_hup)
				l->on_hup(l->hup_arg);
			else
				log_notice("SIGHUP ignored: nothing to reload");
			continue;
		}
		if (si.ssi_signo == SIGUSR2) {
			if (l->on_usr2)
				l->on_usr2(l->usr2_arg);
			else
				log_notice("SIGUSR2 ignored: no takeover configured");
			continue;
		}
		l->stop = true;
		l->stop_sig = (int)si.ssi_signo;
	}
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	sigset_t set;

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto err_alloc;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		goto err_epoll;
	l->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sig.fd < 0)
		goto err_epoll;
	l->sig.cb = on_signal;
	l->sig.data = l;
	if (loop_add(l, &l->sig, EPOLLIN))
		goto err_sig;
	signal(SIGPIPE, SIG_IGN); /* a TCP client going away must not kill us */
	return l;
err_sig:
	close(l->sig.fd);
err_epoll:
	close(l->epfd);
err_alloc:
	free(l);
	return NULL;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->sig.fd);
	close(l->epfd);
	free(l);
}

int loop_add(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int loop_mod(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void loop_del(struct loop *l, struct loop_watch *w)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (int i = 0; i < l->n_batch; i++)
		if (l->batch[i].data.ptr == w)
			l->batch[i].data.ptr = NULL;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

int loop_run(struct loop *l, unsigned tick_ms, void (*tick)(void *arg, uint64_t now_ms), void *arg)
{
	uint64_t next_tick = loop_now_ms() + tick_ms;

	l->stop = false;
	l->stop_sig = 0;
	while (!l->stop) {
		uint64_t now = loop_now_ms();
		int timeout = next_tick > now ? (int)(next_tick - now) : 0;
		int n = epoll_wait(l->epfd, l->batch, LOOP_BATCH, timeout);

		if (n < 0 && errno != EINTR)
			return -errno;
		l->n_batch = n > 0 ? n : 0;
		for (int i = 0; i < l->n_batch; i++) {
			struct loop_watch *w = l->batch[i].data.ptr;
			if (w)
				w->cb(w, l->batch[i].events);
		}
		l->n_batch = 0;
		now = loop_now_ms();
		if (now >= next_tick) {
			if (tick)
				tick(arg, now);
			next_tick = now + tick_ms;
		}
	}
	return l->stop_sig;
}
