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

/* Local socket -> counters, one copy per CPU so that the packet path needs no
 * atomics; the daemon sums the copies when it reads them. Kept apart from
 * relay_streams so that re-publishing a rewrite does not reset the counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct relay_key);
	__type(value, struct relay_counters);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* per-CPU x entries adds up */
} relay_counters SEC(".maps");

/* Local socket -> RFC 3550 receiver state. One shared value per stream with
 * a bpf_spin_lock (sequence tracking needs one view of the stream; a stream's
 * packets normally arrive on one CPU, so the lock is uncontended). Kept apart
 * from relay_streams for the same reason as the counters, and apart from the
 * counters so that those stay per-CPU and lock-free. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct relay_key);
	__type(value, struct relay_source);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} relay_sources SEC(".maps");

#endif
