/*
 * strbuf.h: a growing text buffer for documents built on the control thread
 * (the Prometheus exposition, the status page's JSON). One malloc'd block,
 * doubled as needed up to a cap; past the cap, or out of memory, the buffer
 * is marked failed and further appends are ignored, so a caller checks once
 * at the end (strbuf_ok).
 */
#ifndef RTPRELAY_STRBUF_H
#define RTPRELAY_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;    /* NUL-terminated while ok */
	size_t len; /* bytes used, without the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* never grow past this many bytes */
	bool failed;
};

/* Empty buffer that grows up to @max bytes. */
void strbuf_init(struct strbuf *b, size_t max);
void strbuf_free(struct strbuf *b);
/* Hand the text over (caller frees), leaving @b empty; NULL if failed. */
char *strbuf_take(struct strbuf *b, size_t *len);
bool strbuf_ok(const struct strbuf *b);

void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* @s as a JSON string with its quotes: ", \ and control characters escaped;
 * bytes that are not valid UTF-8 become U+FFFD, so the result is always
 * valid JSON in UTF-8. */
void strbuf_json_str(struct strbuf *b, const char *s);
/* @s as a Prometheus label value without its quotes (\, " and newline
 * escaped, the text exposition format's rules). */
void strbuf_prom_label(struct strbuf *b, const char *s);

#endif
