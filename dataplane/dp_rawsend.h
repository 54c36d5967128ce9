/*
 * dp_rawsend.h: sending a worker's whole batch of IPv4 packets with one
 * sendmmsg on a send-only raw socket (IPPROTO_RAW, header included), instead
 * of one sendmmsg per destination socket: the per-socket relay's send floor
 * is one syscall per socket per batch, this is one per batch.
 *
 * Each packet gets an IPv4 + UDP header built here with the out endpoint's
 * local address and port as source, so the receiver sees exactly what the
 * UDP socket would have sent. Needs CAP_NET_RAW; opt-in (RTPRELAY_DP_RAW=1
 * in the environment) until it is measured faster on the target machine.
 * IPv6 and endpoints bound to a wildcard address keep the socket path.
 */
#ifndef RTPRELAY_DP_RAWSEND_H
#define RTPRELAY_DP_RAWSEND_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DP_RAW_HDR 28u /* IPv4 (20) + UDP (8) */

/* The raw socket if enabled and permitted, else -1 (logged once). */
int dp_raw_open(void);
/* Fill @hdr for a UDP datagram of @len payload bytes from @src to @dst
 * (network byte order inside), UDP checksum included. */
void dp_raw_header(uint8_t hdr[DP_RAW_HDR], const struct sockaddr_in *src,
		   const struct sockaddr_in *dst, const uint8_t *payload, size_t len);

#endif
