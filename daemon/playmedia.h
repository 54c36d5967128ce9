/*
 * playmedia.h: rtpengine's `play media` and `stop media`.
 *
 * The selected party (`from-tag`, `label`, `address`, or `all`: every party)
 * hears a file instead of its peer's audio: the file (inside `media-dir`,
 * any format libsndfile reads: WAV, FLAC, OGG, ...) is decoded once to 8 kHz
 * and 16 kHz mono and cached, and the worker rewrites the peer's G.711 packets with it
 * (dataplane.h, dp_endpoint_play; G.722 too): same SSRC, sequence and timestamps, so
 * the phone sees one continuous stream, then the peer's audio again.
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

int playmedia_command(struct calls *cs, const struct ng_request *req, struct arena *a,
		      struct ng_node *reply, uint64_t now_ms, const char **err);

#endif
