/*
 * rtp_ext.h: RTP header extensions (RFC 8285), read-only: find one element
 * by its id in a received packet, e.g. the MID that BUNDLE demultiplexes
 * by (RFC 8843 15.1, urn:ietf:params:rtp-hdrext:sdes:mid).
 */
#ifndef RTPRELAY_LIB_RTP_EXT_H
#define RTPRELAY_LIB_RTP_EXT_H

#include <stddef.h>
#include <stdint.h>

/* Find element @id (1..14 in the one-byte form, 1..255 in the two-byte
 * form) in the header extension of the RTP packet @buf of @len bytes.
 * 1 with *val and *vlen pointing into @buf, 0 when the packet has no extension
 * in either RFC 8285 form or no such element, -1 when the header or the
 * extension is malformed (every length bounded by @len). */
int rtp_ext_find(const uint8_t *buf, size_t len, uint8_t id, const uint8_t **val, size_t *vlen);

#endif
