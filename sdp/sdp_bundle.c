/*
 * sdp_bundle.c: a=ssrc and a=extmap of a media section (sdp_bundle.h).
 */
#include "sdp/sdp_bundle.h"

#include <string.h>

/* @l without its line end, and whether it starts with @prefix: then *v and *n
 * are the rest. */
static bool attr(const struct sdp_str *l, const char *prefix, const char **v, size_t *n)
{
	size_t pl = strlen(prefix), len = l->len;

	while (len && (l->s[len - 1] == '\n' || l->s[len - 1] == '\r'))
		len--;
	if (len < pl || memcmp(l->s, prefix, pl))
		return false;
	*v = l->s + pl;
	*n = len - pl;
	return true;
}

/* A decimal number at @v (at most @n bytes) up to @max; digits used, 0 =
 * none or too large. */
static size_t number(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	size_t k = 0;

	*out = 0;
	while (k < n && k < 11 && v[k] >= '0' && v[k] <= '9') {
		*out = *out * 10 + (uint64_t)(v[k] - '0');
		k++;
	}
	return k && *out <= max && (k == n || v[k] < '0' || v[k] > '9') ? k : 0;
}

unsigned sdp_media_ssrcs(const struct sdp_session *s, const struct sdp_media *m, uint32_t *out,
			 unsigned max)
{
	unsigned n = 0;

	for (unsigned l = m->first_line; l < m->first_line + m->n_lines && l < s->n_lines; l++) {
		const char *v;
		size_t len, k;
		uint64_t id;
		bool seen = false;

		if (!attr(&s->lines[l], "a=ssrc:", &v, &len))
			continue;
		k = number(v, len, UINT32_MAX, &id);
		if (!k || (k < len && v[k] != ' ' && v[k] != '\t'))
			continue;
		for (unsigned i = 0; i < n; i++)
			seen = seen || out[i] == (uint32_t)id;
		if (seen)
			continue;
		if (n == max)
			break;
		out[n++] = (uint32_t)id;
	}
	return n;
}

/* The extmap id for @uri among lines [@from, @to) of @s, 0 = none. */
static unsigned extmap_in(const struct sdp_session *s, unsigned from, unsigned to, const char *uri)
{
	size_t ul = strlen(uri);

	for (unsigned l = from; l < to && l < s->n_lines; l++) {
		const char *v;
		size_t len, k;
		uint64_t id;

		if (!attr(&s->lines[l], "a=extmap:", &v, &len))
			continue;
		k = number(v, len, 255, &id);
		if (!k || !id)
			continue;
		if (k < len && v[k] == '/') /* direction */
			while (k < len && v[k] != ' ' && v[k] != '\t')
				k++;
		if (k >= len || (v[k] != ' ' && v[k] != '\t'))
			continue;
		while (k < len && (v[k] == ' ' || v[k] == '\t'))
			k++;
		/* the URI, then nothing or blank-separated attributes */
		if (len - k >= ul && !memcmp(v + k, uri, ul) &&
		    (len - k == ul || v[k + ul] == ' ' || v[k + ul] == '\t'))
			return (unsigned)id;
	}
	return 0;
}

unsigned sdp_media_extmap(const struct sdp_session *s, const struct sdp_media *m, const char *uri)
{
	unsigned id = extmap_in(s, m->first_line, m->first_line + m->n_lines, uri);

	if (!id)
		id = extmap_in(s, 0, s->n_media ? s->media[0].first_line : s->n_lines, uri);
	return id;
}
