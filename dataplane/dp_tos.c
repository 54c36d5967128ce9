/*
 * dp_tos.c: the IP TOS / IPv6 traffic class of an endpoint's socket (see
 * dataplane.h). Called by the control thread: the socket option is the
 * kernel's state, read by the kernel on every send, so the worker that owns
 * the endpoint needs no command and the packet path no work of its own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dataplane/dataplane.h"
#include "dataplane/dp_endpoint.h"

int dp_endpoint_set_tos(struct dp_endpoint *ep, int tos)
{
	int dom = 0;
	socklen_t len = sizeof(dom);

	if (!ep || tos < 0 || tos > 255)
		return -EINVAL;
	if (getsockopt(ep->fd, SOL_SOCKET, SO_DOMAIN, &dom, &len))
		return -errno;
	if (dom == AF_INET6) {
		/* an IPv6 socket may also carry IPv4-mapped traffic: both */
		if (setsockopt(ep->fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)))
			return -errno;
		(void)setsockopt(ep->fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		return 0;
	}
	return setsockopt(ep->fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) ? -errno : 0;
}
