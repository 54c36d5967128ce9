/* test_ngflags.c: every entry of ngf_known, in every form it may take, parsed
 * in a request: a flag or key marked not implemented is named in a warning
 * and leaves nothing else behind; an implemented one is recorded in the
 * request and warns of nothing; one that is rtprelay's default behaviour
 * neither warns nor records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "control/ngflags.h"
#include "control/ngjson.h"
#include "control/ngrequest.h"

#include "tests/unit/lib/arena_fixture.h"

static void parse(const char *json, struct ng_request *req)
{
	struct ng_node *d;
	const char *err;
	int rc;

	if (ngjson_decode(arena, (const uint8_t *)json, strlen(json), &d, NULL))
		fail_msg("bad test JSON: %s", json);
	rc = ng_request_parse(arena, d, req, &err);
	(void)rc;	/* "No SDP body" and the like: the request is filled anyway */
}

static bool str_same(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

static bool list_same(const char *const *x, unsigned nx, const char *const *y, unsigned ny)
{
	if (nx != ny)
		return false;
	for (unsigned i = 0; i < nx; i++)
		if (!str_same(x[i], y[i]))
			return false;
	return true;
}

static bool sdes_same(const struct ng_sdes *x, const struct ng_sdes *y)
{
	return x->off == y->off && x->nonew == y->nonew && x->pad == y->pad &&
	       x->lifetime == y->lifetime && x->is_static == y->is_static && x->set == y->set &&
	       x->clear == y->clear && list_same(x->no, x->n_no, y->no, y->n_no) &&
	       list_same(x->only, x->n_only, y->only, y->n_only);
}

/* Everything a request records, warnings aside. */
static bool same_request(const struct ng_request *x, const struct ng_request *y)
{
	const struct ng_codec_ops *a = &x->codec, *b = &y->codec;

	return x->cmd == y->cmd && str_same(x->call_id, y->call_id) &&
	       str_same(x->from_tag, y->from_tag) && str_same(x->to_tag, y->to_tag) &&
	       str_same(x->via_branch, y->via_branch) && x->sdp_len == y->sdp_len &&
	       str_same(x->sdp, y->sdp) &&
	       str_same(x->received_from_family, y->received_from_family) &&
	       str_same(x->received_from_addr, y->received_from_addr) &&
	       str_same(x->media_address, y->media_address) &&
	       str_same(x->direction[0], y->direction[0]) &&
	       str_same(x->direction[1], y->direction[1]) && str_same(x->label, y->label) &&
	       str_same(x->interface, y->interface) && x->flags == y->flags &&
	       x->replace == y->replace && x->rtcp_mux == y->rtcp_mux && x->bundle == y->bundle && x->ice == y->ice &&
	       x->transport == y->transport && x->address_family == y->address_family &&
	       list_same(a->strip, a->n_strip, b->strip, b->n_strip) &&
	       list_same(a->offer, a->n_offer, b->offer, b->n_offer) &&
	       list_same(a->transcode, a->n_transcode, b->transcode, b->n_transcode) &&
	       list_same(a->mask, a->n_mask, b->mask, b->n_mask) &&
	       list_same(a->accept, a->n_accept, b->accept, b->n_accept) &&
	       list_same(a->except, a->n_except, b->except, b->n_except) &&
	       list_same(a->set, a->n_set, b->set, b->n_set) &&
	       list_same(a->consume, a->n_consume, b->consume, b->n_consume) &&
	       list_same(a->ignore, a->n_ignore, b->ignore, b->n_ignore) &&
	       str_same(x->refuse, y->refuse) && x->tos == y->tos &&
	       a->ptime == b->ptime && a->ptime_reverse == b->ptime_reverse &&
	       a->force_transcoding == b->force_transcoding &&
	       x->drop_traffic == y->drop_traffic &&
	       x->generate_rtcp_off == y->generate_rtcp_off &&
	       str_same(x->trigger, y->trigger) && str_same(x->trigger_end, y->trigger_end) &&
	       str_same(x->dtmf_security_trigger, y->dtmf_security_trigger) &&
	       str_same(x->dtmf_security_trigger_end, y->dtmf_security_trigger_end) &&
	       str_same(x->trigger_end_time, y->trigger_end_time) &&
	       str_same(x->trigger_end_digits, y->trigger_end_digits) &&
	       x->delete_delay == y->delete_delay &&
	       x->limit == y->limit && x->supports_load_limit == y->supports_load_limit &&
	       str_same(x->to_label, y->to_label) && x->sip_code == y->sip_code &&
	       str_same(x->dtmf_security, y->dtmf_security) &&
	       str_same(x->digit, y->digit) && str_same(x->duration, y->duration) &&
	       str_same(x->volume, y->volume) && str_same(x->pause, y->pause) &&
	       str_same(x->address, y->address) && sdes_same(&x->sdes, &y->sdes) &&
	       x->osrtp == y->osrtp && x->dtls == y->dtls && x->dtls_fp == y->dtls_fp && str_same(x->frequencies, y->frequencies) &&
	       list_same(x->from_tags, x->n_from_tags, y->from_tags, y->n_from_tags) &&
	       x->record_call == y->record_call &&
	       str_same(x->recording_file, y->recording_file) &&
	       str_same(x->recording_dir, y->recording_dir) &&
	       str_same(x->recording_pattern, y->recording_pattern) &&
	       str_same(x->metadata, y->metadata) && str_same(x->file, y->file) &&
	       str_same(x->repeat_times, y->repeat_times) &&
	       str_same(x->repeat_duration, y->repeat_duration) && x->moh == y->moh &&
	       str_same(x->moh_file, y->moh_file) && str_same(x->moh_mode, y->moh_mode) &&
	       str_same(x->moh_connection, y->moh_connection) &&
	       str_same(x->moh_source, y->moh_source) && str_same(x->start_pos, y->start_pos) &&
	       x->blob_len == y->blob_len && x->blob64 == y->blob64 &&
	       str_same(x->blob, y->blob) && x->moh_blob_len == y->moh_blob_len &&
	       str_same(x->moh_blob, y->moh_blob);
}

static bool warned_about(const struct ng_request *req, const char *name)
{
	for (unsigned i = 0; i < req->n_warnings; i++)
		if (strstr(req->warnings[i], name) &&
		    strstr(req->warnings[i], "is accepted but not implemented"))
			return true;
	return false;
}

/* The request @json makes out of entry @k, judged against @base (the same
 * request without it). */
static void check(const struct ngf_known *k, const char *json, const struct ng_request *base)
{
	struct ng_request req;

	parse(json, &req);
	switch (k->support) {
	case NGF_NOT_IMPLEMENTED:
		if (!warned_about(&req, k->name))
			fail_msg("%s: not implemented but not named in a warning", json);
		if (!same_request(&req, base))
			fail_msg("%s: not implemented but recorded", json);
		break;
	case NGF_IMPLEMENTED:
		if (req.n_warnings)
			fail_msg("%s: implemented but warned: %s", json, req.warnings[0]);
		if (same_request(&req, base))
			fail_msg("%s: implemented but the request does not record it", json);
		if (!k->where || !k->where[0])
			fail_msg("%s: implemented, but the table names nothing that reads it", k->name);
		break;
	case NGF_DEFAULT:
		if (req.n_warnings)
			fail_msg("%s: default behaviour but warned: %s", json, req.warnings[0]);
		if (!same_request(&req, base))
			fail_msg("%s: default behaviour, yet recorded (nothing reads it)", json);
		if (!k->where || !k->where[0])
			fail_msg("%s: default behaviour, but the table does not say where", k->name);
		break;
	case NGF_REFUSED:
		if (req.n_warnings)
			fail_msg("%s: refused but warned: %s", json, req.warnings[0]);
		if (!req.refuse || base->refuse)
			fail_msg("%s: refused, yet the request does not refuse", json);
		if (!k->where || !k->where[0])
			fail_msg("%s: refused, but the table does not say why", k->name);
		break;
	default:
		fail_msg("%s: support %d", k->name, (int)k->support);
	}
}

static void test_every_known_name(void **state)
{
	struct ng_request base;
	char json[512], val[128];
	unsigned tried = 0;

	(void)state;
	parse("{\"command\":\"offer\"}", &base);
	assert_int_equal(base.n_warnings, 0);
	assert_true(ngf_n_known > 50);
	for (size_t i = 0; i < ngf_n_known; i++) {
		const struct ngf_known *k = &ngf_known[i];
		const char *sample = k->sample ? k->sample : "\"on\"";
		size_t sl = strlen(sample);

		assert_true(k->forms != 0);
		if (k->forms & NGF_FLAG) {
			snprintf(json, sizeof(json), "{\"command\":\"offer\",\"flags\":[\"%s\"]}",
				 k->name);
			check(k, json, &base);
			tried++;
		}
		if (k->forms & NGF_DICT) {
			snprintf(json, sizeof(json), "{\"command\":\"offer\",\"%s\":%s}", k->name,
				 sample);
			check(k, json, &base);
			tried++;
		}
		if (!(k->forms & (NGF_KV | NGF_PREFIX)))
			continue;
		/* "key=value" and "key-value" carry a string sample */
		assert_true(sl >= 2 && sample[0] == '"' && sample[sl - 1] == '"' &&
			    sl - 2 < sizeof(val));
		memcpy(val, sample + 1, sl - 2);
		val[sl - 2] = '\0';
		if (k->forms & NGF_KV) {
			snprintf(json, sizeof(json), "{\"command\":\"offer\",\"flags\":[\"%s=%s\"]}",
				 k->name, val);
			check(k, json, &base);
			tried++;
		}
		if (k->forms & NGF_PREFIX) {
			snprintf(json, sizeof(json), "{\"command\":\"offer\",\"flags\":[\"%s-%s\"]}",
				 k->name, val);
			check(k, json, &base);
			tried++;
		}
	}
	assert_true(tried > ngf_n_known);
}

/* A name rtprelay does not carry out always says why (the README's table
 * shows it): none is "not implemented" without a reason. */
static void test_every_refusal_has_a_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < ngf_n_known; i++) {
		const struct ngf_known *k = &ngf_known[i];

		if ((k->support == NGF_NOT_IMPLEMENTED || k->support == NGF_REFUSED) &&
		    (!k->where || strlen(k->where) < 8))
			fail_msg("%s: not carried out, and no reason given", k->name);
	}
}

/* The flags a proxy sends most, by name: what each one is. */
static void test_named_flags(void **state)
{
	static const struct {
		const char *name;
		enum ngf_support support;
	} want[] = {
		{ "symmetric", NGF_DEFAULT },	      { "port-latching", NGF_DEFAULT },
		{ "no-port-latching", NGF_IMPLEMENTED }, { "force-relay", NGF_NOT_IMPLEMENTED },
		{ "force", NGF_NOT_IMPLEMENTED },     { "record-call", NGF_IMPLEMENTED },
		{ "discard-recording", NGF_NOT_IMPLEMENTED }, { "pause", NGF_IMPLEMENTED },
		{ "media-handover", NGF_IMPLEMENTED }, { "t.38", NGF_REFUSED },
		{ "t38", NGF_REFUSED },
		{ "all", NGF_IMPLEMENTED },	      { "fatal", NGF_IMPLEMENTED },
		{ "strict-source", NGF_IMPLEMENTED }, { "asymmetric", NGF_IMPLEMENTED },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ngf_known *k = ngf_lookup(want[i].name, strlen(want[i].name),
						       NGF_FLAG);
		if (!k)
			fail_msg("flag %s is not in ngf_known", want[i].name);
		if (k->support != want[i].support)
			fail_msg("flag %s: support %d, want %d", want[i].name, (int)k->support,
				 (int)want[i].support);
	}
	/* "record call" as a key: yes/on records, no/off stops; the flag records */
	struct ng_request req;
	parse("{\"command\":\"offer\",\"record call\":\"yes\",\"flags\":[\"SDES-off\"]}", &req);
	assert_int_equal(req.record_call, 1);
	assert_int_equal(req.n_warnings, 0);
	parse("{\"command\":\"offer\",\"record-call\":\"no\"}", &req);
	assert_int_equal(req.record_call, -1);
	assert_int_equal(req.n_warnings, 0);
	parse("{\"command\":\"offer\",\"flags\":[\"record-call\",\"discard-recording\"]}", &req);
	assert_true(req.flags & NG_F_RECORD_CALL);
	assert_true(warned_about(&req, "discard-recording"));
	parse("{\"command\":\"stop recording\",\"call-id\":\"c\",\"flags\":[\"pause\"],"
	      "\"recording-pattern\":\"%c-%r\",\"metadata\":\"a:b|c:d\"}",
	      &req);
	assert_true(req.flags & NG_F_PAUSE);
	assert_string_equal(req.recording_pattern, "%c-%r");
	assert_string_equal(req.metadata, "a:b|c:d");
}

/* The same name twice in one form would make the second entry dead. */
static void test_names_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < ngf_n_known; i++) {
		char norm[NGF_MAX_NAME + 1];
		size_t len = strlen(ngf_known[i].name);

		assert_true(len <= NGF_MAX_NAME);
		ngf_normalize(norm, ngf_known[i].name, len);
		assert_string_equal(norm, ngf_known[i].name);
		for (size_t j = i + 1; j < ngf_n_known; j++)
			if (!strcmp(ngf_known[i].name, ngf_known[j].name) &&
			    (ngf_known[i].forms & ngf_known[j].forms))
				fail_msg("%s listed twice", ngf_known[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_known_name),
		cmocka_unit_test(test_every_refusal_has_a_reason),
		cmocka_unit_test(test_named_flags),
		cmocka_unit_test(test_names_unique),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
