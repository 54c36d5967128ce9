/*
 * udp_dst.c: replies from the address a datagram was sent to (see udp_dst.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct in6_pktinfo */
#endif
#include "control/udp_dst.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

/* Large enough for either family's pktinfo control message. */
#define DST_CMSG_SPACE                                                                  \
	(CMSG_SPACE(sizeof(struct in6_pktinfo)) > CMSG_SPACE(sizeof(struct in_pktinfo)) \
		 ? CMSG_SPACE(sizeof(struct in6_pktinfo))                               \
		 : CMSG_SPACE(sizeof(struct in_pktinfo)))

int udp_dst_enable(int fd, int family)
{
	int one = 1, rc;

	if (family == AF_INET)
		rc = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	else if (family == AF_INET6)
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	else
		return -EAFNOSUPPORT;
	return rc ? -errno : 0;
}

ssize_t udp_dst_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *from,
		     socklen_t *fromlen, struct udp_dst *dst, bool *trunc)
{
	union {
		char buf[DST_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_name = from,
		.msg_namelen = *fromlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_TRUNC);

	memset(dst, 0, sizeof(*dst));
	*trunc = false;
	if (n < 0)
		return n;
	*fromlen = mh.msg_namelen;
	*trunc = (size_t)n > cap || (mh.msg_flags & MSG_TRUNC);
	/* a control buffer too small for what the kernel had (MSG_CTRUNC) leaves
	 * the destination unknown: the reply then goes out as by default */
	if (mh.msg_flags & MSG_CTRUNC)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			dst->known = true;
			dst->family = AF_INET;
			dst->ifindex = (unsigned)pi.ipi_ifindex;
			/* the local address the datagram was for (ipi_addr is the
			 * header's destination, a broadcast address for broadcasts) */
			dst->addr.v4 = pi.ipi_spec_dst;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			dst->known = true;
			dst->family = AF_INET6;
			dst->ifindex = pi.ipi6_ifindex;
			dst->addr.v6 = pi.ipi6_addr;
		}
	}
	return n;
}

ssize_t udp_dst_reply(int fd, const void *buf, size_t len, const struct sockaddr_storage *to,
		      socklen_t tolen, const struct udp_dst *dst)
{
	union {
		char buf[DST_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)to,
		.msg_namelen = tolen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	memset(&ctl, 0, sizeof(ctl));
	if (dst && dst->known && dst->family == AF_INET && to->ss_family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = dst->addr.v4 };
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else if (dst && dst->known && dst->family == AF_INET6 && to->ss_family == AF_INET6) {
		/* the interface matters only for a link-local source */
		struct in6_pktinfo pi = { .ipi6_addr = dst->addr.v6 };
		if (IN6_IS_ADDR_LINKLOCAL(&dst->addr.v6))
			pi.ipi6_ifindex = dst->ifindex;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	return sendmsg(fd, &mh, 0);
}
