/*
 * admission.h: whether a new call may be created, with rtpengine's limits and
 * words: `max-sessions`, `max-load` (1-minute load average), `max-cpu` (CPU
 * usage in percent) and `max-bandwidth` (media bytes received per second).
 *
 * Only the creation of a call is refused: an offer or answer for a call that
 * exists goes on whatever the readings say. The readings are taken on the
 * control thread's timer, at most once a second and only for the limits that
 * are configured, from /proc/loadavg, /proc/stat (as rtpengine: user + nice +
 * system against idle, over the interval since the previous reading) and the
 * data plane's summed receive counters (dp_totals: user space and the kernel
 * path); the packet path does nothing for them.
 *
 * The environment variable RTPRELAY_PROC_DIR, when set, names a directory read
 * instead of /proc (its files `loadavg` and `stat`): the integration tests use
 * it to give the daemon readings they control.
 */
#ifndef RTPRELAY_ADMISSION_H
#define RTPRELAY_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

struct rtprelay_config;

/* rtpengine's reasons (its `message` with `supports: ["load limit"]`). */
#define ADM_REASON_SESSIONS  "Parallel session limit reached"
#define ADM_REASON_CPU	     "CPU usage limit exceeded"
#define ADM_REASON_LOAD	     "Load limit exceeded"
#define ADM_REASON_BANDWIDTH "Bandwidth limit exceeded"
/* rtprelay's own: `rtprelay-ctl drain` (daemon/operate.h) */
#define ADM_REASON_DRAIN     "Relay is draining: no new calls"

struct admission {
	const struct rtprelay_config *cfg;
	char proc_dir[200];
	uint64_t last_ms; /* last sampling, for the once-a-second bound */
	/* the readings; a `have_` flag is false until one was taken */
	bool have_load, have_cpu, have_bw;
	double load;	 /* 1-minute load average */
	double cpu_pct;	 /* CPU usage over the last interval, 0..100 */
	uint64_t bw_bps; /* media bytes received per second over the last interval */
	/* what the next interval is measured against */
	bool cpu_primed, bw_primed;
	uint64_t cpu_used, cpu_idle;  /* /proc/stat ticks */
	uint64_t bw_bytes, bw_ms;     /* dp_totals bytes and when they were read */
	bool warned_load, warned_cpu; /* a failed read is logged once */
	/* drained (daemon/operate.h): every new call is refused, before any
	 * other limit is looked at */
	bool draining;
};

/* Keep @cfg; take the first readings (the load at once, the CPU and bandwidth
 * baselines; those two have readings a second later). Nothing is read for a
 * limit that is off. */
void admission_init(struct admission *a, const struct rtprelay_config *cfg, uint64_t now_ms);
/* Control thread's timer: new readings if a second has passed since the last. */
void admission_tick(struct admission *a, uint64_t now_ms);

/* NULL if call @call_id may be created now with @sessions calls in the table,
 * otherwise the reason (one of the ADM_REASON_ strings, in rtpengine's order
 * of checking: sessions, load, CPU, bandwidth; a draining relay refuses
 * first). @a may be NULL: then only
 * max-sessions of @cfg counts. Logs the refusal with the reading. */
const char *admission_check(const struct admission *a, const struct rtprelay_config *cfg,
			    unsigned sessions, const char *call_id);
/* @err is a reason admission_check returned (compared by address). */
bool admission_is_refusal(const char *err);

/* Parsers of the /proc texts (exposed for the unit tests). 0 or -EINVAL. */
int admission_parse_loadavg(const char *text, double *load1);
/* The first "cpu " line: @used = user + nice + system, @idle = idle. */
int admission_parse_stat(const char *text, uint64_t *used, uint64_t *idle);

#endif
