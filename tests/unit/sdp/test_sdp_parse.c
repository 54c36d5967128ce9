/* test_sdp_parse.c: sdp_parse reads what real endpoints send into struct sdp_session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "lib/rtp.h"
#include "sdp/sdp.h"
#include "samples.h"

#include "tests/unit/lib/arena_fixture.h"

static void parse_ok(const char *text, struct sdp_session *s)
{
	const char *err = NULL;
	int rc = sdp_parse(arena, text, strlen(text), s, &err);

	if (rc)
		fail_msg("sdp_parse: %d %s", rc, err ? err : "");
}

static void assert_str(struct sdp_str s, const char *want)
{
	if (s.len != strlen(want) || memcmp(s.s, want, s.len) != 0)
		fail_msg("got '%.*s', want '%s'", (int)s.len, s.s, want);
}

static void test_linphone(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_linphone, &s);
	assert_false(s.lf_only);
	assert_int_equal(s.n_lines, 27);
	assert_str(s.origin_user, "alice");
	assert_str(s.origin_sess_id, "3029");
	assert_str(s.origin_version, "1771");
	assert_string_equal(s.origin_addr.addr, "192.168.1.20");
	assert_str(s.session_name, "Talk");
	assert_true(s.conn.present);
	assert_int_equal(s.conn.family, AF_INET);
	assert_string_equal(s.conn.addr, "192.168.1.20");
	assert_int_equal(s.n_media, 2);

	const struct sdp_media *m = &s.media[0];
	assert_str(m->type, "audio");
	assert_int_equal(m->port, 7078);
	assert_int_equal(m->num_ports, 1);
	assert_str(m->proto, "RTP/AVP");
	assert_true(m->rtp);
	assert_int_equal(m->n_formats, 9);
	assert_int_equal(m->formats[0].pt, 96);
	assert_str(m->formats[0].encoding, "opus");
	assert_int_equal(m->formats[0].clock_rate, 48000);
	assert_int_equal(m->formats[0].channels, 2);
	assert_str(m->formats[0].fmtp, "useinbandfec=1");
	/* 18 has fmtp but no rtpmap: static defaults, encoding via helper */
	assert_int_equal(m->formats[5].pt, 18);
	assert_int_equal(m->formats[5].encoding.len, 0);
	assert_str(sdp_format_encoding(&m->formats[5]), "G729");
	assert_int_equal(m->formats[5].clock_rate, 8000);
	assert_str(m->formats[5].fmtp, "annexb=yes");
	assert_str(m->formats[6].encoding, "telephone-event");
	assert_int_equal(m->formats[6].clock_rate, 48000);
	assert_false(m->conn.present);
	assert_ptr_equal(sdp_media_conn(&s, m), &s.conn);
	assert_false(m->has_rtcp_attr);
	assert_false(m->rtcp_mux);
	assert_int_equal(m->dir, SDP_DIR_NONE);
	assert_int_equal(m->first_line, 7);
	assert_int_equal(m->n_lines, 13);

	m = &s.media[1];
	assert_str(m->type, "video");
	assert_int_equal(m->port, 9078);
	assert_str(m->formats[1].encoding, "H264");
	assert_int_equal(m->formats[1].clock_rate, 90000);
	assert_str(m->formats[1].fmtp, "profile-level-id=42801F");
	assert_int_equal(m->first_line, 20);
	assert_int_equal(m->first_line + m->n_lines, s.n_lines);
}

static void test_baresip(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_baresip, &s);
	assert_int_equal(s.n_media, 1);
	const struct sdp_media *m = &s.media[0];
	assert_int_equal(m->n_formats, 3);
	assert_str(m->formats[0].encoding, "PCMU");
	assert_str(m->formats[2].fmtp, "0-15");
	assert_true(m->rtcp_mux);
	assert_int_equal(m->dir, SDP_DIR_SENDRECV);
	assert_int_equal(m->ptime, 20);
	assert_false(m->has_ice);
	assert_false(m->has_crypto);
}

static void test_polycom_static_types(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_polycom, &s);
	assert_int_equal(s.dir, SDP_DIR_SENDRECV);
	const struct sdp_media *m = &s.media[0];
	assert_int_equal(m->dir, SDP_DIR_NONE);
	static const unsigned pts[] = { 9, 0, 8, 18, 101 };
	static const char *names[] = { "G722", "PCMU", "PCMA", "G729", "telephone-event" };
	assert_int_equal(m->n_formats, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(m->formats[i].pt, pts[i]);
		assert_str(sdp_format_encoding(&m->formats[i]), names[i]);
		/* G.722's RTP clock is 8000 even though it samples at 16 kHz (RFC 3551) */
		assert_int_equal(m->formats[i].clock_rate, 8000);
		assert_int_equal(m->formats[i].channels, 1);
	}
	assert_true(m->has_rtcp_attr);
	assert_int_equal(m->rtcp_port, 2223);
	assert_true(m->rtcp_conn.present);
	assert_string_equal(m->rtcp_conn.addr, "203.0.113.45");
}

static void test_webrtc_ice_dtls(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_webrtc, &s);
	assert_false(s.conn.present);
	assert_false(s.has_ice);
	assert_false(s.has_crypto);
	assert_int_equal(s.n_media, 2);
	const struct sdp_media *m = &s.media[0];
	assert_str(m->proto, "UDP/TLS/RTP/SAVPF");
	assert_true(m->rtp);
	assert_true(m->has_ice);
	assert_true(m->has_crypto);
	assert_true(m->rtcp_mux);
	assert_true(m->has_rtcp_attr);
	assert_int_equal(m->rtcp_port, 9);
	assert_true(m->rtcp_conn.zero);
	assert_true(m->conn.present);
	assert_ptr_equal(sdp_media_conn(&s, m), &m->conn);
	assert_string_equal(m->conn.addr, "192.0.2.33");
	assert_int_equal(m->n_formats, 8);
	assert_str(m->formats[1].encoding, "red");
	assert_str(m->formats[1].fmtp, "111/111");
	assert_str(m->formats[5].encoding, "CN");
	assert_int_equal(s.media[1].dir, SDP_DIR_RECVONLY);
	assert_str(s.media[1].formats[1].fmtp, "apt=96");
}

static void test_ipv6_and_disabled_video(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_ipv6, &s);
	assert_int_equal(s.conn.family, AF_INET6);
	assert_string_equal(s.conn.addr, "2001:db8::10");
	assert_false(s.conn.zero);
	assert_int_equal(s.origin_addr.family, AF_INET6);
	assert_int_equal(s.media[0].rtcp_conn.family, AF_INET6);
	assert_string_equal(s.media[0].rtcp_conn.addr, "2001:db8::11");
	assert_int_equal(s.media[1].port, 0);
	assert_int_equal(s.media[1].formats[0].pt, 31);
	assert_str(sdp_format_encoding(&s.media[1].formats[0]), "H261");
	assert_int_equal(s.media[1].formats[0].clock_rate, 90000);
	/* the last line has a terminator: the section ends with the text */
	assert_int_equal(s.media[1].first_line + s.media[1].n_lines, s.n_lines);
}

static void test_lf_only(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_lf_only, &s);
	assert_true(s.lf_only);
	assert_int_equal(s.n_lines, 7);
	assert_int_equal(s.lines[0].len, 4);
	assert_int_equal(s.media[0].dir, SDP_DIR_INACTIVE);
	assert_int_equal(s.media[0].formats[0].pt, 8);
}

static void test_t38_non_rtp_formats(void **state)
{
	struct sdp_session s;
	(void)state;
	parse_ok(sdp_t38, &s);
	assert_int_equal(s.n_media, 2);
	assert_int_equal(s.media[0].port, 0);
	assert_false(s.media[1].rtp);
	assert_int_equal(s.media[1].n_formats, 1);
	assert_int_equal(s.media[1].formats[0].pt, SDP_PT_NONE);
	assert_str(s.media[1].formats[0].token, "t38");
}

static void test_misc_forms(void **state)
{
	struct sdp_session s;
	(void)state;
	/* port count, zero address (old-style hold), no trailing newline, blanks,
	 * ptime with a fraction, mixed-case attribute names, multicast ttl */
	parse_ok("v=0\r\no=- 1 1 IN IP4 h.example.com\r\ns= \r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		 "m=audio  5000/2  RTP/AVP  0 \r\na=SendOnly \r\na=ptime:30.0\r\n"
		 "m=audio 6000 RTP/AVP 8\r\nc=IN IP4 233.252.0.1/127\r\na=rtcp:6001", &s);
	assert_true(s.conn.zero);
	assert_string_equal(s.origin_addr.addr, "h.example.com");
	assert_str(s.session_name, " ");
	assert_int_equal(s.media[0].port, 5000);
	assert_int_equal(s.media[0].num_ports, 2);
	assert_int_equal(s.media[0].n_formats, 1);
	assert_int_equal(s.media[0].dir, SDP_DIR_SENDONLY);
	assert_int_equal(s.media[0].ptime, 30);
	assert_string_equal(s.media[1].conn.addr, "233.252.0.1");
	assert_int_equal(s.media[1].rtcp_port, 6001);
	assert_false(s.media[1].rtcp_conn.present);
	assert_int_equal(s.n_lines, 11);
	assert_int_equal(s.lines[10].len, strlen("a=rtcp:6001"));

	/* IPv6 all-zero is a zero address too */
	parse_ok("v=0\no=- 1 1 IN IP6 ::1\ns=-\nc=IN IP6 ::\nt=0 0\nm=audio 1 RTP/AVP 0\n", &s);
	assert_true(s.conn.zero);
	assert_int_equal(s.conn.family, AF_INET6);
}

/* A format without a=rtpmap takes the static type's clock from lib/rtp (the
 * table the data plane and the kernel fast path use), and has an encoding
 * name exactly when the type is static. */
static void test_static_types_follow_lib_rtp(void **state)
{
	char text[2048];
	struct sdp_session s;
	int off;

	(void)state;
	off = snprintf(text, sizeof(text), "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n"
			    "c=IN IP4 192.0.2.1\nt=0 0\n");
	for (unsigned pt = 0; pt < 128; pt++) {
		if (pt % SDP_MAX_FORMATS == 0)
			off += snprintf(text + off, sizeof(text) - (size_t)off,
					"%sm=audio %u RTP/AVP", pt ? "\n" : "", 4000 + pt);
		off += snprintf(text + off, sizeof(text) - (size_t)off, " %u", pt);
	}
	snprintf(text + off, sizeof(text) - (size_t)off, "\n");
	parse_ok(text, &s);
	assert_int_equal(s.n_media, 128 / SDP_MAX_FORMATS);
	for (unsigned pt = 0; pt < 128; pt++) {
		const struct sdp_format *f =
			&s.media[pt / SDP_MAX_FORMATS].formats[pt % SDP_MAX_FORMATS];

		assert_int_equal(f->pt, pt);
		assert_int_equal(f->clock_rate, rtp_static_clock_rate(pt));
		assert_int_equal(sdp_format_encoding(f).len != 0, f->clock_rate != 0);
		assert_int_equal(f->channels, pt == 10 ? 2 : 1);
	}
	assert_str(sdp_format_encoding(&s.media[0].formats[9]), "G722");
	assert_int_equal(s.media[0].formats[9].clock_rate, 8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linphone),
		cmocka_unit_test(test_baresip),
		cmocka_unit_test(test_polycom_static_types),
		cmocka_unit_test(test_webrtc_ice_dtls),
		cmocka_unit_test(test_ipv6_and_disabled_video),
		cmocka_unit_test(test_lf_only),
		cmocka_unit_test(test_t38_non_rtp_formats),
		cmocka_unit_test(test_misc_forms),
		cmocka_unit_test(test_static_types_follow_lib_rtp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
