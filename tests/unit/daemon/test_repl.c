/* test_repl.c: the pieces of Redis replication that need no Redis: the
 * `redis*` configuration keys, the coalescing bounded queue between the
 * control thread and the Redis threads, the record envelope (truncated,
 * other-version, corrupted and misplaced records refused), the local-address
 * test the standby takes over by, the paced list of calls a new active
 * writes again (nothing before it is due, then in order, each once). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/addr_watch.h"
#include "daemon/config.h"
#include "daemon/repl_queue.h"
#include "daemon/repl_record.h"
#include "daemon/repl_rewrite.h"

static int set(struct rtprelay_config *c, const char *k, const char *v)
{
	char err[256];
	return config_set(c, k, v, err, sizeof(err));
}

static void config_keys(void **state)
{
	struct rtprelay_config c;

	(void)state;
	config_defaults(&c);
	assert_false(c.has_redis);
	assert_int_equal(set(&c, "redis", "127.0.0.1:6379"), 0);
	assert_true(c.has_redis);
	assert_string_equal(c.redis_host, "127.0.0.1");
	assert_int_equal(c.redis_port, 6379);
	assert_int_equal(c.redis_db, 0);
	assert_string_equal(c.redis_auth, "");
	assert_int_equal(set(&c, "redis", "s3cr:et@redis.example:6380/5"), 0);
	assert_string_equal(c.redis_host, "redis.example");
	assert_int_equal(c.redis_port, 6380);
	assert_int_equal(c.redis_db, 5);
	assert_string_equal(c.redis_auth, "s3cr:et");
	assert_int_equal(set(&c, "redis", "[::1]:7000/1"), 0);
	assert_string_equal(c.redis_host, "::1");
	assert_int_equal(c.redis_port, 7000);
	assert_int_equal(c.redis_db, 1);
	/* bad: no port, port 0 or too big, db past 15, empty host or password */
	const char *bad[] = { "127.0.0.1",   "127.0.0.1:0", "127.0.0.1:65536", "h:1/16",
			      ":6379",	     "@h:1",	    "h:1/x",	       "[::1:6379",
			      "h:6379trail", "h:/1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(set(&c, "redis", bad[i]), -EINVAL);
	assert_int_equal(set(&c, "redis-role", "standby"), 0);
	assert_true(c.redis_standby);
	assert_int_equal(set(&c, "redis-role", "active"), 0);
	assert_false(c.redis_standby);
	assert_int_equal(set(&c, "redis-role", "primary"), -EINVAL);
	assert_int_equal(set(&c, "redis_auth", "pw"), 0); /* rtpengine's underscores */
	assert_string_equal(c.redis_auth, "pw");
	assert_int_equal(set(&c, "redis-auth", ""), -EINVAL);
}

static char *sdup(const char *s)
{
	return strdup(s);
}

static void queue_coalesces_per_call(void **state)
{
	struct repl_queue q;
	struct rq_item *l;

	(void)state;
	assert_int_equal(rq_init(&q, 4, true), 0);
	assert_int_equal(rq_put(&q, "a", 1, sdup("a1"), 2, true), 0);
	assert_int_equal(rq_put(&q, "b", 1, sdup("b1"), 2, true), 0);
	assert_int_equal(rq_put(&q, "a", 1, sdup("a2"), 2, true), 0); /* replaces a1 */
	assert_int_equal(rq_put(&q, "a", 1, sdup("a0"), 2, false), 0); /* a retry: a2 wins */
	assert_int_equal(rq_put(&q, "c", 1, NULL, 0, true), 0);	      /* a deletion */
	assert_int_equal(rq_len(&q), 3);
	assert_int_equal(q.coalesced, 2);
	l = rq_take(&q, 0);
	assert_non_null(l);
	assert_string_equal(l->id, "a");
	assert_memory_equal(l->data, "a2", 2);
	assert_string_equal(l->next->id, "b");
	assert_string_equal(l->next->next->id, "c");
	assert_null(l->next->next->data);
	assert_null(l->next->next->next);
	rq_list_free(l);
	/* the table is empty again: the same ids queue anew */
	assert_int_equal(rq_len(&q), 0);
	assert_int_equal(rq_put(&q, "a", 1, sdup("a3"), 2, true), 0);
	l = rq_take(&q, 0);
	assert_non_null(l);
	assert_memory_equal(l->data, "a3", 2);
	assert_null(l->next);
	rq_list_free(l);
	assert_null(rq_take(&q, 0));
	rq_fini(&q);
}

static void queue_is_bounded(void **state)
{
	struct repl_queue q;
	char id[8];

	(void)state;
	assert_int_equal(rq_init(&q, 3, false), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		assert_int_equal(rq_put(&q, id, strlen(id), sdup("x"), 1, true), 0);
	}
	assert_int_equal(rq_put(&q, "c9", 2, sdup("x"), 1, true), -ENOSPC);
	assert_int_equal(q.refused, 1);
	/* a call already queued is still replaced when full */
	assert_int_equal(rq_put(&q, "c1", 2, sdup("y"), 1, true), 0);
	assert_int_equal(rq_len(&q), 3);
	rq_list_free(rq_take(&q, 0));
	rq_fini(&q);
}

struct waiter {
	struct repl_queue *q;
	struct rq_item *got;
};

static void *take_waiting(void *arg)
{
	struct waiter *w = arg;
	w->got = rq_take(w->q, 5000);
	return NULL;
}

/* A writer waiting on an empty queue wakes with the first put, and a stopped
 * queue releases it at once. */
static void queue_wakes_waiter(void **state)
{
	struct repl_queue q;
	struct waiter w = { &q, NULL };
	pthread_t t;

	(void)state;
	assert_int_equal(rq_init(&q, 8, true), 0);
	assert_int_equal(pthread_create(&t, NULL, take_waiting, &w), 0);
	usleep(50000);
	assert_int_equal(rq_put(&q, "z", 1, sdup("zz"), 2, true), 0);
	pthread_join(t, NULL);
	assert_non_null(w.got);
	assert_string_equal(w.got->id, "z");
	rq_list_free(w.got);
	w.got = NULL;
	assert_int_equal(pthread_create(&t, NULL, take_waiting, &w), 0);
	usleep(50000);
	rq_stop(&q);
	pthread_join(t, NULL);
	assert_null(w.got);
	rq_fini(&q);
}

static void record_round_trip_and_refusals(void **state)
{
	const char snap[] = "d7:versioni1e7:call-id3:abce";
	const char *in, *why;
	size_t in_len, n;
	char *rec;

	(void)state;
	assert_int_equal(repl_record_wrap("abc", 3, snap, sizeof(snap) - 1, &rec, &n), 0);
	assert_int_equal(repl_record_open(rec, n, "abc", 3, &in, &in_len, &why), 0);
	assert_int_equal(in_len, sizeof(snap) - 1);
	assert_memory_equal(in, snap, in_len);
	/* every truncation is refused */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(repl_record_open(rec, cut, "abc", 3, &in, &in_len, &why), -EINVAL);
	/* under another key */
	assert_int_equal(repl_record_open(rec, n, "abd", 3, &in, &in_len, &why), -EINVAL);
	assert_string_equal(why, "call-id inside the record differs from its key");
	/* any flipped byte: magic, version, lengths, content or sum */
	for (size_t i = 0; i < n; i++) {
		rec[i] ^= 0x40;
		assert_int_equal(repl_record_open(rec, n, "abc", 3, &in, &in_len, &why), -EINVAL);
		rec[i] ^= 0x40;
	}
	rec[4] = REPL_RECORD_VERSION + 1;
	assert_int_equal(repl_record_open(rec, n, "abc", 3, &in, &in_len, &why), -EINVAL);
	assert_string_equal(why, "record from another version");
	free(rec);
	/* lengths out of bounds are not wrapped */
	assert_int_equal(repl_record_wrap("", 0, snap, 3, &rec, &n), -EINVAL);
	assert_int_equal(repl_record_wrap("a", 1, snap, 0, &rec, &n), -EINVAL);
}

static void local_address(void **state)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	(void)state;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	assert_true(addr_is_local(&ss));
	inet_pton(AF_INET, "192.0.2.77", &sin->sin_addr); /* TEST-NET-1: on no host */
	assert_false(addr_is_local(&ss));
	int fd = addr_watch_open();
	assert_true(fd >= 0 || fd == -EPERM || fd == -EACCES);
	if (fd >= 0) {
		addr_watch_drain(fd);
		close(fd);
	}
}

static void rewrite_paced(void **state)
{
	struct repl_rewrite rw = { 0 };
	char id[16];

	(void)state;
	/* nothing planned: nothing to take */
	assert_null(repl_rewrite_next(&rw, 0));
	assert_int_equal(repl_rewrite_init(&rw, 3, 1200), 0);
	assert_int_equal(repl_rewrite_add(&rw, "c1"), 0);
	assert_int_equal(repl_rewrite_add(&rw, "c2"), 0);
	assert_int_equal(repl_rewrite_add(&rw, "c3"), 0);
	assert_int_equal(repl_rewrite_add(&rw, "c4"), -ENOSPC); /* past the room */
	assert_int_equal(repl_rewrite_left(&rw), 3);
	/* not due: none taken, however often asked */
	assert_null(repl_rewrite_next(&rw, 1000));
	assert_null(repl_rewrite_next(&rw, 1199));
	assert_int_equal(repl_rewrite_left(&rw), 3);
	/* due: in the order noted, each once */
	assert_string_equal(repl_rewrite_next(&rw, 1200), "c1");
	assert_string_equal(repl_rewrite_next(&rw, 1450), "c2");
	assert_int_equal(repl_rewrite_left(&rw), 1);
	/* a new plan drops what was left of the old one */
	assert_int_equal(repl_rewrite_init(&rw, 600, 5000), 0);
	for (unsigned i = 0; i < 600; i++) {
		snprintf(id, sizeof(id), "n%u", i);
		assert_int_equal(repl_rewrite_add(&rw, id), 0);
	}
	assert_null(repl_rewrite_next(&rw, 4999));
	for (unsigned i = 0; i < 600; i++) {
		snprintf(id, sizeof(id), "n%u", i);
		assert_string_equal(repl_rewrite_next(&rw, 5000), id);
	}
	assert_null(repl_rewrite_next(&rw, 6000));
	assert_int_equal(repl_rewrite_left(&rw), 0);
	/* freed part-way (the sanitizer build checks nothing leaks) */
	assert_int_equal(repl_rewrite_init(&rw, 2, 0), 0);
	assert_int_equal(repl_rewrite_add(&rw, "x"), 0);
	assert_int_equal(repl_rewrite_add(&rw, "y"), 0);
	assert_string_equal(repl_rewrite_next(&rw, 0), "x");
	repl_rewrite_free(&rw);
	assert_null(repl_rewrite_next(&rw, 0));
	repl_rewrite_free(&rw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_keys),
		cmocka_unit_test(queue_coalesces_per_call),
		cmocka_unit_test(queue_is_bounded),
		cmocka_unit_test(queue_wakes_waiter),
		cmocka_unit_test(record_round_trip_and_refusals),
		cmocka_unit_test(local_address),
		cmocka_unit_test(rewrite_paced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
