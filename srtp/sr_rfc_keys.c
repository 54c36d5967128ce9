/*
 * sr_rfc_keys.c: known-answer check of libsrtp's AES-CM session key
 * derivation against RFC 3711 B.3 and RFC 6188 7.2 / 7.4 (see sr_rfc_keys.h).
 */
#include "srtp/sr_rfc_keys.h"

#include <pthread.h>
#include <string.h>

#include "srtp/sr_stream.h"

/* One AES-CM key size: the RFC's master key and salt, and the SRTP packet
 * (ROC 0, _80 tag) the RFC's published session keys make of ref_rtp:
 * AES-CTR from IV = session salt ^ SSRC ^ index, HMAC-SHA1 over the packet
 * and ROC. The payload and tag only; the header is ref_rtp's. */
struct kat {
	enum sr_suite suite;
	uint8_t master[SR_MAX_MASTER];
	uint8_t want[16 + 10];
};

/* SSRC cafebabe, sequence 1234, 16 bytes of ab (libsrtp's own reference
 * packet, so the AES-128 and AES-256 answers are also those libsrtp's
 * tests publish) */
static const uint8_t ref_rtp[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};

static const struct kat kats[] = {
	{ /* RFC 3711 B.3 */
	  SR_AES_CM_128_HMAC_SHA1_80,
	  { 0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	    0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6 },
	  { 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94,
	    0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb } },
	{ /* RFC 6188 7.4 (AES_192_CM_PRF) */
	  SR_AES_192_CM_HMAC_SHA1_80,
	  { 0x73, 0xed, 0xc6, 0x6c, 0x4f, 0xa1, 0x57, 0x76, 0xfb, 0x57, 0xf9, 0x50, 0x5c,
	    0x17, 0x13, 0x65, 0x50, 0xff, 0xda, 0x71, 0xf3, 0xe8, 0xe5, 0xf1, 0xc8, 0x52,
	    0x2f, 0x3a, 0xcd, 0x4c, 0xe8, 0x6d, 0x5a, 0xdd, 0x78, 0xed, 0xbb, 0x11 },
	  { 0x1e, 0x84, 0xe1, 0x39, 0x5a, 0x55, 0xcc, 0x6c, 0xd7, 0xb8, 0x0d, 0xb9, 0x39,
	    0xa8, 0x3a, 0x78, 0xe3, 0xe7, 0xe1, 0x0b, 0xf5, 0x79, 0xc2, 0x61, 0xe5, 0xc6 } },
	{ /* RFC 6188 7.2 (AES_256_CM_PRF) */
	  SR_AES_256_CM_HMAC_SHA1_80,
	  { 0xf0, 0xf0, 0x49, 0x14, 0xb5, 0x13, 0xf2, 0x76, 0x3a, 0x1b, 0x1f, 0xa1,
	    0x30, 0xf1, 0x0e, 0x29, 0x98, 0xf6, 0xf6, 0xe4, 0x3e, 0x43, 0x09, 0xd1,
	    0xe6, 0x22, 0xa0, 0xe3, 0x32, 0xb9, 0xf1, 0xb6, 0x3b, 0x04, 0x80, 0x3d,
	    0xe5, 0x1e, 0xe7, 0xc9, 0x64, 0x23, 0xab, 0x5b, 0x78, 0xd2 },
	  { 0xf1, 0xd9, 0xde, 0x17, 0xff, 0x25, 0x1f, 0xf1, 0xaa, 0x00, 0x77, 0x74, 0xb0,
	    0xb4, 0xb4, 0x0d, 0xa0, 0x8d, 0x9d, 0x9a, 0x5b, 0x3a, 0x55, 0xd8, 0x87, 0x3b } },
};

#define N_KATS (sizeof(kats) / sizeof(kats[0]))

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool kat_ok[N_KATS];

static bool run(const struct kat *k)
{
	struct sr_stream *tx = sr_stream_new();
	struct sr_keys keys;
	uint8_t buf[sizeof(ref_rtp) + SR_MAX_TRAILER];
	size_t len = sizeof(ref_rtp);
	bool ok = false;

	if (!tx)
		return false;
	memset(&keys, 0, sizeof(keys));
	keys.suite = k->suite;
	memcpy(keys.local.master, k->master, sr_master_len(k->suite));
	memcpy(keys.remote.master, k->master, sr_master_len(k->suite));
	memcpy(buf, ref_rtp, sizeof(ref_rtp));
	if (sr_stream_rekey(tx, &keys) == 0 &&
	    sr_protect(tx, buf, &len, sizeof(buf), false) == SR_OK &&
	    len == sizeof(ref_rtp) + 10)
		ok = !memcmp(buf, ref_rtp, 12) && !memcmp(buf + 12, k->want, sizeof(k->want));
	sr_stream_free(tx);
	explicit_bzero(&keys, sizeof(keys));
	return ok;
}

static void check_all(void)
{
	for (size_t i = 0; i < N_KATS; i++)
		kat_ok[i] = sr_suite_available(kats[i].suite) && run(&kats[i]);
}

/* The known answer that covers @s: the AES-CM one of its key size. */
static int kat_of(enum sr_suite s)
{
	switch (s) {
	case SR_AES_CM_128_HMAC_SHA1_80:
	case SR_AES_CM_128_HMAC_SHA1_32:
		return 0;
	case SR_AES_192_CM_HMAC_SHA1_80:
	case SR_AES_192_CM_HMAC_SHA1_32:
		return 1;
	case SR_AES_256_CM_HMAC_SHA1_80:
	case SR_AES_256_CM_HMAC_SHA1_32:
		return 2;
	default:
		return -1;
	}
}

bool sr_suite_rfc_keys(enum sr_suite s)
{
	int i = kat_of(s);

	if (!sr_suite_available(s))
		return false;
	if (i < 0)
		return true;
	pthread_once(&once, check_all);
	return kat_ok[i];
}

const char *sr_suite_rfc_keys_why(enum sr_suite s)
{
	if (sr_suite_rfc_keys(s))
		return NULL;
	if (!sr_suite_available(s))
		return "crypto suite not supported by libsrtp";
	return kat_of(s) == 1 ? "libsrtp's AES-192 session keys are not RFC 6188's "
				"(used only when named by SDES-only-)"
			      : "libsrtp's session keys for this suite are not the RFC's "
				"(used only when named by SDES-only-)";
}
