/* test_ngmsg.c: "<cookie> <dict>" framing, encoding detection and replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/ngmsg.h"

static int decode(struct arena *a, const char *s, struct ng_msg *m, const char **err)
{
	return ng_msg_decode(a, (const uint8_t *)s, strlen(s), m, err);
}

static void test_bencode_message(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_msg m;
	const char *err = NULL;
	(void)state;

	assert_int_equal(decode(a, "5323_1 d7:command4:pinge", &m, &err), 0);
	assert_string_equal(m.cookie, "5323_1");
	assert_int_equal(m.cookie_len, 6);
	assert_int_equal(m.enc, NG_ENC_BENCODE);
	assert_true(ng_str_eq(ng_dict_get(m.dict, "command"), "ping"));
	arena_free(a);
}

static void test_json_message(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_msg m;
	const char *err = NULL;
	(void)state;

	assert_int_equal(decode(a, "abc {\"command\":\"ping\",\"x\":true}", &m, &err), 0);
	assert_string_equal(m.cookie, "abc");
	assert_int_equal(m.enc, NG_ENC_JSON);
	assert_true(ng_str_eq(ng_dict_get(m.dict, "command"), "ping"));
	assert_int_equal(ng_dict_get(m.dict, "x")->num, 1);
	arena_free(a);
}

static void test_framing_errors(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_msg m;
	const char *err;
	char longc[NG_MAX_COOKIE + 20];
	(void)state;

	err = NULL;
	assert_int_equal(decode(a, "nocookie", &m, &err), -EINVAL);
	assert_non_null(err);
	assert_null(m.cookie);
	assert_int_equal(decode(a, " d7:command4:pinge", &m, &err), -EINVAL);
	assert_int_equal(decode(a, "", &m, &err), -EINVAL);
	assert_int_equal(decode(a, "a\tb d7:command4:pinge", &m, &err), -EINVAL);
	memset(longc, 'c', sizeof(longc));
	memcpy(longc + NG_MAX_COOKIE + 1, " de", 3);
	longc[NG_MAX_COOKIE + 4] = '\0';
	assert_int_equal(decode(a, longc, &m, &err), -EINVAL);
	/* a cookie of exactly NG_MAX_COOKIE bytes is fine */
	memcpy(longc + NG_MAX_COOKIE, " de", 4);
	assert_int_equal(decode(a, longc, &m, &err), 0);
	assert_int_equal(m.cookie_len, NG_MAX_COOKIE);

	/* cookie read, dictionary bad: the cookie is still there for the reply */
	err = NULL;
	assert_int_equal(decode(a, "c1 d7:command", &m, &err), -EINVAL);
	assert_string_equal(m.cookie, "c1");
	assert_non_null(strstr(err, "Could not decode dictionary"));
	assert_null(m.dict);
	assert_int_equal(decode(a, "c2 l4:pinge", &m, &err), -EINVAL);
	assert_string_equal(err, "Invalid dictionary");
	assert_string_equal(m.cookie, "c2");
	assert_int_equal(decode(a, "c3 [1,2]", &m, &err), -EINVAL);	/* bencode path */
	assert_int_equal(decode(a, "c4 {\"a\":", &m, &err), -EINVAL);
	assert_non_null(strstr(err, "Could not decode dictionary"));
	assert_int_equal(decode(a, "c5 ", &m, &err), -EINVAL);
	assert_int_equal(decode(a, "c6  de", &m, &err), -EINVAL);	/* two spaces */
	arena_free(a);
}

static void test_encode_reply(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_node *d = ng_new_dict(a);
	char buf[128];
	long n;
	(void)state;

	ng_dict_add_str(a, d, "result", "pong");
	n = ng_msg_encode("ck", 2, NG_ENC_BENCODE, d, buf, sizeof(buf));
	assert_int_equal(n, strlen("ck d6:result4:ponge"));
	assert_memory_equal(buf, "ck d6:result4:ponge", (size_t)n);
	n = ng_msg_encode("ck", 2, NG_ENC_JSON, d, buf, sizeof(buf));
	assert_int_equal(n, strlen("ck {\"result\":\"pong\"}"));
	assert_memory_equal(buf, "ck {\"result\":\"pong\"}", (size_t)n);
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(ng_msg_encode("ck", 2, NG_ENC_JSON, d, buf, cap), -ENOSPC);
	for (size_t cap = 0; cap < strlen("ck d6:result4:ponge"); cap++)
		assert_int_equal(ng_msg_encode("ck", 2, NG_ENC_BENCODE, d, buf, cap), -ENOSPC);
	arena_free(a);
}

static void test_reply_follows_request(void **state)
{
	struct arena *a = arena_new(0);
	struct ng_msg m;
	struct ng_node *r;
	const char *err;
	char buf[256];
	long n;
	(void)state;

	assert_int_equal(decode(a, "x1 {\"command\":\"ping\"}", &m, &err), 0);
	r = ng_new_dict(a);
	ng_dict_add_str(a, r, "result", "pong");
	n = ng_msg_encode(m.cookie, m.cookie_len, m.enc, r, buf, sizeof(buf));
	assert_true(n > 0);
	/* and the reply decodes back as a message */
	struct ng_msg back;
	assert_int_equal(ng_msg_decode(a, (const uint8_t *)buf, (size_t)n, &back, &err), 0);
	assert_string_equal(back.cookie, "x1");
	assert_int_equal(back.enc, NG_ENC_JSON);
	assert_true(ng_str_eq(ng_dict_get(back.dict, "result"), "pong"));
	arena_free(a);
}

/* The largest dictionary (NG_MAX_MESSAGE) behind the longest cookie is accepted. */
static void test_size_limits(void **state)
{
	size_t n = NG_MAX_MESSAGE - 12, total = NG_MAX_COOKIE + 1 + NG_MAX_MESSAGE + 1;
	char *buf = malloc(total);
	struct arena *a = arena_new(0);
	struct ng_msg m;
	const char *err;
	int hdr;
	(void)state;

	memset(buf, 'c', NG_MAX_COOKIE);
	buf[NG_MAX_COOKIE] = ' ';
	hdr = sprintf(buf + NG_MAX_COOKIE + 1, "d1:x%zu:", n);
	assert_int_equal(hdr, 11);
	memset(buf + NG_MAX_COOKIE + 1 + hdr, 'v', n);
	buf[NG_MAX_COOKIE + NG_MAX_MESSAGE] = 'e';
	assert_int_equal(ng_msg_decode(a, (uint8_t *)buf, total - 1, &m, &err), 0);
	assert_int_equal(ng_dict_get(m.dict, "x")->str_len, n);
	/* the same message one byte longer is refused before any parsing */
	assert_int_equal(ng_msg_decode(a, (uint8_t *)buf, total, &m, &err), -E2BIG);
	assert_null(m.cookie);
	/* a short cookie with a dictionary one byte over NG_MAX_MESSAGE: the
	 * decoder refuses it, and the cookie is there for the error reply */
	memcpy(buf + NG_MAX_COOKIE - 1, "c ", 2);
	buf[total - 1] = 'e';
	buf[NG_MAX_COOKIE + NG_MAX_MESSAGE] = 'v';
	hdr = sprintf(buf + NG_MAX_COOKIE + 1, "d1:x%zu:", n + 1);
	buf[NG_MAX_COOKIE + 1 + hdr] = 'v';	/* sprintf's NUL */
	assert_int_equal(ng_msg_decode(a, (uint8_t *)buf + NG_MAX_COOKIE - 1, NG_MAX_MESSAGE + 3,
				       &m, &err), -E2BIG);
	assert_string_equal(m.cookie, "c");
	assert_non_null(strstr(err, "too large"));
	free(buf);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bencode_message),
		cmocka_unit_test(test_json_message),
		cmocka_unit_test(test_framing_errors),
		cmocka_unit_test(test_encode_reply),
		cmocka_unit_test(test_reply_follows_request),
		cmocka_unit_test(test_size_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
