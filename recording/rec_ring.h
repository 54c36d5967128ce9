/*
 * rec_ring.h: the bounded byte ring that carries copies of recorded packets
 * from one data-plane worker (the only producer) to the recording writer
 * thread (the only consumer).
 *
 * Lock-free single producer / single consumer: the producer owns @head and
 * reads @tail, the consumer owns @tail and reads @head (acquire/release).
 * The producer never waits: a record that does not fit is dropped and
 * counted (packets and bytes), which is how a slow or full disk costs
 * recording data and never a forwarded packet (docs/architecture.md,
 * Recording). Records are 8-byte aligned and never wrap: a record that
 * would cross the end is preceded by a pad record that fills the rest.
 */
#ifndef RTPRELAY_REC_RING_H
#define RTPRELAY_REC_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One recorded packet: this header, then @len payload bytes. Addresses are
 * IPv4-mapped for IPv4 (v6 == 0). */
struct rec_pkt {
	uint32_t size;	  /* whole record, header included, 8-aligned; 0 = pad to the end */
	uint32_t session; /* recorder session id (recorder.h) */
	uint64_t t_us;	  /* CLOCK_MONOTONIC arrival, microseconds */
	uint16_t len;	  /* payload bytes */
	uint8_t leg;	  /* the party that sent it */
	uint8_t v6;	  /* addresses are IPv6 */
	uint8_t rtcp;	  /* RTCP, not RTP */
	uint8_t pad_[3];
	uint16_t src_port, dst_port; /* host order */
	uint8_t src[16], dst[16];    /* IPv4 in the first 4 bytes */
};

struct rec_ring {
	uint8_t *buf;
	size_t size; /* bytes, a power of two */
	_Alignas(64) _Atomic uint64_t head;
	uint64_t tail_seen; /* producer's cached copy of tail */
	_Alignas(64) _Atomic uint64_t tail;
	/* written by the producer only (plain load + store) */
	_Alignas(64) _Atomic uint64_t pushed, dropped, dropped_bytes;
};

/* @size is rounded up to a power of two, at least 64 KiB. 0 or -ENOMEM. */
int rec_ring_init(struct rec_ring *r, size_t size) __attribute__((warn_unused_result));
void rec_ring_fini(struct rec_ring *r);

/* Producer: copy @h (size and len are set here) and @payload[0..len).
 * False when the ring is full: nothing is written, the drop is counted. */
bool rec_ring_push(struct rec_ring *r, struct rec_pkt *h, const void *payload, size_t len);

/* Consumer: the oldest record (payload right after it), NULL when empty.
 * Stays valid until rec_ring_pop. */
const struct rec_pkt *rec_ring_peek(struct rec_ring *r);
void rec_ring_pop(struct rec_ring *r, const struct rec_pkt *p);

/* Any thread: bytes queued and not yet written (a snapshot), for metrics. */
size_t rec_ring_backlog(struct rec_ring *r);

#endif
