/*
 * offload_rec.h: recording kernel-forwarded streams without taking them out
 * of the kernel.
 *
 * A stream added with OFFLOAD_RECORD (offload.h) has each packet the eBPF
 * program forwards copied, as received, into a BPF ring buffer
 * (relay_rec_ring, relay_maps.h): the stream id, leg, addresses, arrival time
 * and the UDP payload up to RELAY_REC_CAP bytes. The daemon's recording
 * writer consumes the ring (offload_rec_consume) and writes the records as it
 * writes user space's copies. A full ring drops the copy, counted per CPU
 * (offload_rec_counters) and per stream (offload_counters.rec_dropped); the
 * packet is forwarded all the same.
 *
 * Threads: offload_rec_set_ring_size before offload_init and
 * offload_rec_open/close/counters on the control thread; offload_rec_consume
 * on one consumer thread at a time, between open and close (the caller makes
 * sure close does not run during a consume). offload_rec_parse is pure.
 */
#ifndef RTPRELAY_OFFLOAD_REC_H
#define RTPRELAY_OFFLOAD_REC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One record as user space reads it. */
struct offload_rec {
	uint64_t t_ns;		     /* CLOCK_MONOTONIC arrival */
	uint32_t session;	     /* offload_stream.rec_session */
	uint16_t leg;		     /* offload_stream.rec_leg */
	uint16_t len;		     /* bytes at @data */
	uint16_t orig_len;	     /* the UDP payload's length (> len: cut) */
	struct sockaddr_storage src; /* the sender */
	struct sockaddr_storage dst; /* the relay's socket */
	const uint8_t *data;	     /* UDP payload as received, inside the record */
};

/* Called for each record by offload_rec_consume; @r is valid during the
 * call only. */
typedef void (*offload_rec_fn)(void *arg, const struct offload_rec *r);

/* The ring's size in bytes for the next offload_init: rounded up to a power
 * of two, at least one page, at most 1 GiB; 0 = no kernel recording
 * (offload_rec_open refuses, recorded streams stay in user space). */
void offload_rec_set_ring_size(size_t bytes);
/* Start reading the ring of the loaded program; records go to @fn. 0,
 * -ENOTCONN (not loaded), -EALREADY, -ENOTSUP (no offload in this build,
 * or a ring size of 0). */
int offload_rec_open(offload_rec_fn fn, void *arg) __attribute__((warn_unused_result));
/* Hand the records in the ring to the callback, at most @max (a producer
 * faster than the consumer cannot keep it here), without waiting. Records
 * handed over, or a negative errno. */
int offload_rec_consume(unsigned max);
/* Stop reading (before offload_exit). Safe when not open. */
void offload_rec_close(void);
/* Copies submitted and dropped (ring full) since load, over all CPUs. */
int offload_rec_counters(uint64_t *copied, uint64_t *dropped);

/* Check and decode one raw record of @size bytes: every length is checked
 * against @size and RELAY_REC_CAP. 0 or -EINVAL. */
int offload_rec_parse(const void *raw, size_t size, struct offload_rec *out)
	__attribute__((warn_unused_result));

#endif
