/*
 * srtcp_forge.h: one empty SRTCP packet (an RTCP receiver report without
 * report blocks) with an SRTCP index of the caller's choice, protected with
 * a master key of struct sr_key as libsrtp would (RFC 3711 3.4 and 4.3 for
 * AES-CM/NULL with HMAC-SHA1, RFC 7714 9 and 11 for AES-GCM).
 *
 * Why: libsrtp 2.5 has no call that sets the SRTCP index of a stream, but
 * srtp_unprotect_rtcp moves the stream's SRTCP replay window to the index of
 * an authentic packet. sr_stream_set_srtcp_index (sr_stream.h) feeds the
 * stream such a packet, so a stream continued in another process (a
 * takeover) sends and expects SRTCP indexes from where the old one stopped
 * (docs/architecture.md, Takeover). Only the authentication has to be
 * right: the packet has no payload, so nothing is decrypted.
 *
 * Uses OpenSSL only; no state, any thread.
 */
#ifndef RTPRELAY_SRTCP_FORGE_H
#define RTPRELAY_SRTCP_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include "srtp/sr_suite.h"

/* Largest packet srtcp_forge writes: header, tag, index word, MKI. */
#define SRTCP_FORGE_MAX (8 + 16 + 4 + SR_MAX_MKI)

/* Write into out[0..cap) the packet of SSRC @ssrc (host order) with index
 * @index (1..0x7fffffff) under suite @s and key @k; *len gets its length.
 * 0, or -EINVAL (suite, index or room), -EIO (OpenSSL failed). */
int srtcp_forge(enum sr_suite s, const struct sr_key *k, uint32_t ssrc, uint32_t index,
		uint8_t *out, size_t cap, size_t *len);

#endif
