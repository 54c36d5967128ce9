/*
 * interfaces.c: media interfaces and socket-pair binding (see interfaces.h).
 */
#include "daemon/interfaces.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "daemon/ports.h"
#include "daemon/sockbuf.h"

#define BIND_ATTEMPTS 8

int ifaces_init(struct ifaces *ifs, const struct rtprelay_config *c)
{
	memset(ifs, 0, sizeof(*ifs));
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		ifs->v[i].cfg = &c->ifaces[i];
		ifs->v[i].pool = ports_new(c->port_min, c->port_max, PORT_QUARANTINE_MS);
		ifs->v[i].socket_buffer = &c->socket_buffer;
		if (!ifs->v[i].pool) {
			ifaces_free(ifs);
			return -ENOMEM;
		}
		ifs->n++;
	}
	return 0;
}

void ifaces_free(struct ifaces *ifs)
{
	for (unsigned i = 0; i < ifs->n; i++)
		ports_free(ifs->v[i].pool);
	ifs->n = 0;
}

struct iface *ifaces_pick(struct ifaces *ifs, const char *name, int family)
{
	for (unsigned i = 0; i < ifs->n; i++) {
		const struct cfg_interface *c = ifs->v[i].cfg;
		if (name && strcmp(c->name, name) != 0)
			continue;
		if (family && c->family != family)
			continue;
		return &ifs->v[i];
	}
	return NULL;
}

static int bind_one(const struct cfg_interface *c, uint16_t port, unsigned rcvbuf)
{
	struct sockaddr_storage sa = c->sa;
	socklen_t len;
	int fd, tos = IFACE_MEDIA_TOS;

	if (c->family == AF_INET) {
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	}
	fd = socket(c->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (c->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	sockbuf_apply(fd, rcvbuf);
	if (bind(fd, (struct sockaddr *)&sa, len)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int iface_bind_pair(struct iface *ifc, uint64_t now_ms, uint16_t *port, int *fd_rtp, int *fd_rtcp)
{
	int rc = -EADDRINUSE;

	for (int i = 0; i < BIND_ATTEMPTS; i++) {
		uint16_t p;
		rc = ports_alloc(ifc->pool, now_ms, &p);
		if (rc)
			return rc;
		unsigned rb = ifc->socket_buffer ? *ifc->socket_buffer : 0;
		int a = bind_one(ifc->cfg, p, rb);
		int b = a >= 0 ? bind_one(ifc->cfg, (uint16_t)(p + 1), rb) : a;
		if (a >= 0 && b >= 0) {
			*port = p;
			*fd_rtp = a;
			*fd_rtcp = b;
			return 0;
		}
		if (a >= 0)
			close(a);
		rc = b;
		/* held by someone else: leave it quarantined, try another pair */
		ports_release(ifc->pool, p, now_ms);
		log_debug("ports: %s:%u busy (%s), trying another pair", ifc->cfg->addr, p,
			  strerror(-rc));
		if (rc != -EADDRINUSE)
			return rc;
	}
	return rc;
}

void iface_release_pair(struct iface *ifc, uint16_t port, uint64_t now_ms)
{
	ports_release(ifc->pool, port, now_ms);
}

void ifaces_port_usage(const struct ifaces *ifs, unsigned *used, unsigned *total)
{
	*used = *total = 0;
	for (unsigned i = 0; i < ifs->n; i++) {
		*used += ports_in_use(ifs->v[i].pool);
		*total += ports_total(ifs->v[i].pool);
	}
}
