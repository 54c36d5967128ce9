/*
 * addr_watch.c: local-address test and rtnetlink address events (addr_watch.h).
 */
#include "daemon/addr_watch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

int addr_watch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

void addr_watch_drain(int fd)
{
	char buf[8192];

	/* bounded: a flood of events is re-read at the next wake-up */
	for (int i = 0; i < 64; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

bool addr_is_local(const struct sockaddr_storage *sa)
{
	struct sockaddr_storage a = *sa;
	socklen_t len;
	int fd;
	bool ok;

	if (a.ss_family == AF_INET) {
		((struct sockaddr_in *)&a)->sin_port = 0;
		len = sizeof(struct sockaddr_in);
	} else if (a.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
		len = sizeof(struct sockaddr_in6);
	} else {
		return false;
	}
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&a, len) == 0;
	close(fd);
	return ok;
}
