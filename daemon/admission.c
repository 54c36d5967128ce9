/*
 * admission.c: the admission limits (admission.h). Readings are kept in
 * struct admission by the control thread's timer; admission_check only
 * compares them, so an offer costs no system call for them.
 */
#include "daemon/admission.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"

/* The reasons as objects of this file, so that admission_is_refusal can tell
 * them from every other error text by address. */
static const char r_sessions[] = ADM_REASON_SESSIONS;
static const char r_load[] = ADM_REASON_LOAD;
static const char r_cpu[] = ADM_REASON_CPU;
static const char r_bandwidth[] = ADM_REASON_BANDWIDTH;
static const char r_drain[] = ADM_REASON_DRAIN;

bool admission_is_refusal(const char *err)
{
	return err && (err == r_sessions || err == r_load || err == r_cpu || err == r_bandwidth ||
		       err == r_drain);
}

int admission_parse_loadavg(const char *text, double *load1)
{
	char *end;
	double v;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || (*end != ' ' && *end != '\n' && *end != '\0') || !(v >= 0.0))
		return -EINVAL;
	*load1 = v;
	return 0;
}

/* One unsigned decimal field after blanks; advances *p. */
static int stat_field(const char **p, uint64_t *out)
{
	const char *s = *p;
	char *end;
	unsigned long long v;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	*out = v;
	*p = end;
	return 0;
}

int admission_parse_stat(const char *text, uint64_t *used, uint64_t *idle)
{
	const char *p = text;
	uint64_t user, nice, sys, id;

	if (strncmp(p, "cpu ", 4) != 0)
		return -EINVAL;
	p += 4;
	if (stat_field(&p, &user) || stat_field(&p, &nice) || stat_field(&p, &sys) ||
	    stat_field(&p, &id))
		return -EINVAL;
	*used = user + nice + sys;
	*idle = id;
	return 0;
}

/* The start of /proc/<name> (or RTPRELAY_PROC_DIR/<name>) into @buf. */
static int read_proc(const struct admission *a, const char *name, char *buf, size_t cap)
{
	char path[sizeof(a->proc_dir) + 16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", a->proc_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void sample_load(struct admission *a)
{
	char buf[128];
	double v;

	if (read_proc(a, "loadavg", buf, sizeof(buf)) == 0 &&
	    admission_parse_loadavg(buf, &v) == 0) {
		a->load = v;
		a->have_load = true;
		a->warned_load = false;
	} else if (!a->warned_load) {
		a->warned_load = true;
		log_warn("max-load: cannot read the load average from %s/loadavg", a->proc_dir);
	}
}

static void sample_cpu(struct admission *a)
{
	char buf[512];
	uint64_t used, idle;

	if (read_proc(a, "stat", buf, sizeof(buf)) || admission_parse_stat(buf, &used, &idle)) {
		if (!a->warned_cpu) {
			a->warned_cpu = true;
			log_warn("max-cpu: cannot read the CPU times from %s/stat", a->proc_dir);
		}
		return;
	}
	a->warned_cpu = false;
	/* counters that went backwards (a fake file, a wrap) start a new interval */
	if (a->cpu_primed && used >= a->cpu_used && idle >= a->cpu_idle) {
		uint64_t du = used - a->cpu_used, di = idle - a->cpu_idle;
		if (du + di > 0) {
			a->cpu_pct = (double)du * 100.0 / (double)(du + di);
			a->have_cpu = true;
		}
	}
	a->cpu_used = used;
	a->cpu_idle = idle;
	a->cpu_primed = true;
}

static void sample_bandwidth(struct admission *a, uint64_t now_ms)
{
	struct dp_totals t;

	dp_totals(&t);
	if (a->bw_primed && now_ms > a->bw_ms && t.bytes >= a->bw_bytes) {
		a->bw_bps = (t.bytes - a->bw_bytes) * 1000 / (now_ms - a->bw_ms);
		a->have_bw = true;
	}
	a->bw_bytes = t.bytes;
	a->bw_ms = now_ms;
	a->bw_primed = true;
}

static void sample(struct admission *a, uint64_t now_ms)
{
	a->last_ms = now_ms;
	if (a->cfg->max_load > 0)
		sample_load(a);
	if (a->cfg->max_cpu > 0)
		sample_cpu(a);
	if (a->cfg->max_bandwidth > 0)
		sample_bandwidth(a, now_ms);
}

void admission_init(struct admission *a, const struct rtprelay_config *cfg, uint64_t now_ms)
{
	const char *dir = getenv("RTPRELAY_PROC_DIR");

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	if (!dir || !dir[0] || strlen(dir) >= sizeof(a->proc_dir))
		dir = "/proc";
	strcpy(a->proc_dir, dir);
	sample(a, now_ms);
}

void admission_tick(struct admission *a, uint64_t now_ms)
{
	if (now_ms - a->last_ms < 1000)
		return;
	if (a->cfg->max_load > 0 || a->cfg->max_cpu > 0 || a->cfg->max_bandwidth > 0)
		sample(a, now_ms);
}

const char *admission_check(const struct admission *a, const struct rtprelay_config *cfg,
			    unsigned sessions, const char *call_id)
{
	char kv[300];

	call_id = log_kv(kv, sizeof(kv), call_id);
	if (a && a->draining) {
		log_notice("call refused call-id=%s: draining", call_id);
		return r_drain;
	}
	if (cfg->max_sessions && sessions >= cfg->max_sessions) {
		log_warn("call refused call-id=%s: max-sessions %u reached", call_id,
			 cfg->max_sessions);
		return r_sessions;
	}
	if (!a)
		return NULL;
	if (cfg->max_load > 0 && a->have_load && a->load > cfg->max_load) {
		log_warn("call refused call-id=%s: load average %.2f exceeds max-load %.2f",
			 call_id, a->load, cfg->max_load);
		return r_load;
	}
	if (cfg->max_cpu > 0 && a->have_cpu && a->cpu_pct > cfg->max_cpu) {
		log_warn("call refused call-id=%s: CPU usage %.1f%% exceeds max-cpu %.1f%%",
			 call_id, a->cpu_pct, cfg->max_cpu);
		return r_cpu;
	}
	if (cfg->max_bandwidth > 0 && a->have_bw && a->bw_bps > cfg->max_bandwidth) {
		log_warn("call refused call-id=%s: %" PRIu64
			 " bytes/s received exceeds max-bandwidth %" PRIu64,
			 call_id, a->bw_bps, cfg->max_bandwidth);
		return r_bandwidth;
	}
	return NULL;
}
