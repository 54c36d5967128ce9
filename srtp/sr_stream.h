/*
 * sr_stream.h: SRTP/SRTCP for one media stream, over libsrtp2.
 *
 * What keys a stream is independent of how they were agreed: SDES (RFC 4568,
 * srtp/sdes.h) fills a struct sr_keys from a=crypto lines, DTLS-SRTP
 * (RFC 5764) from its exported keying material. sr_stream_rekey then
 * (re)builds the libsrtp contexts from it:
 *
 *   local  = the key rtprelay encrypts with (what it sends to the party),
 *   remote = the key the party encrypts with (what rtprelay decrypts).
 *
 * Each direction has its own libsrtp session, rebuilt only when that
 * direction's key, suite or parameters change, so a re-INVITE that keeps
 * the keys keeps the rollover counters and replay windows, and a new remote
 * key never restarts the outgoing keystream (which would reuse it).
 *
 * Threads: an sr_stream belongs to one thread at a time (the data plane
 * worker that owns the endpoint); nothing here locks. sr_protect and
 * sr_unprotect allocate nothing except when a packet brings an SSRC the
 * session has not seen (libsrtp clones a stream for it); the SSRCs kept per
 * direction are bounded (SR_MAX_SSRC), the oldest is dropped beyond that.
 */
#ifndef RTPRELAY_SR_STREAM_H
#define RTPRELAY_SR_STREAM_H

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

/* libsrtp's initialisation and a check of which suites this libsrtp does
 * (each one keyed once). Idempotent, thread-safe on first use from the
 * control thread. 0 or -1. */
int sr_init(void);
/* sr_init with libsrtp's own AES and HMAC left in place (for comparison:
 * bench/srtp_floor, tests); only before anything else called sr_init. */
int sr_init_stock(void);
/* What SRTP's ciphers and MAC run on: "OpenSSL" (srtp/srtp_openssl.h, the
 * default), "libsrtp2" (its own build's, sr_init_stock) or
 * "libsrtp2 (OpenSSL refused)". */
const char *sr_crypto_backend(void);
bool sr_suite_available(enum sr_suite s);
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

/* @k is usable with libsrtp: suite available, parameters it can apply
 * (an AEAD suite cannot do UNAUTHENTICATED_SRTP). NULL or why not. */
const char *sr_keys_check(const struct sr_keys *k);
/* Same suite, same keys, MKIs and parameters in both directions. */
bool sr_keys_equal(const struct sr_keys *a, const struct sr_keys *b);

struct sr_stream;

/* Counters a stream keeps (read by its owner). */
struct sr_counters {
	uint64_t auth_failed; /* authentication (or AEAD) failure: dropped */
	uint64_t replayed;    /* replay or too old: dropped */
	uint64_t errors;      /* anything else libsrtp refused, both directions */
};

struct sr_stream *sr_stream_new(void);
void sr_stream_free(struct sr_stream *st);
/* (Re)key @st from @k: a direction whose suite, key, MKI or parameters
 * differ from what it has gets a fresh libsrtp session, the other keeps
 * its own (rollover counter, replay window). 0, -EINVAL (sr_keys_check
 * failed) or -ENOMEM; on an error the stream has no keys and every packet
 * fails (sr_unprotect/sr_protect return SR_ERR). */
int sr_stream_rekey(struct sr_stream *st, const struct sr_keys *k);
const struct sr_keys *sr_stream_keys(const struct sr_stream *st);
/* Drop the keys: every packet fails until the next sr_stream_rekey. */
void sr_stream_clear(struct sr_stream *st);

enum sr_result {
	SR_OK = 0,
	SR_AUTH_FAIL,
	SR_REPLAY,
	SR_ERR, /* malformed, no keys, no room, libsrtp error */
};

/* Decrypt and authenticate the SRTP (@rtcp false) or SRTCP packet in
 * buf[0..*len) in place; *len shrinks by the trailer. Anything but SR_OK:
 * the packet must be dropped (counted in the stream's counters). */
enum sr_result sr_unprotect(struct sr_stream *st, uint8_t *buf, size_t *len, bool rtcp);
/* Encrypt the RTP/RTCP packet in buf[0..*len) in place; @cap is the buffer's
 * size, which must leave room for the trailer. */
enum sr_result sr_protect(struct sr_stream *st, uint8_t *buf, size_t *len, size_t cap, bool rtcp);
void sr_stream_counters(const struct sr_stream *st, struct sr_counters *out);

/* The rollover counter (RFC 3711 3.3.1) of one SSRC in one direction, for
 * a stream that continues in another process (a takeover): its next packets
 * are encrypted, or expected, with the same packet index. */
struct sr_roc {
	uint32_t ssrc;	      /* host order */
	uint32_t roc;
	uint32_t srtcp_index; /* the last SRTCP index sent or received, 0 = none */
};
/* The counters of the SSRCs a direction (@tx: what rtprelay encrypts) has
 * seen, at most @max; how many. */
unsigned sr_stream_get_rocs(const struct sr_stream *st, bool tx, struct sr_roc *out,
			    unsigned max);
/* Give @ssrc in that direction counter @roc (its stream is made if it has
 * none yet). 0, -EINVAL (no keys) or -ENOMEM. */
int sr_stream_set_roc(struct sr_stream *st, bool tx, uint32_t ssrc, uint32_t roc);
/* Continue @ssrc's SRTCP in that direction after index @index (1 ..
 * 0x7fffff80): what rtprelay sends next carries @index + 1, what it
 * receives is new from @index + 1 on (libsrtp 2.5 has no call for this:
 * an authentic packet made by srtp/srtcp_forge.h moves libsrtp's window).
 * 0, -EINVAL (no keys, index out of range), -ENOMEM, -EIO or -EPROTO
 * (libsrtp refused the packet). */
int sr_stream_set_srtcp_index(struct sr_stream *st, bool tx, uint32_t ssrc, uint32_t index);

#endif
