/*
 * mos.c: the simplified G.107 E-model (see mos.h for the formulae).
 */
#include "lib/mos.h"

#include <math.h>

/* G.113 appendix I, G.711 with packet-loss concealment. */
#define IE_G711	       0.0
#define BPL_G711       25.1
/* R0 - Is with every G.107 default parameter. */
#define R_BASE	       93.2
/* Codec and packetisation delay added to the network's one way delay. */
#define CODEC_DELAY_MS 10.0

double mos_r_factor(const struct mos_input *in)
{
	double jitter = in->jitter_ms > 0 ? in->jitter_ms : 0;
	double loss = in->loss_pct > 0 ? (in->loss_pct < 100 ? in->loss_pct : 100) : 0;
	double d = (in->rtt_us > 0 ? (double)in->rtt_us / 2000.0 : 0) + 2 * jitter + CODEC_DELAY_MS;
	double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
	double ie = IE_G711 + (95.0 - IE_G711) * loss / (loss + BPL_G711);
	double r = R_BASE - id - ie;

	return r < 0 ? 0 : (r > 100 ? 100 : r);
}

double mos_from_r(double r)
{
	if (r <= 0)
		return 1.0;
	if (r >= 100)
		return 4.5;
	return 1.0 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

bool mos_compute(const struct mos_input *in, int *mos10)
{
	if (in->rtt_us < 0)
		return false;
	*mos10 = (int)lround(mos_from_r(mos_r_factor(in)) * 10.0);
	return true;
}
