/* hist.h: log-linear latency histogram (64 sub-buckets per power of two, ~1.6 %
 * resolution) over nanoseconds; fixed size, no allocation after init. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS 6
#define HIST_MAX_EXP 42 /* ~73 minutes in ns: anything larger is clamped */
#define HIST_BUCKETS ((HIST_MAX_EXP - HIST_SUB_BITS + 2) << HIST_SUB_BITS)

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t b[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, uint64_t ns);
/* Value (ns) below which a fraction q (0..1) of the samples lie; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
/* Writes "latency_us fraction" lines (the CDF) for every non-empty bucket. */
void hist_write_cdf(const struct hist *h, FILE *f);

#endif
