/*
 * test_sr_stream.c: sr_stream's key handling against known answers. The
 * AES-CM vectors use the master key and salt of RFC 3711 appendix B.3
 * (E1F97A0D3E018BE0D64FA32C06DE4139 / 0EC675AD498AFEEBB6960B3AABE6) on
 * the reference packet libsrtp validates with (SSRC 0xcafebabe, seq
 * 0x1234, 16 bytes of 0xab); the GCM vector the key bytes of RFC 7714
 * section 16 (00..0f) with salt a0..ab at the master-key level (RFC 7714's
 * own vectors are given at the session-key level, below what a master-key
 * interface reaches). Every packet goes through sr_stream_rekey,
 * sr_protect and sr_unprotect: the suite mapping, key layout and
 * direction handling are what is tested, with libsrtp running on OpenSSL's
 * AES and HMAC as sr_init sets it up (srtp/srtp_openssl.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "srtp/sr_stream.h"

static const uint8_t rfc3711_master[46] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c,
	0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb,
	0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6, 0xc1, 0x73, 0xc3, 0x17, 0xf2, 0xda,
	0xbe, 0x35, 0x77, 0x93, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t gcm_master[28] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t rtp_plain[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t rtcp_plain[24] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t cm128_80_rtp[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
	0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
	0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t cm128_rtcp[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
	0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
	0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};
static const uint8_t cm256_80_rtp[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x00,
	0x98, 0x21, 0x9f, 0x7e, 0xbd, 0xba, 0x1c, 0x3d, 0x22, 0xf4, 0x93, 0x6f, 0x1e,
	0xac, 0x99, 0x06, 0xf6, 0xb2, 0x27, 0xc8, 0x49, 0x61, 0xa7, 0xb4, 0x28,
};
static const uint8_t gcm128_rtp[44] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
	0xbe, 0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11,
	0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26, 0xf7,
	0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t gcm128_rtcp[44] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b,
	0x5d, 0xf0, 0x39, 0x2a, 0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e,
	0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46, 0xea,
	0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

/* Keys with the same master key both ways (what the vectors assume). */
static struct sr_keys keys_for(enum sr_suite s, const uint8_t *master)
{
	struct sr_keys k;

	memset(&k, 0, sizeof(k));
	k.suite = s;
	memcpy(k.local.master, master, sr_master_len(s));
	memcpy(k.remote.master, master, sr_master_len(s));
	return k;
}

/* @plain protects to @want through a stream keyed with @k, and @want
 * unprotects back to @plain through another. */
static void known_answer(const struct sr_keys *k, const uint8_t *plain, size_t plen,
			 const uint8_t *want, size_t wlen, bool rtcp)
{
	struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
	uint8_t buf[256];
	size_t len = plen;

	assert_non_null(tx);
	assert_non_null(rx);
	assert_int_equal(sr_stream_rekey(tx, k), 0);
	assert_int_equal(sr_stream_rekey(rx, k), 0);
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

static void aes_cm_128_vectors(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);

	known_answer(&k, rtp_plain, sizeof(rtp_plain), cm128_80_rtp, sizeof(cm128_80_rtp),
		     false);
	known_answer(&k, rtcp_plain, sizeof(rtcp_plain), cm128_rtcp, sizeof(cm128_rtcp), true);
	/* _32: the same keystream, the first 4 bytes of the tag; SRTCP keeps 80 bits */
	k = keys_for(SR_AES_CM_128_HMAC_SHA1_32, rfc3711_master);
	known_answer(&k, rtp_plain, sizeof(rtp_plain), cm128_80_rtp, 32, false);
	known_answer(&k, rtcp_plain, sizeof(rtcp_plain), cm128_rtcp, sizeof(cm128_rtcp), true);
}

static void aes_cm_256_vector(void **state)
{
	(void)state;
	if (!sr_suite_available(SR_AES_256_CM_HMAC_SHA1_80))
		skip();
	struct sr_keys k = keys_for(SR_AES_256_CM_HMAC_SHA1_80, rfc3711_master);

	known_answer(&k, rtp_plain, sizeof(rtp_plain), cm256_80_rtp, sizeof(cm256_80_rtp),
		     false);
}

static void aes_gcm_128_vectors(void **state)
{
	(void)state;
	if (!sr_suite_available(SR_AEAD_AES_128_GCM))
		skip();
	struct sr_keys k = keys_for(SR_AEAD_AES_128_GCM, gcm_master);

	known_answer(&k, rtp_plain, sizeof(rtp_plain), gcm128_rtp, sizeof(gcm128_rtp), false);
	known_answer(&k, rtcp_plain, sizeof(rtcp_plain), gcm128_rtcp, sizeof(gcm128_rtcp), true);
}

/* Local encrypts, remote decrypts: a stream keyed one way cannot read what
 * it wrote itself when the two keys differ. */
static void directions_use_their_own_key(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	struct sr_stream *st = sr_stream_new();
	uint8_t buf[128];
	size_t len = sizeof(rtp_plain);

	k.remote.master[0] ^= 1;
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	memcpy(buf, rtp_plain, len);
	assert_int_equal(sr_protect(st, buf, &len, sizeof(buf), false), SR_OK);
	assert_memory_equal(buf, cm128_80_rtp, sizeof(cm128_80_rtp)); /* local = B.3 key */
	assert_int_equal(sr_unprotect(st, buf, &len, false), SR_AUTH_FAIL);
	struct sr_counters c;
	sr_stream_counters(st, &c);
	assert_int_equal(c.auth_failed, 1);
	sr_stream_free(st);
}

static void tamper_and_replay(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	struct sr_stream *rx = sr_stream_new();
	uint8_t buf[64];
	size_t len;
	struct sr_counters c;

	assert_int_equal(sr_stream_rekey(rx, &k), 0);
	memcpy(buf, cm128_80_rtp, sizeof(cm128_80_rtp));
	buf[20] ^= 0x40; /* payload bit */
	len = sizeof(cm128_80_rtp);
	assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_AUTH_FAIL);
	memcpy(buf, cm128_80_rtp, sizeof(cm128_80_rtp));
	len = sizeof(cm128_80_rtp);
	assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_OK);
	memcpy(buf, cm128_80_rtp, sizeof(cm128_80_rtp));
	len = sizeof(cm128_80_rtp);
	assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_REPLAY);
	len = 5; /* shorter than a header */
	assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_ERR);
	sr_stream_counters(rx, &c);
	assert_int_equal(c.auth_failed, 1);
	assert_int_equal(c.replayed, 1);
	assert_int_equal(c.errors, 1);
	sr_stream_free(rx);
}

/* Rekeying with the same keys keeps both contexts; a changed remote key
 * rebuilds the receiving side only, so the sending side's index state
 * (here: the refusal to send one index twice) survives. */
static void rekey_keeps_unchanged_directions(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	struct sr_stream *st = sr_stream_new();
	uint8_t buf[64];
	size_t len;

	assert_int_equal(sr_stream_rekey(st, &k), 0);
	memcpy(buf, cm128_80_rtp, sizeof(cm128_80_rtp));
	len = sizeof(cm128_80_rtp);
	assert_int_equal(sr_unprotect(st, buf, &len, false), SR_OK);
	assert_int_equal(sr_protect(st, buf, &len, sizeof(buf), false), SR_OK);
	/* the same keys: the replay window still knows the packet */
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	memcpy(buf, cm128_80_rtp, sizeof(cm128_80_rtp));
	len = sizeof(cm128_80_rtp);
	assert_int_equal(sr_unprotect(st, buf, &len, false), SR_REPLAY);
	/* a new remote key: the receiving side is new, the sending side is not */
	k.remote.master[3] ^= 0x10;
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	memcpy(buf, rtp_plain, sizeof(rtp_plain));
	len = sizeof(rtp_plain);
	assert_int_equal(sr_protect(st, buf, &len, sizeof(buf), false), SR_ERR);
	/* a new local key: a fresh sending side */
	k.local.master[3] ^= 0x10;
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	memcpy(buf, rtp_plain, sizeof(rtp_plain));
	len = sizeof(rtp_plain);
	assert_int_equal(sr_protect(st, buf, &len, sizeof(buf), false), SR_OK);
	assert_memory_not_equal(buf, cm128_80_rtp, sizeof(cm128_80_rtp));
	assert_true(sr_keys_equal(sr_stream_keys(st), &k));
	sr_stream_free(st);
}

static void mki_and_params(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
	uint8_t buf[64];
	size_t len = sizeof(rtp_plain);

	k.local.mki_len = k.remote.mki_len = 2;
	k.local.mki[1] = k.remote.mki[1] = 7;
	k.local.params = k.remote.params = SR_UNENCRYPTED_SRTP;
	assert_int_equal(sr_stream_rekey(tx, &k), 0);
	assert_int_equal(sr_stream_rekey(rx, &k), 0);
	memcpy(buf, rtp_plain, len);
	assert_int_equal(sr_protect(tx, buf, &len, sizeof(buf), false), SR_OK);
	assert_int_equal(len, sizeof(rtp_plain) + 2 + 10);
	assert_memory_equal(buf, rtp_plain, sizeof(rtp_plain)); /* not encrypted */
	assert_int_equal(buf[28], 0);
	assert_int_equal(buf[29], 7); /* the MKI before the tag */
	assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_OK);
	assert_int_equal(len, sizeof(rtp_plain));
	sr_stream_free(tx);
	sr_stream_free(rx);
}

static void refused_keys(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AEAD_AES_128_GCM, gcm_master);
	struct sr_stream *st = sr_stream_new();
	uint8_t buf[64];
	size_t len = sizeof(rtp_plain);

	k.local.params = SR_UNAUTHENTICATED_SRTP;
	assert_non_null(sr_keys_check(&k));
	assert_int_equal(sr_stream_rekey(st, &k), -EINVAL);
	memcpy(buf, rtp_plain, len);
	assert_int_equal(sr_protect(st, buf, &len, sizeof(buf), false), SR_ERR);
	k = keys_for(SR_SUITE_NONE, gcm_master);
	assert_non_null(sr_keys_check(&k));
	k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	k.remote.window = 10;
	assert_non_null(sr_keys_check(&k));
	/* libsrtp cannot find an SRTCP MKI behind a 32-bit SRTP tag */
	k = keys_for(SR_AES_CM_128_HMAC_SHA1_32, rfc3711_master);
	k.remote.mki_len = 1;
	assert_non_null(sr_keys_check(&k));
	k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	/* no room for the trailer: refused, not written past the buffer */
	k.remote.window = 0;
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	len = sizeof(rtp_plain);
	assert_int_equal(sr_protect(st, buf, &len, sizeof(rtp_plain) + 4, false), SR_ERR);
	sr_stream_free(st);
}

/* A sender cycling SSRCs: the session keeps SR_MAX_SSRC of them. */
static void many_ssrcs_bounded(void **state)
{
	(void)state;
	struct sr_keys k = keys_for(SR_AES_CM_128_HMAC_SHA1_80, rfc3711_master);
	struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
	uint8_t buf[64];

	assert_int_equal(sr_stream_rekey(tx, &k), 0);
	assert_int_equal(sr_stream_rekey(rx, &k), 0);
	for (unsigned i = 0; i < 5 * SR_MAX_SSRC; i++) {
		size_t len = sizeof(rtp_plain);

		memcpy(buf, rtp_plain, len);
		buf[11] = (uint8_t)i;
		assert_int_equal(sr_protect(tx, buf, &len, sizeof(buf), false), SR_OK);
		assert_int_equal(sr_unprotect(rx, buf, &len, false), SR_OK);
	}
	sr_stream_free(tx);
	sr_stream_free(rx);
}

static void suite_table(void **state)
{
	(void)state;
	assert_int_equal(sr_suite_by_name("aes_cm_128_hmac_sha1_80", 23),
			 SR_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(sr_suite_by_name("AES_CM_128_HMAC_SHA1", 20), SR_SUITE_NONE);
	assert_int_equal(sr_master_len(SR_AES_256_CM_HMAC_SHA1_32), 46);
	assert_int_equal(sr_master_len(SR_AEAD_AES_256_GCM), 44);
	assert_int_equal(sr_master_len(SR_SUITE_NONE), 0);
	assert_null(sr_suite_name(SR_N_SUITES));
	assert_true(sr_suite_available(SR_AES_CM_128_HMAC_SHA1_80));
}

/* SRTCP continued in another stream with the same keys (a takeover): the
 * successor's first SRTCP carries the index after the old stream's last,
 * which the peer that saw the old stream's packets accepts (a fresh stream
 * would start at 1, a replay to that peer); a receiving stream continued
 * after index N refuses N and accepts N + 1. Every suite, with and without
 * MKI and SRTCP encryption, so the forged packet's key derivation and
 * layout match libsrtp's in each. */
static void srtcp_index_one(enum sr_suite s, uint8_t mki_len, uint8_t params)
{
	struct sr_keys k, pk;
	struct sr_stream *old = sr_stream_new(), *peer = sr_stream_new();
	struct sr_stream *succ = sr_stream_new(), *fresh = sr_stream_new();
	struct sr_roc r[SR_MAX_SSRC];
	uint8_t buf[64], last[64];
	size_t len, last_len = 0;

	memset(&k, 0, sizeof(k));
	k.suite = s;
	for (size_t i = 0; i < sr_master_len(s); i++) {
		k.local.master[i] = (uint8_t)(0x11 * i + 1);
		k.remote.master[i] = (uint8_t)(0x37 * i + 5);
	}
	k.local.mki_len = k.remote.mki_len = mki_len;
	k.local.mki[0] = 7;
	k.remote.mki[0] = 9;
	k.local.params = k.remote.params = params;
	pk.suite = s;
	pk.local = k.remote;
	pk.remote = k.local;
	assert_int_equal(sr_stream_rekey(old, &k), 0);
	assert_int_equal(sr_stream_rekey(peer, &pk), 0);
	assert_int_equal(sr_stream_rekey(succ, &k), 0);
	assert_int_equal(sr_stream_rekey(fresh, &k), 0);
	for (int i = 0; i < 300; i++) { /* beyond the 128-index window */
		len = sizeof(rtcp_plain);
		memcpy(buf, rtcp_plain, len);
		assert_int_equal(sr_protect(old, buf, &len, sizeof(buf), true), SR_OK);
		assert_int_equal(sr_unprotect(peer, buf, &len, true), SR_OK);
		/* and the peer's own reports, which @old receives */
		len = sizeof(rtcp_plain);
		memcpy(buf, rtcp_plain, len);
		assert_int_equal(sr_protect(peer, buf, &len, sizeof(buf), true), SR_OK);
		memcpy(last, buf, len);
		last_len = len;
		assert_int_equal(sr_unprotect(old, buf, &len, true), SR_OK);
	}
	assert_int_equal(sr_stream_get_rocs(old, true, r, SR_MAX_SSRC), 1);
	assert_int_equal(r[0].ssrc, 0xcafebabe);
	assert_int_equal(r[0].srtcp_index, 300);
	assert_int_equal(sr_stream_get_rocs(old, false, r, SR_MAX_SSRC), 1);
	assert_int_equal(r[0].srtcp_index, 300);

	/* without the index: the peer drops the fresh stream's SRTCP */
	len = sizeof(rtcp_plain);
	memcpy(buf, rtcp_plain, len);
	assert_int_equal(sr_protect(fresh, buf, &len, sizeof(buf), true), SR_OK);
	assert_int_equal(sr_unprotect(peer, buf, &len, true), SR_REPLAY);

	assert_int_equal(sr_stream_set_srtcp_index(succ, true, 0xcafebabe, 300), 0);
	assert_int_equal(sr_stream_set_srtcp_index(succ, false, 0xcafebabe, 300), 0);
	len = sizeof(rtcp_plain);
	memcpy(buf, rtcp_plain, len);
	assert_int_equal(sr_protect(succ, buf, &len, sizeof(buf), true), SR_OK);
	assert_int_equal(sr_stream_get_rocs(succ, true, r, SR_MAX_SSRC), 1);
	assert_int_equal(r[0].srtcp_index, 301);
	assert_int_equal(sr_unprotect(peer, buf, &len, true), SR_OK);
	assert_int_equal(len, sizeof(rtcp_plain));
	assert_memory_equal(buf, rtcp_plain, len);
	/* the receiving side: the peer's index 300 was the old stream's */
	len = last_len;
	assert_int_equal(sr_unprotect(succ, last, &len, true), SR_REPLAY);
	len = sizeof(rtcp_plain);
	memcpy(buf, rtcp_plain, len);
	assert_int_equal(sr_protect(peer, buf, &len, sizeof(buf), true), SR_OK);
	assert_int_equal(sr_unprotect(succ, buf, &len, true), SR_OK);

	/* out of range or without keys: refused */
	assert_int_equal(sr_stream_set_srtcp_index(succ, true, 0xcafebabe, 0), -EINVAL);
	assert_int_equal(sr_stream_set_srtcp_index(succ, true, 0xcafebabe, 0x7fffffff), -EINVAL);
	sr_stream_clear(fresh);
	assert_int_equal(sr_stream_set_srtcp_index(fresh, true, 0xcafebabe, 5), -EINVAL);
	sr_stream_free(old);
	sr_stream_free(peer);
	sr_stream_free(succ);
	sr_stream_free(fresh);
}

static void srtcp_index_continues(void **state)
{
	(void)state;
	for (int s = 1; s < SR_N_SUITES; s++) {
		if (!sr_suite_available((enum sr_suite)s))
			continue;
		srtcp_index_one((enum sr_suite)s, 0, 0);
		srtcp_index_one((enum sr_suite)s, 0, SR_UNENCRYPTED_SRTCP);
	}
	srtcp_index_one(SR_AES_CM_128_HMAC_SHA1_80, 2, 0);
	srtcp_index_one(SR_AEAD_AES_256_GCM, 4, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aes_cm_128_vectors),
		cmocka_unit_test(aes_cm_256_vector),
		cmocka_unit_test(aes_gcm_128_vectors),
		cmocka_unit_test(directions_use_their_own_key),
		cmocka_unit_test(tamper_and_replay),
		cmocka_unit_test(rekey_keeps_unchanged_directions),
		cmocka_unit_test(mki_and_params),
		cmocka_unit_test(refused_keys),
		cmocka_unit_test(many_ssrcs_bounded),
		cmocka_unit_test(suite_table),
		cmocka_unit_test(srtcp_index_continues),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
