/* test_replycache.c: the UDP reply cache: hit by (cookie, source), miss for another
 * source or cookie, expiry after the TTL, bounds on entries and bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "control/replycache.h"

static struct sockaddr_storage addr4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0xab, sizeof(ss));	/* padding garbage must not matter */
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	return ss;
}

static void hit_same_cookie_and_source(void **state)
{
	(void)state;
	struct reply_cache *rc = reply_cache_new(16, 4096, 30000);
	struct sockaddr_storage a = addr4("127.0.0.1", 5060), b = addr4("127.0.0.1", 5061);
	struct sockaddr_storage a2 = addr4("127.0.0.1", 5060);
	size_t len;
	const char *r;

	assert_int_equal(reply_cache_put(rc, "abc", 3, &a, "abc d6:result2:oke", 18, 1000), 0);
	r = reply_cache_get(rc, "abc", 3, &a2, 2000, &len);
	assert_non_null(r);
	assert_int_equal(len, 18);
	assert_memory_equal(r, "abc d6:result2:oke", 18);
	assert_null(reply_cache_get(rc, "abc", 3, &b, 2000, &len));	/* other port */
	assert_null(reply_cache_get(rc, "abd", 3, &a, 2000, &len));	/* other cookie */
	assert_null(reply_cache_get(rc, "ab", 2, &a, 2000, &len));
	reply_cache_free(rc);
}

static void entries_expire(void **state)
{
	(void)state;
	struct reply_cache *rc = reply_cache_new(16, 4096, 30000);
	struct sockaddr_storage a = addr4("10.0.0.1", 1);
	size_t len;

	assert_int_equal(reply_cache_put(rc, "x", 1, &a, "x ok", 4, 0), 0);
	assert_int_equal(reply_cache_put(rc, "y", 1, &a, "y ok", 4, 10000), 0);
	assert_non_null(reply_cache_get(rc, "x", 1, &a, 29999, &len));
	assert_null(reply_cache_get(rc, "x", 1, &a, 30000, &len));
	reply_cache_expire(rc, 30000);
	assert_int_equal(reply_cache_count(rc), 1);
	reply_cache_expire(rc, 40000);
	assert_int_equal(reply_cache_count(rc), 0);
	assert_int_equal(reply_cache_bytes(rc), 0);
	reply_cache_free(rc);
}

static void bounded_by_entries_and_bytes(void **state)
{
	(void)state;
	struct reply_cache *rc = reply_cache_new(4, 100, 30000);
	struct sockaddr_storage a = addr4("10.0.0.1", 1);
	char cookie[16], big[200];
	size_t len;

	for (int i = 0; i < 10; i++) {
		snprintf(cookie, sizeof(cookie), "c%d", i);
		assert_int_equal(reply_cache_put(rc, cookie, strlen(cookie), &a, "r", 1, 0), 0);
		assert_true(reply_cache_count(rc) <= 4);
	}
	/* the oldest went first */
	assert_null(reply_cache_get(rc, "c0", 2, &a, 1, &len));
	assert_non_null(reply_cache_get(rc, "c9", 2, &a, 1, &len));
	memset(big, 'z', sizeof(big));
	assert_int_equal(reply_cache_put(rc, "b", 1, &a, big, 200, 0), -E2BIG);
	assert_int_equal(reply_cache_put(rc, "b", 1, &a, big, 90, 0), 0);
	assert_true(reply_cache_bytes(rc) <= 100);
	assert_non_null(reply_cache_get(rc, "b", 1, &a, 1, &len));
	assert_int_equal(len, 90);
	reply_cache_free(rc);
}

static void ipv6_sources(void **state)
{
	(void)state;
	struct reply_cache *rc = reply_cache_new(8, 1000, 30000);
	struct sockaddr_storage a, b;
	struct sockaddr_in6 *s;
	size_t len;

	memset(&a, 0, sizeof(a));
	s = (struct sockaddr_in6 *)&a;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(7);
	inet_pton(AF_INET6, "::1", &s->sin6_addr);
	b = a;
	inet_pton(AF_INET6, "::2", &((struct sockaddr_in6 *)&b)->sin6_addr);
	assert_int_equal(reply_cache_put(rc, "q", 1, &a, "q r", 3, 0), 0);
	assert_non_null(reply_cache_get(rc, "q", 1, &a, 1, &len));
	assert_null(reply_cache_get(rc, "q", 1, &b, 1, &len));
	reply_cache_free(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_same_cookie_and_source),
		cmocka_unit_test(entries_expire),
		cmocka_unit_test(bounded_by_entries_and_bytes),
		cmocka_unit_test(ipv6_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
