/*
 * ngframe.c: message boundaries in an ng byte stream (see ngframe.h).
 * No recursion; each byte is looked at a bounded number of times per call.
 */
#include "control/ngframe.h"

#include <errno.h>
#include <stdbool.h>

#include "control/ngmsg.h"

/* End of one bencode value starting at @i: >0 index past it, 0 need more, <0 error. */
static long scan_bencode(const uint8_t *b, size_t len, size_t i)
{
	long depth = 0;

	do {
		if (i >= len)
			return 0;
		uint8_t c = b[i];
		if (c == 'd' || c == 'l') {
			if (++depth > 1024)
				return -EINVAL;
			i++;
			continue;
		}
		if (c == 'e') {
			if (depth == 0)
				return -EINVAL;
			depth--;
			i++;
		} else if (c == 'i') {
			size_t j = i + 1;
			while (j < len && j - i < 24 && b[j] != 'e') {
				if (!(b[j] == '-' || (b[j] >= '0' && b[j] <= '9')))
					return -EINVAL;
				j++;
			}
			if (j - i >= 24)
				return -EINVAL;
			if (j >= len)
				return 0;
			i = j + 1;
		} else if (c >= '0' && c <= '9') {
			size_t j = i, n = 0;
			while (j < len && b[j] >= '0' && b[j] <= '9') {
				if (j - i >= 9)
					return -EINVAL; /* > 999999999 bytes: never valid */
				n = n * 10 + (size_t)(b[j] - '0');
				j++;
			}
			if (j >= len)
				return 0;
			if (b[j] != ':')
				return -EINVAL;
			i = j + 1 + n;
			if (i > len)
				return 0;
		} else {
			return -EINVAL;
		}
	} while (depth > 0);
	return (long)i;
}

/* Brackets must pair up by kind ({ with }, [ with ]): a bit stack remembers
 * which kind is open at each level, up to JSON_MAX_DEPTH (far beyond what the
 * decoder accepts, so nothing valid is refused here). */
#define JSON_MAX_DEPTH 256

static long scan_json(const uint8_t *b, size_t len, size_t i)
{
	uint64_t is_obj[JSON_MAX_DEPTH / 64] = { 0 };
	long depth = 0;
	bool in_str = false, esc = false;

	for (; i < len; i++) {
		uint8_t c = b[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (depth >= JSON_MAX_DEPTH)
				return -EINVAL;
			if (c == '{')
				is_obj[depth / 64] |= 1ull << (depth % 64);
			else
				is_obj[depth / 64] &= ~(1ull << (depth % 64));
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return -EINVAL;
			depth--;
			bool obj = (is_obj[depth / 64] >> (depth % 64)) & 1;
			if (obj != (c == '}'))
				return -EINVAL;
			if (depth == 0)
				return (long)(i + 1);
		}
	}
	return 0;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\r' || c == '\n' || c == '\t';
}

long ng_frame_len(const uint8_t *buf, size_t len, size_t max, size_t *skip)
{
	size_t s = 0, sp;
	long end;

	while (s < len && is_space(buf[s]))
		s++;
	*skip = s;
	buf += s;
	len -= s;
	for (sp = 0; sp < len && buf[sp] != ' '; sp++) {
		if (sp >= NG_MAX_COOKIE || is_space(buf[sp]))
			return -EINVAL;
	}
	if (sp + 1 >= len)
		return 0;
	if (sp == 0)
		return -EINVAL;
	if (buf[sp + 1] == '{')
		end = scan_json(buf, len, sp + 1);
	else
		end = scan_bencode(buf, len, sp + 1);
	if (end < 0)
		return end;
	if (end == 0)
		return len > max ? -E2BIG : 0;
	if ((size_t)end > max)
		return -E2BIG;
	return end;
}
