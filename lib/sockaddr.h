/*
 * sockaddr.h: whether two socket addresses name the same address and port
 * (IPv4 or IPv6; anything else, or families that differ, is not the same).
 * Header-only. The data plane's latching compares its own union, which also
 * matches IPv4-mapped IPv6 (dataplane/latch.h, dp_addr_eq).
 */
#ifndef RTPRELAY_SOCKADDR_H
#define RTPRELAY_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

static inline bool sockaddr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

#endif
