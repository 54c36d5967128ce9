/*
 * metrics.h: the Prometheus text exposition of /metrics (docs/metrics.md
 * lists every name and its rtpengine counterpart), rendered on the control
 * thread from what it owns (calls, totals, ng command counters, port pools)
 * and what the data plane publishes (dp_totals, per-endpoint snapshots,
 * worker CPU clocks). Nothing here runs per packet.
 *
 * ng commands: commands.c reports each handled message (metrics_ng_observe);
 * the counters and latency histograms live here. Control thread only.
 */
#ifndef RTPRELAY_METRICS_H
#define RTPRELAY_METRICS_H

#include <stdint.h>

#include "lib/strbuf.h"

struct daemon_ctx;
struct operate;
struct httpd;

/* Result labels of ng commands. */
enum metrics_result {
	MR_OK,
	MR_ERROR,
	MR_LOAD_LIMIT,
	MR_N
};

/* One ng message handled: @cmd an enum ng_command, or < 0 when the message
 * named none (undecodable, unknown command); @us its handling time. */
void metrics_ng_observe(int cmd, enum metrics_result result, uint64_t us);

struct metrics_src {
	const struct daemon_ctx *ctx;
	const struct operate *op;
	const struct httpd *http; /* NULL = no listener counters */
	uint64_t render_us;	  /* how long the previous rendering took */
};

/* Append the whole exposition to @b. @now_ms: CLOCK_MONOTONIC ms. */
void metrics_render(struct strbuf *b, const struct metrics_src *src, uint64_t now_ms);

#endif
