/*
 * quality.c: see quality.h. The bounds follow what operators alert on:
 * loss in steps up to 20 %, jitter up to a jitter buffer's worth, MOS in
 * the bands of ITU-T G.107's user-satisfaction table.
 */
#include "daemon/quality.h"

#include <stdbool.h>

#include "daemon/call.h"
#include "dataplane/dataplane.h"
#include "lib/mos.h"

static const double loss_bounds[] = { 0, 0.5, 1, 2, 3, 5, 10, 20, 50 };
static const double jitter_bounds[] = { 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2 };
static const double mos_bounds[] = { 1.5, 2.0, 2.5, 3.0, 3.5, 3.8, 4.0, 4.2, 4.4 };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct quality_hists q;
static bool ready;

static void init(void)
{
	if (ready)
		return;
	histo_init(&q.loss_pct, loss_bounds, N(loss_bounds));
	histo_init(&q.jitter_s, jitter_bounds, N(jitter_bounds));
	histo_init(&q.mos, mos_bounds, N(mos_bounds));
	ready = true;
}

void quality_observe(double loss_pct, double jitter_ms, int mos10)
{
	init();
	histo_observe(&q.loss_pct, loss_pct);
	histo_observe(&q.jitter_s, jitter_ms / 1000.0);
	if (mos10 >= 0)
		histo_observe(&q.mos, mos10 / 10.0);
}

const struct quality_hists *quality_get(void)
{
	init();
	return &q;
}

double quality_loss_pct(const struct dp_stats *ds)
{
	return ds->expected ? 100.0 * (double)ds->lost / (double)ds->expected : 0.0;
}

int64_t quality_leg_us(const struct call_media *m)
{
	struct dp_stats ds;
	const struct call_stream *s = m->rtcp_mux || !m->rtcp.ep ? &m->rtp : &m->rtcp;

	if (!m->pair || !s->ep)
		return 0;
	dp_endpoint_stats(s->ep, &ds);
	return ds.rtt_leg_us;
}

int quality_mos10(const struct call_media *m, const struct call_media *peer,
		  const struct dp_stats *ds)
{
	int64_t rx_leg = peer ? quality_leg_us(peer) : 0, tx_leg = quality_leg_us(m);
	struct mos_input in = { .rtt_us = rx_leg || tx_leg ? rx_leg + tx_leg : -1,
				.jitter_ms = ds->jitter_ms,
				.loss_pct = quality_loss_pct(ds) };
	int mos10;

	return mos_compute(&in, &mos10) ? mos10 : -1;
}
