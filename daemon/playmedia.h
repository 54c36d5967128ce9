/*
 * playmedia.h: rtpengine's `play media` and `stop media`.
 *
 * The selected party (`from-tag`, `label`, `address`, or `all`: every party)
 * hears a file instead of its peer's audio: the file (inside `media-dir`,
 * any format libsndfile reads: WAV, FLAC, OGG, ...; or its bytes in `blob`/
 * `blob64`, daemon/media_decode.h) is decoded once to 8 kHz and 16 kHz mono
 * (files cached), and the worker rewrites the peer's G.711, G.722, G.729 or
 * Opus packets with it (dataplane.h, dp_endpoint_play; into a transcoded
 * stream's transcoder), or makes them while the peer sends nothing: same
 * SSRC, continued sequence and timestamps, so the phone sees one continuous
 * stream, then the peer's audio again.
 * `repeat-times` (1..1000), `repeat-duration` (ms) and `start-pos` (ms into
 * the media) as rtpengine; the reply has `duration` (ms to be played).
 * `stop media` ends it early; its reply has `last-frame-pos` (ms into the
 * media, start-pos included, so a later start-pos resumes there). Control
 * thread only.
 */
#ifndef RTPRELAY_PLAYMEDIA_H
#define RTPRELAY_PLAYMEDIA_H

#include <stdint.h>

#include "control/ngdict.h"
#include "control/ngrequest.h"
#include "daemon/call.h"
#include "daemon/media_decode.h"
#include "lib/arena.h"

/* Longest file accepted, seconds. */
#define PLAYMEDIA_MAX_SECONDS MEDIA_MAX_SECONDS
#define PLAYMEDIA_MAX_REPEATS 1000

/* @file resolved inside @dir into @out (PATH_MAX): realpath, so symlinks
 * and ".." cannot lead out. 0 or -EINVAL/-ENOENT with *err. */
int playmedia_resolve(const char *dir, const char *file, char *out, const char **err);
/* The file at resolved @path played to @sel (what it hears) in whole
 * repeats for @max_ms; @path NULL stops. 0 or -errno with *err. */
int playmedia_loop(struct calls *cs, struct call *c, struct call_party *sel, const char *path,
		   uint64_t max_ms, const char **err);
/* The same with decoded media @m (its reference stays the caller's); NULL stops. */
int playmedia_loop_media(struct calls *cs, struct call *c, struct call_party *sel,
			 struct dp_media *m, uint64_t max_ms, const char **err);
int playmedia_command(struct calls *cs, const struct ng_request *req, struct arena *a,
		      struct ng_node *reply, uint64_t now_ms, const char **err);

#endif
