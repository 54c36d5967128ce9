/*
 * test_mos.c: lib/mos: the simplified G.107 E-model against figures worked
 * out by hand from the formulae in lib/mos.h: a perfect path, a poor one
 * (300 ms round trip, 20 ms jitter, 5 % loss), the delay knee at 177.3 ms,
 * the clamps at both ends, and "no round trip time, no MOS".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/mos.h"

#define NEAR(x, want) assert_true((x) > (want) - 0.001 && (x) < (want) + 0.001)

static void test_perfect_path(void **state)
{
	(void)state;
	/* d = 10 ms: Id = 0.24, Ie = 0: R = 92.96; MOS = 4.40459 */
	struct mos_input in = { .rtt_us = 0, .jitter_ms = 0, .loss_pct = 0 };
	int m = 0;

	NEAR(mos_r_factor(&in), 92.96);
	NEAR(mos_from_r(92.96), 4.40459);
	assert_true(mos_compute(&in, &m));
	assert_int_equal(m, 44);
}

static void test_poor_path(void **state)
{
	(void)state;
	/* d = 150 + 40 + 10 = 200 ms: Id = 4.8 + 0.11 * 22.7 = 7.297;
	 * Ie_eff = 95 * 5 / 30.1 = 15.7807; R = 70.1223; MOS = 3.60273 */
	struct mos_input in = { .rtt_us = 300000, .jitter_ms = 20, .loss_pct = 5 };
	int m = 0;

	NEAR(mos_r_factor(&in), 70.1223);
	NEAR(mos_from_r(mos_r_factor(&in)), 3.60273);
	assert_true(mos_compute(&in, &m));
	assert_int_equal(m, 36);
}

static void test_delay_knee(void **state)
{
	(void)state;
	/* Below 177.3 ms only 0.024/ms; above it 0.134/ms. */
	struct mos_input a = { .rtt_us = 2 * 150000 }, b = { .rtt_us = 2 * 160000 };
	struct mos_input c = { .rtt_us = 2 * 300000 }, e = { .rtt_us = 2 * 310000 };

	NEAR(mos_r_factor(&a) - mos_r_factor(&b), 0.24);
	NEAR(mos_r_factor(&c) - mos_r_factor(&e), 1.34);
}

static void test_clamps(void **state)
{
	(void)state;
	struct mos_input awful = { .rtt_us = 2000000, .jitter_ms = 100, .loss_pct = 50 };
	struct mos_input absurd = { .rtt_us = 0, .jitter_ms = -5, .loss_pct = -3 };
	struct mos_input over = { .rtt_us = 0, .jitter_ms = 0, .loss_pct = 1000 };
	int m = 0;

	NEAR(mos_r_factor(&awful), 0.0);
	assert_true(mos_compute(&awful, &m));
	assert_int_equal(m, 10);
	/* negative inputs count as zero, loss above 100 % as 100 % */
	NEAR(mos_r_factor(&absurd), 92.96);
	NEAR(mos_r_factor(&over), 92.96 - 95.0 * 100 / 125.1);
	NEAR(mos_from_r(-1), 1.0);
	NEAR(mos_from_r(100), 4.5);
	NEAR(mos_from_r(150), 4.5);
}

static void test_unknown_rtt(void **state)
{
	(void)state;
	struct mos_input in = { .rtt_us = -1, .jitter_ms = 1, .loss_pct = 0 };
	int m = 77;

	assert_false(mos_compute(&in, &m));
	assert_int_equal(m, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfect_path), cmocka_unit_test(test_poor_path),
		cmocka_unit_test(test_delay_knee),   cmocka_unit_test(test_clamps),
		cmocka_unit_test(test_unknown_rtt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
