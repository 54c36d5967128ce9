/*
 * timeline.c: a track on the call's timeline (timeline.h).
 */
#include "recording/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int timeline_init(struct timeline *t, uint32_t cap, struct wav_writer *out)
{
	memset(t, 0, sizeof(*t));
	t->acc = calloc(cap, sizeof(*t->acc));
	if (!t->acc)
		return -ENOMEM;
	t->cap = cap;
	t->out = out;
	return 0;
}

void timeline_fini(struct timeline *t)
{
	free(t->acc);
	t->acc = NULL;
}

int timeline_flush(struct timeline *t, uint64_t upto)
{
	int16_t chunk[1024];
	int rc = 0;

	while (t->base < upto) {
		uint32_t n = upto - t->base > 1024 ? 1024 : (uint32_t)(upto - t->base);
		for (uint32_t i = 0; i < n; i++) {
			int32_t *s = &t->acc[(t->base + i) % t->cap];
			chunk[i] = (int16_t)(*s > 32767 ? 32767 : *s < -32768 ? -32768 : *s);
			*s = 0;
		}
		if (t->out) {
			int r = wav_append(t->out, chunk, n);
			if (r)
				rc = r;
		}
		t->base += n;
	}
	return rc;
}

void timeline_add(struct timeline *t, uint64_t pos, const int16_t *pcm, uint32_t n)
{
	if (pos < t->base) {
		uint64_t skip = t->base - pos;
		if (skip >= n) {
			t->late += n;
			return;
		}
		t->late += skip;
		pcm += skip;
		n -= (uint32_t)skip;
		pos = t->base;
	}
	if (n > t->cap) { /* more than the window at once: keep the newest part */
		t->late += n - t->cap;
		pcm += n - t->cap;
		pos += n - t->cap;
		n = t->cap;
	}
	if (pos + n > t->base + t->cap)
		timeline_flush(t, pos + n - t->cap);
	for (uint32_t i = 0; i < n; i++)
		t->acc[(pos + i) % t->cap] += pcm[i];
}
