/*
 * quality.h: how the streams that ended sounded, for the Prometheus
 * histograms (daemon/metrics.c): RFC 3550 loss (percent of the packets
 * expected) and interarrival jitter of each RTP stream that received
 * packets, and its MOS (lib/mos.h) when a round trip was measured. One
 * sample per stream, taken when call.c releases it. Control thread only.
 */
#ifndef RTPRELAY_QUALITY_H
#define RTPRELAY_QUALITY_H

#include <stdint.h>

#include "lib/histo.h"

struct call_media;
struct dp_stats;

struct quality_hists {
	struct histo loss_pct, jitter_s, mos;
};

/* One RTP stream ended: @loss_pct 0..100, @jitter_ms, @mos10 (MOS x 10) or
 * < 0 when unknown. */
void quality_observe(double loss_pct, double jitter_ms, int mos10);
/* Loss of @ds in percent of the packets expected (0 when none expected). */
double quality_loss_pct(const struct dp_stats *ds);
/* The round trip of the RTCP leg between the relay and @m's party, from its
 * report blocks; 0 = none measured (media without sockets too). */
int64_t quality_leg_us(const struct call_media *m);
/* MOS x 10 of the RTP @ds that @m's party sends, received by @peer's party
 * (NULL: none), as query shows it (daemon/query.c): jitter and loss as the
 * relay received it, the round trip of both legs; -1 without a round trip. */
int quality_mos10(const struct call_media *m, const struct call_media *peer,
		  const struct dp_stats *ds);
/* The histograms so far. */
const struct quality_hists *quality_get(void);

#endif
