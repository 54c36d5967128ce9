/* test_server_adopt.c: an ng stream connection handed over by another process
 * (control/server.h ng_server_adopt_conn, daemon/takeover.h): served with the
 * start of a request it brought and the reply bytes it still owed, which are
 * written at once; the rest of the request, arriving later, is answered. A
 * socket that is not a connected stream socket of the given kind, a kind that
 * is none, an input holding a complete or malformed request, or buffers over
 * a connection's bounds are refused, and the socket is closed. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/ngdict.h"
#include "control/ngmsg.h"
#include "control/server.h"
#include "lib/loop.h"

static struct loop *lp;
static struct ng_server *srv;
static unsigned handled, ticks;

/* Every request is answered "<cookie> d6:result4:ponge". */
static size_t pong(void *ctx, const uint8_t *msg, size_t len, const struct sockaddr_storage *from,
		   char *out, size_t cap)
{
	const uint8_t *sp = memchr(msg, ' ', len);
	size_t cl = sp ? (size_t)(sp - msg) : 0;

	(void)ctx;
	(void)from;
	handled++;
	if (!cl || cl + 18 > cap)
		return 0;
	memcpy(out, msg, cl);
	memcpy(out + cl, " d6:result4:ponge", 17);
	return cl + 17;
}

static void tick(void *arg, uint64_t now_ms)
{
	(void)arg;
	(void)now_ms;
	if (++ticks >= 5)
		loop_stop(lp);
}

static void run_briefly(void)
{
	ticks = 0;
	loop_run(lp, 20, tick, NULL);
}

static bool closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static void refused(void **state)
{
	int sp[2], fd;
	const uint8_t whole[] = "c1 d7:command4:pinge";
	static uint8_t big[NG_MAX_MESSAGE + NG_MAX_COOKIE + 65];

	(void)state;
	/* a listening TCP socket */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(ng_server_adopt_conn(srv, fd, NG_LISTEN_TCP, NULL, 0, NULL, 0), -EINVAL);
	assert_true(closed(fd));
	/* an unconnected stream socket, a datagram socket */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ng_server_adopt_conn(srv, fd, NG_LISTEN_TCP, NULL, 0, NULL, 0), -EINVAL);
	assert_true(closed(fd));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(ng_server_adopt_conn(srv, fd, NG_LISTEN_TCP, NULL, 0, NULL, 0), -EINVAL);
	assert_true(closed(fd));
	/* a unix connection said to be TCP; no such kind */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ng_server_adopt_conn(srv, sp[0], NG_LISTEN_TCP, NULL, 0, NULL, 0), -EINVAL);
	assert_true(closed(sp[0]));
	close(sp[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ng_server_adopt_conn(srv, sp[0], NG_LISTEN_UDP, NULL, 0, NULL, 0), -EINVAL);
	close(sp[1]);
	/* a complete request, a malformed one, an input over the bound */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ng_server_adopt_conn(srv, sp[0], NG_LISTEN_UNIX, whole, sizeof(whole) - 1,
					      NULL, 0),
			 -EINVAL);
	close(sp[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ng_server_adopt_conn(srv, sp[0], NG_LISTEN_UNIX,
					      (const uint8_t *)"c1 x", 4, NULL, 0),
			 -EINVAL);
	close(sp[1]);
	memset(big, 'a', sizeof(big));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ng_server_adopt_conn(srv, sp[0], NG_LISTEN_UNIX, big, sizeof(big), NULL, 0),
			 -EINVAL);
	assert_true(closed(sp[0]));
	close(sp[1]);
	struct ng_server_stats st;
	ng_server_get_stats(srv, &st);
	assert_int_equal(st.conns, 0);
	assert_int_equal(handled, 0);
}

static void adopted_connection_goes_on(void **state)
{
	int sp[2];
	char buf[256];
	const char *first = "c1 d7:comm", *rest = "and4:pinge";
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(ng_server_adopt_conn(srv, sp[0], NG_LISTEN_UNIX, (const uint8_t *)first,
					      strlen(first), "c0 owed", 7),
			 0);
	struct ng_server_stats st;
	ng_server_get_stats(srv, &st);
	assert_int_equal(st.conns, 1);
	/* the reply the old process still owed is written at once */
	n = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "c0 owed", 7);
	/* the rest of the request: answered as one request */
	assert_int_equal(send(sp[1], rest, strlen(rest), 0), (ssize_t)strlen(rest));
	run_briefly();
	assert_int_equal(handled, 1);
	n = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 19);
	assert_memory_equal(buf, "c1 d6:result4:ponge", 19);
	/* and the next one on the same connection */
	assert_int_equal(send(sp[1], "c2 d7:command4:pinge", 20, 0), 20);
	run_briefly();
	assert_int_equal(handled, 2);
	n = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 19);
	assert_memory_equal(buf, "c2 d6:result4:ponge", 19);
	close(sp[1]);
	run_briefly(); /* EOF: the server closes its end */
	ng_server_get_stats(srv, &st);
	assert_int_equal(st.conns, 0);
}

static int setup(void **state)
{
	(void)state;
	lp = loop_new();
	srv = lp ? ng_server_new(lp, pong, NULL) : NULL;
	return srv ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ng_server_free(srv);
	loop_free(lp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused),
		cmocka_unit_test(adopted_connection_goes_on),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
