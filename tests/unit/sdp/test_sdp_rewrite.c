/* test_sdp_rewrite.c: sdp_rewrite changes exactly the lines the relay owns and
 * keeps every other line byte for byte, with the input's line endings. */
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
#include "samples.h"

#include "tests/unit/lib/arena_fixture.h"

static void parse_ok(const char *text, size_t len, struct sdp_session *s)
{
	const char *err = NULL;
	int rc = sdp_parse(arena, text, len, s, &err);

	if (rc)
		fail_msg("sdp_parse: %d %s", rc, err ? err : "");
}

/* Rewrite, check the output parses again, return it. */
static char *rewrite_ok(const struct sdp_session *s, const struct sdp_rewrite *rw, size_t *len)
{
	struct sdp_session again;
	char *out = NULL;
	int rc = sdp_rewrite(arena, s, rw, &out, len);

	if (rc)
		fail_msg("sdp_rewrite: %d", rc);
	assert_non_null(out);
	assert_int_equal(strlen(out), *len);
	parse_ok(out, *len, &again);
	assert_int_equal(again.n_media, s->n_media);
	return out;
}

static void relay(struct sdp_media_rewrite *mr, const char *addr, uint16_t port)
{
	memset(mr, 0, sizeof(*mr));
	mr->keep = true;
	mr->addr = addr;
	mr->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	mr->port = port;
	mr->rtcp_port = (uint16_t)(port + 1);
}

static void test_untouched_is_byte_identical(void **state)
{
	static const char *samples[] = { sdp_linphone, sdp_baresip, sdp_polycom, sdp_webrtc,
					 sdp_ipv6, sdp_lf_only, sdp_t38,
					 "v=0\no=- 1 1 IN IP4 h\n\nm=audio 1 RTP/AVP 0\n\n",
					 "v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0" };
	(void)state;
	for (unsigned i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct sdp_session s;
		struct sdp_rewrite rw;
		size_t len;
		memset(&rw, 0, sizeof(rw));
		parse_ok(samples[i], strlen(samples[i]), &s);
		char *out = rewrite_ok(&s, &rw, &len);
		assert_int_equal(len, strlen(samples[i]));
		assert_memory_equal(out, samples[i], len);
	}
}

/* Rewriting an SDP that already says what the relay would write is a no-op. */
static void test_idempotent_rewrite(void **state)
{
	static const char in[] =
		"v=0\r\no=- 7 7 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 5000 RTP/AVP 0 8\r\nc=IN IP4 192.0.2.1\r\nb=AS:80\r\n"
		"a=ssrc:1 cname:x\r\na=rtcp:5001\r\na=sendrecv\r\na=ptime:20\r\n"
		"m=video 5002 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 H264/90000\r\n"
		"a=mid:v\r\na=rtcp:5002\r\na=rtcp-mux\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(in, strlen(in), &s);
	relay(&rw.media[0], "192.0.2.1", 5000);
	rw.media[0].dir = SDP_DIR_SENDRECV;
	rw.media[0].ptime = 20;
	relay(&rw.media[1], "192.0.2.1", 5002);
	rw.media[1].rtcp_mux = true;
	char *out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, in);
}

static void test_linphone_offer(void **state)
{
	static const char want[] =
		"v=0\r\n"
		"o=alice 3029 1771 IN IP4 192.168.1.20\r\n"
		"s=Talk\r\n"
		"c=IN IP4 203.0.113.1\r\n"
		"t=0 0\r\n"
		"a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
		"a=record:off\r\n"
		"m=audio 30000 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
		"c=IN IP4 203.0.113.1\r\n"
		"a=rtpmap:96 opus/48000/2\r\n"
		"a=fmtp:96 useinbandfec=1\r\n"
		"a=rtpmap:97 speex/16000\r\n"
		"a=fmtp:97 vbr=on\r\n"
		"a=rtpmap:98 speex/8000\r\n"
		"a=fmtp:98 vbr=on\r\n"
		"a=fmtp:18 annexb=yes\r\n"
		"a=rtpmap:101 telephone-event/48000\r\n"
		"a=rtpmap:99 telephone-event/16000\r\n"
		"a=rtpmap:100 telephone-event/8000\r\n"
		"a=rtcp-fb:* trr-int 1000\r\n"
		"a=rtcp-fb:* ccm tmmbr\r\n"
		"a=rtcp:30001\r\n"
		"m=video 30002 RTP/AVP 96 97\r\n"
		"c=IN IP4 203.0.113.1\r\n"
		"a=rtpmap:96 VP8/90000\r\n"
		"a=rtpmap:97 H264/90000\r\n"
		"a=fmtp:97 profile-level-id=42801F\r\n"
		"a=rtcp-fb:* trr-int 1000\r\n"
		"a=rtcp-fb:96 nack pli\r\n"
		"a=rtcp-fb:97 nack pli\r\n"
		"a=rtcp:30003\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_linphone, strlen(sdp_linphone), &s);
	relay(&rw.media[0], "203.0.113.1", 30000);
	relay(&rw.media[1], "203.0.113.1", 30002);
	char *out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, want);
}

static void test_webrtc_remove_ice_to_plain_rtp(void **state)
{
	struct sdp_session s, r;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_webrtc, strlen(sdp_webrtc), &s);
	for (int i = 0; i < 2; i++) {
		relay(&rw.media[i], "198.51.100.9", (uint16_t)(40000 + 2 * i));
		rw.media[i].remove_ice = true;
		rw.media[i].rtcp_mux = true;
		rw.media[i].proto = "RTP/AVP";
	}
	char *out = rewrite_ok(&s, &rw, &len);
	assert_null(strstr(out, "a=candidate"));
	assert_null(strstr(out, "a=ice-"));
	assert_null(strstr(out, "a=end-of-candidates"));
	assert_null(strstr(out, "192.0.2.33"));
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 111 63 9 0 8 13 110 126\r\n"
				    "c=IN IP4 198.51.100.9\r\na=rtcp:40000\r\n"));
	assert_non_null(strstr(out, "\r\na=mid:0\r\n"));
	assert_non_null(strstr(out, "\r\na=msid:stream0 track0\r\na=rtcp-mux\r\n"));
	assert_non_null(strstr(out, "\r\na=ssrc:2897164541 cname:0SGSapFC6ePpMbbB\r\n"));
	assert_non_null(strstr(out, "\r\na=fingerprint:sha-256 D2:FA:"));
	assert_non_null(strstr(out, "m=video 40002 RTP/AVP 96 97\r\n"));
	parse_ok(out, len, &r);
	assert_false(r.media[0].has_ice || r.media[1].has_ice);
	assert_int_equal(r.media[1].rtcp_port, 40002);
	assert_true(r.media[1].rtcp_mux);
	assert_int_equal(r.media[1].dir, SDP_DIR_RECVONLY);
	/* no session c= in the input: none is invented */
	assert_false(r.conn.present);
}

/* drop_ssrc (a transcoded media): that media's a=ssrc/a=ssrc-group lines go,
 * everything else of it (a=msid, a=extmap whose URI names ssrc) stays. */
static void test_drop_ssrc(void **state)
{
	static const char grouped[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
				       "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
				       "a=SSRC-group:FID 1 2\r\na=ssrc:1 cname:x\r\n"
				       "a=ssrc:2 cname:x\r\na=ptime:20\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	char *out;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_webrtc, strlen(sdp_webrtc), &s);
	for (int i = 0; i < 2; i++)
		relay(&rw.media[i], "198.51.100.9", (uint16_t)(40000 + 2 * i));
	rw.media[0].drop_ssrc = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_null(strstr(out, "a=ssrc:"));
	assert_non_null(strstr(out, "\r\na=msid:stream0 track0\r\n"));
	assert_non_null(strstr(out, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));

	memset(&rw, 0, sizeof(rw));
	parse_ok(grouped, strlen(grouped), &s);
	relay(&rw.media[0], "198.51.100.9", 40000);
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "a=SSRC-group:FID 1 2\r\na=ssrc:1 cname:x\r\n"));
	rw.media[0].drop_ssrc = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_null(strcasestr(out, "ssrc"));
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 0\r\nc=IN IP4 198.51.100.9\r\n"));
	assert_non_null(strstr(out, "\r\na=ptime:20\r\n"));
}

/* drop_bundle removes the session's a=group:BUNDLE; bundle_attr writes one. */
static void test_bundle_group(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	char *out;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_webrtc, strlen(sdp_webrtc), &s);
	for (int i = 0; i < 2; i++)
		relay(&rw.media[i], "198.51.100.9", (uint16_t)(40000 + 2 * i));
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "\r\na=group:BUNDLE 0 1\r\n"));
	rw.drop_bundle = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_null(strstr(out, "a=group"));
	assert_non_null(strstr(out, "\r\na=mid:0\r\n")); /* the sections keep theirs */
	rw.bundle_attr = "a=group:BUNDLE 0";
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "\r\na=group:BUNDLE 0\r\n"));
	assert_true(strstr(out, "a=group:BUNDLE 0\r\n") < strstr(out, "m=audio"));
	rw.bundle_attr = "a=group:BUNDLE 0\r\nm=audio 1 RTP/AVP 0";
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
	rw.bundle_attr = "a=ice-lite";
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
}

/* bundle_only writes a=bundle-only (the input's never pass a rewritten
 * section); zero_port writes m= port 0 with the section otherwise in full. */
static void test_bundle_only(void **state)
{
	static const char in[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
				 "a=group:BUNDLE 0 1\r\n"
				 "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:0\r\n"
				 "m=video 0 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=mid:1\r\n"
				 "a=bundle-only\r\na=rtpmap:96 VP8/90000\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	char *out;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(in, strlen(in), &s);
	s.media[1].port = 5000; /* as daemon/bundle.c takes it into its group */
	relay(&rw.media[0], "198.51.100.9", 40000);
	relay(&rw.media[1], "198.51.100.9", 40000);
	out = rewrite_ok(&s, &rw, &len);
	assert_null(strstr(out, "bundle-only"));
	assert_non_null(strstr(out, "m=video 40000 RTP/AVP 96\r\nc=IN IP4 198.51.100.9\r\n"));
	rw.media[1].bundle_only = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "m=video 40000 RTP/AVP 96\r\n"));
	/* one line, in the video section */
	assert_non_null(strstr(out, "\r\na=bundle-only\r\n"));
	assert_true(strstr(out, "a=bundle-only") > strstr(out, "m=video"));
	assert_null(strstr(strstr(out, "a=bundle-only") + 1, "a=bundle-only"));
	rw.media[1].zero_port = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "m=video 0 RTP/AVP 96\r\nc=IN IP4 198.51.100.9\r\n"));
	assert_non_null(strstr(out, "\r\na=rtpmap:96 VP8/90000\r\n"));
	assert_non_null(strstr(out, "\r\na=bundle-only\r\n"));
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 0\r\n"));
}

static void test_rtcp_mux_removed_and_rtcp_added(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_baresip, strlen(sdp_baresip), &s);
	relay(&rw.media[0], "192.0.2.200", 31000);
	rw.media[0].dir = SDP_DIR_SENDONLY;
	rw.media[0].ptime = 30;
	char *out = rewrite_ok(&s, &rw, &len);
	assert_null(strstr(out, "rtcp-mux"));
	assert_non_null(strstr(out, "\r\na=rtcp-rsize\r\na=ptime:30\r\na=rtcp:31001\r\n"));
	/* direction replaced in place, other lines kept in order */
	assert_non_null(strstr(out, "a=fmtp:101 0-15\r\na=sendonly\r\na=label:1\r\n"));
	assert_non_null(strstr(out, "m=audio 31000 RTP/AVP 0 8 101\r\nc=IN IP4 192.0.2.200\r\n"
				    "b=AS:64\r\n"));
}

static void test_ipv6_full_rtcp_and_port0_stays(void **state)
{
	static const char want[] =
		"v=0\r\n"
		"o=bob 2890844526 2890842807 IN IP6 2001:db8::10\r\n"
		"s=Call\r\n"
		"c=IN IP6 2001:db8::99\r\n"
		"t=0 0\r\n"
		"m=audio 30000 RTP/AVP 0 101\r\n"
		"c=IN IP6 2001:db8::99\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=rtcp:30001 IN IP6 2001:db8::99\r\n"
		"m=video 0 RTP/AVP 31\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_ipv6, strlen(sdp_ipv6), &s);
	relay(&rw.media[0], "2001:db8::99", 30000);
	rw.media[0].full_rtcp_attr = true;
	relay(&rw.media[1], "2001:db8::99", 30002);	/* input port 0: stays 0 */
	char *out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, want);
}

static void test_disable_media_and_lf_only(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_lf_only, strlen(sdp_lf_only), &s);
	relay(&rw.media[0], "10.9.9.9", 32000);
	rw.media[0].dir = SDP_DIR_SENDRECV;
	rw.media[0].rtcp_mux = true;
	char *out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, "v=0\no=- 12 34 IN IP4 10.0.0.1\ns=lf\nc=IN IP4 10.9.9.9\n"
				 "t=0 0\nm=audio 32000 RTP/AVP 8 0\nc=IN IP4 10.9.9.9\n"
				 "a=sendrecv\na=rtcp:32000\na=rtcp-mux\n");
	/* port 0 in the rewrite disables the stream; nothing else changes */
	relay(&rw.media[0], "10.9.9.9", 0);
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "\nm=audio 0 RTP/AVP 8 0\na=inactive\n"));
	assert_non_null(strstr(out, "\nc=IN IP4 10.0.0.1\n"));
}

static void test_replace_formats(void **state)
{
	struct sdp_format f[3];
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_linphone, strlen(sdp_linphone), &s);
	/* keep G.729 (static, fmtp only), PCMA, and telephone-event/8000 */
	f[0] = s.media[0].formats[5];
	f[1] = s.media[0].formats[4];
	f[2] = s.media[0].formats[8];
	relay(&rw.media[0], "203.0.113.1", 30000);
	rw.media[0].formats = f;
	rw.media[0].n_formats = 3;
	rw.media[0].ptime = 20;
	char *out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "m=audio 30000 RTP/AVP 18 8 100\r\nc=IN IP4 203.0.113.1\r\n"
				    "a=fmtp:18 annexb=yes\r\n"
				    "a=rtpmap:100 telephone-event/8000\r\n"
				    "a=rtcp-fb:* trr-int 1000\r\na=rtcp-fb:* ccm tmmbr\r\n"
				    "a=rtcp:30001\r\na=ptime:20\r\nm=video 9078 "));
	assert_null(strstr(out, "opus"));
	/* video (keep=false) untouched, including its rtcp-fb lines */
	assert_non_null(strstr(out, "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:97 nack pli\r\n"));

	/* rtcp-fb lines of dropped formats go; a format with rtpmap gets one */
	struct sdp_format vp8 = s.media[1].formats[0];
	relay(&rw.media[1], "203.0.113.1", 30002);
	rw.media[1].formats = &vp8;
	rw.media[1].n_formats = 1;
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "m=video 30002 RTP/AVP 96\r\nc=IN IP4 203.0.113.1\r\n"
				    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:* trr-int 1000\r\n"
				    "a=rtcp-fb:96 nack pli\r\na=rtcp:30003\r\n"));
	assert_null(strstr(out, "H264"));
}

static void test_origin_and_session_name(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(sdp_polycom, strlen(sdp_polycom), &s);
	relay(&rw.media[0], "192.0.2.5", 30000);
	rw.origin_addr = "192.0.2.5";
	rw.bump_version = true;
	rw.session_name = "rtprelay";
	rw.media[0].no_rtcp_attr = true;
	char *out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, "v=0\r\no=- 1640003120 1640003121 IN IP4 192.0.2.5\r\n"
				 "s=rtprelay\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\na=sendrecv\r\n"
				 "m=audio 30000 RTP/AVP 9 0 8 18 101\r\nc=IN IP4 192.0.2.5\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:18 annexb=no\r\n");
	memset(&rw, 0, sizeof(rw));
	rw.set_version = 42;
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "o=- 1640003120 42 IN IP4 203.0.113.45\r\n"));
	rw.set_version = 0;	/* version 0 too, when given */
	rw.version_given = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "o=- 1640003120 0 IN IP4 203.0.113.45\r\n"));
}

static void test_zero_address_and_unterminated_input(void **state)
{
	static const char in[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
				 "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(in, strlen(in), &s);
	relay(&rw.media[0], "192.0.2.7", 30000);
	rw.zero_address = true;
	char *out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
				 "t=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=sendonly\r\n"
				 "a=rtcp:30001\r\n");
	rw.zero_address = false;
	out = rewrite_ok(&s, &rw, &len);
	assert_string_equal(out, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.7\r\n"
				 "t=0 0\r\nm=audio 30000 RTP/AVP 0\r\nc=IN IP4 192.0.2.7\r\n"
				 "a=sendonly\r\na=rtcp:30001\r\n");
}

static void test_port_count_and_t38(void **state)
{
	static const char in[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
				 "m=audio 5000/2 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(in, strlen(in), &s);
	relay(&rw.media[0], "192.0.2.7", 30000);
	char *out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "m=audio 30000 RTP/AVP 0\r\nc=IN IP4 192.0.2.7\r\n"));

	parse_ok(sdp_t38, strlen(sdp_t38), &s);
	memset(&rw, 0, sizeof(rw));
	relay(&rw.media[0], "192.0.2.7", 30000);	/* disabled audio stays disabled */
	relay(&rw.media[1], "192.0.2.7", 30002);
	rw.media[1].no_rtcp_attr = true;
	rw.media[1].proto = "RTP/AVP";	/* not applied to non-RTP media */
	out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "c=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"
				    "m=image 30002 udptl t38\r\nc=IN IP4 192.0.2.7\r\n"
				    "a=T38FaxVersion:0\r\n"));
}

static void test_session_ice_lines(void **state)
{
	static const char in[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				 "t=0 0\r\na=ice-lite\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghij\r\n"
				 "m=audio 5000 RTP/AVP 0\r\na=candidate:1 1 UDP 1 192.0.2.1 5000 typ host\r\n"
				 "m=audio 5002 RTP/AVP 0\r\n";
	struct sdp_session s;
	struct sdp_rewrite rw;
	size_t len;
	(void)state;
	memset(&rw, 0, sizeof(rw));
	parse_ok(in, strlen(in), &s);
	assert_true(s.has_ice);
	/* session-level ICE applies to both media */
	assert_true(s.media[0].has_ice && s.media[1].has_ice);
	assert_false(s.media[0].has_crypto);
	relay(&rw.media[0], "192.0.2.7", 30000);
	rw.media[0].remove_ice = true;
	relay(&rw.media[1], "192.0.2.7", 30002);
	/* media 1 keeps ICE: the session credentials stay */
	char *out = rewrite_ok(&s, &rw, &len);
	assert_non_null(strstr(out, "a=ice-ufrag:abcd\r\n"));
	assert_null(strstr(out, "a=candidate"));
	rw.media[1].remove_ice = true;
	out = rewrite_ok(&s, &rw, &len);
	assert_null(strstr(out, "a=ice"));
}

static void test_bad_rewrite_input(void **state)
{
	struct sdp_session s;
	struct sdp_rewrite rw;
	char *out;
	size_t len;
	(void)state;
	parse_ok(sdp_baresip, strlen(sdp_baresip), &s);
	memset(&rw, 0, sizeof(rw));
	relay(&rw.media[0], "not-an-ip", 30000);
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
	relay(&rw.media[0], "192.0.2.1", 30000);
	rw.media[0].family = AF_INET6;
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
	relay(&rw.media[0], "192.0.2.1", 30000);
	rw.media[0].proto = "RTP/AVP\r\na=evil";
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
	rw.media[0].proto = NULL;
	rw.session_name = "x\r\nm=audio 1 RTP/AVP 0";
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -EINVAL);
	rw.session_name = NULL;
	rw.media[0].n_formats = SDP_MAX_FORMATS + 1;
	rw.media[0].formats = s.media[0].formats;
	assert_int_equal(sdp_rewrite(arena, &s, &rw, &out, &len), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untouched_is_byte_identical),
		cmocka_unit_test(test_idempotent_rewrite),
		cmocka_unit_test(test_linphone_offer),
		cmocka_unit_test(test_webrtc_remove_ice_to_plain_rtp),
		cmocka_unit_test(test_drop_ssrc),
		cmocka_unit_test(test_bundle_group),
		cmocka_unit_test(test_bundle_only),
		cmocka_unit_test(test_rtcp_mux_removed_and_rtcp_added),
		cmocka_unit_test(test_ipv6_full_rtcp_and_port0_stays),
		cmocka_unit_test(test_disable_media_and_lf_only),
		cmocka_unit_test(test_replace_formats),
		cmocka_unit_test(test_origin_and_session_name),
		cmocka_unit_test(test_zero_address_and_unterminated_input),
		cmocka_unit_test(test_port_count_and_t38),
		cmocka_unit_test(test_session_ice_lines),
		cmocka_unit_test(test_bad_rewrite_input),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
