/*
 * rtp.h: RTP/RTCP header parsing and writing, and RFC 3550 receiver
 * statistics: the one RTP module of the relay (data plane, latching and the
 * transcoder alike). The static payload types and the RTP/RTCP split on a
 * muxed port come from lib/rtp_shared.h, which the eBPF program shares.
 *
 * Everything here is pure: no sockets, no clocks, no allocation. Parsers take
 * (buf, len) from the network and check every length against len; writers
 * stay within the room they are given. The statistics follow RFC 3550
 * appendix A.1 (sequence validation), A.3 (loss) and A.8 (interarrival
 * jitter); the caller supplies the arrival time.
 *
 * One exception to "pure": a struct rtp_source has a handover slot through
 * which another thread gives its owner a state to continue from (the kernel
 * fast path hands a stream back to user space, kernel-offload/README.md).
 */
#ifndef RTPRELAY_RTP_H
#define RTPRELAY_RTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/rtp_shared.h"

#define RTP_HDR_MIN  12u
#define RTCP_HDR_MIN 8u

struct rtp_info {
	uint8_t pt; /* payload type, marker bit removed */
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t hdr_len;	    /* fixed + CSRCs + extension */
	size_t payload_len; /* without padding */
};

/* Parse an RTP header (RFC 3550 5.1): version 2, CSRC list, extension and
 * padding all bounded by @len. 0 or -EINVAL. */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_info *out);
/* Write a fixed header of RTP_HDR_MIN bytes (version 2, no padding, CSRC or
 * extension) at @buf. */
void rtp_write_hdr(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc);

/* RFC 5761 4: on a muxed port, the second byte 192..223 (payload type 64..95
 * with the marker bit set) means RTCP (rtp_second_byte_is_rtcp, the kernel
 * fast path's rule too). Only looks at two bytes. */
static inline bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && (buf[0] >> 6) == 2 && rtp_second_byte_is_rtcp(buf[1]);
}

struct rtcp_info {
	uint8_t first_pt; /* packet type of the first packet (200 SR, 201 RR, ...) */
	uint32_t ssrc;	  /* sender SSRC of the first packet */
	unsigned count;	  /* packets in the compound */
};

/* Walk a compound RTCP packet (RFC 3550 6.1): every sub-packet version 2,
 * its length within @len, the first one an SR or RR (or APP/BYE/SDES/
 * feedback, which some stacks send alone). 0 or -EINVAL. */
int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *out);

/* One report block of an SR or RR (RFC 3550 6.4.1): what the reporter
 * received from the source @ssrc. */
struct rtcp_report_block {
	uint32_t ssrc;	       /* the source reported on */
	uint8_t fraction_lost; /* since the last report, fixed point /256 */
	int32_t cum_lost;      /* 24-bit signed, sign-extended */
	uint32_t ext_max;      /* extended highest sequence number received */
	uint32_t jitter;       /* interarrival jitter, timestamp units */
	uint32_t lsr;	       /* middle 32 bits of the last SR's NTP time, 0 = none */
	uint32_t dlsr;	       /* delay since that SR, 1/65536 s */
};

/* What a compound RTCP packet says about timing and reception: its first SR
 * (sender SSRC, middle 32 bits of its NTP time) and the first report block
 * of its first SR or RR. */
struct rtcp_reports {
	bool has_sr;
	uint32_t sr_ssrc;
	uint32_t sr_ntp_mid;
	bool has_block;
	struct rtcp_report_block block;
};

/* rtcp_parse's validation, then the SR and report block above: a block
 * counted in the header but not inside its packet's length is not taken.
 * 0 or -EINVAL. */
int rtcp_parse_reports(const uint8_t *buf, size_t len, struct rtcp_reports *out);

/* The sender information of an SR (RFC 3550 6.4.1). */
struct rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;	  /* wallclock, NTP format: seconds << 32 | fraction */
	uint32_t rtp_ts;  /* the same instant in RTP timestamp units */
	uint32_t packets; /* sender's packet count */
	uint32_t octets;  /* sender's payload octet count */
};

/* Write a compound RTCP packet (RFC 3550 6.1): an SR without report blocks,
 * then an SDES whose one chunk gives @sr's SSRC the CNAME @cname (at most 255
 * bytes). Returns its length (a multiple of 4), or -ENOBUFS when it does not
 * fit in @cap (nothing written), -EINVAL for a longer CNAME. */
int rtcp_write_sr(uint8_t *buf, size_t cap, const struct rtcp_sr *sr, const char *cname);
/* The same with one report block @rb after the sender information (RC 1),
 * or none when @rb is NULL. */
int rtcp_write_report(uint8_t *buf, size_t cap, const struct rtcp_sr *sr,
		      const struct rtcp_report_block *rb, const char *cname);

/* Receiver state for one SSRC (RFC 3550 A.1/A.3/A.8). Starts zeroed (the
 * handover slot must be NULL). */
struct rtp_source {
	uint32_t ssrc;
	uint16_t max_seq;   /* highest seq number seen */
	uint32_t cycles;    /* shifted count of seq number cycles */
	uint32_t base_seq;  /* base seq number */
	uint32_t bad_seq;   /* last 'bad' seq number + 1 */
	uint32_t probation; /* sequential packets till source is valid */
	uint64_t received;  /* packets received (valid ones) */
	uint32_t transit;   /* relative transit time for prev packet */
	uint32_t jitter;    /* estimated jitter, timestamp units * 16 */
	bool have_transit;
	bool valid; /* a source was initialised */
	/* Last, and never copied as state: a malloc'ed state posted by
	 * another thread (rtp_source_post), adopted by the owner's next
	 * rtp_source_update. Everything above is the owner's alone. */
	_Atomic(struct rtp_source *) handover;
};

/* Feed one RTP packet. @arrival is the arrival time in the stream's
 * timestamp units (any origin). A state posted with rtp_source_post is
 * adopted first. A new SSRC restarts the state (the relay reports the
 * current sender). Returns true if the packet counted as valid
 * for statistics (A.1 rules). */
bool rtp_source_update(struct rtp_source *s, const struct rtp_info *ri, uint32_t arrival);

/* Give the owner of @s a state to continue from: its next rtp_source_update
 * first replaces every field of @s (but handover) by *@next, and frees @next.
 * Ownership of @next (malloc'ed) passes here. Returns a state posted earlier
 * and not adopted yet (the caller frees it), or NULL. Any thread. */
struct rtp_source *rtp_source_post(struct rtp_source *s, struct rtp_source *next)
	__attribute__((warn_unused_result));
/* Take back a posted state not adopted yet (the caller frees it), or NULL.
 * Any thread; before the owner frees @s, no state may be left posted. */
struct rtp_source *rtp_source_unpost(struct rtp_source *s) __attribute__((warn_unused_result));
/* Copy the state fields of @from into @to (not handover). */
void rtp_source_copy(struct rtp_source *to, const struct rtp_source *from);

/* RFC 3550 A.3: packets expected and lost (lost may be negative with
 * duplicates: clamped to 0 here). */
uint64_t rtp_source_expected(const struct rtp_source *s);
uint64_t rtp_source_lost(const struct rtp_source *s);

/* What the previous report block said (RFC 3550 A.3 expected_prior,
 * received_prior); starts zeroed. */
struct rtp_source_prior {
	uint64_t expected, received;
};
/* A report block on @s (lsr/dlsr left 0 for the caller): fraction lost
 * since @prior, which is then updated. False while @s has no valid source. */
bool rtp_source_block(const struct rtp_source *s, struct rtp_source_prior *prior,
		      struct rtcp_report_block *rb);
/* Extended highest sequence number received. */
static inline uint32_t rtp_source_ext_max(const struct rtp_source *s)
{
	return s->cycles + s->max_seq;
}

#endif
