/*
 * dp_test_util.h: loopback sockets and RTP packets for the data-plane tests.
 * Header-only (static functions) so each test file stays one executable.
 */
#ifndef RTPRELAY_DP_TEST_UTIL_H
#define RTPRELAY_DP_TEST_UTIL_H

#include "dataplane/dataplane.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A UDP socket bound to an ephemeral port on loopback (@v6: ::1). Test
 * peers get a 1 s receive timeout; relay sockets are made non-blocking. */
static inline int tu_socket(int v6, int nonblock, struct sockaddr_storage *addr)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(addr, 0, sizeof(*addr));
	socklen_t len;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)addr;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)addr, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) < 0)
		goto fail;
	if (nonblock) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
			goto fail;
	} else {
		struct timeval tv = { .tv_sec = 1 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static inline socklen_t tu_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static inline uint16_t tu_port(const struct sockaddr_storage *a)
{
	return ntohs(a->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)a)->sin6_port
					      : ((const struct sockaddr_in *)a)->sin_port);
}

/* Build an RTP packet: version 2, @pt, @seq, @ts, @ssrc, @plen payload bytes
 * (value = seq & 0xff). Returns its length. */
static inline size_t tu_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
			    size_t plen)
{
	buf[0] = 0x80;
	buf[1] = pt & 0x7f;
	buf[2] = seq >> 8;
	buf[3] = seq & 0xff;
	buf[4] = ts >> 24;
	buf[5] = ts >> 16;
	buf[6] = ts >> 8;
	buf[7] = ts & 0xff;
	buf[8] = ssrc >> 24;
	buf[9] = ssrc >> 16;
	buf[10] = ssrc >> 8;
	buf[11] = ssrc & 0xff;
	memset(buf + 12, seq & 0xff, plen);
	return 12 + plen;
}

/* A minimal RTCP receiver report (PT 201, no report blocks). */
static inline size_t tu_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = 201;
	buf[2] = 0;
	buf[3] = 1; /* length in words minus one */
	buf[4] = ssrc >> 24;
	buf[5] = ssrc >> 16;
	buf[6] = ssrc >> 8;
	buf[7] = ssrc & 0xff;
	return 8;
}

static inline int tu_send(int fd, const void *buf, size_t len, const struct sockaddr_storage *to)
{
	return sendto(fd, buf, len, 0, (const struct sockaddr *)to, tu_len(to)) == (ssize_t)len
		       ? 0 : -errno;
}

/* Receive one datagram (1 s timeout); its length or -errno; @from optional. */
static inline ssize_t tu_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *from)
{
	socklen_t fl = sizeof(*from);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, from ? &fl : NULL);
	return n < 0 ? -errno : n;
}

/* Nothing arrives within @ms milliseconds. */
static inline int tu_silent(int fd, int ms)
{
	uint8_t buf[64];
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	struct timeval one = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &one, sizeof(one));
	return n < 0;
}

static inline int tu_same_port(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return tu_port(a) == tu_port(b);
}

/* cmocka group fixture: two workers for the tests of one file. */
static inline int tu_dp_setup(void **state)
{
	(void)state;
	return dp_start(2);
}

static inline int tu_dp_teardown(void **state)
{
	(void)state;
	dp_stop();
	return 0;
}

#endif
