/*
 * rtp_ext.c: RFC 8285 header extension elements (see rtp_ext.h).
 */
#include "lib/rtp_ext.h"

#define PROFILE_ONE_BYTE 0xBEDEu
#define PROFILE_TWO_BYTE 0x1000u /* the low 4 bits are "appbits" */

int rtp_ext_find(const uint8_t *buf, size_t len, uint8_t id, const uint8_t **val, size_t *vlen)
{
	size_t off, end;
	unsigned profile;

	if (!buf || len < 12 || (buf[0] >> 6) != 2)
		return -1;
	if (!(buf[0] & 0x10))
		return 0; /* no extension */
	off = 12 + 4u * (buf[0] & 0x0fu);
	if (off + 4 > len)
		return -1;
	profile = (unsigned)buf[off] << 8 | buf[off + 1];
	end = off + 4 + 4u * ((size_t)buf[off + 2] << 8 | buf[off + 3]);
	if (end > len)
		return -1;
	off += 4;
	if (profile == PROFILE_ONE_BYTE) {
		while (off < end) {
			unsigned eid = buf[off] >> 4;
			size_t l = (size_t)(buf[off] & 0x0fu) + 1;

			if (eid == 0) { /* padding */
				off++;
				continue;
			}
			if (eid == 15) /* reserved: stop reading (RFC 8285 4.2) */
				return 0;
			if (off + 1 + l > end)
				return -1;
			if (eid == id) {
				*val = buf + off + 1;
				*vlen = l;
				return 1;
			}
			off += 1 + l;
		}
		return 0;
	}
	if ((profile & 0xfff0u) == PROFILE_TWO_BYTE) {
		while (off < end) {
			unsigned eid = buf[off];
			size_t l;

			if (eid == 0) { /* padding */
				off++;
				continue;
			}
			if (off + 2 > end)
				return -1;
			l = buf[off + 1];
			if (off + 2 + l > end)
				return -1;
			if (eid == id) {
				*val = buf + off + 2;
				*vlen = l;
				return 1;
			}
			off += 2 + l;
		}
		return 0;
	}
	return 0; /* another profile's extension: no RFC 8285 elements */
}
