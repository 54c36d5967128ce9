/*
 * media_decode.h: a media file, or its bytes given in a command (`blob`,
 * `blob64`), decoded once by libsndfile (WAV, FLAC, OGG/Vorbis, MP3, ... as
 * the installed libsndfile reads them) into the playback's struct dp_media:
 * mono, at 8 kHz and at 16 kHz (dataplane.h). Bytes from a command are read
 * through sf_open_virtual from memory, bounded by MEDIA_BLOB_MAX; every
 * format's length and rate are bounded before anything is allocated.
 * Any thread (no shared state).
 */
#ifndef RTPRELAY_MEDIA_DECODE_H
#define RTPRELAY_MEDIA_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/dataplane.h"

#define MEDIA_MAX_SECONDS 600u /* longest media accepted */
#define MEDIA_BLOB_MAX \
	(200u * 1024u) /* bytes of media in one command, decoded; below NG_MAX_MESSAGE */

/* One reference of the decoded media, or NULL with *err (a reason for the
 * ng reply that quotes nothing from the input). */
struct dp_media *media_decode_file(const char *path, const char **err);
/* @len bytes of a media file; @base64: they are its base64 text. */
struct dp_media *media_decode_blob(const void *data, size_t len, bool base64, const char **err);

#endif
