/*
 * offload_adopt_pending.h: the predecessor's map descriptors waiting for the
 * loader at a takeover, and whether the running load sits on them
 * (offload_adopt.h has the story). Internal to this folder: offload_adopt.c
 * checks and holds the descriptors, offload.c's loader applies them; both
 * depend on this file and not on each other. Control thread.
 */
#ifndef RTPRELAY_OFFLOAD_ADOPT_PENDING_H
#define RTPRELAY_OFFLOAD_ADOPT_PENDING_H

#include <stdbool.h>

struct bpf_map;

/* Keep duplicates of @fds (relay_streams, relay_stats) for the loader,
 * dropping any held before. 0 or -errno (nothing held then). */
int offload_adopt_hold(const int *fds);
/* Drop what is held. */
void offload_adopt_drop(void);
/* Maps to adopt are waiting for the loader. */
bool offload_adopt_pending(void);
/* Load @streams and @stats on the waiting descriptors (and forget them).
 * 0, -ENOENT when none wait, or libbpf's error (logged). */
int offload_adopt_apply(struct bpf_map *streams, struct bpf_map *stats);
/* The running load is on adopted maps (offload.c: after a load, false after
 * offload_exit). */
void offload_adopt_set(bool on);
bool offload_adopt_is_set(void);

#endif
