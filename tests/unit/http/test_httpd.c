/*
 * test_httpd.c: http/: httpd_check (methods, paths, the token by header or
 * query, compared whole), and a real listener on loopback: documents
 * published from this thread are served whole, the latest version wins, a
 * document not yet published is 503, a static one is served as is; an
 * on-demand document holds a request for a stale version until the next
 * publish, and the listener stops with a request held.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "http/httpd.h"

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(httpd_check("GET", "/metrics", NULL, NULL, ""), 0);
	assert_int_equal(httpd_check("HEAD", "/", NULL, NULL, ""), 0);
	assert_int_equal(httpd_check("POST", "/", NULL, NULL, ""), 405);
	assert_int_equal(httpd_check("GET", "metrics", NULL, NULL, ""), 404);
	assert_int_equal(httpd_check(NULL, "/", NULL, NULL, ""), 400);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(httpd_check("GET", longpath, NULL, NULL, ""), 404);
	/* with a token */
	assert_int_equal(httpd_check("GET", "/", NULL, NULL, "tok"), 401);
	assert_int_equal(httpd_check("GET", "/", "Bearer tok", NULL, "tok"), 0);
	assert_int_equal(httpd_check("GET", "/", "bearer tok", NULL, "tok"), 0);
	assert_int_equal(httpd_check("GET", "/", "Bearer to", NULL, "tok"), 401);
	assert_int_equal(httpd_check("GET", "/", "Bearer tokk", NULL, "tok"), 401);
	assert_int_equal(httpd_check("GET", "/", "Basic tok", NULL, "tok"), 401);
	assert_int_equal(httpd_check("GET", "/", NULL, "tok", "tok"), 0);
	assert_int_equal(httpd_check("GET", "/", NULL, "", "tok"), 401);
	assert_int_equal(httpd_check("GET", "/", "Bearer x", "tok", "tok"), 0);
}

/* One GET over a fresh connection; the whole response into @out. */
static size_t get(unsigned port, const char *path, char *out, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	char req[256];
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fd);
	return n;
}

static void test_serve(void **state)
{
	struct httpd_config c;
	struct sockaddr_in *sa = (struct sockaddr_in *)&c.addr;
	static char out[1 << 20];
	static const char page[] = "<html>hi</html>";
	struct httpd *h;
	unsigned port;
	int doc;

	(void)state;
	memset(&c, 0, sizeof(c));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.addr_len = sizeof(*sa);
	h = httpd_new(&c);
	assert_non_null(h);
	doc = httpd_add_doc(h, "/doc", "text/plain");
	assert_true(doc >= 0);
	assert_true(httpd_add_static(h, "/", "text/html", page, sizeof(page) - 1) >= 0);
	assert_int_equal(httpd_start(h), 0);
	port = httpd_port(h);
	assert_true(port > 0);
	get(port, "/doc", out, sizeof(out));
	assert_non_null(strstr(out, " 503 "));
	/* a document larger than one callback block, replaced by a newer one */
	char *big = malloc(200000);
	assert_non_null(big);
	memset(big, 'x', 200000);
	httpd_publish(h, doc, big, 200000);
	size_t n = get(port, "/doc", out, sizeof(out));
	assert_non_null(strstr(out, " 200 "));
	char *body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	assert_int_equal(n - (size_t)(body + 4 - out), 200000);
	httpd_publish(h, doc, strdup("v2"), 2);
	get(port, "/doc", out, sizeof(out));
	assert_non_null(strstr(out, "\r\n\r\nv2"));
	get(port, "/", out, sizeof(out));
	assert_non_null(strstr(out, "\r\n\r\n<html>hi</html>"));
	get(port, "/other", out, sizeof(out));
	assert_non_null(strstr(out, " 404 "));
	struct httpd_stats st;
	httpd_get_stats(h, &st);
	assert_int_equal(st.requests, 5);
	assert_int_equal(st.not_found, 1);
	httpd_free(h);
}

struct getter {
	unsigned port;
	char out[4096];
};

static void *get_thread(void *arg)
{
	struct getter *g = arg;

	get(g->port, "/fresh", g->out, sizeof(g->out));
	return NULL;
}

static void test_on_demand(void **state)
{
	struct httpd_config c;
	struct sockaddr_in *sa = (struct sockaddr_in *)&c.addr;
	struct getter g;
	struct pollfd pfd;
	pthread_t t;
	struct httpd *h;
	int doc;

	(void)state;
	memset(&c, 0, sizeof(c));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h = httpd_new(&c);
	assert_non_null(h);
	doc = httpd_add_doc(h, "/fresh", "text/plain");
	httpd_set_fresh(h, doc, 200);
	assert_int_equal(httpd_start(h), 0);
	httpd_publish(h, doc, strdup("old"), 3);
	usleep(300 * 1000); /* "old" is stale now */
	g.port = httpd_port(h);
	assert_int_equal(pthread_create(&t, NULL, get_thread, &g), 0);
	/* the request is held and wakes the publisher */
	pfd.fd = httpd_wake_fd(h);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(httpd_doc_awaited(h, doc));
	httpd_publish(h, doc, strdup("new"), 3);
	pthread_join(t, NULL);
	assert_non_null(strstr(g.out, "\r\n\r\nnew"));
	assert_false(httpd_doc_awaited(h, doc));
	/* fresh enough: served at once, nobody woken */
	uint64_t n;
	assert_int_equal(read(pfd.fd, &n, sizeof(n)), sizeof(n));
	get(g.port, "/fresh", g.out, sizeof(g.out));
	assert_non_null(strstr(g.out, "\r\n\r\nnew"));
	assert_int_equal(poll(&pfd, 1, 0), 0);
	/* a held request does not keep the listener from stopping */
	usleep(300 * 1000);
	assert_int_equal(pthread_create(&t, NULL, get_thread, &g), 0);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	httpd_free(h);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_on_demand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
