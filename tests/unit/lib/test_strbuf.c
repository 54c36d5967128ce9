/*
 * test_strbuf.c: lib/strbuf (growth, the cap, JSON strings that stay valid
 * UTF-8 whatever the input, Prometheus label escapes), lib/histo (cumulative
 * buckets, sum and count) and lib/log's key=value quoting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/histo.h"
#include "lib/log.h"
#include "lib/strbuf.h"

static char *json_of(const char *s)
{
	struct strbuf b;

	strbuf_init(&b, 1 << 16);
	strbuf_json_str(&b, s);
	return strbuf_take(&b, NULL);
}

static void test_grow_and_cap(void **state)
{
	struct strbuf b;
	size_t len;
	char *s;

	(void)state;
	strbuf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		strbuf_printf(&b, "%d,", i % 10);
	s = strbuf_take(&b, &len);
	assert_non_null(s);
	assert_int_equal(len, 20000);
	assert_int_equal(strlen(s), 20000);
	free(s);
	/* past the cap: failed, later appends ignored, take gives NULL */
	strbuf_init(&b, 16);
	strbuf_puts(&b, "0123456789");
	assert_true(strbuf_ok(&b));
	strbuf_puts(&b, "0123456789");
	assert_false(strbuf_ok(&b));
	strbuf_puts(&b, "x");
	assert_null(strbuf_take(&b, &len));
	assert_int_equal(len, 0);
	/* a printf that fits exactly under a small cap succeeds */
	strbuf_init(&b, 8);
	strbuf_printf(&b, "%d", 1234567);
	assert_true(strbuf_ok(&b));
	s = strbuf_take(&b, &len);
	assert_string_equal(s, "1234567");
	free(s);
	strbuf_init(&b, 8);
	strbuf_printf(&b, "%d", 12345678);
	assert_false(strbuf_ok(&b));
	strbuf_free(&b);
	/* nothing appended: an empty string, not NULL */
	strbuf_init(&b, 16);
	s = strbuf_take(&b, &len);
	assert_string_equal(s, "");
	free(s);
}

static void test_json_escapes(void **state)
{
	char *s;

	(void)state;
	s = json_of("a\"b\\c\n\x01\x7f");
	assert_string_equal(s, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\"");
	free(s);
	/* valid UTF-8 passes; broken sequences, overlongs and surrogates become
	 * U+FFFD one byte at a time */
	s = json_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(s, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	free(s);
	s = json_of("\xc3(\xc0\xaf\xed\xa0\x80\xff");
	assert_string_equal(s, "\"\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			       "\xef\xbf\xbd\xef\xbf\xbd\"");
	free(s);
	/* a sequence cut by the end of the string */
	s = json_of("x\xe2\x82");
	assert_string_equal(s, "\"x\xef\xbf\xbd\xef\xbf\xbd\"");
	free(s);
}

static void test_prom_label(void **state)
{
	struct strbuf b;
	char *s;

	(void)state;
	strbuf_init(&b, 256);
	strbuf_prom_label(&b, "a\"b\\c\nd");
	s = strbuf_take(&b, NULL);
	assert_string_equal(s, "a\\\"b\\\\c\\nd");
	free(s);
}

static void test_histo(void **state)
{
	static const double bounds[] = { 1, 2.5, 10 };
	struct histo h;
	struct strbuf b;
	char *s;

	(void)state;
	histo_init(&h, bounds, 3);
	histo_observe(&h, 0.5);
	histo_observe(&h, 1); /* le is inclusive */
	histo_observe(&h, 3);
	histo_observe(&h, 100);
	strbuf_init(&b, 4096);
	histo_render(&b, "x_seconds", "cmd=\"offer\"", &h);
	s = strbuf_take(&b, NULL);
	assert_string_equal(s, "x_seconds_bucket{cmd=\"offer\",le=\"1\"} 2\n"
			       "x_seconds_bucket{cmd=\"offer\",le=\"2.5\"} 2\n"
			       "x_seconds_bucket{cmd=\"offer\",le=\"10\"} 3\n"
			       "x_seconds_bucket{cmd=\"offer\",le=\"+Inf\"} 4\n"
			       "x_seconds_sum{cmd=\"offer\"} 104.5\n"
			       "x_seconds_count{cmd=\"offer\"} 4\n");
	free(s);
	strbuf_init(&b, 4096);
	histo_render(&b, "y", "", &h);
	s = strbuf_take(&b, NULL);
	assert_non_null(strstr(s, "y_bucket{le=\"+Inf\"} 4\ny_sum 104.5\ny_count 4\n"));
	free(s);
}

static void test_log_kv(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(log_kv(buf, sizeof(buf), "abc-123@host"), "abc-123@host");
	assert_string_equal(log_kv(buf, sizeof(buf), ""), "\"\"");
	assert_string_equal(log_kv(buf, sizeof(buf), NULL), "\"\"");
	assert_string_equal(log_kv(buf, sizeof(buf), "a b"), "\"a b\"");
	assert_string_equal(log_kv(buf, sizeof(buf), "k=v"), "\"k=v\"");
	assert_string_equal(log_kv(buf, sizeof(buf), "q\"\\\n"), "\"q\\\"\\\\\\x0a\"");
	/* truncated to the buffer, still closed */
	const char *t = log_kv(buf, sizeof(buf), "a long value with blanks that does not fit");
	assert_true(strlen(t) < sizeof(buf));
	assert_int_equal(t[0], '"');
	assert_int_equal(t[strlen(t) - 1], '"');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_and_cap), cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_prom_label),   cmocka_unit_test(test_histo),
		cmocka_unit_test(test_log_kv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
