/*
 * ngmsg.c: "<cookie> <dictionary>" framing (see ngmsg.h).
 *
 * The cookie ends at the first space and must be 1..NG_MAX_COOKIE printable
 * bytes; exactly one space separates it from the dictionary. The encoding is
 * chosen by the dictionary's first byte ('{' = JSON) and remembered so the
 * reply is written the same way.
 */
#include "control/ngmsg.h"

#include <errno.h>
#include <string.h>

#include "control/bencode.h"
#include "control/ngjson.h"

static int split_cookie(struct arena *a, const uint8_t *buf, size_t len, struct ng_msg *msg,
			const char **err)
{
	size_t i;

	for (i = 0; i < len && buf[i] != ' '; i++) {
		if (i >= NG_MAX_COOKIE) {
			*err = "Cookie too long";
			return -EINVAL;
		}
		/* Control bytes in a cookie would be echoed into logs and replies. */
		if (buf[i] < 0x21 || buf[i] == 0x7f) {
			*err = "Invalid cookie";
			return -EINVAL;
		}
	}
	if (i == len || i == 0) {
		*err = "Invalid message: no cookie";
		return -EINVAL;
	}
	msg->cookie = arena_strndup(a, (const char *)buf, i);
	if (!msg->cookie) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	msg->cookie_len = i;
	return 0;
}

int ng_msg_decode(struct arena *a, const uint8_t *buf, size_t len, struct ng_msg *msg,
		  const char **err)
{
	const char *why = NULL, *dummy;
	const uint8_t *body;
	size_t blen;
	int rc;

	if (!err)
		err = &dummy;
	memset(msg, 0, sizeof(*msg));
	/* The dictionary alone is bounded by NG_MAX_MESSAGE in its decoder. */
	if (len > NG_MAX_MESSAGE + NG_MAX_COOKIE + 1) {
		*err = "Message too large";
		return -E2BIG;
	}
	rc = split_cookie(a, buf, len, msg, err);
	if (rc < 0)
		return rc;
	body = buf + msg->cookie_len + 1;
	blen = len - msg->cookie_len - 1;
	msg->enc = blen && body[0] == '{' ? NG_ENC_JSON : NG_ENC_BENCODE;
	if (msg->enc == NG_ENC_JSON)
		rc = ngjson_decode(a, body, blen, &msg->dict, &why);
	else
		rc = bencode_decode(a, body, blen, &msg->dict, &why);
	if (rc < 0) {
		msg->dict = NULL;
		*err = arena_printf(a, "Could not decode dictionary (%s)", why ? why : "?");
		if (!*err)
			*err = "Could not decode dictionary";
		return rc;
	}
	if (msg->dict->type != NG_DICT) {
		msg->dict = NULL;
		*err = "Invalid dictionary";
		return -EINVAL;
	}
	return 0;
}

long ng_msg_encode(const char *cookie, size_t cookie_len, enum ng_encoding enc,
		   const struct ng_node *dict, char *buf, size_t cap)
{
	long n;

	if (!cookie || cookie_len == 0)
		return -EINVAL;
	if (cookie_len + 1 > cap)
		return -ENOSPC;
	memcpy(buf, cookie, cookie_len);
	buf[cookie_len] = ' ';
	if (enc == NG_ENC_JSON)
		n = ngjson_encode(dict, buf + cookie_len + 1, cap - cookie_len - 1);
	else
		n = bencode_encode(dict, buf + cookie_len + 1, cap - cookie_len - 1);
	if (n < 0)
		return n;
	return (long)cookie_len + 1 + n;
}
