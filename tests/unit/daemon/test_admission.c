/* test_admission.c: the /proc parsers and the order and bounds of the
 * admission limits (daemon/admission.h), with readings set by hand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/admission.h"
#include "daemon/config.h"

static void parse_loadavg(void **state)
{
	double v = -1;
	(void)state;

	assert_int_equal(admission_parse_loadavg("0.52 0.58 0.59 1/467 12345\n", &v), 0);
	assert_true(v == 0.52);
	assert_int_equal(admission_parse_loadavg("12.00", &v), 0);
	assert_true(v == 12.0);
	assert_int_equal(admission_parse_loadavg("", &v), -EINVAL);
	assert_int_equal(admission_parse_loadavg("-1.0 2 3", &v), -EINVAL);
	assert_int_equal(admission_parse_loadavg("nan 1 2", &v), -EINVAL);
	assert_int_equal(admission_parse_loadavg("1.5x 1 2", &v), -EINVAL);
}

static void parse_stat(void **state)
{
	uint64_t used = 0, idle = 0;
	(void)state;

	/* user nice system idle iowait ...: iowait and the rest are not busy */
	assert_int_equal(admission_parse_stat("cpu  10 2 3 100 50 1 1 0 0 0\ncpu0 1 2 3 4\n", &used,
					      &idle),
			 0);
	assert_int_equal(used, 15);
	assert_int_equal(idle, 100);
	assert_int_equal(admission_parse_stat("cpu0 1 2 3 4\n", &used, &idle), -EINVAL);
	assert_int_equal(admission_parse_stat("cpu  1 2 3\n", &used, &idle), -EINVAL);
	assert_int_equal(admission_parse_stat("cpu  1 2 x 4\n", &used, &idle), -EINVAL);
	assert_int_equal(admission_parse_stat("", &used, &idle), -EINVAL);
}

static void order_and_bounds(void **state)
{
	struct rtprelay_config cfg;
	struct admission a;
	const char *r;
	(void)state;

	config_defaults(&cfg);
	memset(&a, 0, sizeof(a));
	a.cfg = &cfg;
	/* every limit off: nothing refused whatever the readings */
	a.have_load = a.have_cpu = a.have_bw = true;
	a.load = 100;
	a.cpu_pct = 100;
	a.bw_bps = 1000000;
	assert_null(admission_check(&a, &cfg, 5, "c"));
	/* each limit refuses only above its value ("exceeds") */
	cfg.max_bandwidth = 1000000;
	assert_null(admission_check(&a, &cfg, 5, "c"));
	a.bw_bps++;
	r = admission_check(&a, &cfg, 5, "c");
	assert_string_equal(r, ADM_REASON_BANDWIDTH);
	assert_true(admission_is_refusal(r));
	cfg.max_cpu = 99.5;
	assert_string_equal(admission_check(&a, &cfg, 5, "c"), ADM_REASON_CPU);
	cfg.max_load = 50;
	assert_string_equal(admission_check(&a, &cfg, 5, "c"), ADM_REASON_LOAD);
	cfg.max_sessions = 5;
	r = admission_check(&a, &cfg, 5, "c");
	assert_string_equal(r, ADM_REASON_SESSIONS);
	assert_true(admission_is_refusal(r));
	/* no reading yet: that limit does not refuse */
	a.have_load = a.have_cpu = a.have_bw = false;
	assert_null(admission_check(&a, &cfg, 4, "c"));
	/* without readings only max-sessions counts */
	assert_null(admission_check(NULL, &cfg, 4, "c"));
	assert_non_null(admission_check(NULL, &cfg, 5, "c"));
	/* draining refuses first, whatever the other limits say */
	a.draining = true;
	r = admission_check(&a, &cfg, 0, "c");
	assert_string_equal(r, ADM_REASON_DRAIN);
	assert_true(admission_is_refusal(r));
	a.draining = false;
	/* the same words from elsewhere are not a refusal */
	assert_false(admission_is_refusal("Parallel session limit reached"));
	assert_false(admission_is_refusal(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_loadavg),
		cmocka_unit_test(parse_stat),
		cmocka_unit_test(order_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
