/*
 * sdp_lex.h: the small lexical layer shared by the SDP parser (sdp.c) and the
 * rewriter (sdp_rewrite.c): line content without its terminator, bounded
 * tokenizing, bounded decimal numbers and attribute classification. Both sides
 * classify a line with the same function, so the rewriter drops or replaces
 * exactly the lines the parser understood. Private to the sdp library.
 */
#ifndef RTPRELAY_SDP_LEX_H
#define RTPRELAY_SDP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/sdp.h"

/* One line is at most this long (a=candidate and a=fmtp lines are ~200 bytes). */
#define SDP_MAX_LINE_LEN 4096
/* An a=rtpmap encoding name ("telephone-event" is among the longest). */
#define SDP_MAX_ENCODING 64

enum sdp_attr_kind {
	SDP_A_OTHER = 0,
	SDP_A_RTPMAP,
	SDP_A_FMTP,
	SDP_A_RTCP_FB,
	SDP_A_PTIME,
	SDP_A_RTCP,
	SDP_A_RTCP_MUX,
	SDP_A_SENDRECV,
	SDP_A_SENDONLY,
	SDP_A_RECVONLY,
	SDP_A_INACTIVE,
	SDP_A_ICE, /* ice-ufrag/pwd/options/lite/mismatch, candidate, ... */
	SDP_A_CRYPTO,
	SDP_A_FINGERPRINT,
	SDP_A_SETUP,  /* a=setup (RFC 4145), DTLS-SRTP role */
	SDP_A_TLS_ID, /* a=tls-id (RFC 8842) */
};

/* Length of @l without its "\n" or "\r\n" terminator. */
size_t sdp_line_content_len(const struct sdp_str *l);

/* Split s[0..n) on runs of blanks (space, tab) into at most @max tokens.
 * Returns the number of tokens, or max + 1 when there are more. */
size_t sdp_tokens(const char *s, size_t n, struct sdp_str *tok, size_t max);

/* Decimal without sign, 1..20 digits, value <= @max. 0 or -EINVAL. */
int sdp_uint(const char *s, size_t n, uint64_t max, uint64_t *out);

/* Classify the value of an a= line (the text after "a="). @value gets the text
 * after the first ':' (empty when there is none). */
enum sdp_attr_kind sdp_attr_classify(const char *s, size_t n, struct sdp_str *value);

/* Direction for a direction attribute kind, SDP_DIR_NONE for any other. */
enum sdp_dir sdp_attr_dir(enum sdp_attr_kind k);

/* Case-insensitive equality of a token with a C string. */
bool sdp_tok_eq(const struct sdp_str *t, const char *lit);

/* Parse a "<pt>" token at the start of s[0..n) (rtpmap/fmtp/rtcp-fb value) up to
 * the first blank. Returns 0 and sets *pt and *rest (text after the blanks), or
 * -EINVAL. "*" (rtcp-fb wildcard) gives *pt = SDP_PT_ANY. */
#define SDP_PT_ANY 1000u
int sdp_pt_prefix(const char *s, size_t n, unsigned *pt, struct sdp_str *rest);

#endif
