/*
 * test_srtp_kdf.c: the SRTP key derivation (RFC 3711 4.3.3, the AES-CM PRF
 * with the suite's AES key size per RFC 6188) against the published
 * vectors, and what libsrtp derives.
 *
 *  - An independent KDF here, on OpenSSL's AES-CTR alone, reproduces RFC
 *    3711 B.3 (AES-128) and RFC 6188 7.2 (AES_256_CM_PRF) and 7.4
 *    (AES_192_CM_PRF): cipher key, cipher salt and auth key.
 *  - With each RFC master key, sr_stream (libsrtp) protects a packet; the
 *    packet the RFC's session keys give is computed here with OpenSSL. For
 *    AES-128 and AES-256 they are the same. For AES-192, libsrtp 2.5's is
 *    not: it is the packet of session keys derived with an AES-256 PRF keyed
 *    by the 24-byte master key and the first 8 salt bytes, over the last 6
 *    salt bytes and 8 zero bytes (libsrtp pads the master key and salt into
 *    one 46-byte AES-256 buffer). So libsrtp is the one that differs from
 *    the RFC; rtpengine, which derives as the RFC does, fails every such
 *    packet's authentication (tests/integration/test_srtp_rtpengine_interop.py).
 *  - sr_suite_rfc_keys (srtp/sr_rfc_keys.h) says exactly that: true where
 *    libsrtp's packet is the RFC's, false where it is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "srtp/sr_rfc_keys.h"
#include "srtp/sr_stream.h"

static int setup(void **state)
{
	(void)state;
	return sr_init();
}

static const EVP_CIPHER *aes_ctr(size_t key_len)
{
	return key_len == 16 ? EVP_aes_128_ctr() : key_len == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();
}

/* RFC 3711 4.3.3 with key_derivation_rate 0: x = label << 48 XOR salt,
 * out = AES-CM keystream of the master key from IV = x * 2^16. */
static void kdf(const uint8_t *key, size_t key_len, const uint8_t salt[14], uint8_t label,
		uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 0 }, zero[64] = { 0 };
	int len = 0;

	assert_true(n <= sizeof(zero));
	memcpy(iv, salt, 14);
	iv[7] ^= label;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, aes_ctr(key_len), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out, &len, zero, (int)n), 1);
	assert_int_equal(len, (int)n);
	EVP_CIPHER_CTX_free(ctx);
}

struct vector {
	const char *name;
	enum sr_suite suite;
	size_t key_len;
	uint8_t key[32], salt[14];
	uint8_t k_e[32], k_s[14], k_a[20];
};

static const struct vector vectors[] = {
	{ "RFC 3711 B.3",
	  SR_AES_CM_128_HMAC_SHA1_80,
	  16,
	  { 0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	    0x39 },
	  { 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6 },
	  { 0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee, 0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0,
	    0x87 },
	  { 0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c, 0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1 },
	  { 0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71, 0x6b, 0x6f, 0xd4,
	    0xab, 0x49, 0xaf, 0x25, 0x6a, 0x15, 0x6d, 0x38, 0xba, 0xa4 } },
	{ "RFC 6188 7.4 (AES_192_CM_PRF)",
	  SR_AES_192_CM_HMAC_SHA1_80,
	  24,
	  { 0x73, 0xed, 0xc6, 0x6c, 0x4f, 0xa1, 0x57, 0x76, 0xfb, 0x57, 0xf9, 0x50,
	    0x5c, 0x17, 0x13, 0x65, 0x50, 0xff, 0xda, 0x71, 0xf3, 0xe8, 0xe5, 0xf1 },
	  { 0xc8, 0x52, 0x2f, 0x3a, 0xcd, 0x4c, 0xe8, 0x6d, 0x5a, 0xdd, 0x78, 0xed, 0xbb, 0x11 },
	  { 0x31, 0x87, 0x47, 0x36, 0xa8, 0xf1, 0x14, 0x38, 0x70, 0xc2, 0x6e, 0x48,
	    0x57, 0xd8, 0xa5, 0xb2, 0xc4, 0xa3, 0x54, 0x40, 0x7f, 0xaa, 0xda, 0xbb },
	  { 0x23, 0x72, 0xb8, 0x2d, 0x63, 0x9b, 0x6d, 0x85, 0x03, 0xa4, 0x7a, 0xdc, 0x0a, 0x6c },
	  { 0x35, 0x5b, 0x10, 0x97, 0x3c, 0xd9, 0x5b, 0x9e, 0xac, 0xf4,
	    0x06, 0x1c, 0x7e, 0x1a, 0x71, 0x51, 0xe7, 0xcf, 0xbf, 0xcb } },
	{ "RFC 6188 7.2 (AES_256_CM_PRF)",
	  SR_AES_256_CM_HMAC_SHA1_80,
	  32,
	  { 0xf0, 0xf0, 0x49, 0x14, 0xb5, 0x13, 0xf2, 0x76, 0x3a, 0x1b, 0x1f,
	    0xa1, 0x30, 0xf1, 0x0e, 0x29, 0x98, 0xf6, 0xf6, 0xe4, 0x3e, 0x43,
	    0x09, 0xd1, 0xe6, 0x22, 0xa0, 0xe3, 0x32, 0xb9, 0xf1, 0xb6 },
	  { 0x3b, 0x04, 0x80, 0x3d, 0xe5, 0x1e, 0xe7, 0xc9, 0x64, 0x23, 0xab, 0x5b, 0x78, 0xd2 },
	  { 0x5b, 0xa1, 0x06, 0x4e, 0x30, 0xec, 0x51, 0x61, 0x3c, 0xad, 0x92,
	    0x6c, 0x5a, 0x28, 0xef, 0x73, 0x1e, 0xc7, 0xfb, 0x39, 0x7f, 0x70,
	    0xa9, 0x60, 0x65, 0x3c, 0xaf, 0x06, 0x55, 0x4c, 0xd8, 0xc4 },
	  { 0xfa, 0x31, 0x79, 0x16, 0x85, 0xca, 0x44, 0x4a, 0x9e, 0x07, 0xc6, 0xc6, 0x4e, 0x93 },
	  { 0xfd, 0x9c, 0x32, 0xd3, 0x9e, 0xd5, 0xfb, 0xb5, 0xa9, 0xdc,
	    0x96, 0xb3, 0x08, 0x18, 0x45, 0x4d, 0x13, 0x13, 0xdc, 0x05 } },
};
#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

/* The KDF above gives every published session key from the master key. */
static void kdf_reproduces_the_published_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		uint8_t k_e[32], k_s[14], k_a[20];

		kdf(v->key, v->key_len, v->salt, 0x00, k_e, v->key_len);
		kdf(v->key, v->key_len, v->salt, 0x01, k_a, sizeof(k_a));
		kdf(v->key, v->key_len, v->salt, 0x02, k_s, sizeof(k_s));
		if (memcmp(k_e, v->k_e, v->key_len) || memcmp(k_a, v->k_a, sizeof(k_a)) ||
		    memcmp(k_s, v->k_s, sizeof(k_s)))
			fail_msg("%s: the KDF does not give the published session keys", v->name);
	}
}

/* SRTP (RFC 3711 4.1.1, 4.2) of @rtp (12-byte header) with ROC 0 from
 * session keys alone: AES-CTR from IV = salt*2^16 ^ SSRC*2^64 ^ index*2^16,
 * HMAC-SHA1 over packet and ROC, 80 bits kept. */
static size_t srtp_by_hand(const uint8_t *k_e, size_t key_len, const uint8_t k_s[14],
			   const uint8_t k_a[20], const uint8_t *rtp, size_t len, uint8_t *out)
{
	uint8_t iv[16] = { 0 }, mac[20], authed[256];
	unsigned mac_len = 0;
	int n = 0;

	memcpy(iv, k_s, 14);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= rtp[8 + i];
	iv[12] ^= rtp[2];
	iv[13] ^= rtp[3];
	memcpy(out, rtp, 12);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, aes_ctr(key_len), NULL, k_e, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out + 12, &n, rtp + 12, (int)len - 12), 1);
	EVP_CIPHER_CTX_free(ctx);
	memcpy(authed, out, len);
	memset(authed + len, 0, 4); /* ROC 0 */
	assert_non_null(HMAC(EVP_sha1(), k_a, 20, authed, len + 4, mac, &mac_len));
	memcpy(out + len, mac, 10);
	return len + 10;
}

static const uint8_t ref_rtp[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};

/* What sr_stream (libsrtp) makes of ref_rtp with @v's master key. */
static size_t libsrtp_packet(const struct vector *v, uint8_t *out, size_t cap)
{
	struct sr_stream *tx = sr_stream_new();
	struct sr_keys k;
	size_t len = sizeof(ref_rtp);

	assert_non_null(tx);
	memset(&k, 0, sizeof(k));
	k.suite = v->suite;
	memcpy(k.local.master, v->key, v->key_len);
	memcpy(k.local.master + v->key_len, v->salt, 14);
	k.remote = k.local;
	assert_int_equal(sr_stream_rekey(tx, &k), 0);
	memcpy(out, ref_rtp, sizeof(ref_rtp));
	assert_int_equal(sr_protect(tx, out, &len, cap, false), SR_OK);
	sr_stream_free(tx);
	return len;
}

static void libsrtp_against_the_rfc_session_keys(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		uint8_t want[64], got[64];

		if (!sr_suite_available(v->suite))
			continue;
		size_t wlen = srtp_by_hand(v->k_e, v->key_len, v->k_s, v->k_a, ref_rtp,
					   sizeof(ref_rtp), want);
		size_t glen = libsrtp_packet(v, got, sizeof(got));
		bool rfc = glen == wlen && !memcmp(got, want, wlen);

		/* AES-128 and AES-256: libsrtp keys as the RFCs do */
		if (v->suite != SR_AES_192_CM_HMAC_SHA1_80 && !rfc)
			fail_msg("%s: libsrtp's packet is not the RFC session keys'", v->name);
		/* the daemon's check agrees with this one, for every key size
		 * and both tag lengths */
		assert_int_equal(sr_suite_rfc_keys(v->suite), rfc);
		assert_int_equal(sr_suite_rfc_keys((enum sr_suite)(v->suite + 1)), rfc);
		if (rfc)
			assert_null(sr_suite_rfc_keys_why(v->suite));
		else
			assert_non_null(strstr(sr_suite_rfc_keys_why(v->suite), "RFC 6188"));
	}
}

/* libsrtp 2.5's AES-192: the packet of keys from an AES-256 PRF over the
 * master key and salt laid into one zero-padded 46-byte buffer. Where the
 * linked libsrtp keys AES-192 as the RFC does, there is nothing to show. */
static void libsrtp_aes_192_is_an_aes_256_prf_over_key_and_salt(void **state)
{
	(void)state;
	const struct vector *v = &vectors[1];
	uint8_t buf[46] = { 0 }, k_e[24], k_s[14], k_a[20], want[64], got[64];

	if (!sr_suite_available(v->suite) || sr_suite_rfc_keys(v->suite))
		skip();
	memcpy(buf, v->key, 24);
	memcpy(buf + 24, v->salt, 14);
	kdf(buf, 32, buf + 32, 0x00, k_e, sizeof(k_e));
	kdf(buf, 32, buf + 32, 0x01, k_a, sizeof(k_a));
	kdf(buf, 32, buf + 32, 0x02, k_s, sizeof(k_s));
	size_t wlen = srtp_by_hand(k_e, 24, k_s, k_a, ref_rtp, sizeof(ref_rtp), want);
	size_t glen = libsrtp_packet(v, got, sizeof(got));
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	/* and those are not the RFC's keys */
	assert_memory_not_equal(k_e, v->k_e, sizeof(k_e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kdf_reproduces_the_published_vectors),
		cmocka_unit_test(libsrtp_against_the_rfc_session_keys),
		cmocka_unit_test(libsrtp_aes_192_is_an_aes_256_prf_over_key_and_salt),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
