/* lg_srtp.h: the load generator's side A as an SDES-SRTP phone (loadgen --srtp): one
 * AES_CM_128_HMAC_SHA1_80 key per call (deterministic from the call index, the
 * generator's own), its a=crypto line for the offer, the relay's key read back from the
 * answer reply, and libsrtp sessions to encrypt what A sends and decrypt what it
 * receives. Uses libsrtp2 directly, nothing of the relay under test. */
#ifndef BENCH_LG_SRTP_H
#define BENCH_LG_SRTP_H

#include <stddef.h>
#include <stdint.h>

#define LG_SRTP_KEY 30 /* AES_CM_128_HMAC_SHA1_80: 16-byte key + 14-byte salt */
#define LG_SRTP_TAG 10

int lg_srtp_init(void);
/* Side A's key for call idx. */
void lg_srtp_key(unsigned idx, uint8_t key[LG_SRTP_KEY]);
/* "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:..." for key (no line end). */
int lg_srtp_line(const uint8_t key[LG_SRTP_KEY], char *out, size_t cap);
/* The key of the first a=crypto line of an SDP (AES_CM_128_HMAC_SHA1_80). 0 or -EINVAL. */
int lg_srtp_parse(const char *sdp, size_t len, uint8_t key[LG_SRTP_KEY]);
/* A libsrtp session keyed with key: outbound (protect) or inbound; NULL on failure. */
void *lg_srtp_session(const uint8_t key[LG_SRTP_KEY], int inbound);
void lg_srtp_free(void *session);
/* In place; *len grows by the tag (protect) or shrinks (unprotect). 0 or -1. */
int lg_srtp_protect(void *session, uint8_t *rtp, size_t *len);
int lg_srtp_unprotect(void *session, uint8_t *rtp, size_t *len);

#endif
