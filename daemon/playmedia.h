/*
 * playmedia.h: rtpengine's `play media` and `stop media`.
 *
 * The selected party (`from-tag`, `label`, `address`, or `all`: every party)
 * hears a file instead of its peer's audio: the file (inside `media-dir`,
 * any format libsndfile reads: WAV, FLAC, OGG, ...) is decoded once to 8 kHz
 * and 16 kHz mono and cached, and the worker rewrites the peer's G.711 packets with it
 * (dataplane.h, dp_endpoint_play; G.722 too), or makes them while the peer sends
 * nothing: same SSRC, continued sequence and timestamps, so the phone sees one
 * continuous stream, then the peer's audio again.
 * `repeat-times` (1..1000) and `repeat-duration` (ms) as rtpengine; the
 * reply has `duration` (ms). `stop media` ends it early; its reply has
 * `last-frame-pos` (ms played). Control thread only.
 */
#ifndef RTPRELAY_PLAYMEDIA_H
#define RTPRELAY_PLAYMEDIA_H

#include <stdint.h>

#include "control/ngdict.h"
#include "control/ngrequest.h"
#include "daemon/call.h"
#include "lib/arena.h"

/* Longest file accepted, seconds. */
#define PLAYMEDIA_MAX_SECONDS 600u
#define PLAYMEDIA_MAX_REPEATS 1000

/* @file resolved inside @dir into @out (PATH_MAX): realpath, so symlinks
 * and ".." cannot lead out. 0 or -EINVAL/-ENOENT with *err. */
int playmedia_resolve(const char *dir, const char *file, char *out, const char **err);
/* The file at resolved @path played to @sel (what it hears) in whole
 * repeats for @max_ms; @path NULL stops. 0 or -errno with *err. */
int playmedia_loop(struct call *c, struct call_party *sel, const char *path, uint64_t max_ms,
		   const char **err);
int playmedia_command(struct calls *cs, const struct ng_request *req, struct arena *a,
		      struct ng_node *reply, uint64_t now_ms, const char **err);

#endif
