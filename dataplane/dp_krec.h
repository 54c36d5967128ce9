/*
 * dp_krec.h: recording kernel-forwarded streams (docs/architecture.md,
 * Recording). The eBPF program copies a recorded stream's packets into its
 * ring buffer (kernel-offload/offload_rec.h); the recording writer thread
 * polls that ring as a source of its own (recorder_source_set) at every
 * drain and writes the copies exactly as the workers' copies. Nothing of it
 * runs in a worker.
 *
 * Threads: dp_krec_start/stop/ready/counters on the control thread (called
 * by dp_offload.c and dataplane.c); the poll runs on the writer thread.
 */
#ifndef RTPRELAY_DP_KREC_H
#define RTPRELAY_DP_KREC_H

#include <stdbool.h>
#include <stdint.h>

struct offload_rec;
struct rec_pkt;

/* After the program was loaded: with the recorder running, start reading
 * its ring (logged). 0, or the error (recorded streams then stay in user
 * space). */
int dp_krec_start(void);
/* Before the program is unloaded: the writer takes what the ring holds,
 * then stops reading it. */
void dp_krec_stop(void);
/* May a recorded stream stay in the kernel? */
bool dp_krec_ready(void);
/* The kernel's copies submitted and dropped (ring full) since load. */
void dp_krec_counters(uint64_t *copied, uint64_t *dropped);
/* A kernel record as the writer's copy: header @h, payload r->data. */
void dp_krec_to_pkt(const struct offload_rec *r, struct rec_pkt *h);

#endif
