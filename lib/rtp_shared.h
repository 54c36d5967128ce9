/*
 * rtp_shared.h: the RTP rules the kernel fast path (kernel-offload/relay.bpf.c)
 * must apply exactly as user space does, written once for both: the RFC 3551
 * static payload types and the RFC 5761 RTP/RTCP split on a muxed port.
 *
 * Both compilers read this file (relay.bpf.c with clang -target bpf, which
 * has no libc): macros and static inline functions over the fixed-width
 * types of <linux/types.h>, nothing else. User space reaches it through
 * lib/rtp.h.
 */
#ifndef RTPRELAY_RTP_SHARED_H
#define RTPRELAY_RTP_SHARED_H

#include <linux/types.h>

/* RFC 3551 tables 4 and 5, every static payload type, as
 * X(payload type, encoding name, RTP clock rate, channels). G.722 (9) has an
 * 8000 RTP clock although it samples at 16 kHz (RFC 3551 4.5.2). */
/* clang-format off */
#define RTP_STATIC_PAYLOAD_TYPES(X)                                                          \
	X(0, "PCMU", 8000, 1) X(3, "GSM", 8000, 1) X(4, "G723", 8000, 1)                     \
	X(5, "DVI4", 8000, 1) X(6, "DVI4", 16000, 1) X(7, "LPC", 8000, 1)                     \
	X(8, "PCMA", 8000, 1) X(9, "G722", 8000, 1) X(10, "L16", 44100, 2)                    \
	X(11, "L16", 44100, 1) X(12, "QCELP", 8000, 1) X(13, "CN", 8000, 1)                   \
	X(14, "MPA", 90000, 1) X(15, "G728", 8000, 1) X(16, "DVI4", 11025, 1)                 \
	X(17, "DVI4", 22050, 1) X(18, "G729", 8000, 1) X(25, "CelB", 90000, 1)                \
	X(26, "JPEG", 90000, 1) X(28, "nv", 90000, 1) X(31, "H261", 90000, 1)                 \
	X(32, "MPV", 90000, 1) X(33, "MP2T", 90000, 1) X(34, "H263", 90000, 1)
/* clang-format on */

/* Clock rate of a static payload type, 0 if dynamic or unassigned. */
static inline __u32 rtp_static_clock_rate(__u32 pt)
{
	switch (pt) {
#define RTP_STATIC_CLOCK_CASE(pt, name, clock, channels) \
	case pt:                                         \
		return clock;
		RTP_STATIC_PAYLOAD_TYPES(RTP_STATIC_CLOCK_CASE)
#undef RTP_STATIC_CLOCK_CASE
	default:
		return 0;
	}
}

/* RFC 5761 4: on a muxed port, a second byte of 192..223 (RTCP packet types
 * 192..223, i.e. RTP payload type 64..95 with the marker bit set) means
 * RTCP; payload types 64..95 without the marker are RTP. The first byte
 * (version 2) is the caller's to check. */
static inline int rtp_second_byte_is_rtcp(__u8 b1)
{
	return b1 >= 192 && b1 <= 223;
}

#endif
