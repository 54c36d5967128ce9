/*
 * test_srtp_vectors.c: SRTP against the published vectors, each through
 * the deepest path of ours that reaches it.
 *
 *  - RFC 3711 B.2 (AES-CM keystream): the AES-ICM type srtp/srtp_openssl.c
 *    registers, taken from libsrtp's crypto kernel as SRTP uses it.
 *  - RFC 3711 B.3 (key derivation): through sr_stream with the master key
 *    and salt of B.3; the packet it protects must be the one the session
 *    keys B.3 publishes give (computed here with OpenSSL directly).
 *  - RFC 7714 16.1.1 / 16.2.1 (AEAD_AES_128_GCM / AEAD_AES_256_GCM): the
 *    vectors are given at session-key level with the IV already formed,
 *    below what a master-key interface reaches, so the registered GCM
 *    types are tested with them directly.
 *  - AES_192_CM and AES_256_CM (RFC 6188): no packet is published; known
 *    answers through sr_stream, computed by pylibsrtp (libsrtp on its own
 *    AES and HMAC, no code of ours) from the master key of B.3 extended.
 *    They pin libsrtp's behaviour, not the RFC's: for AES-192, libsrtp's
 *    session keys are not RFC 6188's (test_srtp_kdf.c shows it with the
 *    RFC's KDF vectors), which is why rtprelay uses AES-192 only when
 *    SDES-only- names it (srtp/sr_rfc_keys.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>

#include "srtp/sr_stream.h"

/* libsrtp exports its crypto kernel's allocator without installing the
 * header that declares it (crypto_kernel.h); it is how srtp.c gets the
 * registered type for a cipher id. */
srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id, srtp_cipher_t **cp,
						  int key_len, int tag_len);

static int setup(void **state)
{
	(void)state;
	return sr_init();
}

/* The type libsrtp hands SRTP for @id, checked to be ours (OpenSSL's). */
static srtp_cipher_t *kernel_cipher(srtp_cipher_type_id_t id, int key_len, int tag_len)
{
	srtp_cipher_t *c = NULL;

	assert_int_equal(srtp_crypto_kernel_alloc_cipher(id, &c, key_len, tag_len),
			 srtp_err_status_ok);
	assert_non_null(c);
	assert_non_null(strstr(c->type->description, "OpenSSL"));
	return c;
}

/* RFC 3711 B.2: session key, salt; the counter starts at salt || 0000
 * (SSRC 0, index 0: the IV libsrtp passes is all zero). */
static const uint8_t b2_key_salt[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
	0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t b2_keystream[48] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d,
	0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
	0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab, 0x41, 0xe9, 0x5b, 0x3b,
	0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};

static void rfc3711_b2_keystream(void **state)
{
	(void)state;
	srtp_cipher_t *c = kernel_cipher(SRTP_AES_ICM_128, 30, 0);
	uint8_t iv[16] = { 0 }, buf[48] = { 0 };
	uint32_t len = sizeof(buf);

	assert_int_equal(srtp_cipher_init(c, b2_key_salt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, sizeof(buf));
	assert_memory_equal(buf, b2_keystream, sizeof(buf));
	/* the same counter again: the same keystream (nothing carried over) */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	assert_memory_equal(buf, b2_keystream, sizeof(buf));
	srtp_cipher_dealloc(c);
}

/* RFC 3711 B.3: master key and salt, and the session keys derived with
 * key_derivation_rate 0 (labels 0, 2 and the first 20 bytes of label 1). */
static const uint8_t b3_master[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t b3_cipher_key[16] = {
	0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee,
	0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87,
};
static const uint8_t b3_salt[14] = {
	0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c, 0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1,
};
static const uint8_t b3_auth_key[20] = {
	0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71, 0x6b, 0x6f, 0xd4,
	0xab, 0x49, 0xaf, 0x25, 0x6a, 0x15, 0x6d, 0x38, 0xba, 0xa4,
};

/* SRTP (RFC 3711 4.1.1, 4.2) of @rtp (12-byte header, no CSRC) with ROC 0,
 * written from the session keys alone: AES-CTR from
 * IV = salt*2^16 ^ SSRC*2^64 ^ index*2^16, then HMAC-SHA1 over the
 * packet and the ROC, 80 bits kept. */
static size_t srtp_by_hand(const uint8_t *rtp, size_t len, uint8_t *out)
{
	uint8_t iv[16] = { 0 }, mac[20], roc[4] = { 0 };
	unsigned mac_len = 0;
	int n = 0;

	memcpy(iv, b3_salt, sizeof(b3_salt));
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= rtp[8 + i]; /* SSRC */
	iv[12] ^= rtp[2];		 /* index = ROC 0 || seq */
	iv[13] ^= rtp[3];
	memcpy(out, rtp, 12);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, b3_cipher_key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out + 12, &n, rtp + 12, (int)len - 12), 1);
	assert_int_equal(n, (int)len - 12);
	EVP_CIPHER_CTX_free(ctx);
	uint8_t authed[256];
	memcpy(authed, out, len);
	memcpy(authed + len, roc, sizeof(roc));
	assert_non_null(HMAC(EVP_sha1(), b3_auth_key, sizeof(b3_auth_key), authed, len + 4, mac,
			     &mac_len));
	assert_int_equal(mac_len, 20);
	memcpy(out + len, mac, 10);
	return len + 10;
}

static void rfc3711_b3_derivation(void **state)
{
	(void)state;
	struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
	struct sr_keys k;
	uint8_t buf[256], want[256];
	static const uint16_t seqs[] = { 0x0000, 0x1234, 0xffff };

	memset(&k, 0, sizeof(k));
	k.suite = SR_AES_CM_128_HMAC_SHA1_80;
	memcpy(k.local.master, b3_master, sizeof(b3_master));
	memcpy(k.remote.master, b3_master, sizeof(b3_master));
	assert_non_null(tx);
	assert_non_null(rx);
	assert_int_equal(sr_stream_rekey(tx, &k), 0);
	assert_int_equal(sr_stream_rekey(rx, &k), 0);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		uint8_t rtp[12 + 40] = { 0x80, 0x00, (uint8_t)(seqs[i] >> 8), (uint8_t)seqs[i],
					 0x00, 0x00, 0x00, 0xa0, 0x12, 0x34, 0x56, 0x78 };
		size_t len = sizeof(rtp);

		for (size_t j = 12; j < sizeof(rtp); j++)
			rtp[j] = (uint8_t)(j * 7);
		size_t wlen = srtp_by_hand(rtp, sizeof(rtp), want);
		memcpy(buf, rtp, sizeof(rtp));
		assert_int_equal(sr_protect(tx, buf, &len, sizeof(buf), false), SR_OK);
		assert_int_equal(len, wlen);
		assert_memory_equal(buf, want, wlen);
		assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_OK);
		assert_int_equal(len, sizeof(rtp));
		assert_memory_equal(buf, rtp, sizeof(rtp));
	}
	sr_stream_free(tx);
	sr_stream_free(rx);
}

/* RFC 7714 16.1.1 / 16.2.1: the RTP packet (header as AAD, "Gallia est
 * omnis divisa in partes tres" as plaintext), its IV (salt
 * 517569642070726f2071756f with SSRC 5501a0b2, ROC 0, SEQ f17b folded in)
 * and key 00..0f (128) or 00..1f (256). */
static const uint8_t gcm_aad[12] = {
	0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2,
};
static const uint8_t gcm_iv[12] = {
	0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71, 0x84, 0x14,
};
static const char gcm_pt[] = "Gallia est omnis divisa in partes tres";
static const uint8_t gcm128_ct[38 + 16] = {
	0xf2, 0x4d, 0xe3, 0xa3, 0xfb, 0x34, 0xde, 0x6c, 0xac, 0xba, 0x86, 0x1c, 0x9d, 0x7e,
	0x4b, 0xca, 0xbe, 0x63, 0x3b, 0xd5, 0x0d, 0x29, 0x4e, 0x6f, 0x42, 0xa5, 0xf4, 0x7a,
	0x51, 0xc7, 0xd1, 0x9b, 0x36, 0xde, 0x3a, 0xdf, 0x88, 0x33, /* tag: */
	0x89, 0x9d, 0x7f, 0x27, 0xbe, 0xb1, 0x6a, 0x91, 0x52, 0xcf, 0x76, 0x5e, 0xe4, 0x39,
	0x0c, 0xce,
};
static const uint8_t gcm256_ct[38 + 16] = {
	0x32, 0xb1, 0xde, 0x78, 0xa8, 0x22, 0xfe, 0x12, 0xef, 0x9f, 0x78, 0xfa, 0x33, 0x2e,
	0x33, 0xaa, 0xb1, 0x80, 0x12, 0x38, 0x9a, 0x58, 0xe2, 0xf3, 0xb5, 0x0b, 0x2a, 0x02,
	0x76, 0xff, 0xae, 0x0f, 0x1b, 0xa6, 0x37, 0x99, 0xb8, 0x7b, /* tag: */
	0x7a, 0xa3, 0xdb, 0x36, 0xdf, 0xff, 0xd6, 0xb0, 0xf9, 0xbb, 0x78, 0x78, 0xd7, 0xa7,
	0x6c, 0x13,
};

static void gcm_vector(srtp_cipher_type_id_t id, int key_size, const uint8_t *want)
{
	srtp_cipher_t *c = kernel_cipher(id, key_size + 12, 16);
	uint8_t key[32 + 12] = { 0 }, iv[12], buf[38 + 16];
	uint32_t len = 38, tlen = 0;

	for (int i = 0; i < key_size; i++)
		key[i] = (uint8_t)i;
	memcpy(iv, gcm_iv, sizeof(iv));
	memcpy(buf, gcm_pt, 38);
	assert_int_equal(srtp_cipher_init(c, key), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_aad(c, gcm_aad, sizeof(gcm_aad)), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, 38);
	assert_int_equal(srtp_cipher_get_tag(c, buf + 38, &tlen), srtp_err_status_ok);
	assert_int_equal(tlen, 16);
	assert_memory_equal(buf, want, sizeof(buf));
	/* and back: the published ciphertext and tag open to the plaintext */
	len = sizeof(buf);
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_aad(c, gcm_aad, sizeof(gcm_aad)), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_decrypt(c, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, 38);
	assert_memory_equal(buf, gcm_pt, 38);
	/* one bit off in the tag: refused */
	memcpy(buf, want, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 1;
	len = sizeof(buf);
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_aad(c, gcm_aad, sizeof(gcm_aad)), srtp_err_status_ok);
	assert_int_not_equal(srtp_cipher_decrypt(c, buf, &len), srtp_err_status_ok);
	srtp_cipher_dealloc(c);
}

static void rfc7714_aead_aes_128_gcm(void **state)
{
	(void)state;
	if (!sr_suite_available(SR_AEAD_AES_128_GCM))
		skip();
	gcm_vector(SRTP_AES_GCM_128, 16, gcm128_ct);
}

static void rfc7714_aead_aes_256_gcm(void **state)
{
	(void)state;
	if (!sr_suite_available(SR_AEAD_AES_256_GCM))
		skip();
	gcm_vector(SRTP_AES_GCM_256, 32, gcm256_ct);
}

/* B.3's master key and salt, the key grown to 24 or 32 bytes as the
 * existing AES-256 vector of test_sr_stream.c does; the reference packet
 * libsrtp validates with (SSRC cafebabe, seq 1234, 16 bytes of ab). */
static const uint8_t long_master[46] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c,
	0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb,
	0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6, 0xc1, 0x73, 0xc3, 0x17, 0xf2, 0xda,
	0xbe, 0x35, 0x77, 0x93, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t ref_rtp[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t ref_rtcp[24] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
/* pylibsrtp, AES_192_CM_HMAC_SHA1_80 with long_master[0..38) */
static const uint8_t cm192_rtp[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab,
	0x77, 0xf7, 0xd8, 0x71, 0x84, 0xe8, 0xf6, 0x85, 0x07, 0xa1, 0xb8, 0x86, 0x77,
	0x97, 0xb3, 0xb2, 0x41, 0xb7, 0xef, 0x3f, 0xb0, 0x04, 0x0a, 0x68, 0x9d,
};
static const uint8_t cm192_rtcp[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x25, 0x1d, 0x53, 0x38, 0x7c,
	0xf5, 0x88, 0x08, 0x44, 0x7d, 0x70, 0x39, 0xee, 0x31, 0x7d, 0x0e, 0x80, 0x00,
	0x00, 0x01, 0x57, 0x2c, 0x48, 0x5b, 0x5d, 0xb6, 0x46, 0x1e, 0xf2, 0xcf,
};
/* pylibsrtp, AES_256_CM_HMAC_SHA1_80 with long_master (its RTP packet is
 * the one test_sr_stream.c takes from libsrtp's own test) */
static const uint8_t cm256_rtp[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x00,
	0x98, 0x21, 0x9f, 0x7e, 0xbd, 0xba, 0x1c, 0x3d, 0x22, 0xf4, 0x93, 0x6f, 0x1e,
	0xac, 0x99, 0x06, 0xf6, 0xb2, 0x27, 0xc8, 0x49, 0x61, 0xa7, 0xb4, 0x28,
};
static const uint8_t cm256_rtcp[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x0a, 0x86, 0x5d, 0x33, 0x9e,
	0x31, 0x26, 0x93, 0x59, 0x23, 0x87, 0xd4, 0x5b, 0x99, 0xa5, 0x57, 0x80, 0x00,
	0x00, 0x01, 0x84, 0xf3, 0xb4, 0xf2, 0xb5, 0x95, 0x61, 0x5a, 0xf9, 0xb5,
};

/* @plain protects to the first @wlen bytes of @want and opens back. */
static void known_answer(enum sr_suite s, const uint8_t *plain, size_t plen, const uint8_t *want,
			 size_t wlen, bool rtcp)
{
	struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
	struct sr_keys k;
	uint8_t buf[128];
	size_t len = plen;

	memset(&k, 0, sizeof(k));
	k.suite = s;
	memcpy(k.local.master, long_master, sr_master_len(s));
	memcpy(k.remote.master, long_master, sr_master_len(s));
	assert_non_null(tx);
	assert_non_null(rx);
	assert_int_equal(sr_stream_rekey(tx, &k), 0);
	assert_int_equal(sr_stream_rekey(rx, &k), 0);
	memcpy(buf, plain, plen);
	assert_int_equal(sr_protect(tx, buf, &len, sizeof(buf), rtcp), SR_OK);
	assert_int_equal(len, wlen);
	assert_memory_equal(buf, want, wlen);
	assert_int_equal(sr_unprotect(rx, buf, &len, rtcp), SR_OK);
	assert_int_equal(len, plen);
	assert_memory_equal(buf, plain, plen);
	sr_stream_free(tx);
	sr_stream_free(rx);
}

static void aes_192_cm_known_answers(void **state)
{
	(void)state;
	if (!sr_suite_available(SR_AES_192_CM_HMAC_SHA1_80))
		skip();
	known_answer(SR_AES_192_CM_HMAC_SHA1_80, ref_rtp, sizeof(ref_rtp), cm192_rtp,
		     sizeof(cm192_rtp), false);
	known_answer(SR_AES_192_CM_HMAC_SHA1_80, ref_rtcp, sizeof(ref_rtcp), cm192_rtcp,
		     sizeof(cm192_rtcp), true);
	/* _32: the same keystream, 4 bytes of the tag; SRTCP keeps 80 bits */
	known_answer(SR_AES_192_CM_HMAC_SHA1_32, ref_rtp, sizeof(ref_rtp), cm192_rtp, 32, false);
	known_answer(SR_AES_192_CM_HMAC_SHA1_32, ref_rtcp, sizeof(ref_rtcp), cm192_rtcp,
		     sizeof(cm192_rtcp), true);
}

static void aes_256_cm_known_answers(void **state)
{
	(void)state;
	if (!sr_suite_available(SR_AES_256_CM_HMAC_SHA1_80))
		skip();
	known_answer(SR_AES_256_CM_HMAC_SHA1_80, ref_rtp, sizeof(ref_rtp), cm256_rtp,
		     sizeof(cm256_rtp), false);
	known_answer(SR_AES_256_CM_HMAC_SHA1_80, ref_rtcp, sizeof(ref_rtcp), cm256_rtcp,
		     sizeof(cm256_rtcp), true);
	known_answer(SR_AES_256_CM_HMAC_SHA1_32, ref_rtp, sizeof(ref_rtp), cm256_rtp, 32, false);
	known_answer(SR_AES_256_CM_HMAC_SHA1_32, ref_rtcp, sizeof(ref_rtcp), cm256_rtcp,
		     sizeof(cm256_rtcp), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3711_b2_keystream),
		cmocka_unit_test(rfc3711_b3_derivation),
		cmocka_unit_test(rfc7714_aead_aes_128_gcm),
		cmocka_unit_test(rfc7714_aead_aes_256_gcm),
		cmocka_unit_test(aes_192_cm_known_answers),
		cmocka_unit_test(aes_256_cm_known_answers),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
