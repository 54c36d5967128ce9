// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay.bpf.c: rtprelay's kernel fast path, a tc (clsact ingress) program.
 *
 * For every UDP datagram addressed to an offloaded local socket (map
 * relay_streams, keyed by destination address + port) it checks the source if
 * the stream asks for it, rewrites source and destination address/port to the
 * peer stream's socket and the peer's learned address, fixes the IPv4 header
 * and UDP checksums incrementally, counts the packet and keeps the stream's
 * RFC 3550 receiver statistics (map relay_stats, under its lock: A.1
 * sequence validation, A.3 inputs, A.8 interarrival jitter, the same
 * algorithm as lib/rtp.c so that either side continues the other's state)
 * and sends it on without it ever reaching a socket. The static payload
 * types' clock rates and the rtcp-mux RTP/RTCP split are user space's own
 * definitions, compiled here from lib/rtp_shared.h.
 *
 * Invariants:
 *  - a packet that does not match, or that the fast path does not handle
 *    (fragments, IPv6 extension headers, non-RTP payloads such as STUN/DTLS,
 *    RTCP on an rtcp-mux socket when asked, a source that does not match a
 *    non-strict stream), leaves this program untouched with TC_ACT_OK;
 *  - only a strict-source mismatch is dropped here (TC_ACT_SHOT), counted;
 *  - the packet is modified only after the send decision is final;
 *  - a recorded stream's packet (RELAY_F_RECORD) is copied into the ring
 *    buffer relay_rec_ring after that decision and before the rewrite; a
 *    full ring drops the copy (counted per CPU and per stream), never the
 *    packet, and forwarding never waits for the ring.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kernel-offload/relay_maps.h"
#include "kernel-offload/relay_parse.h"
#include "kernel-offload/relay_shared.h"
#include "lib/rtp_shared.h"

#define RTP_HEADER_LEN 12
/* IPv4: saddr and daddr are adjacent at offset 12; IPv6: at offset 8. */
#define IPV4_ADDRS_OFF 12
#define IPV4_CSUM_OFF  10
#define IPV6_ADDRS_OFF 8
#define UDP_CSUM_OFF   6

static __always_inline int addr_eq(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* Rewrite addresses and ports in place, with incremental checksum updates.
 * The address change is part of the UDP pseudo-header (BPF_F_PSEUDO_HDR, so
 * CHECKSUM_PARTIAL packets get their pseudo-header sum fixed too); the port
 * change is part of the UDP header itself and must not touch a partial sum. */
static __always_inline int relay_rewrite(struct __sk_buff *skb, const struct relay_pkt *pkt,
					 const struct relay_stream *st, const __u8 *saddr,
					 const struct relay_key *key, __be16 sport)
{
	__u32 old_addrs[8] = {}, new_addrs[8] = {};
	__be16 old_ports[2] = { sport, key->port };
	__be16 new_ports[2] = { st->src_port, st->dst_port };
	__u32 alen, addrs_off, l4flags = BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0;
	__s64 diff;

	if (pkt->family == RELAY_FAMILY_V4) {
		alen = 8;
		addrs_off = pkt->l3_off + IPV4_ADDRS_OFF;
		__builtin_memcpy(&old_addrs[0], saddr, 4);
		__builtin_memcpy(&old_addrs[1], key->addr, 4);
		__builtin_memcpy(&new_addrs[0], st->src_addr, 4);
		__builtin_memcpy(&new_addrs[1], st->dst_addr, 4);
	} else {
		alen = 32;
		addrs_off = pkt->l3_off + IPV6_ADDRS_OFF;
		l4flags |= BPF_F_IPV6;
		__builtin_memcpy(&old_addrs[0], saddr, 16);
		__builtin_memcpy(&old_addrs[4], key->addr, 16);
		__builtin_memcpy(&new_addrs[0], st->src_addr, 16);
		__builtin_memcpy(&new_addrs[4], st->dst_addr, 16);
	}

	diff = bpf_csum_diff(old_addrs, alen, new_addrs, alen, 0);
	if (diff < 0)
		return -1;
	if (pkt->family == RELAY_FAMILY_V4 &&
	    bpf_l3_csum_replace(skb, pkt->l3_off + IPV4_CSUM_OFF, 0, diff, 0) < 0)
		return -1;
	if (bpf_l4_csum_replace(skb, pkt->l4_off + UDP_CSUM_OFF, 0, diff, l4flags) < 0)
		return -1;
	diff = bpf_csum_diff((__u32 *)old_ports, 4, (__u32 *)new_ports, 4, 0);
	if (diff < 0)
		return -1;
	if (bpf_l4_csum_replace(skb, pkt->l4_off + UDP_CSUM_OFF, 0, diff, BPF_F_MARK_MANGLED_0) < 0)
		return -1;
	if (bpf_skb_store_bytes(skb, addrs_off, new_addrs, alen, 0) < 0)
		return -1;
	if (bpf_skb_store_bytes(skb, pkt->l4_off, new_ports, sizeof(new_ports), 0) < 0)
		return -1;
	return 0;
}

/* RFC 3550 A.1 constants (as lib/rtp.c). */
#define SEQ_MOD	       (1u << 16)
#define MAX_DROPOUT    3000u
#define MAX_MISORDER   100u
#define MIN_SEQUENTIAL 2u

/* The RTP clock of @pt when the daemon gave none: the static type's, from
 * the table user space uses (lib/rtp_shared.h), else 8000 (dataplane/dp_io.c's
 * rule). */
static __always_inline __u32 clock_rate_of(__u32 pt)
{
	__u32 rate = rtp_static_clock_rate(pt);

	return rate ? rate : 8000;
}

static __always_inline void src_init_seq(struct relay_stats *s, __u16 seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
}

/* A new SSRC restarts the state (the relay reports the current sender). The
 * lock field is not ours to write: every other field is set one by one. */
static __always_inline void src_new(struct relay_stats *s, __u32 ssrc, __u16 seq)
{
	s->ssrc = ssrc;
	s->flags = RELAY_SRC_VALID;
	s->transit = 0;
	s->jitter = 0;
	src_init_seq(s, seq);
	s->max_seq = seq - 1;
	s->probation = MIN_SEQUENTIAL;
}

/* RFC 3550 A.1: 1 if @seq counts as a valid packet of the source. */
static __always_inline int src_update_seq(struct relay_stats *s, __u16 seq)
{
	__u16 udelta = seq - s->max_seq;

	if (s->probation) {
		if (seq == (__u16)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				src_init_seq(s, seq);
				s->received++;
				return 1;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return 0;
	}
	if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: only if the next packet follows it */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return 0;
		}
		src_init_seq(s, seq);
	}
	/* else: duplicate or reordered packet, counted */
	s->received++;
	return 1;
}

/* One RTP packet into the stream's receiver state; @arrival is in timestamp
 * units. Runs under the value's lock: no helper calls, straight-line code. */
static __always_inline void src_update(struct relay_stats *s, __u32 ssrc, __u16 seq, __u32 ts,
				       __u32 arrival, __u32 rate)
{
	__u32 transit = arrival - ts, ad;
	__s32 d;

	if (!(s->flags & RELAY_SRC_VALID) || s->ssrc != ssrc)
		src_new(s, ssrc, seq);
	s->clock_rate = rate;
	if (!src_update_seq(s, seq))
		return;
	/* RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16 */
	if (s->flags & RELAY_SRC_HAVE_TRANSIT) {
		d = (__s32)(transit - s->transit);
		ad = d < 0 ? (__u32) - (__s64)d : (__u32)d;
		s->jitter += ad - ((s->jitter + 8) >> 4);
	}
	s->transit = transit;
	s->flags |= RELAY_SRC_HAVE_TRANSIT;
}

static __always_inline void relay_count(struct relay_stats *stats, const struct relay_stream *st,
					const struct relay_pkt *pkt, const __u8 *rtp)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 ssrc, ts, rate, arrival;
	__u16 seq;

	__builtin_memcpy(&seq, rtp + 2, 2);
	__builtin_memcpy(&ts, rtp + 4, 4);
	__builtin_memcpy(&ssrc, rtp + 8, 4);
	seq = bpf_ntohs(seq);
	ts = bpf_ntohl(ts);
	ssrc = bpf_ntohl(ssrc);

	/* arrival in timestamp units from CLOCK_MONOTONIC microseconds, as
	 * user space computes it (no u64 overflow for years of uptime) */
	rate = st->clock_rate ? st->clock_rate : clock_rate_of(rtp[1] & 0x7f);
	arrival = (__u32)(now / 1000 * rate / 1000000);
	bpf_spin_lock(&stats->lock);
	stats->packets++;
	stats->bytes += pkt->payload_len;
	stats->last_seen_ns = now;
	stats->seq = seq;
	src_update(stats, ssrc, seq, ts, arrival, rate);
	bpf_spin_unlock(&stats->lock);
}

static __always_inline void rec_count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&relay_rec_counters, &which);

	if (n)
		*n += 1; /* this CPU's own value: no atomic */
}

/* Reserve a record of @cap payload bytes (a constant: the verifier sizes
 * the reservation from it), copy the header fields and the first bytes of
 * the UDP payload into it and submit it without waking the consumer. 0, or
 * -1 when the ring is full or the copy failed. */
static __always_inline int rec_put(struct __sk_buff *skb, const struct relay_rec *h, __u32 off,
				   const __u32 cap)
{
	struct relay_rec *r;
	__u32 n = h->len;

	r = bpf_ringbuf_reserve(&relay_rec_ring, sizeof(*r) + cap, 0);
	if (!r)
		return -1;
	__builtin_memcpy(r, h, sizeof(*r));
	/* 1..cap for the verifier (the caller picked cap >= len >= 1) */
	n = ((n - 1) & (cap - 1)) + 1;
	if (bpf_skb_load_bytes(skb, off, r->data, n) < 0) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return -1;
	}
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Copy the packet of a recorded stream for the recording writer. */
static __always_inline void relay_record(struct __sk_buff *skb, const struct relay_stream *st,
					 struct relay_stats *stats, const struct relay_pkt *pkt,
					 const struct relay_key *key, const __u8 *saddr,
					 __be16 sport)
{
	struct relay_rec h = {};
	__u32 off = pkt->l4_off + sizeof(struct udphdr), len = pkt->payload_len;
	int rc;

	if (len > RELAY_REC_CAP)
		len = RELAY_REC_CAP;
	if (len < RTP_HEADER_LEN) /* checked by the caller; keeps len >= 1 */
		return;
	h.t_ns = bpf_ktime_get_ns();
	h.session = st->rec_session;
	h.len = len;
	h.orig_len = pkt->payload_len;
	h.leg = st->rec_leg;
	h.family = pkt->family;
	h.src_port = sport;
	h.dst_port = key->port;
	__builtin_memcpy(h.src_addr, saddr, 16);
	__builtin_memcpy(h.dst_addr, key->addr, 16);
	/* a few record sizes: ring space follows the packet's size */
	if (len <= 256)
		rc = rec_put(skb, &h, off, 256);
	else if (len <= 512)
		rc = rec_put(skb, &h, off, 512);
	else if (len <= 1024)
		rc = rec_put(skb, &h, off, 1024);
	else
		rc = rec_put(skb, &h, off, RELAY_REC_CAP);
	if (rc == 0) {
		rec_count(RELAY_REC_COPIED);
		return;
	}
	rec_count(RELAY_REC_DROPPED);
	__sync_fetch_and_add(&stats->rec_dropped, 1);
}

SEC("tc")
int relay_tc_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct relay_pkt pkt = {};
	struct relay_key key = {};
	__u8 saddr[16] = {}, rtp[RTP_HEADER_LEN];
	const struct relay_stream *st;
	struct relay_stats *stats;
	__be16 sport;
	__u8 *payload;

	if (relay_parse(data, data_end, &pkt, &key, saddr, &sport) < 0)
		return TC_ACT_OK;
	st = bpf_map_lookup_elem(&relay_streams, &key);
	if (!st)
		return TC_ACT_OK;
	stats = bpf_map_lookup_elem(&relay_stats, &key);
	if (!stats)
		return TC_ACT_OK;

	/* only RTP (version 2) takes the fast path; STUN, DTLS and anything
	 * shorter than an RTP header go to the socket */
	payload = data + pkt.l4_off + sizeof(struct udphdr);
	if ((void *)(payload + RTP_HEADER_LEN) > data_end)
		return TC_ACT_OK;
	__builtin_memcpy(rtp, payload, RTP_HEADER_LEN);
	if ((rtp[0] >> 6) != 2)
		return TC_ACT_OK;
	/* RFC 5761 4 on an rtcp-mux socket, user space's rule (lib/rtp_shared.h):
	 * second byte 192..223 is RTCP, payload types 64..95 without the
	 * marker are RTP */
	if ((st->flags & RELAY_F_RTCP_TO_USER) && rtp_second_byte_is_rtcp(rtp[1]))
		return TC_ACT_OK;

	if (!(st->flags & RELAY_F_ANY_SOURCE) &&
	    (sport != st->expect_port || !addr_eq(saddr, st->expect_addr))) {
		if (!(st->flags & RELAY_F_STRICT_SOURCE))
			return TC_ACT_OK;
		__sync_fetch_and_add(&stats->dropped_source, 1);
		return TC_ACT_SHOT;
	}

	/* A local destination is delivered by the stack after the rewrite;
	 * only safe for packets that came in on loopback (anything else would
	 * carry a local source address in from outside: a martian). */
	if (!st->egress_ifindex && skb->ifindex != RELAY_LOOPBACK_IFINDEX)
		return TC_ACT_OK;
	/* the packet is forwarded from here: a recorded stream's copy is
	 * taken as received, before the rewrite */
	if (st->flags & RELAY_F_RECORD)
		relay_record(skb, st, stats, &pkt, &key, saddr, sport);
	/* a failed helper may have left the packet half rewritten */
	if (relay_rewrite(skb, &pkt, st, saddr, &key, sport) < 0)
		return TC_ACT_SHOT;
	relay_count(stats, st, &pkt, rtp);
	if (!st->egress_ifindex)
		return TC_ACT_OK;
	return bpf_redirect_neigh(st->egress_ifindex, NULL, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
