/*
 * ngflags.h: internal to control/ — how one flag string or one key=value pair
 * of an ng request lands in struct ng_request. Shared by ngrequest.c (dictionary
 * keys) and ngflags.c (the "flags" list, where Kamailio folds keys into strings
 * like "ICE=remove" or "codec-strip-PCMA"). Not part of the public interface.
 */
#ifndef RTPRELAY_NGFLAGS_H
#define RTPRELAY_NGFLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "control/ngrequest.h"

/* Longest key or flag name we compare; longer names are unknown by definition. */
#define NGF_MAX_NAME 64

/* Canonical spelling for comparisons: ASCII lower case, '_' and ' ' become '-'.
 * Same length as the input; @dst holds @len + 1 bytes. */
void ngf_normalize(char *dst, const char *src, size_t len);

/* Add a warning (printf-style, bounded); silently capped at NG_MAX_WARNINGS. */
void ngf_warn(struct arena *a, struct ng_request *req, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Printable, bounded rendering of outside bytes for a warning about to be
 * added to @req; allocates nothing once @req has no room for more warnings, so
 * 60000 unknown flags cost no more memory than 16. */
const char *ngf_quote(struct arena *a, const struct ng_request *req, const char *s,
		      size_t len);

/* Arena copy of a naming value (call-id, tag, label, interface, address), or
 * NULL with a warning if it is empty or holds control bytes. */
const char *ngf_text(struct arena *a, struct ng_request *req, const char *what,
		     const char *v, size_t len);

/* One element of the "flags" list. */
void ngf_flag(struct arena *a, struct ng_request *req, const char *s, size_t len);

/* A scalar value for the normalized key @nkey, from the dictionary or from a
 * "key=value" flag. Returns false if the key is not one we know. */
bool ngf_key_value(struct arena *a, struct ng_request *req, const char *nkey,
		   const char *val, size_t vlen);

/* One element of the replace / rtcp-mux lists, one direction entry, one codec
 * list entry (@op = "strip", "offer", ...). */
void ngf_replace(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_rtcp_mux(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_direction(struct arena *a, struct ng_request *req, const char *v, size_t len);
bool ngf_codec(struct arena *a, struct ng_request *req, const char *op, const char *v,
	       size_t len);

#endif
