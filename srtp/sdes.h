/*
 * sdes.h: SDP Security Descriptions (RFC 4568), the a=crypto attribute.
 *
 *   a=crypto:<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<len>]
 *            [<session parameters>...]
 *
 * Parsing takes hostile text: (buffer, length), every field bounded, no
 * allocation. One key-param per line (several keys with different MKIs on
 * one line are refused: libsrtp would need them all at once and no phone
 * sends them). The session parameters rtprelay can apply are
 * UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP and WSH; KDR
 * other than 0 and FEC_ORDER/FEC_KEY are refused (libsrtp has no key
 * derivation rate, rtprelay no FEC), as is any unknown parameter
 * (RFC 4568 6.3: a crypto line with an unknown mandatory parameter is not
 * usable).
 */
#ifndef RTPRELAY_SDES_H
#define RTPRELAY_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srtp/sr_stream.h"

#define SDES_MAX_LINE 512 /* longest a=crypto value printed or accepted */
#define SDES_MAX_TAG  999999999u

struct sdes_crypto {
	unsigned tag; /* 1..999999999 (1*9DIGIT) */
	enum sr_suite suite;
	struct sr_key key;  /* master key||salt, MKI, session parameters, WSH */
	uint8_t lifetime;   /* as 2^lifetime packets; 0 = not given */
	bool lifetime_exp;  /* written as "2^n" (else decimal) */
	uint64_t lifetime_n; /* the decimal value when !lifetime_exp */
};

/* Parse the value of an a=crypto attribute (what follows "a=crypto:", no
 * line end). 0, or -EINVAL with *err set to a reason that quotes nothing
 * from the input ("bad base64 in key", "key length 20 does not fit
 * AES_CM_128_HMAC_SHA1_80 (30 bytes)", ...). A suite name rtprelay does
 * not know (F8_128_HMAC_SHA1_80, a private one) is -ENOTSUP with *err
 * "unknown crypto suite": the line is well-formed as far as it was read and
 * RFC 4568 6.1 has the answerer ignore it. A suite libsrtp lacks parses
 * (its name is known) and is refused by the caller with sr_suite_available. */
int sdes_parse(const char *s, size_t len, struct sdes_crypto *out, const char **err);

/* Write "a=crypto:<tag> <suite> inline:<key>[|2^31][|mki:len][ params]"
 * into @buf (NUL-terminated). @pad keeps the base64 '=' padding (SDES=pad;
 * by default it is left off, as rtpengine does). Returns the length, or -1
 * if @cap is too small. */
int sdes_print(const struct sdes_crypto *c, bool pad, char *buf, size_t cap);

/* Base64 (RFC 4648, padding optional); bounded by @cap. Length or -1. */
int sdes_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap);
int sdes_b64_encode(const uint8_t *in, size_t len, bool pad, char *out, size_t cap);

#endif
