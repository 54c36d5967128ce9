/*
 * udp_dst.h: a UDP listener's replies leave from the address the request was
 * sent to.
 *
 * A listener bound to a wildcard address (listen-ng = 0.0.0.0:2223) on a host
 * with several addresses would otherwise answer from whatever source address
 * the route back to the client prefers. A client that connect()s its socket to
 * the address it sends to (Kamailio's rtpengine module does) drops such a
 * reply. This matters most for an active/standby pair (docs/failover.md): the
 * proxy sends ng to the service address, which is a secondary address of
 * whichever host holds it. The destination is read with IP_PKTINFO /
 * IPV6_RECVPKTINFO and handed back as the source of the reply.
 */
#ifndef RTPRELAY_UDP_DST_H
#define RTPRELAY_UDP_DST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

/* Where a datagram was sent: its destination address (and the interface it
 * came in on, for IPv6 link-local addresses). known = false when the kernel
 * did not say (reply as the socket would by default). */
struct udp_dst {
	bool known;
	int family;
	unsigned ifindex;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

/* Ask the kernel for every datagram's destination on UDP socket @fd of
 * @family (AF_INET or AF_INET6). 0 or -errno. */
int udp_dst_enable(int fd, int family);

/* recvfrom() that also fills @dst. Returns what recvmsg() returns (-1 with
 * errno set on error); *@trunc is set when the datagram was longer than @cap
 * (its full length is returned, as with MSG_TRUNC). */
ssize_t udp_dst_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *from,
		     socklen_t *fromlen, struct udp_dst *dst, bool *trunc);

/* sendto() from @dst's address when it is known. Returns what sendmsg()
 * returns. */
ssize_t udp_dst_reply(int fd, const void *buf, size_t len, const struct sockaddr_storage *to,
		      socklen_t tolen, const struct udp_dst *dst);

#endif
