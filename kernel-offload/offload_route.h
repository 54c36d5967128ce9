/*
 * offload_route.h: which interface a rewritten packet leaves by, asked from
 * the kernel's routing table over rtnetlink (RTM_GETROUTE, like
 * `ip route get DST from SRC`). Internal to kernel-offload/; control thread.
 */
#ifndef RTPRELAY_OFFLOAD_ROUTE_H
#define RTPRELAY_OFFLOAD_ROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Output route from @src to @dst (same family). Sets *@oif and *@local (the
 * destination is an address of this host). -ENETUNREACH etc. on failure. */
int offload_route_get(const struct sockaddr_storage *dst, const struct sockaddr_storage *src,
		      uint32_t *oif, bool *local);

#endif
