/* loadgen.c: rtprelay's load generator. Sets up N calls on an ng relay (bencode over
 * UDP: offer from side A, answer from side B), sends PCMU-sized RTP both ways at a fixed
 * per-stream rate, measures delivery, loss, one-way latency and the relay's CPU and
 * memory, then deletes the calls. Modes:
 *   fixed   one load point of --calls calls
 *   ramp    add --step calls at a time from --start until loss or median latency crosses
 *           its limit (or --max); reports the most calls that passed
 *   flood   --calls calls, every stream sent as fast as the generator can (saturation);
 *           --paced-warmup: at --pps until the measurement window starts
 *   noise   spin --duration seconds on this core and report the time it was taken
 *           away (interrupts, other tasks, the hypervisor): the machine's noise
 *   ping    exit 0 as soon as the relay answers an ng ping (readiness check)
 * --codec-b other than pcmu makes every call a transcoded one (side A PCMU, side B the
 * codec, the offer carrying ng "codec" → "transcode").
 * --direct (fixed, flood): no relay, no ng; each side sends straight to the other side's
 * endpoint: the generator alone, the baseline that whole-machine CPU figures subtract.
 * --addrs A,B: the endpoint address bases (/16 each; default 127.1.0.0,127.2.0.0 on lo).
 *   control control plane: offer+answer+delete cycles per second with one client, and
 *           the relay's RSS per established call (--calls calls, no media)
 * Output: progress on stderr, a human table and one "JSON {...}" line per result on
 * stdout. Libc only, so that it builds anywhere the relay under test runs. */
#include "bench/hist.h"
#include "bench/lg_calls.h"
#include "bench/ngclient.h"
#include "bench/lg_media.h"
#include "bench/msdp.h"
#include "bench/procstat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *mode, *relay, *cdf;
	const struct msdp_codec *codec_b;
	struct in_addr ng_addr;
	uint16_t ng_port, a_port, b_port;
	uint32_t base_a, base_b;   /* endpoint /16 per side, host order */
	pid_t pid;
	unsigned calls, start, step, max;
	double pps, warmup, measure, drain, max_loss, max_p50_us, max_growth_ms, step_pct, slow;
	size_t payload;
	int fresh, direct, paced_warmup, srtp;
	int record; /* every offer asks for recording ("record call": "yes") */
};

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen [--mode fixed|ramp|flood|control|ping|noise] [--ng 127.0.0.1:2223]\n"
		"  [--pid RELAY_PID] [--relay NAME] [--calls N] [--pps 50] [--payload 160]\n"
		"  [--warmup 2] [--duration 5] [--drain 2] [--cdf FILE]\n"
		"  ramp: [--start 100] [--step 100] [--max 3000] [--max-loss 0.1]\n"
		"        [--max-p50-us 1000] [--max-growth-ms 100 (transcoding)]\n"
		"        [--fresh]  every step with new calls (media never pauses in a call)\n"
		"        [--step-pct P]  steps grow to P %% of the calls when that exceeds --step\n"
		"  [--ports 10000,10002]  generator ports of side A and side B\n"
		"  [--addrs 127.1.0.0,127.2.0.0]  endpoint address bases (/16) of side A and B\n"
		"  [--direct]  fixed/flood without relay: A sends to B's endpoint and B to A's\n"
		"  [--paced-warmup]  flood: warm up at --pps, flood from the window on\n"
		"  [--slow-start S]  the warm-up's first S seconds at a tenth of the rate\n"
		"  [--record]  every call recorded (the relay needs a recording-dir)\n"
		"  [--codec-b pcmu|g722|g729|opus]  side B's only codec; not pcmu: the offer\n"
		"        asks the relay to transcode (channels per core; no latency figures)\n"
		"  [--srtp]  side A is an SDES-SRTP phone (AES_CM_128_HMAC_SHA1_80), side B\n"
		"        plain: the relay decrypts A->B and encrypts B->A\n");
}

/* "A,B": two IPv4 /16 bases (low 16 bits zero), distinct. */
static int parse_bases(const char *s, uint32_t *a, uint32_t *b)
{
	char buf[40], *comma;
	struct in_addr x, y;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (!comma)
		return -EINVAL;
	*comma = 0;
	if (inet_pton(AF_INET, buf, &x) != 1 || inet_pton(AF_INET, comma + 1, &y) != 1)
		return -EINVAL;
	*a = ntohl(x.s_addr);
	*b = ntohl(y.s_addr);
	return (*a & 0xffffu) || (*b & 0xffffu) || *a == *b ? -EINVAL : 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"mode", 1, 0, 'm'},   {"ng", 1, 0, 'n'},       {"pid", 1, 0, 'p'},
		{"relay", 1, 0, 'r'},  {"calls", 1, 0, 'c'},    {"pps", 1, 0, 'R'},
		{"payload", 1, 0, 'L'}, {"warmup", 1, 0, 'w'},  {"duration", 1, 0, 'd'},
		{"drain", 1, 0, 'D'},  {"cdf", 1, 0, 'C'},      {"start", 1, 0, 's'},
		{"step", 1, 0, 'S'},   {"max", 1, 0, 'M'},      {"max-loss", 1, 0, 'l'},
		{"max-p50-us", 1, 0, 'P'}, {"ports", 1, 0, 'o'}, {"codec-b", 1, 0, 'B'},
		{"max-growth-ms", 1, 0, 'G'}, {"fresh", 0, 0, 'F'}, {"step-pct", 1, 0, 'T'},
		{"addrs", 1, 0, 'A'},  {"direct", 0, 0, 'X'}, {"paced-warmup", 0, 0, 'W'},
		{"slow-start", 1, 0, 'Z'}, {"srtp", 0, 0, 'E'},
		{"record", 0, 0, 'K'},
		{"help", 0, 0, 'h'},
		{0, 0, 0, 0}};
	int c;

	*o = (struct opts){.mode = "fixed", .relay = "relay", .ng_port = 2223, .a_port = 10000,
			   .b_port = 10002, .calls = 100, .start = 100, .step = 100, .max = 3000,
			   .pps = 50, .warmup = 2, .measure = 5, .drain = 2, .max_loss = 0.1,
			   .max_p50_us = 1000, .max_growth_ms = 100, .payload = 160,
			   .codec_b = &msdp_pcmu, .base_a = 0x7f010000u, .base_b = 0x7f020000u};
	inet_pton(AF_INET, "127.0.0.1", &o->ng_addr);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->mode = optarg; break;
		case 'E': o->srtp = 1; break;
		case 'n': if (ng_parse_hostport(optarg, &o->ng_addr, &o->ng_port)) return -EINVAL; break;
		case 'p': o->pid = (pid_t)atoi(optarg); break;
		case 'K': o->record = 1; break;
		case 'r': o->relay = optarg; break;
		case 'c': o->calls = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': o->pps = atof(optarg); break;
		case 'L': o->payload = strtoul(optarg, NULL, 10); break;
		case 'w': o->warmup = atof(optarg); break;
		case 'd': o->measure = atof(optarg); break;
		case 'D': o->drain = atof(optarg); break;
		case 'C': o->cdf = optarg; break;
		case 'B':
			o->codec_b = msdp_codec_find(optarg);
			if (!o->codec_b)
				return -EINVAL;
			break;
		case 's': o->start = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': o->step = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'M': o->max = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': o->max_loss = atof(optarg); break;
		case 'P': o->max_p50_us = atof(optarg); break;
		case 'G': o->max_growth_ms = atof(optarg); break;
		case 'F': o->fresh = 1; break;
		case 'X': o->direct = 1; break;
		case 'W': o->paced_warmup = 1; break;
		case 'Z': o->slow = atof(optarg); break;
		case 'A':
			if (parse_bases(optarg, &o->base_a, &o->base_b))
				return -EINVAL;
			break;
		case 'T': o->step_pct = atof(optarg); break;
		case 'o': {
			unsigned a, b;

			if (sscanf(optarg, "%u,%u", &a, &b) != 2 || !a || !b || a > 65535 || b > 65535)
				return -EINVAL;
			o->a_port = (uint16_t)a;
			o->b_port = (uint16_t)b;
			break;
		}
		default: return -EINVAL;
		}
	}
	if (o->calls == 0 || o->calls > LG_MAX_CALLS || o->max > LG_MAX_CALLS || o->step == 0 ||
	    o->measure <= 0)
		return -EINVAL;
	/* without a relay there is no transcoder, no control plane and no relay process */
	if (o->direct && (o->codec_b != &msdp_pcmu || o->pid ||
			  (strcmp(o->mode, "fixed") && strcmp(o->mode, "flood"))))
		return -EINVAL;
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_header(void)
{
	printf("%-10s %-6s %6s %9s %9s %7s %9s %9s %9s %7s %8s %8s %6s %6s %8s\n", "relay",
	       "mode", "calls", "offer/s", "deliv/s", "loss%", "p50(us)", "p99(us)", "max(us)",
	       "cpu%", "ns/pkt", "sysns/p", "gen%", "busy%", "B/call");
}

static void print_point(const struct opts *o, const char *mode, const struct lg_point_res *r,
			double rss_per_call, double setup_s)
{
	char cores[16 * SYS_CPU_CORES] = "";

	if (o->srtp && strcmp(mode, "fixed") == 0)
		mode = "srtp"; /* SRTP<->RTP: reported apart from plain forwarding */
	else if (o->srtp && strcmp(mode, "ramp") == 0)
		mode = "srtp_ramp";
	for (unsigned c = 0, n = 0; c < r->ncores; c++)
		n += (unsigned)snprintf(cores + n, sizeof(cores) - n, "%s%.2f", c ? "," : "",
					r->core_busy_pct[c]);

	printf("%-10s %-6s %6u %9.0f %9.0f %7.3f %9.1f %9.1f %9.1f %7.1f %8.0f %8.0f %6.1f %6.1f "
	       "%8.0f\n", o->relay, mode, r->calls, r->offered_pps, r->delivered_pps, r->loss_pct,
	       (double)r->p50_ns / 1e3, (double)r->p99_ns / 1e3, (double)r->max_ns / 1e3,
	       r->relay_cpu_pct, r->relay_ns_per_pkt, r->sys_ns_per_pkt, r->gen_cpu_pct,
	       r->machine_busy_pct, rss_per_call);
	printf("JSON {\"tool\":\"loadgen\",\"mode\":\"%s\",\"relay\":\"%s\",\"calls\":%u,"
	       "\"pps_per_stream\":%.1f,\"payload\":%zu,\"measure_s\":%.2f,\"sent\":%llu,"
	       "\"received\":%llu,\"offered_pps\":%.1f,\"delivered_pps\":%.1f,\"loss_pct\":%.4f,"
	       "\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_max_us\":%.1f,"
	       "\"relay_cpu_pct\":%.2f,\"relay_ns_per_pkt\":%.1f,\"sys_ns_per_pkt\":%.1f,"
	       "\"softirq_pct\":%.2f,\"machine_busy_pct\":%.2f,\"tick_busy_pct\":%.2f,"
	       "\"window_s\":%.4f,\"others_cpu_pct\":%.2f,\"backlog_drops\":%lld,\"ipi_per_pkt\":%.3f,"
	       "\"direct\":%d,\"gen_cpu_pct\":%.2f,\"gen_lag_max_ms\":%.2f,"
	       "\"relay_rss_kb\":%lld,\"rss_per_call_bytes\":%.0f,\"setup_s\":%.3f,"
	       "\"stale\":%llu,\"bad\":%llu,\"misrouted\":%llu,\"codec_b\":\"%s\","
	       "\"transcode\":%d,\"untranscoded\":%llu,\"seq_loss_pct\":%.4f,"
	       "\"delay_growth_ms\":%.1f,\"silent_streams\":%u,\"first_silent\":%d,"
	       "\"calls_alive_end\":%u,\"gap_max_ms\":%.1f,\"core_busy_pct\":[%s]}\n",
	       mode, o->relay, r->calls, o->pps, o->payload, r->measure_s,
	       (unsigned long long)r->sent, (unsigned long long)r->received, r->offered_pps,
	       r->delivered_pps, r->loss_pct, (double)r->p50_ns / 1e3, (double)r->p99_ns / 1e3,
	       (double)r->max_ns / 1e3, r->relay_cpu_pct, r->relay_ns_per_pkt, r->sys_ns_per_pkt,
	       r->softirq_pct, r->machine_busy_pct, r->tick_busy_pct, r->window_s,
	       r->others_cpu_pct, (long long)r->backlog_drops, r->ipi_per_pkt, o->direct,
	       r->gen_cpu_pct,
	       r->gen_lag_max_ms, (long long)r->relay_rss_kb,
	       rss_per_call, setup_s, (unsigned long long)r->stale, (unsigned long long)r->bad,
	       (unsigned long long)r->misrouted, o->codec_b->name, r->transcode,
	       (unsigned long long)r->untranscoded, r->seq_loss_pct, r->delay_growth_ms,
	       r->silent_streams, r->first_silent, r->calls_alive_end, (double)r->gap_max_ns / 1e6,
	       cores);
	fflush(stdout);
}

static void write_cdf(const struct opts *o, const struct lg_media *m)
{
	FILE *f;

	if (!o->cdf)
		return;
	f = fopen(o->cdf, "w");
	if (!f) {
		fprintf(stderr, "loadgen: %s: %s\n", o->cdf, strerror(errno));
		return;
	}
	hist_write_cdf(lg_media_hist(m), f);
	fclose(f);
}

/* Sets calls up to `upto`, prints how long it took; 0 or -errno (reason on stderr). */
static int grow(struct lg_calls *calls, unsigned upto, double *setup_s)
{
	double t = now_s();
	int r = lg_calls_grow(calls, upto);

	*setup_s = now_s() - t;
	if (r)
		fprintf(stderr, "loadgen: call set-up failed at call %u: %s\n", calls->n,
			calls->err);
	return r;
}

static double rss_per_call(pid_t pid, int64_t base_kb, int64_t now_kb, unsigned calls)
{
	if (!pid || base_kb <= 0 || now_kb <= 0 || !calls)
		return 0;
	return (double)(now_kb - base_kb) * 1024.0 / calls;
}

/* Ramp step: --step calls, or --step-pct of the current calls when that is more. */
static unsigned next_step(const struct opts *o, unsigned target)
{
	unsigned pct = (unsigned)((double)target * o->step_pct / 100.0 + 0.5);

	return pct > o->step ? pct : o->step;
}

/* fixed and flood: one point; ramp: points until a limit is crossed. */
static int run_media(const struct opts *o, struct lg_calls *calls)
{
	int ramp = strcmp(o->mode, "ramp") == 0, flood = strcmp(o->mode, "flood") == 0;
	unsigned target = ramp ? o->start : o->calls, best = 0;
	unsigned maxc = ramp ? o->max : o->calls;
	int64_t base_kb = o->pid ? proc_rss_kb(o->pid) : 0;
	struct lg_media *m;
	double setup_s;
	char label[64];
	int r;

	r = lg_media_open(&m, o->a_port, o->b_port, 2 * maxc, o->payload, o->codec_b);
	if (r) {
		fprintf(stderr, "loadgen: media sockets: %s\n", strerror(-r));
		return r;
	}
	if (o->srtp && (r = lg_media_set_srtp(m, 1))) {
		fprintf(stderr, "loadgen: libsrtp: %s\n", strerror(-r));
		lg_media_close(m);
		return r;
	}
	print_header();
	for (; target <= maxc; target += next_step(o, target)) {
		struct lg_point_cfg cfg = {.pps = flood ? 0 : o->pps, .warmup_s = o->warmup,
					   .warmup_pps = flood && o->paced_warmup ? o->pps : 0,
					   .slow_s = o->slow,
					   .measure_s = o->measure, .drain_s = o->drain,
					   .relay_pid = o->pid, .label = label};
		struct lg_point_res res;

		if (ramp && o->fresh && calls->n && lg_calls_delete_all(calls))
			fprintf(stderr, "loadgen: some deletes failed\n");
		r = grow(calls, target, &setup_s);
		if (r)
			break;
		snprintf(label, sizeof(label), "%s %s %u calls", o->relay, o->mode, target);
		r = lg_media_set_calls(m, calls->c, calls->n);
		if (!r)
			r = lg_media_run(m, &cfg, &res);
		if (r)
			break;
		print_point(o, ramp ? "ramp" : o->mode, &res,
			    rss_per_call(o->pid, base_kb, res.relay_rss_kb, calls->n), setup_s);
		if (!ramp)
			break;
		if (res.loss_pct > o->max_loss || res.untranscoded ||
		    res.delay_growth_ms > o->max_growth_ms ||
		    (double)res.p50_ns / 1e3 > o->max_p50_us)
			break;
		best = target;
	}
	if (ramp) {
		printf("JSON {\"tool\":\"loadgen\",\"mode\":\"%s\",\"relay\":\"%s\","
		       "\"max_calls\":%u,\"max_loss_pct\":%.3f,\"max_p50_us\":%.0f,\"step\":%u,"
		       "\"start\":%u,\"step_pct\":%.0f,\"codec_b\":\"%s\"}\n",
		       o->srtp ? "srtp_ramp_result" : "ramp_result", o->relay, best, o->max_loss,
		       o->max_p50_us, o->step, o->start, o->step_pct, o->codec_b->name);
		printf("ramp: most calls with loss <= %.3f %% and p50 <= %.0f us: %u\n", o->max_loss,
		       o->max_p50_us, best);
	}
	write_cdf(o, m);
	lg_media_close(m);
	return r;
}

/* Replaces characters that would break the JSON line (reasons come from the relay). */
static const char *json_safe(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = ' ';
	return s;
}

/* Control plane: RSS per established call first (fresh relay), then cycles/s. */
static int run_control(const struct opts *o, struct lg_calls *calls)
{
	int64_t kb0 = o->pid ? proc_rss_kb(o->pid) : 0, kb1, cpu0, cpu1;
	double setup_s, t0, el, per_call;
	struct hist lat;
	unsigned cycles = 0, failed = 0;
	int r = grow(calls, o->calls, &setup_s);

	if (r)
		return r;
	usleep(300000);
	kb1 = o->pid ? proc_rss_kb(o->pid) : 0;
	per_call = rss_per_call(o->pid, kb0, kb1, calls->n);
	lg_calls_delete_all(calls);
	hist_reset(&lat);
	cpu0 = o->pid ? proc_cpu_ns(o->pid) : 0;
	t0 = now_s();
	while ((el = now_s() - t0) < o->measure) {
		double c0 = now_s();

		r = lg_calls_cycle(calls, cycles % LG_MAX_CALLS, cycles);
		if (r) {
			/* Reported as measured: the rate up to the failure and its reason. */
			failed = 1;
			fprintf(stderr, "loadgen: control cycle %u failed: %s\n", cycles, calls->err);
			break;
		}
		hist_add(&lat, (uint64_t)((now_s() - c0) * 1e9));
		cycles++;
	}
	el = now_s() - t0;
	cpu1 = o->pid ? proc_cpu_ns(o->pid) : 0;
	printf("%-10s %8s %10s %10s %10s %8s %9s %12s\n", "relay", "cycles", "cycles/s",
	       "p50(us)", "p99(us)", "cpu%", "mem calls", "RSS B/call");
	printf("%-10s %8u %10.0f %10.1f %10.1f %8.1f %9u %12.0f\n", o->relay, cycles,
	       cycles / el, (double)hist_quantile(&lat, 0.5) / 1e3,
	       (double)hist_quantile(&lat, 0.99) / 1e3, 100.0 * (double)(cpu1 - cpu0) / (el * 1e9),
	       o->calls, per_call);
	printf("JSON {\"tool\":\"loadgen\",\"mode\":\"control\",\"relay\":\"%s\",\"cycles\":%u,"
	       "\"failed\":%u,\"cycles_per_s\":%.1f,\"requests_per_s\":%.1f,\"cycle_p50_us\":%.1f,"
	       "\"cycle_p99_us\":%.1f,\"relay_cpu_pct\":%.2f,\"mem_calls\":%u,"
	       "\"setup_s\":%.3f,\"rss_per_call_bytes\":%.0f,\"elapsed_s\":%.2f,"
	       "\"failed_reason\":\"%s\"}\n",
	       o->relay, cycles, failed, cycles / el, 3.0 * cycles / el,
	       (double)hist_quantile(&lat, 0.5) / 1e3, (double)hist_quantile(&lat, 0.99) / 1e3,
	       100.0 * (double)(cpu1 - cpu0) / (el * 1e9), o->calls, setup_s, per_call, el,
	       failed ? json_safe(calls->err) : "");
	return 0;
}

/* Noise meter: spins on the current core reading the clock; time missing between two
 * consecutive reads (> 20 us) is time this core did not run us: interrupts, other tasks,
 * or the hypervisor running another guest. Reported beside the results as how much of a
 * core a relay could have had. */
static int run_noise(const struct opts *o)
{
	double t0 = now_s(), prev = t0, now, lost = 0, max_gap = 0, end = t0 + o->measure;
	unsigned gaps = 0;

	while ((now = now_s()) < end) {
		double g = now - prev;

		if (g > 20e-6) {
			lost += g;
			gaps++;
			if (g > max_gap)
				max_gap = g;
		}
		prev = now;
	}
	printf("noise: cpu %d lost %.2f %% of %.1f s in %u gaps, longest %.0f us\n",
	       sched_getcpu(), 100.0 * lost / (now - t0), now - t0, gaps, max_gap * 1e6);
	printf("JSON {\"tool\":\"loadgen\",\"mode\":\"noise\",\"relay\":\"%s\",\"cpu\":%d,"
	       "\"lost_pct\":%.3f,\"gaps\":%u,\"max_gap_us\":%.1f}\n",
	       o->relay, sched_getcpu(), 100.0 * lost / (now - t0), gaps, max_gap * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	struct lg_calls calls;
	struct opts o;
	unsigned cap;
	int r;

	if (parse_opts(argc, argv, &o)) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(o.mode, "noise") == 0)
		return run_noise(&o) ? 1 : 0;
	cap = strcmp(o.mode, "ramp") == 0 ? o.max : o.calls;
	r = lg_calls_open(&calls, o.ng_addr, o.ng_port, cap, o.a_port, o.b_port, o.codec_b);
	calls.record = o.record;
	if (r) {
		fprintf(stderr, "loadgen: ng socket: %s\n", strerror(-r));
		return 2;
	}
	lg_calls_set_srtp(&calls, o.srtp);
	if (lg_calls_set_endpoints(&calls, o.base_a, o.base_b, o.direct)) {
		fprintf(stderr, "loadgen: bad endpoint addresses\n");
		lg_calls_close(&calls);
		return 2;
	}
	if (!o.direct && lg_calls_ping(&calls, 5000)) {
		fprintf(stderr, "loadgen: relay does not answer ping on ng\n");
		lg_calls_close(&calls);
		return 2;
	}
	if (strcmp(o.mode, "ping") == 0) {
		r = 0; /* only readiness: the relay answered */
	} else if (strcmp(o.mode, "control") == 0) {
		r = run_control(&o, &calls);
	} else if (!strcmp(o.mode, "fixed") || !strcmp(o.mode, "ramp") || !strcmp(o.mode, "flood")) {
		r = run_media(&o, &calls);
	} else {
		usage();
		r = -EINVAL;
	}
	if (calls.n && lg_calls_delete_all(&calls))
		fprintf(stderr, "loadgen: some deletes failed\n");
	lg_calls_close(&calls);
	return r ? 1 : 0;
}
