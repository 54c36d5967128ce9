/*
 * sockbuf.c: the receive buffer of media sockets (daemon/sockbuf.h).
 */
#include "daemon/sockbuf.h"

#include <sys/socket.h>

#include "lib/log.h"

static int rcvbuf_of(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) ? 0 : v;
}

int sockbuf_apply(int fd, unsigned bytes)
{
	static unsigned warned; /* the size last warned about: once per size */
	int want = (int)(bytes > SOCKBUF_MAX ? SOCKBUF_MAX : bytes), got;

	if (!want)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	got = rcvbuf_of(fd);
	/* the kernel reports twice what it granted; less than asked means
	 * net.core.rmem_max capped it: only CAP_NET_ADMIN passes that cap */
	if (got / 2 < want) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want));
		got = rcvbuf_of(fd);
	}
	if (got / 2 < want && warned != bytes) {
		warned = bytes;
		log_warn("socket-buffer: asked for %u bytes per media socket, the kernel gives %d "
			 "(raise net.core.rmem_max, or run with CAP_NET_ADMIN)",
			 bytes, got / 2);
	}
	return got;
}
