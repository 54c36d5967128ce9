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

#include "srtp/sr_suite.h"

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
/* This libsrtp does @s (sr_init keyed it once). */
bool sr_suite_available(enum sr_suite s);

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
/* Ask the caches for what the next RTP packet decrypted (@tx false) or
 * encrypted (@tx true) by @st will read, so that it comes in while the
 * caller does something else (a receive system call). A hint: no effect
 * on any result. */
void sr_prefetch(const struct sr_stream *st, bool tx);

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
