/*
 * dp_xcode.h: the data plane's side of transcoding (codecs/transcode.h).
 *
 * An endpoint whose parameters carry a transcoder hands every RTP packet it
 * accepts to it instead of forwarding it; what the transcoder produces leaves
 * through the endpoint's forward socket like forwarded packets do (same
 * slots, same sendmmsg). Output is pulled right after each received batch and
 * from a per-worker timerfd, which sends concealment for late or lost packets
 * on time.
 * The tick visits only the transcoders on the worker's tick list
 * (docs/architecture.md, "Transcoding tick"): a transcoder joins it when input
 * starts its output clock (dp_xcode_wake after each received batch) and
 * leaves it once the clock has stopped (the sender went quiet) and no RTCP
 * report is pending. The timer runs every DP_XCODE_TICK_MS while a listed
 * transcoder's clock runs (or the worker plays media or generates RTCP for
 * forwarded streams), fires once at the next report when only reports are
 * pending, and is stopped otherwise: idle transcoders cost no wake-ups and no
 * visits.
 * Pushing, pulling and sending are the packet path's (dp_io.c,
 * dp_io_xcode_tick); this module installs and frees transcoders and runs the
 * timer.
 * RTCP: what the parties send on a transcoded stream is not forwarded (its
 * SSRCs and timestamps mean nothing on the other side); the transcoder's own
 * sender reports go out of the forward RTCP socket instead.
 *
 * Ownership: a transcoder passed in dp_endpoint_params belongs to the data
 * plane from then on; the worker frees it when a later params change names
 * another one (or none) and when the endpoint is released. Worker thread only.
 */
#ifndef RTPRELAY_DP_XCODE_H
#define RTPRELAY_DP_XCODE_H

#include <stdbool.h>

#include "dataplane/dp_endpoint.h"

#define DP_XCODE_TICK_MS 5

struct xcode;

/* dp_endpoint.xtick: where a transcoding endpoint stands on the tick list. */
enum dp_xtick {
	DP_XTICK_OFF = 0, /* not listed: nothing to pull until input comes */
	DP_XTICK_WAIT,	  /* listed for its next RTCP report only */
	DP_XTICK_RUN,	  /* listed, pulled at every tick */
};

/* dp_worker.xcode_mode: how the timer is armed. */
enum dp_xtimer {
	DP_XTIMER_OFF = 0,
	DP_XTIMER_PERIODIC, /* every DP_XCODE_TICK_MS */
	DP_XTIMER_ONCE,	    /* once at dp_worker.xcode_at */
};

/* Sort @ep onto or off the tick list by what its transcoder has pending
 * (xcode_next_wake), arming the timer when it needs to be. */
void dp_xcode_note(struct dp_worker *w, struct dp_endpoint *ep);
/* After input for @ep's transcoder: one byte test unless it must be listed. */
static inline void dp_xcode_wake(struct dp_worker *w, struct dp_endpoint *ep)
{
	if (ep->xtick != DP_XTICK_RUN)
		dp_xcode_note(w, ep);
}
/* After a tick: run the timer @periodic, else once at @at (ms, worker
 * clock), else (@at 0) stop it. No system call when that is how it runs. */
void dp_xcode_timer_set(struct dp_worker *w, bool periodic, uint64_t at);

/* Install @x on @ep (frees the one it replaces). */
void dp_xcode_set(struct dp_worker *w, struct dp_endpoint *ep, struct xcode *x);
/* Is this epoll cookie the worker's transcoding timer? */
/* Arm or stop the timer after n_xcode or n_gen_rtcp changed: it runs while
 * the worker has a transcoder or a stream with generate-RTCP. */
void dp_xcode_timer_update(struct dp_worker *w);
bool dp_xcode_is_timer(const struct dp_worker *w, const void *cookie);
/* The timer fired: consume its expirations. False if the timer cannot be
 * read (then there is no tick to act on). */
bool dp_xcode_timer_ack(struct dp_worker *w);
/* Worker teardown: close the timer. */
void dp_xcode_fini(struct dp_worker *w);

#endif
