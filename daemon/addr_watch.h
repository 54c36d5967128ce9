/*
 * addr_watch.h: is an address on one of this host's interfaces, and an
 * rtnetlink socket that becomes readable when interface addresses change
 * (keepalived/VRRP moving a service address, `ip addr add`). Used by the
 * Redis standby (daemon/repl.h) to learn that it owns the shared address.
 * Control thread.
 */
#ifndef RTPRELAY_ADDR_WATCH_H
#define RTPRELAY_ADDR_WATCH_H

#include <stdbool.h>
#include <sys/socket.h>

/* A non-blocking NETLINK_ROUTE socket subscribed to IPv4/IPv6 address
 * events; -errno on failure (the caller falls back on its periodic check). */
int addr_watch_open(void);
/* Read and discard what the socket has (the events only say "look again"). */
void addr_watch_drain(int fd);
/* True when @sa (port ignored) can be bound without IP_FREEBIND, i.e. it is
 * one of this host's addresses (with net.ipv4.ip_nonlocal_bind = 0). */
bool addr_is_local(const struct sockaddr_storage *sa);

#endif
