/* test_sdp_hostile.c: sdp_parse refuses malformed and oversized SDP with a clear
 * error, never reads past len and never crashes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "sdp/sdp.h"
#include "samples.h"

#include "tests/unit/lib/arena_fixture.h"

#define HDR "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

/* Parse text[0..len) from an exact-size heap copy so that ASan sees any read
 * past the end; expect @rc and an error containing @needle. */
static void expect_fail_n(const char *text, size_t len, int rc, const char *needle)
{
	struct sdp_session s;
	const char *err = NULL;
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	int got = sdp_parse(arena, copy, len, &s, &err);
	free(copy);
	if (got != rc)
		fail_msg("rc %d, want %d (err %s) for '%.40s'", got, rc, err ? err : "-", text);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
}

static void expect_fail(const char *text, int rc, const char *needle)
{
	expect_fail_n(text, strlen(text), rc, needle);
}

static void test_structure(void **state)
{
	(void)state;
	expect_fail("", -EINVAL, "empty");
	expect_fail("o=- 1 1 IN IP4 1.2.3.4\r\n", -EINVAL, "line 1: SDP must start with v=0");
	expect_fail("v=1\r\n", -EINVAL, "v=0");
	expect_fail("v=0\r\ns=-\r\n", -EINVAL, "no o= line");
	expect_fail(HDR "junk\r\n", -EINVAL, "line 6: not a <type>=<value>");
	expect_fail(HDR "=x\r\n", -EINVAL, "line 6");
	expect_fail(HDR "1=x\r\n", -EINVAL, "line 6");
	expect_fail(HDR "a=x\rb=y\r\n", -EINVAL, "stray CR");
	expect_fail(HDR "v=0\r\n", -EINVAL, "duplicate v=");
	expect_fail(HDR "o=- 1 1 IN IP4 1.2.3.4\r\n", -EINVAL, "o= line");
	expect_fail(HDR "c=IN IP4 192.0.2.2\r\n", -EINVAL, "duplicate c=");
	expect_fail_n(HDR "a=x\0y\r\n", sizeof(HDR) + 6, -EINVAL, "NUL");
}

static void test_truncated_lines(void **state)
{
	(void)state;
	expect_fail("v=0\r\no=- 1 1 IN IP4\r\n", -EINVAL, "line 2: o= line needs 6 fields");
	expect_fail(HDR "m=audio\r\n", -EINVAL, "line 6: m= line needs");
	expect_fail(HDR "m=audio 5000\r\n", -EINVAL, "m= line needs");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=IN IP4\r\n", -EINVAL, "line 7: c= line");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0\r\n", -EINVAL, "a=rtpmap");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", -EINVAL, "a=rtpmap");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/\r\n", -EINVAL, "clock");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtcp:\r\n", -EINVAL, "a=rtcp");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001 IN IP4\r\n", -EINVAL, "a=rtcp");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=ptime:\r\n", -EINVAL, "a=ptime");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=fmtp:\r\n", -EINVAL, "a=fmtp");
	/* every prefix of a real SDP either parses or fails cleanly (ASan checks reads) */
	size_t n = strlen(sdp_webrtc);
	for (size_t i = 1; i < n; i++) {
		struct sdp_session s;
		const char *err = NULL;
		char *copy = malloc(i);
		assert_non_null(copy);
		memcpy(copy, sdp_webrtc, i);
		int rc = sdp_parse(arena, copy, i, &s, &err);
		if (rc)
			assert_non_null(err);
		else
			assert_true(s.n_media <= 2);
		free(copy);
	}
}

static void test_numbers(void **state)
{
	(void)state;
	expect_fail(HDR "m=audio 65536 RTP/AVP 0\r\n", -EINVAL, "bad m= port '65536'");
	expect_fail(HDR "m=audio 99999999999999999999999 RTP/AVP 0\r\n", -EINVAL, "bad m= port");
	expect_fail(HDR "m=audio -1 RTP/AVP 0\r\n", -EINVAL, "bad m= port");
	expect_fail(HDR "m=audio +5000 RTP/AVP 0\r\n", -EINVAL, "bad m= port");
	expect_fail(HDR "m=audio 0x10 RTP/AVP 0\r\n", -EINVAL, "bad m= port");
	expect_fail(HDR "m=audio 5000/0 RTP/AVP 0\r\n", -EINVAL, "port count");
	expect_fail(HDR "m=audio 65000/1000 RTP/AVP 0\r\n", -EINVAL, "port count");
	expect_fail(HDR "m=audio 5000 RTP/AVP 128\r\n", -EINVAL, "bad payload type '128'");
	expect_fail(HDR "m=audio 5000 RTP/AVP PCMU\r\n", -EINVAL, "bad payload type");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0 0\r\n", -EINVAL, "duplicate payload type 0");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", -EINVAL, "clock");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/0\r\n", -EINVAL,
		    "channels");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/2/3\r\n", -EINVAL,
		    "a=rtpmap");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/2/\r\n", -EINVAL,
		    "a=rtpmap");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/\r\n", -EINVAL,
		    "channels");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 /8000\r\n", -EINVAL,
		    "a=rtpmap");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/18446744073709551617\r\n",
		    -EINVAL, "clock");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtpmap:300 X/8000\r\n", -EINVAL,
		    "payload type");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtcp:70000\r\n", -EINVAL, "a=rtcp port");
	expect_fail(HDR "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 "
		    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		    "/8000\r\n", -EINVAL, "encoding name too long");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=ptime:0\r\n", -EINVAL, "a=ptime");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=ptime:20ms\r\n", -EINVAL, "a=ptime");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=ptime:20.x\r\n", -EINVAL, "a=ptime");
}

static void test_addresses(void **state)
{
	(void)state;
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 pbx.example.com\r\n", -EINVAL,
		    "not an IPv4 address");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 2001:db8::1\r\n", -EINVAL,
		    "not an IPv4");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=IN IP6 192.0.2.1\r\n", -EINVAL,
		    "not an IPv6");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=IN IPX 192.0.2.1\r\n", -EINVAL,
		    "address type");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=ATM NSAP 47.0091\r\n", -EINVAL,
		    "network type");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 "
		    "1111111111111111111111111111111111111111111111111111111111111111111\r\n",
		    -EINVAL, "address length");
	expect_fail(HDR "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001 IN IP4 1.2.3\r\n", -EINVAL,
		    "IPv4");
}

static char *repeat(const char *head, const char *unit, unsigned n, size_t *len)
{
	size_t hl = strlen(head), ul = strlen(unit);
	char *t = malloc(hl + ul * n + 1);

	assert_non_null(t);
	memcpy(t, head, hl);
	for (unsigned i = 0; i < n; i++)
		memcpy(t + hl + ul * i, unit, ul);
	*len = hl + ul * n;
	t[*len] = '\0';
	return t;
}

static void test_limits(void **state)
{
	size_t len;
	char *t;
	(void)state;

	t = repeat(HDR, "m=audio 5000 RTP/AVP 0\r\n", 2000, &len);
	expect_fail_n(t, len, -E2BIG, "more than 1024 lines");
	free(t);
	t = repeat(HDR, "m=audio 5000 RTP/AVP 0\r\n", SDP_MAX_MEDIA + 1, &len);
	expect_fail_n(t, len, -E2BIG, "too many media sections (max 16)");
	free(t);
	t = repeat(HDR, "m=audio 5000 RTP/AVP 0\r\n", SDP_MAX_MEDIA, &len);
	{
		struct sdp_session s;
		const char *err = NULL;
		assert_int_equal(sdp_parse(arena, t, len, &s, &err), 0);
		assert_int_equal(s.n_media, SDP_MAX_MEDIA);
	}
	free(t);
	t = repeat(HDR "m=audio 5000 RTP/AVP", " 1", SDP_MAX_FORMATS + 1, &len);
	expect_fail_n(t, len, -E2BIG, "too many formats");
	free(t);
	t = repeat(HDR "a=x:", "y", 5000, &len);
	expect_fail_n(t, len, -E2BIG, "line 6: line longer than");
	free(t);
	t = repeat(HDR, "a=x:yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n", 1400, &len);
	expect_fail_n(t, len, -E2BIG, "SDP longer than 65536");
	free(t);
	t = repeat(HDR, "\n", 2000, &len);
	expect_fail_n(t, len, -E2BIG, "lines");
	free(t);
}

/* Deterministic binary junk, and junk spliced into a valid SDP: never a crash,
 * always either success or an error message. */
static void test_binary_junk(void **state)
{
	uint32_t x = 2463534242u;
	char buf[512];
	(void)state;

	for (int round = 0; round < 20000; round++) {
		size_t n = 1 + round % sizeof(buf);
		size_t keep = round & 1 ? strlen(sdp_baresip) : 0;
		if (keep > n)
			keep = n;
		memcpy(buf, sdp_baresip, keep);
		for (size_t i = keep / 2; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			/* bias towards SDP structure characters */
			buf[i] = (x & 0x300) ? "v=0\r\n:/ am9c"[x % 13] : (char)((x >> 11) & 0xff);
		}
		struct sdp_session s;
		const char *err = NULL;
		char *copy = malloc(n);
		assert_non_null(copy);
		memcpy(copy, buf, n);
		if (sdp_parse(arena, copy, n, &s, &err) != 0)
			assert_non_null(err);
		free(copy);
		if (round % 1000 == 999) {	/* errors live in the arena: recycle it */
			arena_free(arena);
			arena = arena_new(0);
			assert_non_null(arena);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_truncated_lines),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_binary_junk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
