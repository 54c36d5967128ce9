/* test_codec_set.c: the codec "set" spec (daemon/codec_set.h): what parses,
 * what is refused, and the encoder fmtp it makes for a matching codec only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/codec_set.h"

static void test_parse(void **state)
{
	struct codec_set_item it;
	(void)state;

	assert_true(codec_set_parse("opus/48000/2/32000", &it));
	assert_string_equal(it.enc, "opus");
	assert_int_equal(it.clock, 48000);
	assert_int_equal(it.channels, 2);
	assert_int_equal(it.bitrate, 32000);
	assert_string_equal(it.params, "");
	assert_true(codec_set_parse("opus/48000/2///maxaveragebitrate=12000", &it));
	assert_int_equal(it.bitrate, 0);
	assert_string_equal(it.params, "maxaveragebitrate=12000");
	assert_true(codec_set_parse("opus/48000/1///usedtx--1;cbr--1", &it));
	assert_string_equal(it.params, "usedtx=1;cbr=1");
	/* not a full codec, or nothing to set, or nonsense: refused */
	static const char *bad[] = { "opus", "opus/48000", "opus/48000/2", "opus/x/2/1000",
				     "opus/48000/0/1000", "opus/48000/2/-5", "/48000/2/1000",
				     "//////", "", "opus/48000/2/99999999999",
				     "opus/48000/2///a=1\r\nb=2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(codec_set_parse(bad[i], &it));
	/* a parameter string longer than we keep is refused, not cut */
	char longspec[400] = "opus/48000/2///";
	memset(longspec + strlen(longspec), 'x', 300);
	assert_false(codec_set_parse(longspec, &it));
}

static void test_fmtp(void **state)
{
	struct codec_set_item it[2];
	char out[128];
	(void)state;

	assert_true(codec_set_parse("opus/48000/2/40000", &it[0]));
	assert_true(codec_set_parse("G722/8000/1///x=1", &it[1]));
	assert_true(codec_set_fmtp(it, 2, "OPUS", 48000, 2, "useinbandfec=1", 14, out, sizeof(out)));
	assert_string_equal(out, "maxaveragebitrate=40000;useinbandfec=1");
	assert_true(codec_set_fmtp(it, 2, "G722", 8000, 1, NULL, 0, out, sizeof(out)));
	assert_string_equal(out, "x=1");
	/* other clock or channels: no match */
	assert_false(codec_set_fmtp(it, 2, "opus", 48000, 1, NULL, 0, out, sizeof(out)));
	assert_false(codec_set_fmtp(it, 2, "PCMU", 8000, 1, NULL, 0, out, sizeof(out)));
	/* a bitrate for a codec without one: nothing to set */
	assert_true(codec_set_parse("PCMA/8000/1/64000", &it[0]));
	assert_false(codec_set_fmtp(it, 1, "PCMA", 8000, 1, NULL, 0, out, sizeof(out)));
	/* does not fit: the receiver's fmtp stays */
	assert_true(codec_set_parse("opus/48000/2/40000", &it[0]));
	assert_false(codec_set_fmtp(it, 1, "opus", 48000, 2, "a=1", 3, out, 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fmtp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
