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

#include <linux/bpf.h>
#include <linux/types.h>

#define RELAY_FAMILY_V4	       4
#define RELAY_FAMILY_V6	       6
/* The layout of relay_streams and relay_stats (these structures, the key, the
 * map types). A successor adopts its predecessor's maps at a takeover only if
 * it has the same number (kernel-offload/offload_adopt.h): a change to
 * struct relay_key, relay_stream or relay_stats, or to what a field means,
 * must bump it. */
#define RELAY_MAPS_LAYOUT      1
/* loopback's ifindex, in every network namespace */
#define RELAY_LOOPBACK_IFINDEX 1

/* Lookup key: the relay's local socket the packet is addressed to. */
struct relay_key {
	__u8 addr[16]; /* destination address of the packet */
	__be16 port;   /* destination UDP port */
	__u8 family;   /* RELAY_FAMILY_V4 / _V6 */
	__u8 pad;      /* always 0 */
};

enum relay_flags {
	RELAY_F_STRICT_SOURCE = 1u << 0, /* drop packets not from expect_* */
	RELAY_F_ANY_SOURCE = 1u << 1,	 /* expect_* unused: forward from anyone */
	RELAY_F_RTCP_TO_USER = 1u << 2,	 /* rtcp-mux socket: RTCP goes to user space */
	RELAY_F_RECORD = 1u << 3,	 /* copy each forwarded packet to relay_rec_ring */
};

/* What to do with a packet that matched a key (map relay_streams). */
struct relay_stream {
	__u8 expect_addr[16]; /* source the packets must come from */
	__u8 src_addr[16];    /* new source: the peer stream's local socket */
	__u8 dst_addr[16];    /* new destination: the peer's (learned) address */
	__be16 expect_port;
	__be16 src_port;
	__be16 dst_port;
	__u16 rec_leg;	      /* RELAY_F_RECORD: the recorder's leg, put on each copy */
	__u32 flags;	      /* enum relay_flags */
	__u32 egress_ifindex; /* send out of here (bpf_redirect_neigh); 0 = the
				 * destination is local: hand the rewritten
				 * packet back to the stack (loopback only) */
	__u32 clock_rate;     /* RTP clock for the jitter; 0 = by static payload
				 * type, else 8000 (as the daemon's user space) */
	__u32 rec_session;    /* RELAY_F_RECORD: the recorder's session id */
};

enum relay_source_flags {
	RELAY_SRC_VALID = 1u << 0,	  /* a source was initialised */
	RELAY_SRC_HAVE_TRANSIT = 1u << 1, /* transit holds the previous packet's */
};

/* Counters and RFC 3550 receiver state of one offloaded stream (map
 * relay_stats). One value for all CPUs, updated under its lock: sequence
 * tracking cannot be split into per-CPU parts, and once the lock is taken
 * for it the counters come for free (one lookup, one lock per packet).
 *
 * The source fields (ssrc, cycles .. received) and their meaning are those of
 * the daemon's struct rtp_source (lib/rtp.h): A.1 sequence validation, A.3
 * inputs, A.8 jitter, so that the kernel continues from user space's state
 * and user space from the kernel's. */
struct relay_stats {
	struct bpf_spin_lock lock; /* user space reads/writes with BPF_F_LOCK */
	__u32 ssrc;		   /* of the last forwarded packet (= the source's) */
	__u64 packets;		   /* forwarded by the kernel */
	__u64 bytes;		   /* UDP payload bytes of those */
	__u64 last_seen_ns;	   /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last one */
	__u64 dropped_source;	   /* dropped by the strict-source check (atomic add,
				 * outside the lock: not a packet of the stream) */
	__u32 cycles;		   /* shifted count of seq number cycles */
	__u32 base_seq;
	__u32 bad_seq;	   /* last 'bad' seq number + 1 */
	__u32 probation;   /* sequential packets till the source is valid */
	__u32 transit;	   /* relative transit time of the previous packet */
	__u32 jitter;	   /* timestamp units * 16 */
	__u32 clock_rate;  /* the rate the last packet's jitter used, 0 = none yet */
	__u16 max_seq;	   /* highest seq number seen */
	__u16 seq;	   /* seq number of the last forwarded packet */
	__u8 flags;	   /* enum relay_source_flags */
	__u8 pad0[7];	   /* always 0 */
	__u64 received;	   /* valid packets (A.1) */
	__u64 rec_dropped; /* RELAY_F_RECORD: copies the ring had no room for
			    * (atomic add outside the lock; the packet was
			    * forwarded all the same) */
};

/* One recorded packet in the ring buffer relay_rec_ring (RELAY_F_RECORD):
 * this header, then @len bytes of the UDP payload (RTP header and payload) as
 * received, before the rewrite. A record is reserved in one of a few fixed
 * sizes (the verifier wants a constant), RELAY_REC_CAP at most; a longer
 * payload is cut to it (@orig_len tells). Addresses as in struct relay_key:
 * network byte order, IPv4 in the first 4 bytes. */
#define RELAY_REC_CAP 2048u
struct relay_rec {
	__u64 t_ns;	 /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at arrival */
	__u32 session;	 /* relay_stream.rec_session */
	__u16 len;	 /* payload bytes that follow */
	__u16 orig_len;	 /* the UDP payload's length */
	__u16 leg;	 /* relay_stream.rec_leg */
	__u8 family;	 /* RELAY_FAMILY_V4 / _V6 */
	__u8 pad0;	 /* always 0 */
	__be16 src_port; /* the sender */
	__be16 dst_port; /* the relay's socket (the key) */
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u8 data[];
};

/* Indices of the per-CPU array relay_rec_counters. */
enum relay_rec_counter {
	RELAY_REC_COPIED = 0,  /* records submitted */
	RELAY_REC_DROPPED = 1, /* the ring was full: copy dropped, packet forwarded */
	RELAY_REC_NCOUNTERS = 2,
};

#endif
