/*
 * dtls.h: DTLS-SRTP (RFC 5763, RFC 5764) on OpenSSL 3, standalone: nothing
 * here touches a socket, a call or the SDP text. The owner of a media socket
 * feeds each received DTLS datagram (RFC 7983: first byte 20..63) to
 * dtls_conn_input, sends every datagram dtls_conn_output gives, calls
 * dtls_conn_timer when dtls_conn_deadline passes, and once the state is
 * DTLS_CONNECTED keys its SRTP contexts from dtls_conn_keys.
 *
 * One certificate per daemon (dtls_cert_new at start: ECDSA P-256 by
 * default, RSA as an option; self-signed); its fingerprint goes into
 * a=fingerprint. The peer's
 * certificate must match the fingerprint from the peer's SDP (any of
 * sha-1/224/256/384/512), else the handshake fails with an alert.
 * Handshake messages are fragmented to DTLS_MTU; flights are retransmitted
 * (OpenSSL's doubling timer from 1 s) and a handshake that has not completed
 * DTLS_HANDSHAKE_MAX_MS after dtls_conn_new fails.
 * Once connected and keyed, an endpoint frees its OpenSSL object (most of
 * an established call's DTLS memory) and keeps only what the peer may still
 * need: a server resends its final flight when the peer's Finished comes
 * again (at most DTLS_FINAL_REPLAYS times), and a ClientHello with a new
 * client random makes a server start a new handshake on a fresh object
 * (a DTLS restart without a new SDP); its keys, once it completes, replace
 * the old ones (dtls_conn_keys says -EAGAIN meanwhile). Alerts that arrive
 * then are not read (their keys are gone): the state stays DTLS_CONNECTED.
 *
 * Used by daemon/dtls_media.c (docs/architecture.md, DTLS-SRTP), which
 * owns one struct dtls_conn per DTLS stream on the control thread; the data
 * plane (dataplane/dp_dtls.c) checks each datagram with dtls_records_ok and
 * queues it from the address the stream may latch to.
 * Threads: a struct dtls_cert is read-only after creation and may be shared;
 * a struct dtls_conn belongs to one thread.
 */
#ifndef RTPRELAY_DTLS_H
#define RTPRELAY_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_MTU	      1200u  /* largest datagram produced */
#define DTLS_HANDSHAKE_MAX_MS 20000u /* a handshake gives up after this long */
#define DTLS_FP_MAX	      64u    /* sha-512 */
#define DTLS_FINAL_REPLAYS    8u     /* final flight resends after the handshake */

enum dtls_hash {
	DTLS_SHA1,
	DTLS_SHA224,
	DTLS_SHA256,
	DTLS_SHA384,
	DTLS_SHA512,
};

struct dtls_fingerprint {
	enum dtls_hash hash;
	uint8_t md[DTLS_FP_MAX];
	unsigned len;
};

/* The value of an a=fingerprint line ("sha-256 4A:AD:..."): hash name
 * (case-insensitive), then exactly the hash's length of colon-separated hex
 * pairs. 0, or -EINVAL with *why. */
int dtls_fingerprint_parse(const char *s, size_t n, struct dtls_fingerprint *fp, const char **why)
	__attribute__((warn_unused_result));
/* "sha-256 4A:AD:..." into buf; the length, or -ENOSPC / -EINVAL. */
int dtls_fingerprint_print(const struct dtls_fingerprint *fp, char *buf, size_t cap);

/* A received datagram is a sequence of DTLS records (RFC 6347 4.1: 13-byte
 * header, content type 20..26, version 0xfe.., length within the datagram),
 * or one DTLS 1.3 unified-header record (first byte 0x20..0x3f, RFC 9147
 * 4). Only the framing is looked at, so it is cheap enough for a data-plane
 * worker; OpenSSL checks the rest. */
bool dtls_records_ok(const uint8_t *buf, size_t len);

/* a=setup (RFC 4145) */
enum dtls_setup {
	DTLS_SETUP_NONE = 0,
	DTLS_SETUP_ACTPASS,
	DTLS_SETUP_ACTIVE,
	DTLS_SETUP_PASSIVE,
	DTLS_SETUP_HOLDCONN,
};
/* 0 or -EINVAL. */
int dtls_setup_parse(const char *s, size_t n, enum dtls_setup *out)
	__attribute__((warn_unused_result));
const char *dtls_setup_name(enum dtls_setup s);
/* RFC 5763 5: given the peer's a=setup, whether rtprelay is the DTLS client
 * (*client) and the a=setup it writes (*ours). An offerer's actpass is
 * answered with active (client); active is answered with passive, passive
 * with active. -EINVAL for none/holdconn. */
int dtls_role(enum dtls_setup peer, bool *client, enum dtls_setup *ours);

/* The daemon's certificate and the SSL context around it. */
struct dtls_cert;
/* The certificate's key (rtpengine's dtls-cert-cipher: prime256v1 | RSA). */
enum dtls_cert_type {
	DTLS_CERT_EC = 0, /* ECDSA P-256 (prime256v1), the default */
	DTLS_CERT_RSA,
};
#define DTLS_RSA_BITS_MIN     1024u
#define DTLS_RSA_BITS_MAX     8192u
#define DTLS_RSA_BITS_DEFAULT 2048u
/* A fresh ECDSA P-256 key and self-signed certificate (random serial, valid
 * from a day ago for 30 days, signed with SHA-256); NULL on failure (logged
 * by the caller). */
struct dtls_cert *dtls_cert_new(void);
/* The same with a key of @type; @rsa_bits (DTLS_RSA_BITS_MIN..MAX) is the
 * RSA modulus size, ignored for EC. NULL on failure or bad @rsa_bits. */
struct dtls_cert *dtls_cert_new_type(enum dtls_cert_type type, unsigned rsa_bits);
/* The key type of @c: "ECDSA P-256" or "RSA <bits>" (for logs and query). */
const char *dtls_cert_describe(const struct dtls_cert *c);
void dtls_cert_free(struct dtls_cert *c);
/* The certificate and its private key as PEM (certificate first), so
 * another process uses the same one (a takeover, an active/standby pair):
 * a malloc'd, NUL-terminated text into *pem (the caller wipes and frees
 * it), its length into *len. 0, -ENOMEM or -EIO. */
#define DTLS_PEM_MAX (64u * 1024u) /* certificate + key text at most */
int dtls_cert_pem(const struct dtls_cert *c, char **pem, size_t *len)
	__attribute__((warn_unused_result));
/* A certificate from PEM text with the certificate and its private key (in
 * either order; at most DTLS_PEM_MAX bytes): the key must match the
 * certificate. NULL with *why set when not. */
struct dtls_cert *dtls_cert_from_pem(const char *pem, size_t len, const char **why);
/* Its fingerprint with @hash. 0 or -EINVAL. */
int dtls_cert_fingerprint(const struct dtls_cert *c, enum dtls_hash hash,
			  struct dtls_fingerprint *out);

/* SRTP protection profiles (RFC 5764 4.1.2, RFC 7714 14.2) */
enum dtls_profile {
	DTLS_PROFILE_NONE = 0,
	DTLS_AES128_CM_SHA1_80,
	DTLS_AES128_CM_SHA1_32,
	DTLS_AEAD_AES_128_GCM,
	DTLS_AEAD_AES_256_GCM,
};
const char *dtls_profile_name(enum dtls_profile p); /* libsrtp / SDES suite name */

/* What a finished handshake gives the SRTP code: the profile and the
 * master key and salt each side sends with (RFC 5764 4.2). */
struct dtls_srtp_keys {
	enum dtls_profile profile;
	unsigned key_len, salt_len;		 /* 16/14, 16/12 or 32/12 */
	uint8_t local_key[32], local_salt[14];	 /* rtprelay protects with these */
	uint8_t remote_key[32], remote_salt[14]; /* the peer's, to unprotect */
};

enum dtls_state {
	DTLS_HANDSHAKING,
	DTLS_CONNECTED,
	DTLS_FAILED, /* dtls_conn_error says why */
	DTLS_CLOSED, /* the peer sent close_notify */
};

struct dtls_conn;
/* A DTLS endpoint with @cert; @client: rtprelay starts the handshake;
 * @peer_fp: the fingerprint from the peer's SDP (required); @profiles: an
 * OpenSSL SRTP profile list ("SRTP_AES128_CM_SHA1_80:..."), NULL = all four,
 * GCM first. A client has its first flight ready at once. NULL on failure. */
struct dtls_conn *dtls_conn_new(const struct dtls_cert *cert, bool client,
				const struct dtls_fingerprint *peer_fp, const char *profiles,
				uint64_t now_ms);
void dtls_conn_free(struct dtls_conn *c);
/* One received datagram. Returns the state after it: DTLS_HANDSHAKING
 * again after DTLS_CONNECTED when the peer restarted (see above). */
enum dtls_state dtls_conn_input(struct dtls_conn *c, const uint8_t *buf, size_t len,
				uint64_t now_ms);
/* The next datagram to send into @buf (at most DTLS_MTU bytes fit in
 * @cap >= DTLS_MTU): its length, 0 when nothing is pending. */
int dtls_conn_output(struct dtls_conn *c, uint8_t *buf, size_t cap);
/* When dtls_conn_timer should run next (CLOCK_MONOTONIC ms), 0 = no timer. */
uint64_t dtls_conn_deadline(const struct dtls_conn *c, uint64_t now_ms);
/* Retransmit a flight whose timer ran out; fail a handshake older than
 * DTLS_HANDSHAKE_MAX_MS. Returns the state. */
enum dtls_state dtls_conn_timer(struct dtls_conn *c, uint64_t now_ms);
enum dtls_state dtls_conn_state(const struct dtls_conn *c);
/* A handshake under way with the peer: a client that sent its hello, or a
 * server that was sent something, and neither finished nor failed. Its
 * state (transcript, ephemeral key, message sequence) lives only inside
 * OpenSSL's SSL object, which no API serializes. */
bool dtls_conn_in_flight(const struct dtls_conn *c);
const char *dtls_conn_error(const struct dtls_conn *c);
/* The SRTP keys of a connected endpoint. 0 or -EAGAIN (not connected). */
int dtls_conn_keys(const struct dtls_conn *c, struct dtls_srtp_keys *out);

#endif
