/*
 * relay_maps.h: the maps of relay.bpf.c, one comment each. BPF side only; the
 * loader reaches them through the bpftool skeleton (skel->maps.<name>).
 *
 * The loader sizes the maps from the media port range before loading
 * (bpf_map__set_max_entries), so the sizes below are only defaults.
 */
#ifndef RTPRELAY_RELAY_MAPS_H
#define RTPRELAY_RELAY_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "kernel-offload/relay_shared.h"

/* Local socket -> what to do with its packets. Written only by the daemon's
 * control thread; a whole-value update is atomic for the program (the hash map
 * swaps in a new element), so a packet sees either the old or the new rewrite. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct relay_key);
	__type(value, struct relay_stream);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} relay_streams SEC(".maps");

/* Local socket -> counters and RFC 3550 receiver state, one value per stream
 * with a bpf_spin_lock (a stream's packets normally arrive on one CPU, so the
 * lock is uncontended). Kept apart from relay_streams so that re-publishing a
 * rewrite does not reset them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct relay_key);
	__type(value, struct relay_stats);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} relay_stats SEC(".maps");

/* Copies of recorded streams' packets (RELAY_F_RECORD) for the daemon's
 * recording writer, which consumes it every writer tick (records are
 * submitted without a wake-up: no per-packet wake-up of user space). The
 * loader sizes it from recording-kernel-ring-kb. A full ring costs the copy,
 * never the packet. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} relay_rec_ring SEC(".maps");

/* enum relay_rec_counter, per CPU (no atomic in the packet path). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RELAY_REC_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} relay_rec_counters SEC(".maps");

#endif
