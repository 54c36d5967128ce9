/*
 * status.h: the JSON document behind the status page (`/status.json`, read
 * by the page's script every second; daemon/status_page.h is the page):
 * every live call with its parties, and per party and media the local and
 * remote addresses, the codecs of its SDP, the path its RTP takes
 * (userspace, kernel, transcode; "+SRTP" on userspace and transcode when
 * the party or its peer speaks SRTP, whose streams never go to the kernel),
 * the party's SRTP suite (`crypto`, "" for plain RTP), and what the relay
 * received from it
 * (packets, bytes, RFC 3550 loss and jitter, MOS when a round trip is
 * known, as `query` computes them). Rendered on the control thread.
 */
#ifndef RTPRELAY_STATUS_H
#define RTPRELAY_STATUS_H

#include <stdint.h>

#include "lib/strbuf.h"

struct daemon_ctx;
struct operate;

/* At most this many calls are listed, the newest first (the count is always
 * the real one): a page is for looking at, and the rendering runs on the
 * control thread once a second while the page is open (a few µs per call). */
#define STATUS_MAX_CALLS 200

void status_render(struct strbuf *b, const struct daemon_ctx *d, const struct operate *op,
		   uint64_t now_ms);

#endif
