/*
 * srtp_openssl.h: OpenSSL 3 implementations of the ciphers and the MAC that
 * libsrtp2 builds SRTP from, registered into libsrtp in place of its own.
 *
 * libsrtp2 keeps doing SRTP itself (packet format, key derivation, rollover
 * counter, replay window); only the primitives underneath change, through
 * its public srtp_replace_cipher_type() / srtp_replace_auth_type():
 *
 *   AES_ICM 128/192/256  ->  EVP AES-CTR, one context per cipher, keyed once
 *   AES_GCM 128/256      ->  EVP AES-GCM, one context per cipher, keyed once
 *   HMAC_SHA1            ->  OpenSSL's SHA-1 over an inner and an outer state
 *                            precomputed at key time (RFC 2104), copied per
 *                            packet as plain structs
 *
 * Why: Debian 12's libsrtp2 is built on NSS, whose PKCS#11 soft token
 * creates a context (a lock and allocations) for every protect and
 * unprotect and costs ~15 KB per session. With these types a packet costs
 * no allocation and no lock, and a session a few hundred bytes per cipher.
 *
 * Registration runs libsrtp's own checks: the type's known answers and
 * those of the type it replaces must pass, or it is refused and libsrtp
 * keeps its own.
 */
#ifndef RTPRELAY_SRTP_OPENSSL_H
#define RTPRELAY_SRTP_OPENSSL_H

/* Replace libsrtp's AES-ICM, AES-GCM and HMAC-SHA1 types. Call once after
 * srtp_init() and before any session is created (sessions made before
 * keep the types they were made with). 0 when every type was replaced,
 * else -1 (the types replaced so far stay; each is correct on its own). */
int sr_openssl_register(void);

/* The cipher and MAC blocks of ours a session is made of, each kind in
 * the order libsrtp allocates them (RTP's, then RTCP's; a GCM suite's MAC
 * is libsrtp's null one, not noted), noted while the session is created
 * so that the packet path can ask for them ahead of libsrtp's walk to
 * them (docs/architecture.md, SRTP: caches). A hint only: a wrong or
 * stale pointer costs a wasted prefetch, never a fault. */
struct sr_openssl_blocks {
	const void *cipher[2], *mac[2]; /* [0] RTP, [1] RTCP */
	unsigned n_cipher, n_mac;
};

/* Note into @b the blocks allocated on this thread from now on, until
 * sr_openssl_capture(NULL). @b is zeroed first. */
void sr_openssl_capture(struct sr_openssl_blocks *b);

/* Ask the caches for the cipher or MAC block @block (one noted above): its
 * lines, not what they point to. @block NULL does nothing. */
static inline void sr_openssl_prefetch(const void *block)
{
	if (block) { /* the largest block, the MAC's, spans three lines */
		__builtin_prefetch(block);
		__builtin_prefetch((const char *)block + 64);
		__builtin_prefetch((const char *)block + 128);
	}
}

#endif
