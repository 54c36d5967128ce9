/*
 * ngmsg.h: ng message framing, "<cookie> <dictionary>".
 *
 * The cookie is any run of non-space bytes (at most NG_MAX_COOKIE); the
 * dictionary is JSON when its first byte is '{', bencode otherwise. A reply is
 * written in the encoding of its request.
 */
#ifndef RTPRELAY_NGMSG_H
#define RTPRELAY_NGMSG_H

#include <stddef.h>
#include <stdint.h>

#include "control/ngdict.h"

#define NG_MAX_COOKIE 128

enum ng_encoding {
	NG_ENC_BENCODE,
	NG_ENC_JSON,
};

struct ng_msg {
	const char *cookie; /* NUL-terminated copy in the arena */
	size_t cookie_len;
	enum ng_encoding enc;
	struct ng_node *dict; /* the decoded dictionary (always NG_DICT on success) */
};

/* Split and decode. On failure returns a negative errno and sets *err; if the
 * cookie could be read, msg->cookie and msg->enc are set so an error reply can
 * still be sent in the request's encoding. The whole message may be up to
 * NG_MAX_COOKIE + 1 + NG_MAX_MESSAGE bytes. */
int ng_msg_decode(struct arena *a, const uint8_t *buf, size_t len, struct ng_msg *msg,
		  const char **err) __attribute__((warn_unused_result));
/* Write "<cookie> <encoded dict>" into buf; returns bytes or -ENOSPC. */
long ng_msg_encode(const char *cookie, size_t cookie_len, enum ng_encoding enc,
		   const struct ng_node *dict, char *buf, size_t cap)
	__attribute__((warn_unused_result));

#endif
