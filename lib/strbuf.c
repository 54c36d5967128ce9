/*
 * strbuf.c: see strbuf.h.
 */
#include "lib/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void strbuf_free(struct strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

bool strbuf_ok(const struct strbuf *b)
{
	return !b->failed;
}

char *strbuf_take(struct strbuf *b, size_t *len)
{
	char *s = b->failed ? NULL : b->s;

	if (!s)
		s = b->failed ? NULL : calloc(1, 1);
	if (len)
		*len = s ? b->len : 0;
	if (b->failed)
		free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = false;
	return s;
}

/* Room for @n more bytes plus the NUL; false (and failed) if not. */
static bool reserve(struct strbuf *b, size_t n)
{
	size_t need, cap;
	char *s;

	if (b->failed)
		return false;
	if (n > b->max || b->len + n + 1 > b->max) {
		b->failed = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void strbuf_add(struct strbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room, want = 128;
	int n;

	/* format straight into the spare room (128 bytes, or what the cap
	 * leaves); only a line that does not fit is formatted twice */
	if (b->failed)
		return;
	if (b->len + 1 + want > b->max)
		want = b->max > b->len + 1 ? b->max - b->len - 1 : 0;
	if (!reserve(b, want))
		return;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= room) {
		if (!reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at @s (1..4), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void strbuf_json_str(struct strbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	strbuf_add(b, "\"", 1);
	while (*s) {
		size_t run = 0, n;

		/* printable ASCII that needs no escape, copied in one go */
		while (s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		if (run) {
			strbuf_add(b, (const char *)s, run);
			s += run;
			continue;
		}
		n = utf8_len(s);
		if (n == 0) {
			strbuf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			s++;
		} else if (*s == '"' || *s == '\\') {
			char e[2] = { '\\', (char)*s };
			strbuf_add(b, e, 2);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			strbuf_printf(b, "\\u%04x", *s);
			s++;
		} else {
			strbuf_add(b, (const char *)s, n);
			s += n;
		}
	}
	strbuf_add(b, "\"", 1);
}

void strbuf_prom_label(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_add(b, "\\\\", 2);
		else if (*s == '"')
			strbuf_add(b, "\\\"", 2);
		else if (*s == '\n')
			strbuf_add(b, "\\n", 2);
		else
			strbuf_add(b, s, 1);
	}
}
