/*
 * test_rec_ring.c: the recording ring keeps records whole and in order,
 * wraps, and when full drops (and counts) without blocking the producer;
 * one producer and one consumer thread together lose nothing the counters
 * do not account for.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "recording/rec_ring.h"

static bool push_n(struct rec_ring *r, uint32_t session, size_t len, uint8_t fill)
{
	uint8_t buf[2048];
	struct rec_pkt h;

	memset(&h, 0, sizeof(h));
	h.session = session;
	memset(buf, fill, len);
	return rec_ring_push(r, &h, buf, len);
}

static void test_order_and_content(void **state)
{
	struct rec_ring r;
	(void)state;

	assert_int_equal(rec_ring_init(&r, 1), 0);
	assert_int_equal(r.size, 64u << 10); /* rounded up to the minimum */
	for (uint32_t i = 1; i <= 100; i++)
		assert_true(push_n(&r, i, i * 3, (uint8_t)i));
	for (uint32_t i = 1; i <= 100; i++) {
		const struct rec_pkt *p = rec_ring_peek(&r);
		assert_non_null(p);
		assert_int_equal(p->session, i);
		assert_int_equal(p->len, i * 3);
		const uint8_t *b = (const uint8_t *)(p + 1);
		for (unsigned k = 0; k < p->len; k++)
			assert_int_equal(b[k], (uint8_t)i);
		rec_ring_pop(&r, p);
	}
	assert_null(rec_ring_peek(&r));
	rec_ring_fini(&r);
}

/* Full: drops are counted in packets and bytes, nothing already queued is
 * harmed, and after draining the ring takes records again (across the wrap). */
static void test_overflow_accounting(void **state)
{
	struct rec_ring r;
	unsigned ok = 0, dropped = 0;
	(void)state;

	assert_int_equal(rec_ring_init(&r, 64u << 10), 0);
	for (unsigned i = 0; i < 1000; i++) {
		if (push_n(&r, i + 1, 200, (uint8_t)i))
			ok++;
		else
			dropped++;
	}
	size_t rec = (sizeof(struct rec_pkt) + 200 + 7) & ~(size_t)7;
	assert_int_equal(ok, (64u << 10) / rec);
	assert_int_equal(dropped, 1000 - ok);
	assert_int_equal(r.dropped, dropped);
	assert_int_equal(r.dropped_bytes, (uint64_t)dropped * 200);
	assert_int_equal(r.pushed, ok);
	/* the kept ones are the first ones, whole */
	for (unsigned i = 0; i < ok; i++) {
		const struct rec_pkt *p = rec_ring_peek(&r);
		assert_non_null(p);
		assert_int_equal(p->session, i + 1);
		rec_ring_pop(&r, p);
	}
	assert_null(rec_ring_peek(&r));
	/* many rounds of wrap with odd sizes */
	for (unsigned round = 0; round < 5000; round++) {
		size_t len = 1 + (round * 37) % 1400;
		assert_true(push_n(&r, round + 7, len, (uint8_t)round));
		const struct rec_pkt *p = rec_ring_peek(&r);
		assert_non_null(p);
		assert_int_equal(p->session, round + 7);
		assert_int_equal(p->len, len);
		assert_int_equal(((const uint8_t *)(p + 1))[len - 1], (uint8_t)round);
		rec_ring_pop(&r, p);
	}
	assert_int_equal(r.dropped, dropped);
	rec_ring_fini(&r);
}

struct two {
	struct rec_ring r;
	uint64_t got, bad;
	_Atomic bool done;
};

static void *consumer(void *arg)
{
	struct two *t = arg;
	uint32_t last = 0;

	for (;;) {
		const struct rec_pkt *p = rec_ring_peek(&t->r);
		if (!p) {
			if (atomic_load(&t->done) && !rec_ring_peek(&t->r))
				break;
			continue;
		}
		const uint8_t *b = (const uint8_t *)(p + 1);
		if (p->session <= last || b[0] != (uint8_t)p->session ||
		    b[p->len - 1] != (uint8_t)p->session)
			t->bad++;
		last = p->session;
		t->got++;
		rec_ring_pop(&t->r, p);
	}
	return NULL;
}

/* Producer and consumer at once: every record is either received (in
 * order, intact) or counted as dropped. */
static void test_threads(void **state)
{
	static struct two t;
	pthread_t th;
	(void)state;

	memset(&t, 0, sizeof(t));
	assert_int_equal(rec_ring_init(&t.r, 64u << 10), 0);
	assert_int_equal(pthread_create(&th, NULL, consumer, &t), 0);
	for (uint32_t i = 1; i <= 200000; i++)
		push_n(&t.r, i, 16 + i % 300, (uint8_t)i);
	atomic_store(&t.done, true);
	pthread_join(th, NULL);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.got + t.r.dropped, 200000);
	assert_int_equal(t.got, t.r.pushed);
	rec_ring_fini(&t.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_content),
		cmocka_unit_test(test_overflow_accounting),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
