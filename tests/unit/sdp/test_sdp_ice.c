/*
 * test_sdp_ice.c: a=candidate parse/print (browsers' host, mDNS, srflx and
 * TCP candidates; round trip; hostile fields refused with a reason), the ICE
 * attributes of a media section and the session read by sdp_parse, and
 * rtprelay's own ICE lines written by sdp_rewrite.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "sdp/sdp.h"
#include "sdp/sdp_ice.h"

#include "tests/unit/lib/arena_fixture.h"

static void roundtrip(const char *line)
{
	struct sdp_candidate c;
	const char *why = "unset";
	char buf[1024];

	if (sdp_candidate_parse(line, strlen(line), &c, &why))
		fail_msg("'%s' refused: %s", line, why);
	assert_int_equal(sdp_candidate_print(&c, buf, sizeof(buf)), (int)strlen(line));
	assert_string_equal(buf, line);
}

static void test_candidate_parse(void **state)
{
	struct sdp_candidate c;
	const char *why;
	(void)state;

	const char *chrome = "842163049 1 udp 1677729535 203.0.113.7 50061 typ srflx raddr "
			     "192.168.1.20 rport 50061 generation 0 network-cost 999";
	assert_int_equal(sdp_candidate_parse(chrome, strlen(chrome), &c, &why), 0);
	assert_string_equal(c.foundation, "842163049");
	assert_int_equal(c.component, 1);
	assert_string_equal(c.transport, "udp");
	assert_int_equal(c.priority, 1677729535u);
	assert_string_equal(c.addr, "203.0.113.7");
	assert_int_equal(c.port, 50061);
	assert_string_equal(c.type, "srflx");
	assert_true(c.has_raddr);
	assert_string_equal(c.raddr, "192.168.1.20");
	assert_int_equal(c.rport, 50061);
	assert_int_equal(c.ext_len, strlen("generation 0 network-cost 999"));
	roundtrip(chrome);
	roundtrip("1 1 UDP 2130706431 10.0.0.1 8998 typ host");
	roundtrip("3418431593 1 udp 2113937151 6f5a1a2e-3b86-4d2d-9d2d-0bd3c2a8e1f4.local 59125 "
		  "typ host generation 0 network-cost 999");
	roundtrip("1467250027 2 tcp 1518280447 2001:db8::1 9 typ host tcptype active generation 0");
	roundtrip("a+/Z 256 UDP 1 192.0.2.1 0 typ relay raddr 0.0.0.0 rport 0");
	/* rport without raddr, and a second rport as an extension (found by fuzzing) */
	roundtrip("83049 1 udp 167772 203.7 50061 typ srf.168.1.20 rport 50 rport 50061 g70 2 t 30");
}

static void test_candidate_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"1 1 UDP 2130706431 10.0.0.1 8998 typ",			 /* no type */
		"1 1 UDP 2130706431 10.0.0.1 8998 type host",		 /* not typ */
		"1 0 UDP 2130706431 10.0.0.1 8998 typ host",		 /* component 0 */
		"1 257 UDP 2130706431 10.0.0.1 8998 typ host",		 /* component > 256 */
		"1 1 UDP 0 10.0.0.1 8998 typ host",			 /* priority 0 */
		"1 1 UDP 2147483648 10.0.0.1 8998 typ host",		 /* priority > 2^31-1 */
		"1 1 UDP 99999999999999999999 10.0.0.1 8998 typ host",	 /* overflow */
		"1 1 UDP 2130706431 10.0.0.1 65536 typ host",		 /* port */
		"1 1 UDP 2130706431 10.0.0.1 -1 typ host",		 /* port */
		"f=o 1 UDP 2130706431 10.0.0.1 8998 typ host",		 /* foundation chars */
		"123456789012345678901234567890123 1 UDP 1 10.0.0.1 1 typ host", /* 33 chars */
		"1 1 UDP 2130706431 10.0.0.1;rm 8998 typ host",		 /* address chars */
		"1 1 UDP 2130706431 10.0.0.1 8998 typ host generation",	 /* ext w/o value */
		"1 1 UDP 2130706431 10.0.0.1 8998 typ host raddr 1.2.3.4 rport x",
		"1 1 UDP 2130706431 10.0.0.1 8998 typ host raddr b@d rport 1",
		"1 1 UDP 2130706431 10.0.0.1 8998 typ host\x01 x",
		"1 1 UDP 2130706431 10.0.0.1 8998 typ host a b c d e f g h i j k l m n o p q r s t "
		"u v w x y z a b c d e f g h", /* too many fields */
	};
	struct sdp_candidate c;
	char longaddr[400];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		if (sdp_candidate_parse(bad[i], strlen(bad[i]), &c, &why) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
		assert_non_null(why);
	}
	memset(longaddr, 'a', sizeof(longaddr));
	int n = snprintf(longaddr, sizeof(longaddr), "1 1 UDP 1 ");
	memset(longaddr + n, 'a', 300);
	strcpy(longaddr + n + 300, " 1 typ host");
	const char *why;
	assert_int_equal(sdp_candidate_parse(longaddr, strlen(longaddr), &c, &why), -EINVAL);
	/* the printer refuses what the parser would */
	memset(&c, 0, sizeof(c));
	strcpy(c.foundation, "1");
	c.component = 1;
	strcpy(c.transport, "UDP");
	c.priority = 1;
	strcpy(c.addr, "10.0.0.1\r\na=evil");
	strcpy(c.type, "host");
	char buf[256];
	assert_int_equal(sdp_candidate_print(&c, buf, sizeof(buf)), -EINVAL);
	strcpy(c.addr, "10.0.0.1");
	assert_int_equal(sdp_candidate_print(&c, buf, 10), -ENOSPC);
	assert_int_equal(sdp_candidate_priority(126, 65535, 1), 2130706431u);
}

static const char *webrtc = "v=0\r\n"
			    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
			    "s=-\r\n"
			    "t=0 0\r\n"
			    "a=ice-lite\r\n"
			    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
			    "c=IN IP4 0.0.0.0\r\n"
			    "a=ice-ufrag:Xh2R\r\n"
			    "a=ice-pwd:rTq3f1s7dWnrrkK2zBHtS0Ia\r\n"
			    "a=ice-options:trickle renomination\r\n"
			    "a=candidate:1 1 udp 2113937151 192.0.2.5 49203 typ host\r\n"
			    "a=candidate:2 1 udp 1677729535 198.51.100.2 49203 typ srflx raddr "
			    "192.0.2.5 rport 49203\r\n"
			    "a=end-of-candidates\r\n"
			    "a=rtcp-mux\r\n"
			    "a=rtpmap:111 opus/48000/2\r\n";

/* The family of a candidate's address: IPv4, IPv6, or a name that may be
 * either (mDNS); a scoped or malformed literal counts as a name. */
static void test_candidate_family(void **state)
{
	(void)state;
	assert_int_equal(sdp_candidate_family("192.0.2.5"), SDP_ICE_FAM_V4);
	assert_int_equal(sdp_candidate_family("2001:db8::1"), SDP_ICE_FAM_V6);
	assert_int_equal(sdp_candidate_family("::1"), SDP_ICE_FAM_V6);
	assert_int_equal(sdp_candidate_family("5d1bc1f1-8e27-4c32-9f39-2b6bcbc0b4a1.local"),
			 SDP_ICE_FAM_NAME);
	assert_int_equal(sdp_candidate_family("fe80::1%eth0"), SDP_ICE_FAM_NAME);
	assert_int_equal(sdp_candidate_family("192.0.2.256"), SDP_ICE_FAM_NAME);

	/* a section's candidates add up their families */
	struct sdp_ice ice;
	const char *why;
	const char *c6 = "1 1 UDP 2130706431 2001:db8::1 30000 typ host";
	const char *c4 = "2 1 UDP 2130706175 192.0.2.1 30002 typ host";
	memset(&ice, 0, sizeof(ice));
	assert_int_equal(sdp_ice_attr(&ice, "candidate", 9, c6, strlen(c6), &why), 0);
	assert_int_equal(ice.families, SDP_ICE_FAM_V6);
	assert_int_equal(sdp_ice_attr(&ice, "candidate", 9, c4, strlen(c4), &why), 0);
	assert_int_equal(ice.families, SDP_ICE_FAM_V4 | SDP_ICE_FAM_V6);
}

static void test_sdp_ice_attrs(void **state)
{
	struct sdp_session s;
	const char *err = NULL;
	(void)state;

	assert_int_equal(sdp_parse(arena, webrtc, strlen(webrtc), &s, &err), 0);
	assert_true(s.ice.lite);
	const struct sdp_ice *ice = &s.media[0].ice;
	assert_int_equal(ice->ufrag_len, 4);
	assert_memory_equal(ice->ufrag, "Xh2R", 4);
	assert_int_equal(ice->pwd_len, 24);
	assert_true(ice->trickle);
	assert_true(ice->end_of_candidates);
	assert_int_equal(ice->n_candidates, 2);
	assert_int_equal(ice->families, SDP_ICE_FAM_V4); /* both candidates IPv4 */
	assert_true(s.media[0].has_ice);

	/* a hostile candidate makes the SDP an error naming the line */
	char bad[2048];
	snprintf(bad, sizeof(bad), "%s", webrtc);
	char *at = strstr(bad, "typ host");
	memcpy(at, "tip", 3);
	assert_int_equal(sdp_parse(arena, bad, strlen(bad), &s, &err), -EINVAL);
	assert_non_null(strstr(err, "line 11"));
	assert_non_null(strstr(err, "typ"));
	/* a credential with a control character */
	snprintf(bad, sizeof(bad), "%s", webrtc);
	at = strstr(bad, "Xh2R");
	at[1] = '\x7f';
	assert_int_equal(sdp_parse(arena, bad, strlen(bad), &s, &err), -EINVAL);
	assert_non_null(strstr(err, "ice-ufrag"));
}

static void test_rewrite_ice(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	struct sdp_candidate c = { .foundation = "1", .component = 1, .transport = "UDP",
				   .priority = 2130706431u, .addr = "203.0.113.1", .port = 30000,
				   .type = "host" };
	struct sdp_ice_out ice = { .ufrag = "abcdEFGH", .pwd = "0123456789abcdefghijklmn",
				   .cands = &c, .n_cands = 1, .end_of_candidates = true };
	const char *err;
	char *out;
	size_t len;
	(void)state;

	assert_int_equal(sdp_parse(arena, webrtc, strlen(webrtc), &s, &err), 0);
	memset(&rw, 0, sizeof(rw));
	rw.media[0] = (struct sdp_media_rewrite){ .keep = true, .addr = "203.0.113.1",
						  .family = AF_INET, .port = 30000,
						  .rtcp_port = 30000, .rtcp_mux = true,
						  .remove_ice = true, .ice = &ice };
	rw.ice_lite = true;
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), 0);
	assert_null(strstr(out, "Xh2R"));
	assert_null(strstr(out, "198.51.100.2"));
	assert_null(strstr(out, "renomination"));
	assert_non_null(strstr(out, "a=ice-lite\r\nm=audio"));
	assert_non_null(strstr(out, "a=ice-ufrag:abcdEFGH\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
				    "a=candidate:1 1 UDP 2130706431 203.0.113.1 30000 typ host\r\n"
				    "a=end-of-candidates\r\n"));
	/* exactly one ice-lite and one end-of-candidates */
	assert_null(strstr(strstr(out, "a=ice-lite") + 1, "a=ice-lite"));
	assert_null(strstr(strstr(out, "a=end-of-candidates") + 1, "a=end-of-candidates"));
	/* the output parses again with our credentials */
	assert_int_equal(sdp_parse(arena, out, len, &s, &err), 0);
	assert_int_equal(s.media[0].ice.n_candidates, 1);
	assert_memory_equal(s.media[0].ice.ufrag, "abcdEFGH", 8);
	/* bad credentials are refused before anything is written */
	ice.ufrag = "bad ufrag";
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidate_parse),
		cmocka_unit_test(test_candidate_hostile),
		cmocka_unit_test(test_candidate_family),
		cmocka_unit_test(test_sdp_ice_attrs),
		cmocka_unit_test(test_rewrite_ice),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
