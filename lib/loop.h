/*
 * loop.h: the control thread's event loop (epoll): fd watchers, one periodic
 * tick for timers, and SIGTERM/SIGINT through a signalfd (SIGHUP runs the
 * callback given to loop_on_hup, else it is logged and ignored). One job, no threads:
 * everything registered here runs on the control thread.
 */
#ifndef RTPRELAY_LOOP_H
#define RTPRELAY_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_watch;

/* Called with the epoll events that fired for w->fd. */
typedef void (*loop_cb)(struct loop_watch *w, uint32_t events);

/* Embed in the owner's struct; container_of-style access through the owner. */
struct loop_watch {
	int fd;
	loop_cb cb;
	void *data;
};

/* A new loop; blocks SIGTERM/SIGINT in the calling thread (so create it before
 * starting other threads: they inherit the mask) and watches them. */
struct loop *loop_new(void);
void loop_free(struct loop *l);
/* Watch w->fd for @events (EPOLLIN ...). 0 or -errno. */
int loop_add(struct loop *l, struct loop_watch *w, uint32_t events);
int loop_mod(struct loop *l, struct loop_watch *w, uint32_t events);
void loop_del(struct loop *l, struct loop_watch *w);
/* Run until loop_stop or a termination signal; @tick runs about every
 * @tick_ms with the monotonic time in ms. Returns the signal number that ended
 * the loop, or 0 for loop_stop. */
int loop_run(struct loop *l, unsigned tick_ms, void (*tick)(void *arg, uint64_t now_ms), void *arg);
void loop_stop(struct loop *l);
/* Run @cb(@arg) on the control thread when SIGHUP arrives. */
void loop_on_hup(struct loop *l, void (*cb)(void *arg), void *arg);
/* SIGUSR2 calls @cb (a takeover by a successor, daemon/takeover.h); without
 * one it is logged and ignored. */
void loop_on_usr2(struct loop *l, void (*cb)(void *arg), void *arg);
/* CLOCK_MONOTONIC in ms (control thread use; never per packet). */
uint64_t loop_now_ms(void);

#endif
