/*
 * ngframe.h: where one ng message ends in a byte stream (TCP, unix socket).
 *
 * rtpengine's ng-over-TCP sends messages back to back with no length prefix:
 * "<cookie> <bencode dict>" or "<cookie> <JSON object>". The end is found by
 * scanning the structure (bencode lengths, JSON brace depth outside strings)
 * without decoding it. The scan is iterative and bounded by @max.
 */
#ifndef RTPRELAY_NGFRAME_H
#define RTPRELAY_NGFRAME_H

#include <stddef.h>
#include <stdint.h>

/* Length of the first complete message in buf[0..len) (after skipping leading
 * whitespace, whose length is added to *skip), 0 if more bytes are needed,
 * -EINVAL if the bytes cannot be an ng message, -E2BIG if the message would
 * be longer than @max. */
long ng_frame_len(const uint8_t *buf, size_t len, size_t max, size_t *skip);

#endif
