/* test_ngrequest.c: ng dictionaries into typed requests: commands, keys, every
 * flag spelling rtpengine and Kamailio use, warnings, and error reasons. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/bencode.h"
#include "control/ngjson.h"
#include "control/ngrequest.h"

#include "tests/unit/lib/arena_fixture.h"

/* Parse a JSON dictionary; returns ng_request_parse's result. */
static int parse_json(const char *json, struct ng_request *req, const char **err)
{
	struct ng_node *d;

	assert_int_equal(ngjson_decode(arena, (const uint8_t *)json, strlen(json), &d, NULL), 0);
	*err = NULL;
	return ng_request_parse(arena, d, req, err);
}

/* An offer with one flag; asserts it parses. */
static void offer_with_flags(const char *flags_json, struct ng_request *req)
{
	char buf[1024];
	const char *err;

	snprintf(buf, sizeof(buf),
		 "{\"command\":\"offer\",\"call-id\":\"c1\",\"from-tag\":\"f1\","
		 "\"sdp\":\"v=0\\r\\n\",\"flags\":[%s]}", flags_json);
	assert_int_equal(parse_json(buf, req, &err), 0);
}

static bool has_warning(const struct ng_request *req, const char *needle)
{
	for (unsigned i = 0; i < req->n_warnings; i++)
		if (strstr(req->warnings[i], needle))
			return true;
	return false;
}

static void test_commands(void **state)
{
	static const struct {
		const char *name;
		enum ng_command cmd;
	} ok[] = {
		{ "ping", NG_CMD_PING },	 { "PING", NG_CMD_PING },
		{ "list", NG_CMD_LIST },	 { "Statistics", NG_CMD_STATISTICS },
		{ "query", NG_CMD_QUERY },	 { "DELETE", NG_CMD_DELETE },
	};
	struct ng_request req;
	const char *err;
	char buf[256];
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"command\":\"%s\",\"call-id\":\"x\"}", ok[i].name);
		assert_int_equal(parse_json(buf, &req, &err), 0);
		assert_int_equal(req.cmd, ok[i].cmd);
	}
	assert_int_equal(req.limit, -1);
	assert_int_equal(parse_json("{\"command\":\"list\",\"limit\":\"32\"}", &req, &err), 0);
	assert_int_equal(req.limit, 32);
	assert_int_equal(req.n_warnings, 0);
	assert_string_equal(ng_command_name(NG_CMD_STATISTICS), "statistics");
	assert_string_equal(ng_command_name(NG_CMD_OFFER), "offer");

	assert_int_equal(parse_json("{\"command\":\"frobnicate\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "Unknown command");
	assert_int_equal(parse_json("{\"command\":\"pingx\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "Unknown command");
	assert_int_equal(parse_json("{\"call-id\":\"x\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "Dictionary contains no key \"command\"");
	assert_int_equal(parse_json("{\"command\":[\"ping\"]}", &req, &err), -EINVAL);
	assert_int_equal(parse_json("[\"command\"]", &req, &err), -EINVAL);
	assert_string_equal(err, "Invalid dictionary");
	assert_int_equal(ng_request_parse(arena, NULL, &req, &err), -EINVAL);
	assert_string_equal(err, "Invalid dictionary");
}

static void test_required_keys(void **state)
{
	struct ng_request req;
	const char *err;
	(void)state;

	assert_int_equal(parse_json("{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\"}",
				    &req, &err), -EINVAL);
	assert_string_equal(err, "No SDP body in message");
	assert_int_equal(parse_json("{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				    "\"sdp\":\"\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "No SDP body in message");
	assert_int_equal(parse_json("{\"command\":\"offer\",\"sdp\":\"v=0\",\"from-tag\":\"f\"}",
				    &req, &err), -EINVAL);
	assert_string_equal(err, "No call-id in message");
	assert_int_equal(parse_json("{\"command\":\"offer\",\"sdp\":\"v=0\",\"call-id\":\"c\"}",
				    &req, &err), -EINVAL);
	assert_string_equal(err, "No from-tag in message");
	/* a wrong type is as good as missing */
	assert_int_equal(parse_json("{\"command\":\"offer\",\"sdp\":\"v=0\",\"call-id\":[\"c\"],"
				    "\"from-tag\":\"f\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "No call-id in message");
	assert_int_equal(parse_json("{\"command\":\"answer\",\"sdp\":\"v=0\",\"call-id\":\"c\","
				    "\"from-tag\":\"f\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "No to-tag in message");
	assert_int_equal(parse_json("{\"command\":\"answer\",\"sdp\":\"v=0\",\"call-id\":\"c\","
				    "\"from-tag\":\"f\",\"to-tag\":\"t\"}", &req, &err), 0);
	assert_string_equal(req.to_tag, "t");
	assert_int_equal(parse_json("{\"command\":\"delete\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "No call-id in message");
	assert_int_equal(parse_json("{\"command\":\"query\",\"from-tag\":\"f\"}", &req, &err),
			 -EINVAL);
	assert_string_equal(err, "No call-id in message");
	assert_int_equal(parse_json("{\"command\":\"delete\",\"call-id\":\"c\"}", &req, &err), 0);
	assert_null(req.from_tag);
	assert_int_equal(req.delete_delay, -1);
	/* a NUL inside a call-id is refused rather than silently truncated */
	assert_int_equal(parse_json("{\"command\":\"delete\",\"call-id\":\"a\\u0000b\"}", &req,
				    &err), -EINVAL);
	assert_string_equal(err, "No call-id in message");
	/* so is a newline (it would forge log lines); the warning says why */
	assert_int_equal(parse_json("{\"command\":\"query\",\"call-id\":\"a\\nb\","
				    "\"label\":\"ok label\"}", &req, &err), -EINVAL);
	assert_string_equal(err, "No call-id in message");
	assert_true(has_warning(&req, "call-id contains control characters"));
	assert_string_equal(req.label, "ok label");
}

static void test_dictionary_keys(void **state)
{
	struct ng_request req;
	const char *err;
	(void)state;

	assert_int_equal(parse_json(
		"{\"command\":\"offer\",\"call-id\":\"cid@host\",\"from-tag\":\"ft\","
		"\"via-branch\":\"z9hG4bK1\",\"sdp\":\"v=0\\r\\n\",\"ICE\":\"remove\","
		"\"replace\":[\"origin\",\"session connection\",\"SDP-version\"],"
		"\"rtcp-mux\":[\"demux\",\"offer\"],\"transport-protocol\":\"RTP/AVPF\","
		"\"media-address\":\"192.0.2.1\",\"address-family\":\"IP6\","
		"\"direction\":[\"priv\",\"pub\"],\"interface\":\"pub\",\"label\":\"caller\","
		"\"delete-delay\":5,\"received-from\":[\"IP4\",\"198.51.100.7\"],"
		"\"codec\":{\"strip\":[\"PCMA\",\"G729\"],\"offer\":[\"opus\"],"
		"\"transcode\":[\"G722\"],\"mask\":[\"all\"],\"accept\":[\"PCMU\"],"
		"\"except\":[\"telephone-event\"],\"ptime\":30},"
		"\"supports\":[\"load limit\"]}", &req, &err), 0);
	assert_int_equal(req.cmd, NG_CMD_OFFER);
	assert_string_equal(req.call_id, "cid@host");
	assert_string_equal(req.from_tag, "ft");
	assert_string_equal(req.via_branch, "z9hG4bK1");
	assert_int_equal(req.sdp_len, 5);
	assert_memory_equal(req.sdp, "v=0\r\n", 5);
	assert_int_equal(req.ice, NG_ICE_REMOVE);
	assert_int_equal(req.replace, NG_R_ORIGIN | NG_R_SESSION_CONNECTION | NG_R_SDP_VERSION);
	assert_int_equal(req.rtcp_mux, NG_MUX_DEMUX | NG_MUX_OFFER);
	assert_int_equal(req.transport, NG_TP_RTP_AVPF);
	assert_string_equal(req.media_address, "192.0.2.1");
	assert_int_equal(req.address_family, NG_AF_IP6);
	assert_string_equal(req.direction[0], "priv");
	assert_string_equal(req.direction[1], "pub");
	assert_string_equal(req.interface, "pub");
	assert_string_equal(req.label, "caller");
	assert_int_equal(req.delete_delay, 5);
	assert_string_equal(req.received_from_family, "IP4");
	assert_string_equal(req.received_from_addr, "198.51.100.7");
	assert_int_equal(req.codec.n_strip, 2);
	assert_string_equal(req.codec.strip[0], "PCMA");
	assert_string_equal(req.codec.strip[1], "G729");
	assert_int_equal(req.codec.n_offer, 1);
	assert_string_equal(req.codec.offer[0], "opus");
	assert_string_equal(req.codec.transcode[0], "G722");
	assert_string_equal(req.codec.mask[0], "all");
	assert_string_equal(req.codec.accept[0], "PCMU");
	assert_string_equal(req.codec.except[0], "telephone-event");
	assert_int_equal(req.codec.ptime, 30);
	assert_true(req.supports_load_limit);
	assert_int_equal(req.n_warnings, 0);
}

/* "supports": any spelling of "load limit", as a list or a lone string; an
 * unknown feature is warned about and changes nothing. */
static void test_supports(void **state)
{
	struct ng_request req;
	const char *err;
	(void)state;

	assert_int_equal(parse_json("{\"command\":\"ping\"}", &req, &err), 0);
	assert_false(req.supports_load_limit);
	assert_int_equal(parse_json("{\"command\":\"ping\",\"supports\":\"Load_Limit\"}", &req,
				    &err),
			 0);
	assert_true(req.supports_load_limit);
	assert_int_equal(req.n_warnings, 0);
	assert_int_equal(parse_json("{\"command\":\"ping\",\"supports\":[\"teleport\"]}", &req,
				    &err),
			 0);
	assert_false(req.supports_load_limit);
	assert_int_equal(req.n_warnings, 1);
	assert_non_null(strstr(req.warnings[0], "teleport"));
}

static void test_key_spellings(void **state)
{
	struct ng_request req;
	const char *err;
	(void)state;

	/* rtpengine's documented spellings use spaces; integers may come as strings */
	assert_int_equal(parse_json(
		"{\"command\":\"delete\",\"call-id\":\"c\",\"delete delay\":\"7\","
		"\"transport protocol\":\"RTP/AVP\",\"address family\":\"IP4\","
		"\"media address\":\"2001:db8::1\",\"received from\":[\"IP6\",\"2001:db8::2\"],"
		"\"via branch\":\"b\",\"ptime\":\"20\",\"from-label\":\"L\"}", &req, &err), 0);
	assert_int_equal(req.delete_delay, 7);
	assert_int_equal(req.transport, NG_TP_RTP_AVP);
	assert_int_equal(req.address_family, NG_AF_IP4);
	assert_string_equal(req.media_address, "2001:db8::1");
	assert_string_equal(req.received_from_family, "IP6");
	assert_string_equal(req.via_branch, "b");
	assert_int_equal(req.codec.ptime, 20);
	assert_string_equal(req.label, "L");
	assert_int_equal(req.n_warnings, 0);
	/* numbers where strings belong are printed */
	assert_int_equal(parse_json("{\"command\":\"query\",\"call-id\":12345}", &req, &err), 0);
	assert_string_equal(req.call_id, "12345");
}

static void test_plain_flag_spellings(void **state)
{
	static const char *strict[] = { "\"strict-source\"", "\"strict source\"",
					"\"strict_source\"", "\"STRICT-Source\"" };
	struct ng_request req;
	(void)state;

	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++) {
		offer_with_flags(strict[i], &req);
		assert_int_equal(req.flags, NG_F_STRICT_SOURCE);
		assert_int_equal(req.n_warnings, 0);
	}
	offer_with_flags("\"trust-address\",\"SIP-source-address\",\"symmetric\",\"asymmetric\","
			 "\"port-latching\",\"no port latching\",\"loop-protect\","
			 "\"full-rtcp-attribute\",\"no-rtcp-attribute\",\"media-handover\","
			 "\"generate-mid\",\"original-sendrecv\",\"all\",\"fatal\",\"force\"",
			 &req);
	assert_int_equal(req.flags, NG_F_TRUST_ADDRESS | NG_F_SIP_SOURCE_ADDRESS |
			 NG_F_ASYMMETRIC | NG_F_LOOP_PROTECT | NG_F_FULL_RTCP_ATTRIBUTE |
			 NG_F_NO_RTCP_ATTRIBUTE | NG_F_ALL | NG_F_FATAL | NG_F_GENERATE_MID |
			 NG_F_ORIGINAL_SENDRECV | NG_F_NO_PORT_LATCHING | NG_F_MEDIA_HANDOVER);
	/* accepted but not acted on: said so ("symmetric" and "port-latching" are
	 * what rtprelay always does) */
	assert_int_equal(req.n_warnings, 1);
	const char *named[] = { "'force'" };
	for (unsigned i = 0; i < 1; i++) {
		bool found = false;
		for (unsigned w = 0; w < req.n_warnings; w++)
			found |= strstr(req.warnings[w], named[i]) != NULL;
		assert_true(found);
	}
}

static void test_kamailio_codec_flags(void **state)
{
	struct ng_request req;
	(void)state;

	offer_with_flags("\"codec-strip-PCMA\",\"codec-offer-opus/48000/2\","
			 "\"codec-transcode-G722\",\"codec-mask-all\",\"codec-accept-PCMU\","
			 "\"codec-except-telephone-event\",\"codec_strip_G729\","
			 "\"transcode-AMR\",\"codec-strip=iLBC\"", &req);
	assert_int_equal(req.codec.n_strip, 3);
	assert_string_equal(req.codec.strip[0], "PCMA");
	assert_string_equal(req.codec.strip[1], "G729");
	assert_string_equal(req.codec.strip[2], "iLBC");
	assert_string_equal(req.codec.offer[0], "opus/48000/2");
	assert_int_equal(req.codec.n_transcode, 2);
	assert_string_equal(req.codec.transcode[0], "G722");
	assert_string_equal(req.codec.transcode[1], "AMR");
	assert_string_equal(req.codec.mask[0], "all");
	assert_string_equal(req.codec.accept[0], "PCMU");
	assert_string_equal(req.codec.except[0], "telephone-event");
	assert_int_equal(req.n_warnings, 0);

	offer_with_flags("\"always transcode\",\"codec-set-opus/48000/2/32000\","
			 "\"codec-consume-PCMU\",\"codec-ignore=G722\",\"codec-frob-PCMA\"", &req);
	assert_string_equal(req.codec.accept[0], "all");
	assert_int_equal(req.codec.n_set, 1);
	assert_string_equal(req.codec.set[0], "opus/48000/2/32000");
	assert_string_equal(req.codec.consume[0], "PCMU");
	assert_string_equal(req.codec.ignore[0], "G722");
	assert_int_equal(req.n_warnings, 1);
	assert_true(has_warning(&req, "unknown flag 'codec-frob-PCMA'"));
}

/* T.38 asked for in an offer, in any spelling: an error naming T.38; in an
 * answer it is ignored, as rtpengine ignores it there. */
static void test_t38_refused(void **state)
{
	static const char *forms[] = {
		"\"T.38\":[\"decode\"]", "\"T.38\":\"force\"", "\"T38\":[\"decode\"]",
		"\"flags\":[\"T.38\"]", "\"flags\":[\"T.38=decode\"]", "\"flags\":[\"T.38-force\"]",
	};
	struct ng_request req;
	const char *err;
	char buf[512];
	(void)state;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "{\"command\":\"offer\",\"call-id\":\"c1\",\"from-tag\":\"f1\","
			 "\"sdp\":\"v=0\\r\\n\",%s}",
			 forms[i]);
		assert_int_equal(parse_json(buf, &req, &err), -EINVAL);
		assert_non_null(err);
		assert_non_null(strstr(err, "T.38 is not supported"));
		snprintf(buf, sizeof(buf),
			 "{\"command\":\"answer\",\"call-id\":\"c1\",\"from-tag\":\"f1\","
			 "\"to-tag\":\"t1\",\"sdp\":\"v=0\\r\\n\",%s}",
			 forms[i]);
		assert_int_equal(parse_json(buf, &req, &err), 0);
	}
}

static void test_tos_values(void **state)
{
	static const struct {
		const char *v;
		int tos;
	} cases[] = { { "184", 184 }, { "\"0\"", 0 },	  { "255", 255 },
		      { "256", NG_TOS_DEFAULT }, { "-1", NG_TOS_KEEP }, { "\"-5\"", NG_TOS_KEEP },
		      { "99999999999", NG_TOS_DEFAULT } };
	struct ng_request req;
	const char *err;
	char buf[512];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "{\"command\":\"offer\",\"call-id\":\"c1\",\"from-tag\":\"f1\","
			 "\"sdp\":\"v=0\\r\\n\",\"TOS\":%s}",
			 cases[i].v);
		assert_int_equal(parse_json(buf, &req, &err), 0);
		assert_int_equal(req.tos, cases[i].tos);
		assert_int_equal(req.n_warnings, 0);
	}
	offer_with_flags("\"TOS=46\"", &req);
	assert_int_equal(req.tos, 46);
	assert_int_equal(parse_json("{\"command\":\"offer\",\"call-id\":\"c1\",\"from-tag\":"
				    "\"f1\",\"sdp\":\"v=0\\r\\n\",\"TOS\":\"lots\"}",
				    &req, &err),
			 0);
	assert_int_equal(req.tos, NG_TOS_DEFAULT);
	assert_true(has_warning(&req, "invalid TOS"));
	offer_with_flags("\"trust-address\"", &req);
	assert_int_equal(req.tos, NG_TOS_DEFAULT); /* no key: back to the default */
}

static void test_kamailio_value_flags(void **state)
{
	struct ng_request req;
	(void)state;

	offer_with_flags("\"replace-origin\",\"replace-session-connection\","
			 "\"replace-zero-address\",\"rtcp-mux-demux\",\"rtcp-mux-accept\","
			 "\"ICE-remove\",\"transport-protocol-RTP/AVPF\","
			 "\"address-family-IP6\",\"direction=internal\",\"direction=external\","
			 "\"delete-delay=0\",\"label=x\",\"ptime=20\"", &req);
	assert_int_equal(req.replace, NG_R_ORIGIN | NG_R_SESSION_CONNECTION | NG_R_ZERO_ADDRESS);
	assert_int_equal(req.rtcp_mux, NG_MUX_DEMUX | NG_MUX_ACCEPT);
	assert_int_equal(req.ice, NG_ICE_REMOVE);
	assert_int_equal(req.transport, NG_TP_RTP_AVPF);
	assert_int_equal(req.address_family, NG_AF_IP6);
	assert_string_equal(req.direction[0], "internal");
	assert_string_equal(req.direction[1], "external");
	assert_int_equal(req.delete_delay, 0);
	assert_string_equal(req.label, "x");
	assert_int_equal(req.codec.ptime, 20);
	assert_int_equal(req.n_warnings, 0);

	offer_with_flags("\"ICE=remove\",\"RTP/AVP\",\"internal\",\"address-family=IP4\","
			 "\"transport-protocol=RTP/AVPF\",\"rtcp-mux=require\",\"replace=origin\","
			 "\"via-branch=z9\",\"media-address=10.0.0.1\",\"interface=pub\","
			 "\"received-from=2001:db8::5\"", &req);
	assert_int_equal(req.ice, NG_ICE_REMOVE);
	assert_int_equal(req.transport, NG_TP_RTP_AVPF);	/* later wins */
	assert_string_equal(req.direction[0], "internal");
	assert_null(req.direction[1]);
	assert_int_equal(req.address_family, NG_AF_IP4);
	assert_int_equal(req.rtcp_mux, NG_MUX_REQUIRE);
	assert_int_equal(req.replace, NG_R_ORIGIN);
	assert_string_equal(req.via_branch, "z9");
	assert_string_equal(req.media_address, "10.0.0.1");
	assert_string_equal(req.interface, "pub");
	assert_string_equal(req.received_from_addr, "2001:db8::5");
	assert_string_equal(req.received_from_family, "IP6");
	assert_int_equal(req.n_warnings, 0);

	offer_with_flags("\"rtp/avp\"", &req);
	assert_int_equal(req.transport, NG_TP_RTP_AVP);
}

static void test_unimplemented_and_unknown(void **state)
{
	struct ng_request req;
	(void)state;

	offer_with_flags("\"discard-recording\",\"RTP/SAVP\",\"ICE=force-relay\",\"frobnicate\","
			 "\"SDES-off\",\"DTLS=off\",\"DTLS=passive\",\"replace-bogus\","
			 "\"rtcp-mux-bogus\",\"ICE-bogus\",\"delete-delay=soon\",\"trickle ICE\"",
			 &req);
	assert_int_equal(req.flags, NG_F_TRICKLE_ICE);
	assert_int_equal(req.transport, NG_TP_RTP_SAVP);
	assert_int_equal(req.ice, NG_ICE_FORCE_RELAY);
	assert_true(has_warning(&req, "flag 'discard-recording' is accepted but not implemented"));
	assert_false(has_warning(&req, "SAVP"));	/* recorded: SDES-SRTP (daemon/sdes.c) */
	assert_false(has_warning(&req, "force-relay")); /* daemon/ice.c: candidates typ relay */
	assert_true(has_warning(&req, "unknown flag 'frobnicate' ignored"));
	assert_false(has_warning(&req, "dtls")); /* DTLS-SRTP (daemon/dtls_media.c) */
	assert_int_equal(req.dtls, NG_DTLS_PASSIVE);
	assert_true(has_warning(&req, "unknown replace value 'bogus'"));
	assert_true(has_warning(&req, "unknown rtcp-mux value 'bogus'"));
	assert_true(has_warning(&req, "unknown ICE value 'bogus'"));
	assert_true(has_warning(&req, "invalid delete-delay 'soon'"));
	assert_false(has_warning(&req, "trickle"));
	assert_false(has_warning(&req, "SDES"));
	assert_false(has_warning(&req, "dtls=off"));
	assert_int_equal(req.n_warnings, 6);
	assert_int_equal(req.delete_delay, -1);
}

/* ICE values and rtpengine's WebRTC alias. */
static void test_ice_and_webrtc(void **state)
{
	struct ng_request req;
	(void)state;

	offer_with_flags("\"ICE=force\"", &req);
	assert_int_equal(req.ice, NG_ICE_FORCE);
	assert_int_equal(req.n_warnings, 0);
	offer_with_flags("\"ICE=optional\",\"ICE=trickle\",\"ICE=lite-both\"", &req);
	assert_int_equal(req.ice, NG_ICE_OPTIONAL);
	assert_int_equal(req.flags, NG_F_TRICKLE_ICE);
	assert_int_equal(req.n_warnings, 0);
	offer_with_flags("\"ICE=lite-off\"", &req);
	assert_true(has_warning(&req, "ICE 'lite-off' is accepted but not implemented"));
	offer_with_flags("\"WebRTC\"", &req);
	assert_int_equal(req.ice, NG_ICE_FORCE);
	assert_int_equal(req.flags, NG_F_TRICKLE_ICE | NG_F_NO_RTCP_ATTRIBUTE | NG_F_GENERATE_MID);
	assert_int_equal(req.rtcp_mux, NG_MUX_OFFER | NG_MUX_REQUIRE);
	assert_int_equal(req.transport, NG_TP_UDP_TLS_RTP_SAVPF);
	assert_true(req.sdes.off); /* rtpengine's alias includes SDES-off */
	/* and bundle=require (its WebRTC template), which implies offer */
	assert_int_equal(req.bundle, NG_BUNDLE_OFFER | NG_BUNDLE_REQUIRE);
	assert_int_equal(req.n_warnings, 0);
	offer_with_flags("\"DTLS-reverse=active\",\"DTLS-fingerprint=SHA-384\"", &req);
	assert_int_equal(req.dtls, NG_DTLS_ACTIVE);
	assert_int_equal(req.dtls_fp, 4u); /* 1 + DTLS_SHA384 */
	offer_with_flags("\"DTLS-fingerprint=md5\",\"DTLS=sideways\"", &req);
	assert_true(has_warning(&req, "unknown DTLS-fingerprint hash 'md5' ignored"));
	assert_true(has_warning(&req, "unknown DTLS value 'sideways' ignored"));
}

static void test_warning_cap_and_quoting(void **state)
{
	char flags[4096] = "";
	struct ng_request req;
	(void)state;

	for (int i = 0; i < 40; i++) {
		char f[32];
		snprintf(f, sizeof(f), "%s\"unknown%d\"", i ? "," : "", i);
		strcat(flags, f);
	}
	offer_with_flags(flags, &req);
	assert_int_equal(req.n_warnings, NG_MAX_WARNINGS);
	assert_string_equal(req.warnings[NG_MAX_WARNINGS - 1], "further warnings omitted");

	/* hostile bytes are not echoed raw into warnings */
	offer_with_flags("\"bad\\u0001flag\\n\"", &req);
	assert_int_equal(req.n_warnings, 1);
	assert_string_equal(req.warnings[0], "unknown flag 'bad?flag?' ignored");
}

/* Unknown flags past the warning cap cost no memory: 20000 of them. */
static void test_many_unknown_flags(void **state)
{
	size_t cap = 20000 * 12 + 64, p = 0;
	char *json = malloc(cap);
	struct arena *a = arena_new(0);
	struct ng_request req;
	struct ng_node *d;
	size_t before;
	(void)state;

	p += (size_t)sprintf(json, "{\"command\":\"ping\",\"flags\":[");
	for (int i = 0; i < 20000; i++)
		p += (size_t)sprintf(json + p, "%s\"zz%05d\"", i ? "," : "", i);
	p += (size_t)sprintf(json + p, "]}");
	assert_int_equal(ngjson_decode(a, (const uint8_t *)json, p, &d, NULL), 0);
	before = arena_used(a);
	assert_int_equal(ng_request_parse(a, d, &req, NULL), 0);
	assert_int_equal(req.n_warnings, NG_MAX_WARNINGS);
	assert_true(arena_used(a) - before < 16 * 1024);
	arena_free(a);
	free(json);
}

static void test_codec_limits(void **state)
{
	char flags[8192] = "";
	struct ng_request req;
	(void)state;

	for (int i = 0; i < NG_MAX_CODEC_ITEMS + 3; i++) {
		char f[40];
		snprintf(f, sizeof(f), "%s\"codec-strip-C%d\"", i ? "," : "", i);
		strcat(flags, f);
	}
	offer_with_flags(flags, &req);
	assert_int_equal(req.codec.n_strip, NG_MAX_CODEC_ITEMS);
	assert_string_equal(req.codec.strip[NG_MAX_CODEC_ITEMS - 1], "C31");
	assert_int_equal(req.n_warnings, 3);
}

/* What Kamailio's rtpengine module really sends for rtpengine_offer(
 * "replace-origin replace-session-connection ICE=remove RTP/AVP") */
static void test_kamailio_bencode_offer(void **state)
{
	static const char msg[] =
		"d3:sdp87:v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\n"
		"t=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\n7:call-id12:abc@10.0.0.58:from-tag"
		"6:tag-a17:replacel6:origin18:session-connectione3:ICE6:remove"
		"18:transport-protocol7:RTP/AVP13:received-froml3:IP48:10.0.0.5e"
		"7:command5:offere";
	struct ng_node *d;
	struct ng_request req;
	const char *err = NULL;
	(void)state;

	assert_int_equal(bencode_decode(arena, (const uint8_t *)msg, sizeof(msg) - 1, &d, &err), 0);
	assert_int_equal(ng_request_parse(arena, d, &req, &err), 0);
	assert_int_equal(req.cmd, NG_CMD_OFFER);
	assert_string_equal(req.call_id, "abc@10.0.0.5");
	assert_string_equal(req.from_tag, "tag-a1");
	assert_int_equal(req.sdp_len, 87);
	assert_int_equal(req.replace, NG_R_ORIGIN | NG_R_SESSION_CONNECTION);
	assert_int_equal(req.ice, NG_ICE_REMOVE);
	assert_int_equal(req.transport, NG_TP_RTP_AVP);
	assert_string_equal(req.received_from_family, "IP4");
	assert_string_equal(req.received_from_addr, "10.0.0.5");
	assert_int_equal(req.n_warnings, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_dictionary_keys),
		cmocka_unit_test(test_supports),
		cmocka_unit_test(test_key_spellings),
		cmocka_unit_test(test_plain_flag_spellings),
		cmocka_unit_test(test_kamailio_codec_flags),
		cmocka_unit_test(test_kamailio_value_flags),
		cmocka_unit_test(test_unimplemented_and_unknown),
		cmocka_unit_test(test_ice_and_webrtc),
		cmocka_unit_test(test_warning_cap_and_quoting),
		cmocka_unit_test(test_many_unknown_flags),
		cmocka_unit_test(test_codec_limits),
		cmocka_unit_test(test_t38_refused),
		cmocka_unit_test(test_tos_values),
		cmocka_unit_test(test_kamailio_bencode_offer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
