/* xquality_signal.c: loads or synthesizes the test signal and derives its 8 and 16 kHz
 * copies from the 48 kHz one (see xquality_signal.h). */
#include "bench/xquality_signal.h"

#include "bench/voice.h"
#include "bench/xquality_rate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned rates[XQ_RATES] = {8000, 16000, 48000};

#define FRAME48 960 /* 20 ms at 48 kHz */

/* G.711 mu-law to linear (ITU-T G.711: bits inverted, segment and mantissa, bias 0x84). */
static int16_t mulaw_linear(uint8_t u)
{
	int v;

	u = (uint8_t)~u;
	v = ((u & 0x0f) << 3) + 0x84;
	v <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? 0x84 - v : v - 0x84);
}

static int load_file(const char *path, size_t max_n, int16_t **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t b[2];
	int16_t *p;
	size_t k = 0;

	if (!f)
		return -errno;
	p = calloc(max_n, sizeof(*p));
	if (!p) {
		fclose(f);
		return -ENOMEM;
	}
	while (k < max_n && fread(b, 1, 2, f) == 2)
		p[k++] = (int16_t)(b[0] | b[1] << 8);
	fclose(f);
	*out = p;
	*n = k;
	return k ? 0 : -ENODATA;
}

/* voice.c's one second at 8 kHz, repeated to max_n / 6 samples, then to 48 kHz. */
static int synthesize(size_t max_n, int16_t **out, size_t *n)
{
	static uint8_t v[VOICE_FRAMES][VOICE_FRAME];
	size_t n8 = max_n / 6;
	int16_t *p = calloc(n8 ? n8 : 1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	voice_fill(v);
	for (size_t i = 0; i < n8; i++)
		p[i] = mulaw_linear(v[(i / VOICE_FRAME) % VOICE_FRAMES][i % VOICE_FRAME]);
	r = xq_rate_convert(p, n8, 8000, 48000, out, n);
	free(p);
	return r;
}

int xq_signal_load(struct xq_signal *s, const char *path, double max_s)
{
	size_t max_n = (size_t)(max_s * 48000), n;
	int16_t *p;
	int r;

	memset(s, 0, sizeof(*s));
	if (max_s < 1 || max_s > 120)
		return -EINVAL;
	r = path ? load_file(path, max_n, &p, &n) : synthesize(max_n, &p, &n);
	if (r)
		return r;
	n -= n % FRAME48;
	if (n < 50 * FRAME48) { /* under a second */
		free(p);
		return -ENODATA;
	}
	s->source = path ? "file" : "synthetic";
	s->frames = (unsigned)(n / FRAME48);
	s->pcm[2] = p;
	s->n[2] = n;
	for (int i = 0; i < 2; i++) {
		r = xq_rate_convert(p, n, 48000, rates[i], &s->pcm[i], &s->n[i]);
		if (r) {
			xq_signal_free(s);
			return r;
		}
	}
	return 0;
}

const int16_t *xq_signal_at(const struct xq_signal *s, unsigned rate, size_t *n)
{
	for (int i = 0; i < XQ_RATES; i++)
		if (rates[i] == rate) {
			*n = s->n[i];
			return s->pcm[i];
		}
	return NULL;
}

void xq_signal_free(struct xq_signal *s)
{
	for (int i = 0; i < XQ_RATES; i++)
		free(s->pcm[i]);
	memset(s, 0, sizeof(*s));
}
