/*
 * relay_shared.h: the structures shared by the eBPF program (relay.bpf.c) and
 * its user-space loader (offload.c). Both sides compile this file, so it holds
 * fixed-width types only, with every hole padded explicitly: the BPF map's key
 * and value sizes must be byte-identical on both sides, and hash keys must not
 * contain uninitialised padding.
 *
 * Addresses are stored in network byte order in a 16-byte field; an IPv4
 * address uses the first 4 bytes and the rest stays zero. Ports are in network
 * byte order too, so the program compares and copies them without swapping.
 */
#ifndef RTPRELAY_RELAY_SHARED_H
#define RTPRELAY_RELAY_SHARED_H

#include <linux/types.h>

#define RELAY_FAMILY_V4 4
#define RELAY_FAMILY_V6 6
/* loopback's ifindex, in every network namespace */
#define RELAY_LOOPBACK_IFINDEX 1

/* Lookup key: the relay's local socket the packet is addressed to. */
struct relay_key {
	__u8 addr[16];		/* destination address of the packet */
	__be16 port;		/* destination UDP port */
	__u8 family;		/* RELAY_FAMILY_V4 / _V6 */
	__u8 pad;		/* always 0 */
};

enum relay_flags {
	RELAY_F_STRICT_SOURCE = 1u << 0,	/* drop packets not from expect_* */
	RELAY_F_ANY_SOURCE = 1u << 1,		/* expect_* unused: forward from anyone */
	RELAY_F_RTCP_TO_USER = 1u << 2,		/* rtcp-mux socket: RTCP goes to user space */
};

/* What to do with a packet that matched a key (map relay_streams). */
struct relay_stream {
	__u8 expect_addr[16];	/* source the packets must come from */
	__u8 src_addr[16];	/* new source: the peer stream's local socket */
	__u8 dst_addr[16];	/* new destination: the peer's (learned) address */
	__be16 expect_port;
	__be16 src_port;
	__be16 dst_port;
	__u16 pad0;		/* always 0 */
	__u32 flags;		/* enum relay_flags */
	__u32 egress_ifindex;	/* send out of here (bpf_redirect_neigh); 0 = the
				 * destination is local: hand the rewritten
				 * packet back to the stack (loopback only) */
};

/* Per-CPU counters of one offloaded stream (map relay_counters). */
struct relay_counters {
	__u64 packets;		/* forwarded by the kernel */
	__u64 bytes;		/* UDP payload bytes of those */
	__u64 last_seen_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last one */
	__u64 dropped_source;	/* dropped by the strict-source check */
	__u32 ssrc;		/* RTP SSRC of the last forwarded packet (host order) */
	__u16 seq;		/* its RTP sequence number (host order) */
	__u16 pad0;		/* always 0 */
};

#endif
