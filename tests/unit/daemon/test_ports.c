/* test_ports.c: the port allocator hands out even/odd pairs at random from its
 * range, never twice, quarantines released pairs, and reports exhaustion. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/ports.h"

static void pairs_are_even_and_in_range(void **state)
{
	(void)state;
	struct port_pool *p = ports_new(30001, 30101, 0);
	assert_non_null(p);
	assert_int_equal(ports_total(p), 50);	/* 30002..30101 */
	for (int i = 0; i < 50; i++) {
		uint16_t port;
		assert_int_equal(ports_alloc(p, 0, &port), 0);
		assert_true(port % 2 == 0);
		assert_true(port >= 30002 && port + 1 <= 30101);
	}
	ports_free(p);
}

static void never_twice_and_exhaustion(void **state)
{
	(void)state;
	struct port_pool *p = ports_new(40000, 40199, 1000);
	uint8_t seen[100] = {0};
	uint16_t port;

	for (int i = 0; i < 100; i++) {
		assert_int_equal(ports_alloc(p, 0, &port), 0);
		assert_int_equal(seen[(port - 40000) / 2], 0);
		seen[(port - 40000) / 2] = 1;
	}
	assert_int_equal(ports_in_use(p), 100);
	assert_int_equal(ports_alloc(p, 0, &port), -ENOSPC);
	ports_free(p);
}

static void allocation_is_random(void **state)
{
	(void)state;
	struct port_pool *a = ports_new(20000, 29999, 0);
	struct port_pool *b = ports_new(20000, 29999, 0);
	uint16_t pa[32], pb[32];
	int sequential = 0, same = 0;

	ports_seed(a, 1);
	ports_seed(b, 2);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(ports_alloc(a, 0, &pa[i]), 0);
		assert_int_equal(ports_alloc(b, 0, &pb[i]), 0);
		if (i && pa[i] == pa[i - 1] + 2)
			sequential++;
		same += pa[i] == pb[i];
	}
	assert_true(sequential < 3);	/* not handed out in order */
	assert_true(same < 3);		/* different seeds, different sequences */
	ports_free(a);
	ports_free(b);
}

static void quarantine_holds_released_pairs(void **state)
{
	(void)state;
	struct port_pool *p = ports_new(50000, 50003, 5000);	/* two pairs */
	uint16_t x, y, z;

	assert_int_equal(ports_alloc(p, 0, &x), 0);
	assert_int_equal(ports_alloc(p, 0, &y), 0);
	assert_int_not_equal(x, y);
	ports_release(p, x, 1000);
	assert_int_equal(ports_quarantined(p), 1);
	assert_int_equal(ports_alloc(p, 6000, &z), 0);	/* rested: free again */
	assert_int_equal(z, x);
	assert_int_equal(ports_early_reuses(p), 0);
	ports_free(p);
}

static void quarantined_pairs_are_taken_last(void **state)
{
	(void)state;
	struct port_pool *p = ports_new(50000, 50005, 5000);	/* three pairs */
	uint16_t x, y, z, w;

	assert_int_equal(ports_alloc(p, 0, &x), 0);
	assert_int_equal(ports_alloc(p, 0, &y), 0);
	ports_release(p, x, 1000);
	ports_release(p, y, 1100);
	/* the never-used pair first, while the released ones rest */
	assert_int_equal(ports_alloc(p, 1200, &z), 0);
	assert_true(z != x && z != y);
	assert_int_equal(ports_early_reuses(p), 0);
	/* nothing free: the longest-resting pair is cut short, not the call */
	assert_int_equal(ports_alloc(p, 1300, &w), 0);
	assert_int_equal(w, x);
	assert_int_equal(ports_early_reuses(p), 1);
	assert_int_equal(ports_alloc(p, 1300, &w), 0);
	assert_int_equal(w, y);
	assert_int_equal(ports_alloc(p, 1300, &w), -ENOSPC);	/* all in use */
	ports_free(p);
}

static void double_release_is_harmless(void **state)
{
	(void)state;
	struct port_pool *p = ports_new(50000, 50003, 0);
	uint16_t x, y, z;

	assert_int_equal(ports_alloc(p, 0, &x), 0);
	ports_release(p, x, 0);
	ports_release(p, x, 0);
	ports_release(p, x + 1, 0);	/* odd: not a pair start */
	ports_release(p, 1, 0);
	assert_int_equal(ports_in_use(p), 0);
	assert_int_equal(ports_alloc(p, 0, &x), 0);
	assert_int_equal(ports_alloc(p, 0, &y), 0);
	assert_int_equal(ports_alloc(p, 0, &z), -ENOSPC);
	assert_int_not_equal(x, y);
	ports_free(p);
}

/* A restored call takes its own pair (ports_take); a failed restore gives it
 * back at once (ports_untake); a taken pair is never allocated again. */
static void take_and_untake(void **state)
{
	(void)state;
	struct port_pool *p = ports_new(40000, 40007, 1000); /* 4 pairs */
	uint16_t port;

	assert_int_equal(ports_take(p, 40002), 0);
	assert_int_equal(ports_take(p, 40002), -EBUSY);
	assert_int_equal(ports_take(p, 40003), -EINVAL); /* odd */
	assert_int_equal(ports_take(p, 39998), -EINVAL); /* below */
	assert_int_equal(ports_take(p, 40008), -EINVAL); /* above */
	assert_int_equal(ports_in_use(p), 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ports_alloc(p, 0, &port), 0);
		assert_int_not_equal(port, 40002);
	}
	assert_int_equal(ports_alloc(p, 0, &port), -ENOSPC);
	ports_untake(p, 40002);
	assert_int_equal(ports_in_use(p), 3);
	assert_int_equal(ports_quarantined(p), 0);
	assert_int_equal(ports_alloc(p, 0, &port), 0); /* free at once */
	assert_int_equal(port, 40002);
	/* a quarantined pair cannot be taken */
	ports_release(p, 40002, 0);
	assert_int_equal(ports_take(p, 40002), -EBUSY);
	ports_free(p);
}

static void empty_range_is_refused(void **state)
{
	(void)state;
	assert_null(ports_new(40001, 40002, 0));	/* 40002 has no 40003 */
	assert_null(ports_new(40010, 40000, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pairs_are_even_and_in_range),
		cmocka_unit_test(never_twice_and_exhaustion),
		cmocka_unit_test(allocation_is_random),
		cmocka_unit_test(quarantine_holds_released_pairs),
		cmocka_unit_test(quarantined_pairs_are_taken_last),
		cmocka_unit_test(double_release_is_harmless),
		cmocka_unit_test(empty_range_is_refused),
		cmocka_unit_test(take_and_untake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
