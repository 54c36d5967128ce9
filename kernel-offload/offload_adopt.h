/*
 * offload_adopt.h: a takeover successor adopts the running daemon's kernel
 * maps (docs/architecture.md, Takeover; kernel-offload/README.md).
 *
 * The old daemon hands the descriptors of relay_streams and relay_stats to
 * its successor (SCM_RIGHTS, daemon/takeover.c) with RELAY_MAPS_LAYOUT. The
 * successor passes them to offload_adopt() before offload_init(): its
 * program is then loaded on those very maps (bpf_map__reuse_fd) and replaces
 * the old one at the same tc handle in one netlink request, so an offloaded
 * stream is forwarded by the old program until the new one takes its place
 * and its entry and counters never leave the kernel. A layout that differs,
 * or maps of another type or size, are refused with a log line: offload_init
 * then loads fresh maps as at a plain start.
 *
 * Threads: control thread only, as offload.h.
 */
#ifndef RTPRELAY_OFFLOAD_ADOPT_H
#define RTPRELAY_OFFLOAD_ADOPT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define OFFLOAD_ADOPT_NFDS 2 /* relay_streams, relay_stats */

/* Old side: the loaded maps' descriptors (owned by the module: send, do not
 * close) and their layout number. -ENOTCONN when nothing is loaded. */
int offload_export(int fds[OFFLOAD_ADOPT_NFDS], uint32_t *layout);
/* New side, before offload_init: use these maps (duplicated; the caller
 * closes its own). 0, or -EPROTO for another layout or maps that are not
 * ours (logged); offload_init then starts with fresh maps. */
int offload_adopt(const int *fds, unsigned n, uint32_t layout);
/* Did the running offload_init load on adopted maps? */
bool offload_adopted(void);
/* Call @cb for every key of relay_streams (the streams the kernel forwards
 * now), at most offload_capacity() of them. 0 or -errno. */
int offload_stream_each(void (*cb)(const struct sockaddr_storage *local, void *ctx), void *ctx);

#endif
