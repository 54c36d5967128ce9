/*
 * dp_rawsend.c: IPv4/UDP headers for the raw-socket batch send (see
 * dp_rawsend.h). Called per packet by the owning worker: no allocation, no
 * lock; the checksum is one pass over the payload (RFC 768, RFC 1071).
 */
#include "dataplane/dp_rawsend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

int dp_raw_open(void)
{
	const char *env = getenv("RTPRELAY_DP_RAW");

	if (!env || strcmp(env, "1") != 0)
		return -1;
	/* IPPROTO_RAW: send-only (never gets copies of received packets),
	 * IP_HDRINCL implied; the kernel fills the IP checksum and id. */
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		log_warn("dataplane: raw send unavailable (%s): per-socket sends", strerror(errno));
	return fd;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
	for (; len > 1; p += 2, len -= 2)
		acc += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		acc += (uint32_t)(p[0] << 8);
	return acc;
}

void dp_raw_header(uint8_t hdr[DP_RAW_HDR], const struct sockaddr_in *src,
		   const struct sockaddr_in *dst, const uint8_t *payload, size_t len)
{
	uint16_t ulen = (uint16_t)(len + 8);
	uint8_t *ip = hdr, *udp = hdr + 20;

	memset(hdr, 0, DP_RAW_HDR);
	ip[0] = 0x45;
	ip[8] = 64; /* TTL */
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src->sin_addr, 4);
	memcpy(ip + 16, &dst->sin_addr, 4);
	memcpy(udp, &src->sin_port, 2);
	memcpy(udp + 2, &dst->sin_port, 2);
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	/* pseudo header: addresses, protocol, UDP length; then header + data */
	uint32_t acc = sum16(ip + 12, 8, 0) + IPPROTO_UDP + ulen;
	acc = sum16(udp, 8, acc);
	acc = sum16(payload, len, acc);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	uint16_t ck = (uint16_t)~acc;
	if (ck == 0)
		ck = 0xffff; /* 0 would mean "no checksum" */
	udp[6] = (uint8_t)(ck >> 8);
	udp[7] = (uint8_t)ck;
}
