/* test_sdes.c: a=crypto (RFC 4568) parse and print, hostile lines refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "srtp/sdes.h"

/* RFC 4568 section 4's example key (30 bytes). */
#define KEY40 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"

static void parse_ok(const char *s, struct sdes_crypto *c)
{
	const char *err = NULL;

	if (sdes_parse(s, strlen(s), c, &err))
		fail_msg("'%s': %s", s, err);
}

static void rfc4568_example(void **state)
{
	(void)state;
	struct sdes_crypto c;
	char out[SDES_MAX_LINE];

	parse_ok("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|2^20|1:4", &c);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.suite, SR_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(c.key.master[0], 0x3d); /* 'PS1u' */
	assert_int_equal(c.key.master[1], 0x2d);
	assert_int_equal(c.lifetime, 20);
	assert_true(c.lifetime_exp);
	assert_int_equal(c.key.mki_len, 4);
	assert_memory_equal(c.key.mki, "\0\0\0\1", 4);
	assert_int_equal(sdes_print(&c, false, out, sizeof(out)),
			 (int)strlen("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|2^20|1:4"));
	assert_string_equal(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|2^20|1:4");
}

static void session_params_round_trip(void **state)
{
	(void)state;
	struct sdes_crypto c, again;
	char out[SDES_MAX_LINE];

	parse_ok("99 AES_CM_128_HMAC_SHA1_32 inline:" KEY40
		 "|1048576  unencrypted_srtcp UNENCRYPTED_SRTP UNAUTHENTICATED_SRTP WSH=256 KDR=0",
		 &c);
	assert_int_equal(c.key.params,
			 SR_UNENCRYPTED_SRTP | SR_UNENCRYPTED_SRTCP | SR_UNAUTHENTICATED_SRTP);
	assert_int_equal(c.key.window, 256);
	assert_false(c.lifetime_exp);
	assert_int_equal(c.lifetime_n, 1048576);
	assert_true(sdes_print(&c, false, out, sizeof(out)) > 0);
	assert_string_equal(out, "a=crypto:99 AES_CM_128_HMAC_SHA1_32 inline:" KEY40
				 "|1048576 UNENCRYPTED_SRTP UNENCRYPTED_SRTCP "
				 "UNAUTHENTICATED_SRTP WSH=256");
	parse_ok(out + 9, &again);
	assert_memory_equal(&again.key, &c.key, sizeof(c.key));
}

static void padding(void **state)
{
	(void)state;
	struct sdes_crypto c;
	char out[SDES_MAX_LINE];

	/* 28 bytes (GCM-128): 38 characters, one '=' of padding, both accepted */
	parse_ok("2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", &c);
	assert_int_equal(c.key.master[27], 27);
	parse_ok("2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", &c);
	assert_int_equal(c.key.master[27], 27);
	assert_true(sdes_print(&c, true, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "GBkaGw=="));
	assert_true(sdes_print(&c, false, out, sizeof(out)) > 0);
	assert_null(strchr(out + 10, '='));
}

static void hostile_lines(void **state)
{
	(void)state;
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "", "bad crypto tag" },
		{ "x AES_CM_128_HMAC_SHA1_80 inline:" KEY40, "bad crypto tag" },
		{ "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY40, "bad crypto tag" },
		{ "1", "no crypto suite" },
		{ "1 AES_CM_128_HMAC_SHA1_80", "no key parameters" },
		{ "1 AES_CM_128_HMAC_SHA1_80 uri:http://x", "key method is not inline:" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVe*CFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
		  "bad base64 in key" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQ", "bad base64 in key" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVm",
		  "key length does not fit the crypto suite" },
		{ "1 AES_256_CM_HMAC_SHA1_80 inline:" KEY40,
		  "key length does not fit the crypto suite" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 KEY40 KEY40 KEY40, "key too long" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|2^49", "bad key lifetime (2^1..2^48)" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|0", "bad key lifetime (1..2^48)" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|1:0",
		  "bad MKI (value:length, length 1..128)" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|99999999999999999999999:4",
		  "bad MKI (value:length, length 1..128)" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|256:1",
		  "MKI value does not fit its length" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|1:4|2:4", "more than one MKI" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "|1:4|2^20",
		  "bad key parameters (lifetime after MKI, or twice)" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 ";inline:" KEY40,
		  "more than one key on a crypto line" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 " WSH=63", "bad WSH (64..32767)" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 " KDR=1", "KDR other than 0 is not "
								    "supported" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 " FEC_KEY=inline:" KEY40,
		  "FEC_ORDER/FEC_KEY are not supported" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 " -FOO", "unknown session parameter" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r", "control character in crypto line" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sdes_crypto c;
		const char *err = NULL;

		if (sdes_parse(bad[i].line, strlen(bad[i].line), &c, &err) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i].line);
		if (!err || strcmp(err, bad[i].why))
			fail_msg("'%s': '%s', want '%s'", bad[i].line, err ? err : "", bad[i].why);
	}
	/* longer than SDES_MAX_LINE */
	char big[SDES_MAX_LINE + 2];
	struct sdes_crypto c;
	const char *err;
	/* a suite name we do not know is -ENOTSUP, not malformed: the answerer
	 * ignores the line (RFC 4568 6.1) and takes another */
	static const char f8[] = "1 F8_128_HMAC_SHA1_80 inline:" KEY40;
	assert_int_equal(sdes_parse(f8, strlen(f8), &c, &err), -ENOTSUP);
	assert_string_equal(err, "unknown crypto suite");
	memset(big, 'A', sizeof(big));
	assert_int_equal(sdes_parse(big, sizeof(big), &c, &err), -EINVAL);
	assert_string_equal(err, "crypto line too long");
}

static void base64_bounds(void **state)
{
	(void)state;
	uint8_t out[4];
	char enc[16];

	assert_int_equal(sdes_b64_decode("AAAAAA", 6, out, sizeof(out)), 4);
	assert_int_equal(sdes_b64_decode("AAAAAAAA", 8, out, sizeof(out)), -1); /* 6 > cap */
	assert_int_equal(sdes_b64_decode("AB==", 4, out, sizeof(out)), -1);	 /* stray bits */
	assert_int_equal(sdes_b64_decode("A===", 4, out, sizeof(out)), -1);
	assert_int_equal(sdes_b64_decode("=", 1, out, sizeof(out)), -1);
	assert_int_equal(sdes_b64_encode((const uint8_t *)"ab", 2, true, enc, sizeof(enc)), 4);
	assert_string_equal(enc, "YWI=");
	assert_int_equal(sdes_b64_encode((const uint8_t *)"ab", 2, false, enc, sizeof(enc)), 3);
	assert_int_equal(sdes_b64_encode((const uint8_t *)"abcdefghij", 10, true, enc, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4568_example),
		cmocka_unit_test(session_params_round_trip),
		cmocka_unit_test(padding),
		cmocka_unit_test(hostile_lines),
		cmocka_unit_test(base64_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
