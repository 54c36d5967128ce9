/*
 * sr_rfc_keys.h: whether libsrtp keys a suite as the RFCs do.
 *
 * SRTP session keys come from the master key and salt through the AES-CM
 * PRF (RFC 3711 4.3.3), with an AES key of the suite's size (RFC 6188 for
 * AES-192/256). libsrtp 2.5 derives AES_192_CM session keys with an AES-256
 * PRF keyed by the master key and the first 8 bytes of the salt instead of
 * AES-192 keyed by the master key: its keystream and MAC key for these
 * suites match no RFC 6188 peer (rtpengine, for one), and every packet of
 * such a call fails authentication. This module tells, per suite, whether
 * the linked libsrtp derives the RFC's keys, by a known answer: the RFC's
 * published master key protects one packet through sr_stream, and that
 * packet must be the one the RFC's published session keys give (constants
 * in sr_rfc_keys.c; tests/unit/srtp/test_srtp_kdf.c recomputes them with
 * OpenSSL from the RFC's session keys and shows the deviation).
 * docs/architecture.md, SRTP, says what the daemon does with the answer.
 */
#ifndef RTPRELAY_SR_RFC_KEYS_H
#define RTPRELAY_SR_RFC_KEYS_H
#include <stdbool.h>

#include "srtp/sr_suite.h"

/* @s is keyed by libsrtp as RFC 3711/6188/7714 key it. Checked once per
 * key size (the first call runs it, a few microseconds; the control thread
 * calls it); AEAD and NULL-cipher suites are taken as keyed right (RFC
 * 7714's vectors and the interop tests cover them). False for a suite libsrtp
 * lacks or when the check could not run. */
bool sr_suite_rfc_keys(enum sr_suite s);

/* The reason, for an error reply or log, that @s is refused by default:
 * NULL when sr_suite_rfc_keys(@s). */
const char *sr_suite_rfc_keys_why(enum sr_suite s);

#endif
