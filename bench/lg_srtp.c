/* lg_srtp.c: see lg_srtp.h. */
#include "bench/lg_srtp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "srtp/srtp_openssl.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* libsrtp2 with OpenSSL's AES and HMAC under it (srtp/srtp_openssl.h): with
 * Debian's NSS build the generator's own crypto (~2.3 us per operation, two
 * per call and packet interval) saturated its core near 700 SRTP calls, below
 * what the relays can do. Only the primitives are shared with rtprelay;
 * libsrtp checks them against its own known answers before it takes them. */
int lg_srtp_init(void)
{
	if (srtp_init() != srtp_err_status_ok)
		return -1;
	if (sr_openssl_register())
		fprintf(stderr, "loadgen: OpenSSL types refused, libsrtp2's own in use\n");
	return 0;
}

void lg_srtp_key(unsigned idx, uint8_t key[LG_SRTP_KEY])
{
	uint32_t x = 0x9e3779b9u ^ (idx * 2654435761u);

	for (unsigned i = 0; i < LG_SRTP_KEY; i++) { /* xorshift: any key will do */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		key[i] = (uint8_t)x;
	}
}

int lg_srtp_line(const uint8_t key[LG_SRTP_KEY], char *out, size_t cap)
{
	char b64[48];
	size_t n = 0;

	for (size_t i = 0; i < LG_SRTP_KEY; i += 3) { /* 30 bytes: no padding */
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];

		for (int k = 0; k < 4; k++)
			b64[n++] = B64[(v >> (18 - 6 * k)) & 63];
	}
	b64[n] = '\0';
	n = (size_t)snprintf(out, cap, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s", b64);
	return n < cap ? (int)n : -ENOSPC;
}

int lg_srtp_parse(const char *sdp, size_t len, uint8_t key[LG_SRTP_KEY])
{
	static const char tag[] = "AES_CM_128_HMAC_SHA1_80 inline:";
	const char *end = sdp + len, *p;
	uint32_t acc = 0;
	unsigned bits = 0, n = 0;

	p = memmem(sdp, len, tag, sizeof(tag) - 1);
	if (!p)
		return -EINVAL;
	for (p += sizeof(tag) - 1; p < end && n < LG_SRTP_KEY; p++) {
		const char *c = memchr(B64, *p, 64);

		if (!c || !*p)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)(c - B64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			key[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == LG_SRTP_KEY ? 0 : -EINVAL;
}

void *lg_srtp_session(const uint8_t key[LG_SRTP_KEY], int inbound)
{
	uint8_t k[LG_SRTP_KEY];
	srtp_policy_t p;
	srtp_t s = NULL;

	memcpy(k, key, sizeof(k));
	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = k;
	p.window_size = 1024; /* the generator's own reordering is no loss */
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		return NULL;
	return s;
}

void lg_srtp_free(void *session)
{
	if (session)
		srtp_dealloc(session);
}

int lg_srtp_protect(void *session, uint8_t *rtp, size_t *len)
{
	int n = (int)*len;

	if (srtp_protect(session, rtp, &n) != srtp_err_status_ok)
		return -1;
	*len = (size_t)n;
	return 0;
}

int lg_srtp_unprotect(void *session, uint8_t *rtp, size_t *len)
{
	int n = (int)*len;

	if (srtp_unprotect(session, rtp, &n) != srtp_err_status_ok)
		return -1;
	*len = (size_t)n;
	return 0;
}
