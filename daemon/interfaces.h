/*
 * interfaces.h: the local media interfaces (from `interface =`), each with its
 * own port pool, and the binding of a stream's RTP/RTCP socket pair on one.
 * Control thread only.
 */
#ifndef RTPRELAY_INTERFACES_H
#define RTPRELAY_INTERFACES_H

#include <stdint.h>

#include "daemon/config.h"

#define PORT_QUARANTINE_MS 3000 /* a released pair rests this long */
#define IFACE_MEDIA_TOS	   0xb8 /* EF DSCP: every media socket starts with it */

struct port_pool;

struct iface {
	const struct cfg_interface *cfg; /* name, addr, advertised, family */
	struct port_pool *pool;
	/* the configuration's socket-buffer, read at each bind: a reload
	 * changes it for the sockets opened after it (daemon/sockbuf.h) */
	const unsigned *socket_buffer;
};

struct ifaces {
	struct iface v[CFG_MAX_IFACES];
	unsigned n;
};

/* One pool per interface over [port_min, port_max]. 0 or -ENOMEM/-EINVAL. */
int ifaces_init(struct ifaces *ifs, const struct rtprelay_config *c);
void ifaces_free(struct ifaces *ifs);
/* The interface named @name (NULL: the first one) of @family (0: any). NULL if
 * none matches. */
struct iface *ifaces_pick(struct ifaces *ifs, const char *name, int family);

/* Take a port pair on @ifc and bind two non-blocking UDP sockets to it.
 * Retries a few pairs when another process holds a port. 0, or -ENOSPC (range
 * exhausted) / -errno. */
int iface_bind_pair(struct iface *ifc, uint64_t now_ms, uint16_t *port, int *fd_rtp, int *fd_rtcp)
	__attribute__((warn_unused_result));
/* Return the pair (the sockets are closed by their owner). */
void iface_release_pair(struct iface *ifc, uint16_t port, uint64_t now_ms);
/* Pairs in use / in total over all interfaces (statistics). */
void ifaces_port_usage(const struct ifaces *ifs, unsigned *used, unsigned *total);

#endif
