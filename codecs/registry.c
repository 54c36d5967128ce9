/*
 * registry.c: the explicit list of codecs, lookup, instance create/free and
 * the fmtp helpers every codec file shares.
 *
 * The array order is the order of preference when the transcoder must pick a
 * codec itself (best quality first).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codecs/codec.h"

static const struct codec_desc *const registry[] = {
	&codec_opus, &codec_g722, &codec_pcmu, &codec_pcma, &codec_g729,
};

#define N_CODECS (sizeof(registry) / sizeof(registry[0]))

const struct codec_desc *const *codec_all(unsigned *n)
{
	*n = N_CODECS;
	return registry;
}

const struct codec_desc *codec_find(const char *name, size_t len, unsigned clock, unsigned channels)
{
	for (size_t i = 0; i < N_CODECS; i++) {
		const struct codec_desc *d = registry[i];

		if (strlen(d->name) != len || strncasecmp(d->name, name, len) != 0)
			continue;
		if (clock && clock != d->clock_rate)
			continue;
		/* rtpmap channels: Opus is always "/2"; others mono. */
		if (channels > 1 && channels > d->max_channels && channels != d->rtpmap_channels)
			continue;
		return d;
	}
	return NULL;
}

const struct codec_desc *codec_find_static(unsigned pt)
{
	for (size_t i = 0; i < N_CODECS; i++)
		if (registry[i]->static_pt >= 0 && (unsigned)registry[i]->static_pt == pt)
			return registry[i];
	return NULL;
}

static bool rate_ok(unsigned r)
{
	return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000;
}

int codec_new(const struct codec_desc *d, const struct codec_params *p, struct codec **out)
{
	struct codec *c;
	unsigned ptime = p->ptime_ms ? p->ptime_ms : d->default_ptime;
	unsigned ch = p->channels ? p->channels : 1;
	int rc;

	if (ch > d->max_channels || ptime == 0 || ptime % d->frame_ms || ptime > 120)
		return -EINVAL;
	c = calloc(1, sizeof(*c) + d->priv_size);
	if (!c)
		return -ENOMEM;
	c->desc = d;
	c->channels = ch;
	c->ptime_ms = ptime;
	c->pcm_rate = d->pcm_rate;
	if (d->flexible_rate && p->pcm_rate && rate_ok(p->pcm_rate))
		c->pcm_rate = p->pcm_rate;
	c->frame_samples = c->pcm_rate / 1000 * ptime;
	c->priv = c + 1;
	rc = d->init(c, p);
	if (rc < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void codec_free(struct codec *c)
{
	if (!c)
		return;
	if (c->desc->fini)
		c->desc->fini(c);
	free(c);
}

int codec_fmtp_get(const char *fmtp, size_t len, const char *key, const char **val)
{
	size_t klen = strlen(key), i = 0;

	while (fmtp && i < len) {
		size_t start, end, vstart;

		while (i < len && (fmtp[i] == ' ' || fmtp[i] == ';'))
			i++;
		start = i;
		while (i < len && fmtp[i] != ';')
			i++;
		end = i;
		while (end > start && fmtp[end - 1] == ' ')
			end--;
		vstart = start;
		while (vstart < end && fmtp[vstart] != '=')
			vstart++;
		if (vstart < end && vstart - start == klen &&
		    strncasecmp(fmtp + start, key, klen) == 0) {
			*val = fmtp + vstart + 1;
			return (int)(end - vstart - 1);
		}
	}
	return -1;
}

long codec_fmtp_int(const char *fmtp, size_t len, const char *key, long dflt)
{
	const char *v;
	int n = codec_fmtp_get(fmtp, len, key, &v);
	long r = 0;

	if (n <= 0 || n > 9)
		return dflt;
	for (int i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return dflt;
		r = r * 10 + (v[i] - '0');
	}
	return r;
}
