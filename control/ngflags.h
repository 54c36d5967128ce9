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
#include <stdint.h>

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
const char *ngf_quote(struct arena *a, const struct ng_request *req, const char *s, size_t len);

/* Arena copy of a naming value (call-id, tag, label, interface, address), or
 * NULL with a warning if it is empty or holds control bytes. */
const char *ngf_text(struct arena *a, struct ng_request *req, const char *what, const char *v,
		     size_t len);

/* Every flag and key rtprelay knows, with what it does about it. A name not
 * in ngf_known is unknown (warned as such); one marked NGF_NOT_IMPLEMENTED is
 * accepted and always named in the reply's warning (unless its value is an
 * "off" value: what rtprelay does anyway). Values of implemented keys (ICE
 * modes, replace items, transport protocols, ...) have their own lists. */
enum ngf_support {
	NGF_IMPLEMENTED,     /* recorded in struct ng_request; @where reads it */
	NGF_DEFAULT,	     /* what rtprelay always does (@where): nothing to record */
	NGF_NOT_IMPLEMENTED, /* accepted with a warning naming it */
	NGF_REFUSED,	     /* recorded as req->refuse: the offer is refused with
			      * an error-reason saying why (@where: the reason) */
};

/* Where a name may appear (bits). */
enum ngf_form {
	NGF_FLAG = 1u << 0,   /* a plain string in "flags": "strict-source" */
	NGF_DICT = 1u << 1,   /* a dictionary key: "ICE": "remove" */
	NGF_KV = 1u << 2,     /* "key=value" in "flags": "ICE=remove" */
	NGF_PREFIX = 1u << 3, /* "key-value" in "flags": "ICE-remove", "SDES-off" */
};
#define NGF_KEY (NGF_DICT | NGF_KV)

struct ngf_known {
	const char *name; /* canonical (ngf_normalize) */
	unsigned forms;	  /* enum ngf_form */
	enum ngf_support support;
	uint32_t bit;	    /* NGF_FLAG: the enum ng_flag it sets, 0 = none */
	const char *sample; /* keys: a value that switches it on, as JSON; NULL =
				 * any value but "off" */
	const char *where;  /* NGF_IMPLEMENTED: what reads it; NGF_DEFAULT: where
				 * rtprelay does it anyway; NGF_NOT_IMPLEMENTED:
				 * why not ("" = no reason recorded) */
};

extern const struct ngf_known ngf_known[];
extern const size_t ngf_n_known;

/* The entry for name @s[0..len) (any spelling) that may appear as @form. */
const struct ngf_known *ngf_lookup(const char *s, size_t len, unsigned form);

/* One element of the "flags" list. */
void ngf_flag(struct arena *a, struct ng_request *req, const char *s, size_t len);

/* A scalar value for the dictionary key @nkey (normalized). Returns false if
 * the key is not one we know. */
bool ngf_key_value(struct arena *a, struct ng_request *req, const char *nkey, const char *val,
		   size_t vlen);

/* One element of the replace / rtcp-mux lists, one direction entry, one codec
 * list entry (@op = "strip", "offer", ...). */
void ngf_replace(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_rtcp_mux(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_bundle(struct arena *a, struct ng_request *req, const char *v, size_t len);
/* One "SDES" / "OSRTP" list value ("off", "no-AES_CM_128_HMAC_SHA1_32",
 * "unencrypted_srtcp", ...; "offer", "accept"). */
void ngf_sdes(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_osrtp(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_dtls(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_direction(struct arena *a, struct ng_request *req, const char *v, size_t len);
bool ngf_codec(struct arena *a, struct ng_request *req, const char *op, const char *v, size_t len);

/* One frequency (or a comma-separated list of them) of "frequency" /
 * "frequencies", and one tag of "from-tags": appended to what is there. */
void ngf_frequency(struct arena *a, struct ng_request *req, const char *v, size_t len);
void ngf_from_tag(struct arena *a, struct ng_request *req, const char *v, size_t len);

/* "T.38" in any form (@v: its first value, may be empty): an offer that asks
 * for the T.38 gateway rtprelay does not have is refused (req->refuse). */
void ngf_t38(struct arena *a, struct ng_request *req, const char *v, size_t len);

#endif
