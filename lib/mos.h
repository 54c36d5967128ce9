/*
 * mos.h: call quality as a Mean Opinion Score from the ITU-T G.107 E-model,
 * simplified the way media relays report it (rtpengine's default "G.107"
 * formula family): the transmission rating R from the one-way delay, the
 * jitter and the packet loss a stream shows, then MOS from R (G.107 annex B).
 *
 *   R  = 93.2 - Id - Ie_eff           (R0 - Is with G.107's default values)
 *   d  = RTT/2 + 2 * jitter + 10 ms   (network, jitter buffer, codec delay)
 *   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)   (Cole & Rosenbluth's fit)
 *   Ie_eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl)      (random loss, BurstR = 1)
 *   MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), 1 for R < 0, 4.5 for R > 100
 *
 * Ie and Bpl are G.113 appendix I's for G.711 with packet-loss concealment
 * (0 and 25.1): a relay does not know the far end's decoder, and G.711 is
 * the narrowband reference. Conversational quality needs the delay, hence
 * a round-trip time from RTCP; without one there is no MOS (mos_compute
 * says so), as rtpengine's default conversational mode does.
 *
 * Pure arithmetic: no state, no clocks. Control thread (query time).
 */
#ifndef RTPRELAY_MOS_H
#define RTPRELAY_MOS_H

#include <stdbool.h>
#include <stdint.h>

struct mos_input {
	int64_t rtt_us;	  /* round trip time, microseconds; < 0 = unknown */
	double jitter_ms; /* interarrival jitter (RFC 3550 A.8) */
	double loss_pct;  /* packets lost, percent of those expected (0..100) */
};

/* The R factor (0..100) of @in, ignoring rtt_us < 0 (as a zero delay). */
double mos_r_factor(const struct mos_input *in);
/* MOS (1.0..4.5) for a transmission rating @r. */
double mos_from_r(double r);
/* MOS x 10, rounded (rtpengine's integer form: 43 = 4.3) into *mos10.
 * false when the round trip time is unknown: no MOS then. */
bool mos_compute(const struct mos_input *in, int *mos10);

#endif
