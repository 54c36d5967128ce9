/*
 * rtp.h: the RTP fixed header (RFC 3550 §5.1) as the transcoder needs it:
 * a bounded parse of incoming packets and the write of our own header.
 */
#ifndef RTPRELAY_CODECS_RTP_H
#define RTPRELAY_CODECS_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN 12

struct rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload;	/* after CSRCs, extension; before padding */
	size_t payload_len;
};

/* Parse @buf: version 2, CSRC list, header extension and padding all bounded
 * by @len. 0 or -EINVAL. */
int rtp_hdr_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);
/* Write a 12-byte header (no CSRC, no extension) at @buf. */
void rtp_hdr_write(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc);

#endif
