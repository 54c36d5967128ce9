/*
 * ngdict.h: the one dictionary model behind the ng protocol.
 *
 * Both encodings of an ng message (bencode, JSON) decode to this tree and encode
 * from it, so command handling never knows which encoding a proxy used. Nodes and
 * strings live in an arena (arena.h). Strings are byte strings with a length and
 * are also NUL-terminated for convenience (they may contain NULs; trust the length).
 */
#ifndef RTPRELAY_NGDICT_H
#define RTPRELAY_NGDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

enum ng_type {
	NG_STR,
	NG_INT,
	NG_LIST,
	NG_DICT,
};

struct ng_node {
	enum ng_type type;
	const char *key; /* member of a dict: its key (NUL-terminated) */
	size_t key_len;
	const char *str; /* NG_STR */
	size_t str_len;
	int64_t num;	       /* NG_INT */
	struct ng_node *child; /* NG_LIST/NG_DICT: first member, in order */
	struct ng_node *last;  /* NG_LIST/NG_DICT: last member (for appends) */
	struct ng_node *next;  /* next sibling */
	size_t count;	       /* NG_LIST/NG_DICT: number of members */
};

/* Limits applied by every decoder (bencode and JSON). */
#define NG_MAX_DEPTH   32	    /* nesting of lists/dicts */
#define NG_MAX_NODES   65536	    /* nodes per message */
#define NG_MAX_MESSAGE (256 * 1024) /* bytes per message */

/* Builders: return NULL on ENOMEM. */
struct ng_node *ng_new_dict(struct arena *a);
struct ng_node *ng_new_list(struct arena *a);
struct ng_node *ng_new_str(struct arena *a, const char *s, size_t len);
struct ng_node *ng_new_cstr(struct arena *a, const char *s);
struct ng_node *ng_new_int(struct arena *a, int64_t v);
/* Append @child to a list, or to a dict under @key (copied). Returns @child,
 * NULL on ENOMEM or if @parent is of the wrong type. */
struct ng_node *ng_list_add(struct ng_node *list, struct ng_node *child);
struct ng_node *ng_dict_add(struct arena *a, struct ng_node *dict, const char *key,
			    struct ng_node *child);
/* Shorthands: add a string/int/new dict/new list member under @key. */
struct ng_node *ng_dict_add_str(struct arena *a, struct ng_node *d, const char *key, const char *s);
struct ng_node *ng_dict_add_strn(struct arena *a, struct ng_node *d, const char *key, const char *s,
				 size_t len);
struct ng_node *ng_dict_add_int(struct arena *a, struct ng_node *d, const char *key, int64_t v);
struct ng_node *ng_dict_add_dict(struct arena *a, struct ng_node *d, const char *key);
struct ng_node *ng_dict_add_list(struct arena *a, struct ng_node *d, const char *key);

/* Lookup: first member of dict @d with key @key, NULL if none or @d not a dict. */
const struct ng_node *ng_dict_get(const struct ng_node *d, const char *key);
/* String value under @key or NULL (also NULL if the member is not a string). */
const char *ng_dict_get_str(const struct ng_node *d, const char *key, size_t *len);
/* Integer under @key: NG_INT, or NG_STR holding a decimal number (proxies send
 * both). Returns false if absent or not a number. */
bool ng_dict_get_int(const struct ng_node *d, const char *key, int64_t *out);
/* True if string node @n equals @s. */
bool ng_str_eq(const struct ng_node *n, const char *s);

#endif
