/*
 * histo.h: a Prometheus-style histogram with fixed bucket bounds (cumulative
 * when rendered), for figures the control thread observes (ng command
 * latency, stream quality at the end of a stream). Not for the packet path.
 */
#ifndef RTPRELAY_HISTO_H
#define RTPRELAY_HISTO_H

#include <stdint.h>

#include "lib/strbuf.h"

#define HISTO_MAX_BUCKETS 16

struct histo {
	const double *bounds;			/* ascending upper bounds, +Inf implied */
	unsigned n;				/* how many, <= HISTO_MAX_BUCKETS */
	uint64_t counts[HISTO_MAX_BUCKETS + 1]; /* per bucket, not cumulative */
	uint64_t count;
	double sum;
};

void histo_init(struct histo *h, const double *bounds, unsigned n);
void histo_observe(struct histo *h, double v);
/* The _bucket/_sum/_count lines of metric @name with the extra labels
 * @labels ("" or `a="b",c="d"`, already escaped). No HELP/TYPE lines. */
void histo_render(struct strbuf *b, const char *name, const char *labels, const struct histo *h);

#endif
