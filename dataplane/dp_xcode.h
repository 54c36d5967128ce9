/*
 * dp_xcode.h: the data plane's side of transcoding (codecs/transcode.h).
 *
 * An endpoint whose parameters carry a transcoder hands every RTP packet it
 * accepts to it instead of forwarding it; what the transcoder produces leaves
 * through the endpoint's forward socket like forwarded packets do (same
 * slots, same sendmmsg). Output is pulled right after each received batch and
 * from a per-worker timerfd (every DP_XCODE_TICK_MS while the worker has
 * transcoders), which sends concealment for late or lost packets on time.
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
