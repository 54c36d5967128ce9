/*
 * rtp.c: RTP/RTCP header parsing and writing, RFC 3550 receiver statistics.
 *
 * Invariants: parsers never read past buf + len, writers never write past
 * the room they are given, and none allocates; the
 * statistics functions only touch the struct rtp_source they are given, so
 * the data plane can keep one per endpoint with no locking (single writer).
 * The one field another thread writes is handover, only with atomic
 * exchanges: whoever takes the pointer owns (and frees) the state.
 */
#include "lib/rtp.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3550 A.1 constants. */
#define SEQ_MOD	       (1u << 16)
#define MAX_DROPOUT    3000u
#define MAX_MISORDER   100u
#define MIN_SEQUENTIAL 2u

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_info *out)
{
	if (len < RTP_HDR_MIN || (buf[0] >> 6) != 2)
		return -EINVAL;
	size_t hdr = RTP_HDR_MIN + 4u * (buf[0] & 0x0f);
	if (hdr > len)
		return -EINVAL;
	if (buf[0] & 0x10) {
		/* Extension: 16-bit profile, 16-bit length in 32-bit words. */
		if (hdr + 4 > len)
			return -EINVAL;
		size_t ext = 4 + 4u * rd16(buf + hdr + 2);
		if (ext > len - hdr)
			return -EINVAL;
		hdr += ext;
	}
	size_t pad = 0;
	if (buf[0] & 0x20) {
		/* The last octet counts the padding, itself included. */
		pad = buf[len - 1];
		if (pad == 0 || pad > len - hdr)
			return -EINVAL;
	}
	out->marker = buf[1] & 0x80;
	out->pt = buf[1] & 0x7f;
	out->seq = rd16(buf + 2);
	out->ts = rd32(buf + 4);
	out->ssrc = rd32(buf + 8);
	out->hdr_len = hdr;
	out->payload_len = len - hdr - pad;
	return 0;
}

void rtp_write_hdr(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	wr16(buf + 2, seq);
	wr32(buf + 4, ts);
	wr32(buf + 8, ssrc);
}

int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *out)
{
	size_t off = 0;
	unsigned count = 0;

	if (len < RTCP_HDR_MIN)
		return -EINVAL;
	/* RFC 3550 A.2 validity: the first packet is SR/RR (we also allow the
	 * other RTCP types, as reduced-size RTCP (RFC 5506) does). */
	if (!rtp_second_byte_is_rtcp(buf[1]))
		return -EINVAL;
	while (off < len) {
		if (len - off < 4 || (buf[off] >> 6) != 2)
			return -EINVAL;
		size_t plen = 4 + 4u * rd16(buf + off + 2);
		if (plen > len - off)
			return -EINVAL;
		/* Padding is only allowed on the last packet of a compound. */
		if ((buf[off] & 0x20) && off + plen != len)
			return -EINVAL;
		off += plen;
		count++;
	}
	out->first_pt = buf[1];
	out->ssrc = rd32(buf + 4);
	out->count = count;
	return 0;
}

#define RTCP_PT_SR  200
#define RTCP_PT_RR  201
#define RTCP_RB_LEN 24 /* one report block */

static void read_block(const uint8_t *p, struct rtcp_report_block *rb)
{
	uint32_t lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

	rb->ssrc = rd32(p);
	rb->fraction_lost = p[4];
	rb->cum_lost = (int32_t)(lost ^ 0x800000u) - 0x800000;
	rb->ext_max = rd32(p + 8);
	rb->jitter = rd32(p + 12);
	rb->lsr = rd32(p + 16);
	rb->dlsr = rd32(p + 20);
}

int rtcp_parse_reports(const uint8_t *buf, size_t len, struct rtcp_reports *out)
{
	struct rtcp_info ci;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (rtcp_parse(buf, len, &ci) < 0)
		return -EINVAL;
	/* rtcp_parse checked every packet's length against len. */
	while (off < len && !(out->has_sr && out->has_block)) {
		size_t plen = 4 + 4u * rd16(buf + off + 2);
		unsigned rc = buf[off] & 0x1fu, pt = buf[off + 1];
		size_t blocks = 0;

		if (pt == RTCP_PT_SR && plen >= 28) {
			if (!out->has_sr) {
				out->has_sr = true;
				out->sr_ssrc = rd32(buf + off + 4);
				out->sr_ntp_mid = rd32(buf + off + 10);
			}
			blocks = off + 28;
		} else if (pt == RTCP_PT_RR && plen >= 8) {
			blocks = off + 8;
		}
		if (blocks && rc && !out->has_block && blocks + RTCP_RB_LEN <= off + plen) {
			read_block(buf + blocks, &out->block);
			out->has_block = true;
		}
		off += plen;
	}
	return 0;
}

#define RTCP_SR		200
#define RTCP_SDES	202
#define RTCP_SDES_CNAME 1
#define SR_LEN		28 /* header 4, SSRC 4, NTP 8, RTP timestamp 4, counts 8 */

#define RB_LEN 24 /* one report block */

int rtcp_write_report(uint8_t *buf, size_t cap, const struct rtcp_sr *sr,
		      const struct rtcp_report_block *rb, const char *cname)
{
	size_t n = strlen(cname);
	size_t sr_len = SR_LEN + (rb ? RB_LEN : 0);
	/* SDES: header 4, then the chunk: SSRC 4, the item (type, length,
	 * text) and at least one zero octet ending the item list, padded to a
	 * 32-bit boundary (RFC 3550 6.5). */
	size_t sdes = 8 + ((2 + n + 1 + 3) & ~(size_t)3);

	if (n > 255)
		return -EINVAL;
	if (cap < sr_len + sdes)
		return -ENOBUFS;
	buf[0] = rb ? 0x81 : 0x80; /* V=2, RC = report blocks */
	buf[1] = RTCP_SR;
	wr16(buf + 2, (uint16_t)(sr_len / 4 - 1));
	wr32(buf + 4, sr->ssrc);
	wr32(buf + 8, (uint32_t)(sr->ntp >> 32));
	wr32(buf + 12, (uint32_t)sr->ntp);
	wr32(buf + 16, sr->rtp_ts);
	wr32(buf + 20, sr->packets);
	wr32(buf + 24, sr->octets);
	if (rb) {
		uint8_t *b = buf + SR_LEN;
		/* cumulative lost: 24-bit signed, clamped (RFC 3550 6.4.1) */
		int32_t cl = rb->cum_lost > 0x7fffff	? 0x7fffff
			     : rb->cum_lost < -0x800000 ? -0x800000
							: rb->cum_lost;

		wr32(b, rb->ssrc);
		b[4] = rb->fraction_lost;
		b[5] = (uint8_t)((uint32_t)cl >> 16);
		b[6] = (uint8_t)((uint32_t)cl >> 8);
		b[7] = (uint8_t)cl;
		wr32(b + 8, rb->ext_max);
		wr32(b + 12, rb->jitter);
		wr32(b + 16, rb->lsr);
		wr32(b + 20, rb->dlsr);
	}
	buf += sr_len;
	memset(buf, 0, sdes);
	buf[0] = 0x81; /* V=2, one chunk */
	buf[1] = RTCP_SDES;
	wr16(buf + 2, (uint16_t)(sdes / 4 - 1));
	wr32(buf + 4, sr->ssrc);
	buf[8] = RTCP_SDES_CNAME;
	buf[9] = (uint8_t)n;
	memcpy(buf + 10, cname, n);
	return (int)(sr_len + sdes);
}

int rtcp_write_sr(uint8_t *buf, size_t cap, const struct rtcp_sr *sr, const char *cname)
{
	return rtcp_write_report(buf, cap, sr, NULL, cname);
}

bool rtp_source_block(const struct rtp_source *s, struct rtp_source_prior *prior,
		      struct rtcp_report_block *rb)
{
	uint64_t expected = rtp_source_expected(s);

	if (!expected)
		return false;
	/* RFC 3550 A.3: the fraction lost in the interval since the last call */
	uint64_t exp_iv = expected - prior->expected;
	int64_t lost_iv = (int64_t)exp_iv - (int64_t)(s->received - prior->received);

	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;
	rb->fraction_lost = exp_iv && lost_iv > 0 ? (uint8_t)(((uint64_t)lost_iv << 8) / exp_iv)
						  : 0;
	if (lost_iv > 0 && ((uint64_t)lost_iv << 8) / exp_iv > 255)
		rb->fraction_lost = 255;
	int64_t cum = (int64_t)expected - (int64_t)s->received;
	rb->cum_lost = cum > 0x7fffff ? 0x7fffff : cum < -0x800000 ? -0x800000 : (int32_t)cum;
	rb->ext_max = rtp_source_ext_max(s);
	rb->jitter = s->jitter >> 4;
	prior->expected = expected;
	prior->received = s->received;
	return true;
}

static void init_seq(struct rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
}

/* Every field but handover (another thread may be writing it). */
#define STATE_SIZE offsetof(struct rtp_source, handover)

void rtp_source_copy(struct rtp_source *to, const struct rtp_source *from)
{
	memcpy(to, from, STATE_SIZE);
}

struct rtp_source *rtp_source_post(struct rtp_source *s, struct rtp_source *next)
{
	return atomic_exchange_explicit(&s->handover, next, memory_order_acq_rel);
}

struct rtp_source *rtp_source_unpost(struct rtp_source *s)
{
	return atomic_exchange_explicit(&s->handover, NULL, memory_order_acq_rel);
}

/* The owner's side: continue from a posted state, if any (a plain load first:
 * the exchange, a locked instruction, only when something is there). */
static void adopt(struct rtp_source *s)
{
	struct rtp_source *next;

	if (!atomic_load_explicit(&s->handover, memory_order_relaxed))
		return;
	next = atomic_exchange_explicit(&s->handover, NULL, memory_order_acquire);
	if (!next)
		return;
	memcpy(s, next, STATE_SIZE);
	free(next);
}

static void new_source(struct rtp_source *s, uint32_t ssrc, uint16_t seq)
{
	memset(s, 0, STATE_SIZE);
	s->ssrc = ssrc;
	s->valid = true;
	init_seq(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = MIN_SEQUENTIAL;
}

/* RFC 3550 A.1: true if @seq counts as a valid packet of the source. */
static bool update_seq(struct rtp_source *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* A source is valid after MIN_SEQUENTIAL in-order packets. */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return true;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return false;
	}
	if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: accept it only if the next packet follows
		 * it (the sender restarted). */
		if (seq == s->bad_seq) {
			init_seq(s, seq);
		} else {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return false;
		}
	}
	/* else: duplicate or reordered packet, counted. */
	s->received++;
	return true;
}

bool rtp_source_update(struct rtp_source *s, const struct rtp_info *ri, uint32_t arrival)
{
	adopt(s);
	if (!s->valid || s->ssrc != ri->ssrc)
		new_source(s, ri->ssrc, ri->seq);
	if (!update_seq(s, ri->seq))
		return false;
	/* RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16. */
	uint32_t transit = arrival - ri->ts;
	if (s->have_transit) {
		int32_t d = (int32_t)(transit - s->transit);
		uint32_t ad = d < 0 ? (uint32_t) - (int64_t)d : (uint32_t)d;
		s->jitter += ad - ((s->jitter + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = true;
	return true;
}

uint64_t rtp_source_expected(const struct rtp_source *s)
{
	if (!s->valid || s->probation)
		return 0;
	return (uint64_t)rtp_source_ext_max(s) - s->base_seq + 1;
}

uint64_t rtp_source_lost(const struct rtp_source *s)
{
	uint64_t exp = rtp_source_expected(s);
	return exp > s->received ? exp - s->received : 0;
}
