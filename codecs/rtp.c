/*
 * rtp.c: RTP fixed-header parse/write for the transcoder. Input is hostile:
 * every length is checked against what is left of the datagram.
 */
#include <errno.h>

#include "codecs/rtp.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rtp_hdr_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	size_t off, pad = 0;

	if (len < RTP_HDR_LEN || (buf[0] >> 6) != 2)
		return -EINVAL;
	off = RTP_HDR_LEN + 4u * (buf[0] & 0x0F);
	if (off > len)
		return -EINVAL;
	if (buf[0] & 0x10) {	/* header extension: 4-byte header + length words */
		if (off + 4 > len)
			return -EINVAL;
		off += 4 + 4u * ((size_t)buf[off + 2] << 8 | buf[off + 3]);
		if (off > len)
			return -EINVAL;
	}
	if (buf[0] & 0x20) {
		pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return -EINVAL;
	}
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7F;
	h->seq = (uint16_t)(buf[2] << 8 | buf[3]);
	h->ts = be32(buf + 4);
	h->ssrc = be32(buf + 8);
	h->payload = buf + off;
	h->payload_len = len - off - pad;
	return 0;
}

void rtp_hdr_write(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7F));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
}
