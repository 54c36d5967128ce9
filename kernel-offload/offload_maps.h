/*
 * offload_maps.h: the loaded program's maps for the other files of this
 * folder (offload_rec.c); not part of the daemon's API. Control thread.
 */
#ifndef RTPRELAY_OFFLOAD_MAPS_H
#define RTPRELAY_OFFLOAD_MAPS_H

#include <stdbool.h>

/* fds of relay_rec_ring and relay_rec_counters; -1 when not loaded */
int offload_map_fd_rec_ring(void);
int offload_map_fd_rec_counters(void);
/* fds of relay_streams and relay_stats; -1 when not loaded */
int offload_map_fd_streams(void);
int offload_map_fd_stats(void);
/* offload_rec_set_ring_size(0) was asked for: no kernel recording */
bool offload_rec_ring_off(void);

#endif
