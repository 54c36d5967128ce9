/*
 * histo.c: see histo.h.
 */
#include "lib/histo.h"

#include <string.h>

void histo_init(struct histo *h, const double *bounds, unsigned n)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->n = n > HISTO_MAX_BUCKETS ? HISTO_MAX_BUCKETS : n;
}

void histo_observe(struct histo *h, double v)
{
	unsigned i = 0;

	while (i < h->n && v > h->bounds[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

void histo_render(struct strbuf *b, const char *name, const char *labels, const struct histo *h)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t cum = 0;

	for (unsigned i = 0; i <= h->n; i++) {
		cum += h->counts[i];
		if (i < h->n)
			strbuf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
				      h->bounds[i], (unsigned long long)cum);
		else
			strbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
				      (unsigned long long)cum);
	}
	strbuf_printf(b, "%s_sum%s%s%s %.9g\n", name, labels[0] ? "{" : "", labels,
		      labels[0] ? "}" : "", h->sum);
	strbuf_printf(b, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
		      labels[0] ? "}" : "", (unsigned long long)h->count);
}
