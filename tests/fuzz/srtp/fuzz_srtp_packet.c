/*
 * fuzz_srtp_packet.c: libFuzzer target for SRTP/SRTCP packets under random
 * keys (srtp/sr_stream.h). The input's first bytes choose the suite, the
 * session parameters, an MKI and the master key; the rest is a packet.
 *
 * Properties checked (abort() on violation):
 *  1. sr_unprotect of arbitrary bytes (as RTP and as RTCP) never crashes,
 *     and when it accepts, the length only shrinks;
 *  2. the packet protected by one stream unprotects through a stream keyed
 *     the same way to exactly the bytes that went in, and a flipped last
 *     byte is refused (when the suite authenticates).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp/sr_stream.h"

#define HDR (1 + 1 + 1 + SR_MAX_MASTER)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the packet before protection (at most 2048 bytes) and after (with tag,
	 * MKI and SRTCP index it is longer: a buffer of its own) */
	static uint8_t buf[4096], copy[2048], sealed[4096];
	struct sr_keys k;

	if (size < HDR || size - HDR > 2048 || sr_init())
		return 0;
	memset(&k, 0, sizeof(k));
	k.suite = (enum sr_suite)(1 + data[0] % (SR_N_SUITES - 1));
	if (!sr_suite_available(k.suite))
		return 0;
	k.local.params = k.remote.params = data[1] & 7;
	k.local.mki_len = k.remote.mki_len = data[2] % 5;
	memset(k.local.mki, data[2], sizeof(k.local.mki));
	memcpy(k.remote.mki, k.local.mki, sizeof(k.local.mki));
	memcpy(k.local.master, data + 3, SR_MAX_MASTER);
	memcpy(k.remote.master, data + 3, SR_MAX_MASTER);
	if (sr_keys_check(&k))
		return 0;
	const uint8_t *pkt = data + HDR;
	size_t n = size - HDR;

	struct sr_stream *a = sr_stream_new(), *b = sr_stream_new();
	if (!a || !b || sr_stream_rekey(a, &k) || sr_stream_rekey(b, &k))
		abort();
	for (int rtcp = 0; rtcp < 2; rtcp++) {
		size_t len = n;

		memcpy(buf, pkt, n);
		if (sr_unprotect(a, buf, &len, rtcp) == SR_OK && len > n)
			abort();
		len = n;
		memcpy(buf, pkt, n);
		if (n >= 12)
			buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80); /* version 2 */
		memcpy(copy, buf, n);
		if (sr_protect(a, buf, &len, sizeof(buf), rtcp) != SR_OK)
			continue;
		if (len < n)
			abort();
		size_t plen = len;
		memcpy(sealed, buf, len);
		if (sr_unprotect(b, buf, &len, rtcp) != SR_OK || len != n || memcmp(buf, copy, n))
			abort();
		bool authenticated = rtcp || !(k.local.params & SR_UNAUTHENTICATED_SRTP);
		if (authenticated) {
			struct sr_stream *c = sr_stream_new();

			if (!c || sr_stream_rekey(c, &k))
				abort();
			memcpy(buf, sealed, plen);
			buf[plen - 1] ^= 0x80;
			len = plen;
			if (sr_unprotect(c, buf, &len, rtcp) == SR_OK)
				abort();
			sr_stream_free(c);
		}
	}
	sr_stream_free(a);
	sr_stream_free(b);
	return 0;
}
