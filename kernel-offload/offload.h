/*
 * offload.h: the kernel fast path as the daemon sees it.
 *
 * offload_init() loads the eBPF program (relay.bpf.c), attaches it to the tc
 * ingress hook of the given interfaces, and installs nftables notrack rules for
 * the media port range. Afterwards the daemon hands over streams that only
 * forward: packets to stream->local are then rewritten and sent on by the
 * kernel, and offload_stream_read() returns what the kernel forwarded.
 *
 * Threads: all functions are for the control thread only (they share the
 * module's one state, which nothing else touches). None of them is called in
 * the packet path.
 *
 * Errors: 0 or a negative errno. When the build has no offload support
 * (meson -Doffload=disabled) every function returns -ENOTSUP, and when loading
 * fails at run time offload_init() logs why once and returns the error: the
 * daemon then keeps everything in user space.
 */
#ifndef RTPRELAY_OFFLOAD_H
#define RTPRELAY_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/rtp.h"

enum offload_flags {
	OFFLOAD_STRICT_SOURCE = 1u << 0, /* drop packets not from @expect */
	OFFLOAD_RTCP_TO_USER = 1u << 1,	 /* rtcp-mux socket: leave RTCP to user space */
	OFFLOAD_RECORD = 1u << 2,	 /* copy each forwarded packet for the recorder
					  * (offload_rec.h), tagged rec_session/rec_leg */
};

/* One offloaded direction: packets arriving at @local from @expect leave with
 * source @src and destination @dst. All addresses must share one family. */
struct offload_stream {
	struct sockaddr_storage local;	/* key: the relay's socket the packets arrive at */
	struct sockaddr_storage expect; /* their expected source; AF_UNSPEC = anyone */
	struct sockaddr_storage src;	/* new source: the peer stream's local socket */
	struct sockaddr_storage dst;	/* new destination: the peer's address */
	uint32_t egress_ifindex;	/* 0 = look the route up now */
	uint32_t flags;			/* enum offload_flags */
	uint32_t clock_rate;		/* RTP clock for the jitter; 0 = by static payload
					 * type, else 8000 (as user space) */
	uint32_t rec_session;		/* OFFLOAD_RECORD: put on each copy */
	uint16_t rec_leg;
};

struct offload_counters {
	uint64_t packets;	 /* forwarded by the kernel since offload_stream_add */
	uint64_t bytes;		 /* UDP payload bytes of those */
	uint64_t last_seen_ns;	 /* CLOCK_MONOTONIC (coarse) ns of the last one, 0 = never */
	uint64_t dropped_source; /* dropped by the strict-source check */
	uint32_t ssrc;		 /* RTP SSRC / sequence number of the last one */
	uint16_t seq;
	/* RFC 3550 receiver state (lib/rtp.h), continued from the seed
	 * given to offload_stream_add_from; its handover field is unused */
	struct rtp_source src;
	uint32_t clock_rate;  /* the rate src.jitter is in, 0 = no packet yet */
	uint64_t rec_dropped; /* OFFLOAD_RECORD copies the ring had no room for */
};

/* Load and attach to @ifnames (n of them; "lo" for loopback), and install
 * notrack rules for UDP ports @port_min..@port_max (port_min 0 = no rules).
 * First removes what a crashed earlier run may have left (its tc filters on
 * any interface, its nftables table). */
int offload_init(const char *const *ifnames, size_t n, uint16_t port_min, uint16_t port_max)
	__attribute__((warn_unused_result));
/* Detach, free the maps, delete the nftables table. Safe to call when
 * offload_init failed or was never called. */
void offload_exit(void);
/* true between a successful offload_init and offload_exit */
bool offload_active(void);
/* Entries the stream map holds at most (0 when not active). */
unsigned offload_capacity(void);

/* Publish (or replace) the rewrite for s->local. Counters and RFC 3550 state
 * already gathered for that key are kept. -EINVAL for mixed families,
 * -ENETUNREACH if no route. */
int offload_stream_add(const struct offload_stream *s) __attribute__((warn_unused_result));
/* The same, but the RFC 3550 state starts from @seed (user space's state when
 * it hands the stream over; its handover field is ignored), replacing any
 * counters and state kept for the key. */
int offload_stream_add_from(const struct offload_stream *s, const struct rtp_source *seed)
	__attribute__((warn_unused_result));
/* Stop offloading @local (its packets reach the socket again) and forget its
 * counters. -ENOENT if it was not offloaded. */
int offload_stream_del(const struct sockaddr_storage *local);
/* Stop offloading @local and return its final counters: the rewrite goes
 * first, so that no packet is forwarded after the counters were read.
 * -ENOENT if it was not offloaded. */
int offload_stream_take(const struct sockaddr_storage *local, struct offload_counters *out);
/* Sum the counters of @local over all CPUs, with its RFC 3550 state.
 * -ENOENT if not offloaded. */
int offload_stream_read(const struct sockaddr_storage *local, struct offload_counters *out);

/* The loaded program's fd, for tests (bpf_prog_test_run_opts); -1 if none. */
int offload_prog_fd(void);

#endif
