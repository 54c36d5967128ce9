/* test_udp_dst.c: a UDP listener bound to the wildcard address answers from the
 * address the request was sent to, so that a client whose socket is connected to
 * that address (Kamailio's rtpengine module) accepts the reply. 127.0.0.2 is a
 * local address of every Linux host but not the one the route back to 127.0.0.1
 * prefers, which is what a service address on a relay host is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <cmocka.h>

#include "control/udp_dst.h"

/* A UDP socket of @family bound to the wildcard address, port chosen by the
 * kernel, with destinations reported; its port in *@port. */
static int wildcard_listener(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	assert_int_equal(udp_dst_enable(fd, family), 0);
	return fd;
}

/* A client socket connected to @ip:@port, receiving with a @ms timeout. */
static int connected_client(int family, const char *ip, uint16_t port, int ms)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 0, .tv_usec = ms * 1000 };
	socklen_t len;
	int fd = socket(family, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s->sin_addr), 1);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
		len = sizeof(*s);
	}
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void reply_leaves_from_the_address_sent_to_v4(void **state)
{
	(void)state;
	uint16_t port;
	int srv = wildcard_listener(AF_INET, &port);
	assert_true(srv >= 0);
	int cli = connected_client(AF_INET, "127.0.0.2", port, 300);
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct udp_dst dst;
	char buf[64], ip[INET_ADDRSTRLEN];
	bool trunc = true;

	assert_int_equal(send(cli, "ping", 4, 0), 4);
	assert_int_equal(udp_dst_recv(srv, buf, sizeof(buf), &from, &fromlen, &dst, &trunc), 4);
	assert_false(trunc);
	assert_memory_equal(buf, "ping", 4);
	assert_true(dst.known);
	assert_int_equal(dst.family, AF_INET);
	inet_ntop(AF_INET, &dst.addr.v4, ip, sizeof(ip));
	assert_string_equal(ip, "127.0.0.2");

	/* the control: a plain sendto() leaves from 127.0.0.1, which the connected
	 * client does not accept */
	assert_int_equal(sendto(srv, "plain", 5, 0, (struct sockaddr *)&from, fromlen), 5);
	errno = 0;
	assert_int_equal(recv(cli, buf, sizeof(buf), 0), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

	assert_int_equal(udp_dst_reply(srv, "pong", 4, &from, fromlen, &dst), 4);
	assert_int_equal(recv(cli, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "pong", 4);
	close(cli);
	close(srv);
}

static void reply_leaves_from_the_address_sent_to_v6(void **state)
{
	(void)state;
	uint16_t port;
	int srv = wildcard_listener(AF_INET6, &port);
	if (srv < 0)
		skip(); /* no IPv6 on this host */
	int cli = connected_client(AF_INET6, "::1", port, 1000);
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct udp_dst dst;
	char buf[64];
	bool trunc;
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;

	assert_int_equal(send(cli, "ping", 4, 0), 4);
	assert_int_equal(udp_dst_recv(srv, buf, sizeof(buf), &from, &fromlen, &dst, &trunc), 4);
	assert_true(dst.known);
	assert_int_equal(dst.family, AF_INET6);
	assert_memory_equal(&dst.addr.v6, &lo, sizeof(lo));
	assert_int_equal(udp_dst_reply(srv, "pong", 4, &from, fromlen, &dst), 4);
	assert_int_equal(recv(cli, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "pong", 4);
	close(cli);
	close(srv);
}

/* A datagram longer than the buffer: flagged, its full length returned. */
static void long_datagram_is_flagged(void **state)
{
	(void)state;
	uint16_t port;
	int srv = wildcard_listener(AF_INET, &port);
	assert_true(srv >= 0);
	int cli = connected_client(AF_INET, "127.0.0.1", port, 1000);
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct udp_dst dst;
	char big[100], buf[10];
	bool trunc = false;

	memset(big, 'x', sizeof(big));
	assert_int_equal(send(cli, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(udp_dst_recv(srv, buf, sizeof(buf), &from, &fromlen, &dst, &trunc),
			 (ssize_t)sizeof(big));
	assert_true(trunc);
	assert_true(dst.known);
	close(cli);
	close(srv);
}

/* No destination known: the reply goes out as sendto() would. */
static void unknown_destination_replies_plainly(void **state)
{
	(void)state;
	uint16_t port;
	int srv = wildcard_listener(AF_INET, &port);
	assert_true(srv >= 0);
	int cli = connected_client(AF_INET, "127.0.0.1", port, 1000);
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct udp_dst dst, none;
	char buf[16];
	bool trunc;

	assert_int_equal(send(cli, "a", 1, 0), 1);
	assert_int_equal(udp_dst_recv(srv, buf, sizeof(buf), &from, &fromlen, &dst, &trunc), 1);
	memset(&none, 0, sizeof(none));
	assert_int_equal(udp_dst_reply(srv, "b", 1, &from, fromlen, &none), 1);
	assert_int_equal(udp_dst_reply(srv, "c", 1, &from, fromlen, NULL), 1);
	assert_int_equal(recv(cli, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'b');
	assert_int_equal(recv(cli, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'c');
	assert_int_equal(udp_dst_enable(srv, AF_UNIX), -EAFNOSUPPORT);
	close(cli);
	close(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply_leaves_from_the_address_sent_to_v4),
		cmocka_unit_test(reply_leaves_from_the_address_sent_to_v6),
		cmocka_unit_test(long_datagram_is_flagged),
		cmocka_unit_test(unknown_destination_replies_plainly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
