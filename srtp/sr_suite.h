/*
 * sr_suite.h: SRTP crypto suites and master keys, the facts every SRTP user
 * shares: suite names (RFC 4568, RFC 6188, RFC 7714), key and salt lengths,
 * session parameters, one direction's master key. sr_stream.h keys libsrtp
 * sessions from them, srtcp_forge.h derives session keys from them, sdes.h
 * writes and reads them as a=crypto lines.
 */
#ifndef RTPRELAY_SR_SUITE_H
#define RTPRELAY_SR_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Crypto suites (RFC 4568 names; RFC 6188 AES-192/256; RFC 7714 GCM). */
enum sr_suite {
	SR_SUITE_NONE = 0,
	SR_AES_CM_128_HMAC_SHA1_80,
	SR_AES_CM_128_HMAC_SHA1_32,
	SR_AES_192_CM_HMAC_SHA1_80,
	SR_AES_192_CM_HMAC_SHA1_32,
	SR_AES_256_CM_HMAC_SHA1_80,
	SR_AES_256_CM_HMAC_SHA1_32,
	SR_AEAD_AES_128_GCM,
	SR_AEAD_AES_256_GCM,
	SR_NULL_HMAC_SHA1_80,
	SR_NULL_HMAC_SHA1_32,
	SR_N_SUITES
};

#define SR_MAX_MASTER 46  /* master key + salt: 32 + 14 bytes at most */
#define SR_MAX_MKI    128 /* RFC 4568: MKI length 1..128 bytes */
#define SR_MAX_SSRC   8	  /* SSRCs a session keeps per direction */
/* Bytes SRTP adds to an RTP/RTCP packet at most (tag, MKI, SRTCP index);
 * sr_protect needs the tag, this stream's MKI and the index free. */
#define SR_MAX_TRAILER (16 + SR_MAX_MKI + 4)

/* Session parameters (RFC 4568 6.3.x) of one direction. */
enum sr_param {
	SR_UNENCRYPTED_SRTP = 1u << 0,
	SR_UNENCRYPTED_SRTCP = 1u << 1,
	SR_UNAUTHENTICATED_SRTP = 1u << 2,
};

/* One direction's master key. */
struct sr_key {
	uint8_t master[SR_MAX_MASTER]; /* key then salt, sr_master_len(suite) bytes */
	uint8_t mki_len;	       /* 0 = no MKI in the packets */
	uint8_t mki[SR_MAX_MKI];       /* big-endian MKI value, mki_len bytes */
	uint8_t params;		       /* enum sr_param */
	uint16_t window;	       /* replay window (WSH), 0 = libsrtp's default */
};

/* What keys a stream, however agreed. suite NONE = no SRTP (plain). */
struct sr_keys {
	enum sr_suite suite;
	struct sr_key local;  /* rtprelay encrypts what it sends to the party */
	struct sr_key remote; /* the party encrypts what it sends to rtprelay */
};

/* @s names a suite (not NONE, in range). */
bool sr_suite_ok(enum sr_suite s);
/* RFC name ("AES_CM_128_HMAC_SHA1_80"), NULL for NONE or out of range. */
const char *sr_suite_name(enum sr_suite s);
/* Suite by name (exact, case-insensitive); SR_SUITE_NONE if unknown. */
enum sr_suite sr_suite_by_name(const char *s, size_t len);
/* Master key length / salt length in bytes of @s (0 for NONE). */
size_t sr_key_len(enum sr_suite s);
size_t sr_salt_len(enum sr_suite s);
static inline size_t sr_master_len(enum sr_suite s)
{
	return sr_key_len(s) + sr_salt_len(s);
}
/* Whether @s is an AEAD (GCM) suite (no separate auth, RFC 7714). */
bool sr_suite_aead(enum sr_suite s);

#endif
