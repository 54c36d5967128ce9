/* hist.c: log-linear histogram. Bucket i < 64 holds exactly i ns; above that each power
 * of two [2^e, 2^(e+1)) is split into 64 equal sub-buckets. */
#include "bench/hist.h"

#include <string.h>

#define SUB (1u << HIST_SUB_BITS)

static unsigned bucket_of(uint64_t v)
{
	unsigned e;

	if (v < SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	if (e > HIST_MAX_EXP) {
		e = HIST_MAX_EXP;
		v = (2ull << HIST_MAX_EXP) - 1;
	}
	return SUB + (e - HIST_SUB_BITS) * SUB + (unsigned)((v >> (e - HIST_SUB_BITS)) - SUB);
}

/* Upper bound of bucket i, so that quantiles never under-report. */
static uint64_t bucket_top(unsigned i)
{
	unsigned e, m;

	if (i < SUB)
		return i;
	e = (i - SUB) / SUB + HIST_SUB_BITS;
	m = (i - SUB) % SUB;
	return ((uint64_t)(SUB + m + 1) << (e - HIST_SUB_BITS)) - 1;
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t ns)
{
	h->b[bucket_of(ns)]++;
	h->count++;
	if (ns > h->max)
		h->max = ns;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			uint64_t top = bucket_top(i);

			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}

void hist_write_cdf(const struct hist *h, FILE *f)
{
	uint64_t seen = 0;

	if (!h->count)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		seen += h->b[i];
		fprintf(f, "%.3f %.6f\n", (double)bucket_top(i) / 1000.0,
			(double)seen / (double)h->count);
	}
}
