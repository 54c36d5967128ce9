/*
 * test_sdp_bundle.c: sdp/sdp_bundle: a=ssrc values of a section (distinct,
 * bounded, malformed ones skipped) and a=extmap ids (media level before
 * session level, with a direction, out of range).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "sdp/sdp_bundle.h"

static const char *SDP = "v=0\r\n"
			 "o=- 1 1 IN IP4 127.0.0.1\r\n"
			 "s=-\r\n"
			 "c=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\n"
			 "a=extmap:9 " SDP_EXTMAP_MID "\r\n"
			 "m=audio 5000 RTP/AVP 0\r\n"
			 "a=ssrc:1111 cname:x\r\n"
			 "a=ssrc:1111 msid:y z\r\n"
			 "a=ssrc:4294967295 cname:x\r\n"
			 "a=ssrc:4294967296 cname:too-large\r\n"
			 "a=ssrc:12ab cname:not-a-number\r\n"
			 "a=ssrc: cname:empty\r\n"
			 "a=ssrc-group:FID 1111 2222\r\n"
			 "a=extmap:3/sendrecv " SDP_EXTMAP_MID "\r\n"
			 "m=video 5000 RTP/AVP 96\r\n"
			 "a=ssrc:1\r\n"
			 "a=ssrc:2\r\n"
			 "a=ssrc:3\r\n"
			 "a=extmap:256 " SDP_EXTMAP_MID "\r\n"
			 "a=extmap:4 " SDP_EXTMAP_MID "x\r\n"
			 "m=audio 5002 RTP/AVP 0\r\n"
			 "a=extmap:0 " SDP_EXTMAP_MID "\r\n"
			 "a=extmap:12 " SDP_EXTMAP_MID " attr\r\n";

static void test_ssrcs_and_extmap(void **state)
{
	struct arena *a = arena_new(0);
	struct sdp_session s;
	const char *err = NULL;
	uint32_t ss[8];

	(void)state;
	assert_non_null(a);
	assert_int_equal(sdp_parse(a, SDP, strlen(SDP), &s, &err), 0);
	assert_int_equal(s.n_media, 3);
	/* distinct, decimal 32-bit only; a=ssrc-group is not a=ssrc */
	assert_int_equal(sdp_media_ssrcs(&s, &s.media[0], ss, 8), 2);
	assert_int_equal(ss[0], 1111);
	assert_int_equal(ss[1], 4294967295u);
	/* bounded by max */
	assert_int_equal(sdp_media_ssrcs(&s, &s.media[1], ss, 2), 2);
	assert_int_equal(ss[1], 2);
	assert_int_equal(sdp_media_ssrcs(&s, &s.media[2], ss, 8), 0);
	/* media level with a direction */
	assert_int_equal(sdp_media_extmap(&s, &s.media[0], SDP_EXTMAP_MID), 3);
	/* id out of range and another URI at media level: the session's */
	assert_int_equal(sdp_media_extmap(&s, &s.media[1], SDP_EXTMAP_MID), 9);
	/* id 0 skipped; trailing attributes allowed */
	assert_int_equal(sdp_media_extmap(&s, &s.media[2], SDP_EXTMAP_MID), 12);
	assert_int_equal(sdp_media_extmap(&s, &s.media[0], "urn:x"), 0);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssrcs_and_extmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
