/* lg_media.h: the load generator's media engine: paced RTP out of one raw socket with
 * sendmmsg, receive with epoll + recvmmsg on one socket per side, kernel receive
 * timestamps, latency histogram, loss count, relay/generator/machine CPU over the
 * measurement window.
 *
 * Why a raw socket: one sendmmsg on one socket for every stream costs the generator far
 * less than one send per endpoint socket, which leaves it headroom to load the relay.
 * Each packet still carries its endpoint's own source address and port, so the relay sees
 * exactly what per-endpoint sockets would send. */
#ifndef BENCH_LG_MEDIA_H
#define BENCH_LG_MEDIA_H

#include "bench/hist.h"
#include "bench/lg_calls.h"
#include "bench/msdp.h"
#include "bench/procstat.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lg_media;

struct lg_point_cfg {
	double pps;          /* per stream; <= 0 means flood (as fast as possible) */
	double warmup_pps;   /* flood only: > 0 paces the warm-up at this rate per stream and
			      * floods from the window on (a relay that needs its streams to
			      * settle first, like a kernel offload, gets them settled) */
	double warmup_s;     /* sent, not measured */
	double slow_s;       /* paced runs: the warm-up's first slow_s seconds at a tenth of
			      * the rate (calls start, latch and settle, e.g. into a kernel
			      * offload, without all of them loading the relay at once) */
	double measure_s;    /* the window every figure is taken over */
	double drain_s;      /* max wait for late packets after sending stops */
	pid_t relay_pid;     /* 0: no relay CPU/RSS figures */
	const char *label;   /* progress line prefix */
};

struct lg_point_res {
	unsigned calls;
	double measure_s;
	uint64_t sent, received;      /* measured packets */
	uint64_t stale, bad, misrouted;
	double offered_pps, delivered_pps, loss_pct;
	uint64_t p50_ns, p99_ns, max_ns;
	double relay_cpu_pct;         /* relay process utime+stime / window */
	double relay_ns_per_pkt;      /* relay process CPU per delivered packet */
	double sys_ns_per_pkt;        /* (machine busy - generator) per delivered packet */
	double softirq_pct;           /* machine softirq time / window (100 % = one core),
				       * tick-sampled */
	double machine_busy_pct;      /* every core's busy time / window (100 % = one core):
				       * minus the same of a run without relay, the relay's cost */
	double window_s;              /* the snapshots' actual distance (the figures' window) */
	double core_busy_pct[SYS_CPU_CORES]; /* the same per core (cpu0, cpu1, ...) */
	unsigned ncores;              /* entries of core_busy_pct filled */
	double others_cpu_pct;        /* every other user-space process's CPU (not the
				       * generator's, not the relay's) / window */
	int64_t backlog_drops;        /* machine-wide input backlog drops, window + drain */
	double ipi_per_pkt;           /* inter-processor interrupts per delivered packet */
	double tick_busy_pct;         /* the same as /proc/stat's tick sampled it (unreliable:
				       * see procstat.h), for comparison */
	double gen_cpu_pct;
	double gen_lag_max_ms;        /* worst lateness of the pacer */
	int64_t relay_rss_kb;         /* at the start of the window */
	/* transcoding runs only (no marker survives a transcoder): */
	int transcode;
	uint64_t untranscoded;        /* arrived with the sender's payload type */
	double seq_loss_pct;          /* from the relay's output sequence numbers */
	double delay_growth_ms;       /* how much later the window's packets left than entered */
	unsigned silent_streams;      /* streams of which nothing arrived in the window */
	int first_silent;             /* lowest such stream index (2*call + dir), -1: none */
	/* plain runs only: */
	unsigned calls_alive_end;     /* calls with measured media arriving both ways in the
				       * window's last second */
	uint64_t gap_max_ns;          /* longest silence between two measured arrivals on one
				       * stream of those calls (kernel receive times) */
};

/* Opens the raw sender and the two receive sockets; max_streams bounds set_calls.
 * codec_b NULL or PCMU: plain forwarding, every packet marked and timed. Otherwise
 * side B sends codec_b and the run counts, per stream, what arrives in the measurement
 * window (by kernel receive time) with the payload type the other side negotiated:
 * loss is what never arrived (whole run, after the drain, or sequence gaps), and a relay
 * that falls behind shows its delay growing across the window; latency itself is not
 * measured. */
int lg_media_open(struct lg_media **out, uint16_t a_port, uint16_t b_port, unsigned max_streams,
		  size_t payload, const struct msdp_codec *codec_b);
void lg_media_close(struct lg_media *m);

/* Builds one packet template per stream (two per call) from the calls set up. */
/* Side A as an SDES-SRTP phone: encrypts what it sends, decrypts what it receives, with
 * the keys of bench/lg_srtp.h (the calls' relay_key). Before lg_media_set_calls. */
int lg_media_set_srtp(struct lg_media *m, int on);
int lg_media_set_calls(struct lg_media *m, const struct lg_call *calls, unsigned ncalls);

/* Runs one load point and fills res. The histogram of the window stays readable with
 * lg_media_hist until the next run. */
int lg_media_run(struct lg_media *m, const struct lg_point_cfg *cfg, struct lg_point_res *res);
const struct hist *lg_media_hist(const struct lg_media *m);

#endif
