/*
 * codec_set.c: the codec "set" option (see codec_set.h).
 */
#include "daemon/codec_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Field @i ('/'-separated) of @s into @buf; false if absent or too long. */
static bool field(const char *s, unsigned i, char *buf, size_t cap)
{
	for (; i && s; i--) {
		s = strchr(s, '/');
		if (s)
			s++;
	}
	if (!s)
		return false;
	size_t l = strcspn(s, "/");
	if (l >= cap)
		return false;
	memcpy(buf, s, l);
	buf[l] = '\0';
	return true;
}

static bool number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	*out = strtoul(s, &end, 10);
	return *out <= max;
}

bool codec_set_parse(const char *spec, struct codec_set_item *out)
{
	char f[CODEC_SET_PARAMS];
	unsigned long v;

	memset(out, 0, sizeof(*out));
	if (!field(spec, 0, out->enc, sizeof(out->enc)) || !out->enc[0])
		return false;
	if (!field(spec, 1, f, sizeof(f)) || !number(f, 1000000, &v) || !v)
		return false;
	out->clock = (unsigned)v;
	if (!field(spec, 2, f, sizeof(f)) || !number(f, 8, &v) || !v)
		return false;
	out->channels = (unsigned)v;
	if (field(spec, 3, f, sizeof(f)) && f[0]) {
		if (!number(f, 10000000, &out->bitrate))
			return false;
	}
	/* field 4 is a ptime: a transcode option, nothing for an encoder */
	if (field(spec, 5, out->params, sizeof(out->params))) {
		char *p;

		while ((p = strstr(out->params, "--")))
			memmove(p + 1, p + 2, strlen(p + 2) + 1), *p = '=';
		if (strpbrk(out->params, "\r\n"))
			return false;
	}
	return out->bitrate || out->params[0];
}

bool codec_set_fmtp(const struct codec_set_item *items, unsigned n, const char *enc, unsigned clock,
		    unsigned channels, const char *fmtp, size_t fmtp_len, char *out, size_t cap)
{
	const struct codec_set_item *it = NULL;
	size_t used = 0;
	int w;

	for (unsigned i = 0; i < n && !it; i++)
		if (!strcasecmp(items[i].enc, enc) && items[i].clock == clock &&
		    items[i].channels == (channels ? channels : 1))
			it = &items[i];
	if (!it)
		return false;
	if (it->bitrate && !strcasecmp(enc, "opus")) {
		w = snprintf(out, cap, "maxaveragebitrate=%lu", it->bitrate);
		if (w < 0 || (size_t)w >= cap)
			return false;
		used = (size_t)w;
	}
	if (it->params[0]) {
		w = snprintf(out + used, cap - used, "%s%s", used ? ";" : "", it->params);
		if (w < 0 || (size_t)w >= cap - used)
			return false;
		used += (size_t)w;
	}
	if (!used)
		return false; /* a bitrate for a codec that has one rate */
	if (fmtp_len) {
		w = snprintf(out + used, cap - used, ";%.*s", (int)fmtp_len, fmtp);
		if (w < 0 || (size_t)w >= cap - used)
			return false;
	}
	return true;
}
