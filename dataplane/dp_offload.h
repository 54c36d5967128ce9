/*
 * dp_offload.h: the kernel fast path (kernel-offload/offload.h) behind the
 * user-space data plane.
 *
 * An endpoint whose packets only need forwarding is handed to the eBPF
 * program once its latching has settled: the learning window of both it and
 * its RTP forward endpoint has closed, and both remotes are known. From then
 * on the kernel rewrites and sends its RTP, and its counters are merged into
 * dp_endpoint_stats/dp_totals so that query, list, statistics and timeouts
 * see the traffic as if user space had forwarded it. A params change
 * (re-offer, answer, hold), a release or a changed remote removes or updates
 * the kernel entry. RTCP sockets, disabled, transcoded and payload-type
 * filtered (DP_FORWARD_PT_ONLY) endpoints stay in user space; so do RTCP
 * packets on an rtcp-mux socket, and endpoints under call control (block or
 * silence media, block DTMF, DTMF being played: dp_offload_ctl), which go
 * back to the kernel once it is lifted.
 *
 * Threads: control thread only (the hooks below are called by dataplane.c,
 * the control-side API). Nothing here runs in a worker. Calls go one way:
 * this module reads user space's published state (dp_pub_read and the
 * endpoint's struct dp_pub) and never calls back into the API.
 */
#ifndef RTPRELAY_DP_OFFLOAD_H
#define RTPRELAY_DP_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/dataplane.h"

/* Load the fast path on every Ethernet-like interface and loopback, with
 * notrack rules for the media ports @port_min..@port_max. On failure it logs
 * why (once) and returns the error: everything then stays in user space. */
int dp_offload_start(uint16_t port_min, uint16_t port_max);
/* Has dp_offload_start succeeded (a second call does nothing)? */
bool dp_offload_active(void);
/* Takeover successor, before dp_offload_start: load on the running
 * daemon's kernel maps (kernel-offload/offload_adopt.h; @fds are the
 * caller's to close). While the calls are restored, an endpoint whose socket
 * has an entry there is taken as offloaded as it is (its stream never leaves
 * the kernel, its counters continue); dp_offload_adopt_done ends that and
 * removes the entries no restored endpoint claimed. 0 or -errno (logged:
 * fresh maps then). */
int dp_offload_adopt(const int *fds, unsigned n, uint32_t layout);
void dp_offload_adopt_done(void);
/* Unload (after every endpoint was released). */
void dp_offload_stop(void);
/* Periodic (about once a second): offload what became eligible, update or
 * remove what changed. @now_ms is CLOCK_MONOTONIC ms. */
void dp_offload_tick(uint64_t now_ms);

/* Hooks for dataplane.c (control-thread side of the dataplane API). */
void dp_offload_params(struct dp_endpoint *ep, const struct dp_endpoint_params *p);
void dp_offload_release(struct dp_endpoint *ep);
/* Call control on @ep (dp_endpoint_ctl, dp_endpoint_dtmf): while @on, or
 * until CLOCK_MONOTONIC ms @until_ms, its RTP stays in user space. */
void dp_offload_ctl(struct dp_endpoint *ep, bool on, uint64_t until_ms);
/* Recording on @ep (dp_endpoint_rec) for session @id (0 = not recorded),
 * leg @leg: with the kernel's recording ring (dp_krec.h) a kernel stream
 * stays in the kernel and its entry's record bit is set (or cleared) at
 * once; without it the endpoint stays in user space while recorded, where
 * the worker copies its packets. */
void dp_offload_rec(struct dp_endpoint *ep, uint32_t id, uint8_t leg);
void dp_offload_merge(const struct dp_endpoint *ep, struct dp_stats *out);
void dp_offload_totals(struct dp_totals *out);
/* Is @ep's stream forwarded by the kernel now? (control thread) */
bool dp_offload_installed(const struct dp_endpoint *ep);
/* Kernel map entries in use and the map's size (0, 0 when off). */
void dp_offload_usage(unsigned *installed, unsigned *capacity);

#endif
