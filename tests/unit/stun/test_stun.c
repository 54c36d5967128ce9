/*
 * test_stun.c: the STUN codec against every test vector of RFC 5769 (parse,
 * MESSAGE-INTEGRITY, FINGERPRINT, XOR-MAPPED-ADDRESS of both families), the
 * writer reproducing the three short-term vectors byte for byte from their
 * parameters, and hostile messages refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <cmocka.h>

#include "stun/stun.h"

static const uint8_t tid1[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				  0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1: sample request */
static const uint8_t req[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
	0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
	0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
	0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
	0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
	0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* 2.2: IPv4 response, 192.0.2.1 port 32853 */
static const uint8_t resp4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
	0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
	0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* 2.3: IPv6 response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
static const uint8_t resp6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
	0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
	0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
	0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* 2.4: request with long-term authentication (no FINGERPRINT) */
static const uint8_t req_lt[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3,
	0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9,
	0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
	0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54,
	0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70,
	0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
	0x8c, 0xa8, 0x96, 0x66,
};

static const uint8_t *key = (const uint8_t *)pwd;
#define KEYLEN (sizeof(pwd) - 1)

static void test_request(void **state)
{
	struct stun_msg m;
	(void)state;

	assert_true(stun_is_message(req, sizeof(req)));
	assert_int_equal(stun_parse(req, sizeof(req), &m), 0);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_CLASS_REQUEST);
	assert_memory_equal(m.tid, tid1, 12);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_true(m.has_controlled);
	assert_false(m.has_controlling);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_false(m.use_candidate);
	assert_int_equal(m.unknown_required, 0);
	assert_true(stun_check_fingerprint(req, &m));
	assert_true(stun_check_integrity(req, &m, key, KEYLEN));
	assert_false(stun_check_integrity(req, &m, (const uint8_t *)"wrong", 5));
}

static void check_response(const uint8_t *buf, size_t len, int family)
{
	struct stun_msg m;
	char text[INET6_ADDRSTRLEN];

	assert_int_equal(stun_parse(buf, len, &m), 0);
	assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
	assert_true(m.has_xor_addr);
	assert_int_equal(m.xor_addr.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&m.xor_addr;
		inet_ntop(AF_INET, &s->sin_addr, text, sizeof(text));
		assert_string_equal(text, "192.0.2.1");
		assert_int_equal(ntohs(s->sin_port), 32853);
	} else {
		const struct sockaddr_in6 *s = (const void *)&m.xor_addr;
		inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof(text));
		assert_string_equal(text, "2001:db8:1234:5678:11:2233:4455:6677");
		assert_int_equal(ntohs(s->sin6_port), 32853);
	}
	assert_true(stun_check_fingerprint(buf, &m));
	assert_true(stun_check_integrity(buf, &m, key, KEYLEN));
}

static void test_responses(void **state)
{
	(void)state;
	check_response(resp4, sizeof(resp4), AF_INET);
	check_response(resp6, sizeof(resp6), AF_INET6);
}

static void test_long_term(void **state)
{
	/* long-term key = MD5(username ":" realm ":" SASLprep(password)) */
	static const char user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
				   "\xe3\x82\xb9";
	char in[128];
	uint8_t md5[16];
	unsigned int mlen = 0;
	struct stun_msg m;
	(void)state;

	int n = snprintf(in, sizeof(in), "%s:example.org:TheMatrIX", user);
	assert_true(EVP_Digest(in, (size_t)n, md5, &mlen, EVP_md5(), NULL));
	assert_int_equal(stun_parse(req_lt, sizeof(req_lt), &m), 0);
	assert_int_equal(m.username_len, 18);
	assert_memory_equal(m.username, user, 18);
	assert_int_equal(m.fingerprint_at, 0);
	assert_false(stun_check_fingerprint(req_lt, &m));
	assert_true(stun_check_integrity(req_lt, &m, md5, 16));
}

/* The writer rebuilds each short-term vector from its parameters. RFC 5769
 * pads with spaces where the writer pads with zeros: the test pokes those
 * bytes before the MAC is taken. */
static void test_write_vectors(void **state)
{
	uint8_t buf[256];
	struct stun_writer w;
	(void)state;

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING | STUN_CLASS_REQUEST, tid1);
	stun_w_attr(&w, STUN_A_SOFTWARE, "STUN test client", 16);
	stun_w_u32(&w, STUN_A_PRIORITY, 0x6e0001ff);
	stun_w_u64(&w, STUN_A_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_w_attr(&w, STUN_A_USERNAME, "evtj:h6vY", 9);
	memset(buf + w.len - 3, 0x20, 3);
	stun_w_integrity(&w, key, KEYLEN);
	stun_w_fingerprint(&w);
	assert_int_equal(stun_w_finish(&w), sizeof(req));
	assert_memory_equal(buf, req, sizeof(req));

	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(32853) };
	inet_pton(AF_INET, "192.0.2.1", &a4.sin_addr);
	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING | STUN_CLASS_SUCCESS, tid1);
	stun_w_attr(&w, STUN_A_SOFTWARE, "test vector", 11);
	buf[w.len - 1] = 0x20;
	stun_w_xor_addr(&w, (const struct sockaddr *)&a4);
	stun_w_integrity(&w, key, KEYLEN);
	stun_w_fingerprint(&w);
	assert_int_equal(stun_w_finish(&w), sizeof(resp4));
	assert_memory_equal(buf, resp4, sizeof(resp4));

	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(32853) };
	inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &a6.sin6_addr);
	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING | STUN_CLASS_SUCCESS, tid1);
	stun_w_attr(&w, STUN_A_SOFTWARE, "test vector", 11);
	buf[w.len - 1] = 0x20;
	stun_w_xor_addr(&w, (const struct sockaddr *)&a6);
	stun_w_integrity(&w, key, KEYLEN);
	stun_w_fingerprint(&w);
	assert_int_equal(stun_w_finish(&w), sizeof(resp6));
	assert_memory_equal(buf, resp6, sizeof(resp6));
}

static void test_error_and_flags(void **state)
{
	uint8_t buf[256];
	struct stun_writer w;
	struct stun_msg m;
	(void)state;

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING | STUN_CLASS_ERROR, tid1);
	stun_w_error(&w, 487, "Role Conflict");
	stun_w_attr(&w, STUN_A_USE_CANDIDATE, NULL, 0);
	stun_w_u64(&w, STUN_A_ICE_CONTROLLING, 42);
	stun_w_fingerprint(&w);
	int n = stun_w_finish(&w);
	assert_true(n > 0);
	assert_int_equal(stun_parse(buf, (size_t)n, &m), 0);
	assert_true(m.has_error);
	assert_int_equal(m.error_code, 487);
	assert_int_equal(m.reason_len, 13);
	assert_memory_equal(m.reason, "Role Conflict", 13);
	assert_true(m.use_candidate);
	assert_true(m.has_controlling);
	assert_true(m.tiebreaker == 42);
	assert_true(stun_check_fingerprint(buf, &m));
	assert_false(stun_check_integrity(buf, &m, key, KEYLEN)); /* none */
	/* a writer that runs out of room says so */
	stun_w_init(&w, buf, 24, STUN_BINDING, tid1);
	stun_w_u64(&w, STUN_A_ICE_CONTROLLING, 1);
	assert_int_equal(stun_w_finish(&w), -ENOSPC);
	assert_int_equal(stun_demux(0), DEMUX_STUN);
	assert_int_equal(stun_demux(3), DEMUX_STUN);
	assert_int_equal(stun_demux(22), DEMUX_DTLS);
	assert_int_equal(stun_demux(0x80), DEMUX_RTP);
	assert_int_equal(stun_demux(70), DEMUX_OTHER);
}

/* RFC 7983 section 7: every edge of every first-byte range, then every
 * value of the byte against the ranges as the RFC writes them. */
static void test_demux_edges(void **state)
{
	static const struct {
		uint8_t first;
		enum stun_demux want;
	} edge[] = {
		{0, DEMUX_STUN},     {3, DEMUX_STUN},	 /* STUN */
		{4, DEMUX_OTHER},    {19, DEMUX_OTHER}, /* ZRTP: not spoken here */
		{20, DEMUX_DTLS},    {63, DEMUX_DTLS},	 /* DTLS */
		{64, DEMUX_OTHER},   {79, DEMUX_OTHER}, /* TURN channel: dropped */
		{80, DEMUX_OTHER},   {127, DEMUX_OTHER},
		{128, DEMUX_RTP},    {191, DEMUX_RTP}, /* RTP/RTCP */
		{192, DEMUX_OTHER},  {255, DEMUX_OTHER},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		assert_int_equal(stun_demux(edge[i].first), edge[i].want);
	for (unsigned b = 0; b < 256; b++) {
		enum stun_demux want = b <= 3		    ? DEMUX_STUN
				       : b >= 20 && b <= 63   ? DEMUX_DTLS
				       : b >= 128 && b <= 191 ? DEMUX_RTP
							      : DEMUX_OTHER;
		assert_int_equal(stun_demux((uint8_t)b), want);
	}
}

static void test_hostile(void **state)
{
	uint8_t b[sizeof(req)];
	struct stun_msg m;
	(void)state;

	/* every truncation is refused */
	for (size_t n = 0; n < sizeof(req); n++)
		assert_int_not_equal(stun_parse(req, n, &m), 0);
	/* a length byte changed: header length no longer matches */
	memcpy(b, req, sizeof(b));
	b[3] ^= 4;
	assert_int_not_equal(stun_parse(b, sizeof(b), &m), 0);
	/* an attribute length past the end */
	memcpy(b, req, sizeof(b));
	b[22] = 0xff;
	assert_int_equal(stun_parse(b, sizeof(b), &m), -EINVAL);
	/* a wrong cookie */
	memcpy(b, req, sizeof(b));
	b[4] = 0;
	assert_int_equal(stun_parse(b, sizeof(b), &m), -EINVAL);
	/* one flipped bit in the body: integrity and fingerprint fail */
	memcpy(b, req, sizeof(b));
	b[30] ^= 1;
	assert_int_equal(stun_parse(b, sizeof(b), &m), 0);
	assert_false(stun_check_integrity(b, &m, key, KEYLEN));
	assert_false(stun_check_fingerprint(b, &m));
	/* PRIORITY of the wrong size */
	memcpy(b, req, sizeof(b));
	b[43] = 8;
	assert_int_equal(stun_parse(b, sizeof(b), &m), -EINVAL);
	/* an attribute after FINGERPRINT */
	uint8_t c[sizeof(req) + 8];
	memcpy(c, req, sizeof(req));
	memset(c + sizeof(req), 0, 8);
	c[sizeof(req) + 1] = 0x24;
	c[sizeof(req) + 3] = 4;
	c[3] = (uint8_t)(c[3] + 8);
	assert_int_equal(stun_parse(c, sizeof(c), &m), -EINVAL);
	/* an unknown comprehension-required attribute is counted */
	uint8_t d[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42 };
	d[21] = 0x7f;
	d[23] = 4;
	assert_int_equal(stun_parse(d, sizeof(d), &m), 0);
	assert_int_equal(m.unknown_required, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),	      cmocka_unit_test(test_responses),
		cmocka_unit_test(test_long_term),     cmocka_unit_test(test_write_vectors),
		cmocka_unit_test(test_error_and_flags), cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_demux_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
