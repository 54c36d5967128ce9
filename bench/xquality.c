/* xquality.c: transcoding quality and added latency through an ng relay.
 *
 * For one codec pair (side A PCMU, side B only --codec-b), it sets up --calls calls over ng
 * exactly as loadgen's transcoding runs do (the offer asks for `codec` -> `transcode`), then
 * sends a speech signal both ways at once in real time: side A as PCMU, side B in the other
 * codec, both encoded with rtprelay's codec library. What the relay delivers on each side is
 * decoded by RTP timestamp (xquality_track.h), brought to 8 kHz, aligned with the input
 * (xquality_align.h: a lag per 20 ms frame, so that a slip mid-call is followed) and
 * compared with it (xquality_metric.h): correlation and segmental SNR, beside the same
 * figures for the direct round trip (the same codecs through the codec library and the
 * transcoder's resampler, no relay: xquality_codec.h). Without a relay (--reference) only
 * the direct round trip is printed.
 *
 * Added latency, per output packet: its arrival time minus the time at which the input
 * held the content of its last sample. Along the alignment, output sample a carries input
 * sample a - lag(a); the input sample c was complete at the send time of the packet that
 * carried it minus the time from c to that packet's last sample. For a plain forwarder
 * that is arrival minus send time; through a transcoder it also holds codec look-ahead,
 * resampler delay and jitter-buffer depth, the same way for every relay.
 *
 * Output: a human table and one "JSON {...}" line per direction (like loadgen). */
#include "bench/lg_calls.h"
#include "bench/ngclient.h"
#include "bench/msdp.h"
#include "bench/procstat.h"
#include "bench/xquality_align.h"
#include "bench/xquality_codec.h"
#include "bench/xquality_media.h"
#include "bench/xquality_metric.h"
#include "bench/xquality_signal.h"
#include "bench/xquality_track.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *relay, *signal, *dump;
	const struct msdp_codec *codec_b;
	const struct codec_desc *desc_b;
	struct in_addr ng_addr;
	uint16_t ng_port, a_port, b_port;
	pid_t pid;			/* the relay's, to tell other processes' CPU from it */
	unsigned calls;
	struct xq_trip_opts trip;	/* how the direct round trip runs */
	double seconds, drain, max_lag_ms;
	int reference;
};

/* One direction's figures: the relay's (over all calls) and the direct round trip's. */
struct way {
	const struct codec_desc *src, *dst;
	struct xq_quality direct, direct_xc;	/* direct_xc: Opus at 8 kHz (0: no Opus) */
	long direct_lag;
	/* relay: sums over calls (means when printed), snr_min the worst call */
	double corr, snr, snr_min, coverage, corr_g, snr_g, slip_ms;
	unsigned measured;			/* calls whose output could be compared */
	unsigned slips;
	double *lat;				/* ms, every output packet of every call */
	size_t nlat;
	unsigned long bytes;			/* output payload bytes */
	unsigned long sent, received, seq_lost, gap_frames, other_pt, dups, decode_errors,
		outliers;
	double send_late_ms;			/* the generator's worst send delay */
	double others_pct;	/* other processes' CPU during the media (% of one core) */
	const char *error;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: xquality --codec-b g722|g729|opus|pcmu [--ng 127.0.0.1:2223] [--relay NAME]\n"
		"  [--calls 4] [--signal FILE (s16le mono 48 kHz; default: synthetic)]\n"
		"  [--seconds 10] [--drain 1] [--max-lag-ms 300] [--ports 10010,10012]\n"
		"  [--reference]  no relay: the direct codec round trip only\n"
		"  [--pid RELAY_PID]  other processes' CPU during the run is reported beside it\n"
		"  [--resample-quality Q]  the direct round trip's resampler (default: the\n"
		"        transcoder's)\n"
		"  [--opus-rate 8000|16000|48000]  the direct round trip's Opus at that PCM rate\n"
		"        (default 48000; rtprelay's transcoder runs Opus at the other side's rate)\n"
		"  [--dump PREFIX]  per call and way: PREFIX-WAY-cN.raw (decoded output, s16 8 kHz)\n"
		"        and PREFIX-WAY-cN.txt (per packet: arrival ms, seq, ts, 8 kHz position,\n"
		"        latency ms)\n");
}

static const struct codec_desc *desc_of(const struct msdp_codec *c)
{
	static const struct {
		const char *name;
		const struct codec_desc *d;
	} map[] = {{"pcmu", &codec_pcmu}, {"g722", &codec_g722}, {"g729", &codec_g729},
		   {"opus", &codec_opus}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(c->name, map[i].name) == 0)
			return map[i].d;
	return NULL;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"ng", 1, 0, 'n'},      {"relay", 1, 0, 'r'},   {"codec-b", 1, 0, 'B'},
		{"calls", 1, 0, 'c'},   {"signal", 1, 0, 'f'},  {"seconds", 1, 0, 's'},
		{"drain", 1, 0, 'D'},   {"max-lag-ms", 1, 0, 'L'}, {"ports", 1, 0, 'o'},
		{"reference", 0, 0, 'R'}, {"resample-quality", 1, 0, 'Q'}, {"dump", 1, 0, 'P'},
		{"opus-rate", 1, 0, 'O'}, {"pid", 1, 0, 'p'},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	unsigned a, b;
	int c;

	*o = (struct opts){.relay = "relay", .ng_port = 2223, .a_port = 10010, .b_port = 10012,
			   .calls = 4, .seconds = 10, .drain = 1, .max_lag_ms = 300,
			   .trip = {.rs_quality = -1}};
	inet_pton(AF_INET, "127.0.0.1", &o->ng_addr);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': if (ng_parse_hostport(optarg, &o->ng_addr, &o->ng_port)) return -EINVAL; break;
		case 'r': o->relay = optarg; break;
		case 'B': o->codec_b = msdp_codec_find(optarg); if (!o->codec_b) return -EINVAL; break;
		case 'c': o->calls = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': o->signal = optarg; break;
		case 's': o->seconds = atof(optarg); break;
		case 'D': o->drain = atof(optarg); break;
		case 'L': o->max_lag_ms = atof(optarg); break;
		case 'R': o->reference = 1; break;
		case 'Q': o->trip.rs_quality = atoi(optarg); break;
		case 'O': o->trip.flex_rate = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': o->dump = optarg; break;
		case 'p': o->pid = (pid_t)atoi(optarg); break;
		case 'o':
			if (sscanf(optarg, "%u,%u", &a, &b) != 2 || !a || !b || a > 65535 || b > 65535)
				return -EINVAL;
			o->a_port = (uint16_t)a;
			o->b_port = (uint16_t)b;
			break;
		default: return -EINVAL;
		}
	}
	if (!o->codec_b || !(o->desc_b = desc_of(o->codec_b)) || !o->calls || o->calls > 64 ||
	    o->seconds < 1 || o->seconds > 60 || o->drain < 0 || o->drain > 10 ||
	    o->max_lag_ms < 20 || o->max_lag_ms > 2000 || o->trip.rs_quality > 10 ||
	    (o->trip.flex_rate && o->trip.flex_rate != 8000 && o->trip.flex_rate != 16000 &&
	     o->trip.flex_rate != 48000))
		return -EINVAL;
	if (o->reference)
		o->relay = "direct";
	return 0;
}

/* The input at the source codec's rate, and its encoded payloads. */
static int encode_side(const struct xq_signal *sig, const struct codec_desc *d,
		       struct xq_payloads *out)
{
	size_t n;
	const int16_t *p = xq_signal_at(sig, d->pcm_rate, &n);

	return p ? xq_encode(d, p, n, out) : -EINVAL;
}

/* The direct round trip of one way, compared with the input at 8 kHz. */
/* The direct round trip of one way run as trip says, compared with the input at 8 kHz. */
static int reference(const struct xq_trip_opts *trip, const struct xq_signal *sig,
		     const struct xq_payloads *in, const struct way *w, long max_lag,
		     struct xq_quality *q, long *lag)
{
	size_t n8, nref;
	const int16_t *ref = xq_signal_at(sig, 8000, &nref);
	struct xq_align a;
	int16_t *out;
	int r = xq_round_trip(w->src, w->dst, in, trip, &out, &n8);

	if (r)
		return r;
	r = xq_align(ref, nref, out, n8, max_lag, 0, &a);
	if (!r) {
		xq_quality(ref, nref, out, n8, &a, q);
		*lag = a.lag0;
		xq_align_free(&a);
	}
	free(out);
	return r;
}

/* Both references of one way: as asked (native rates by default) and, with a
 * flexible-rate codec (Opus), as rtprelay's transcoder runs it: at the PCMU side's 8 kHz,
 * no resampler. */
static int references(const struct opts *o, const struct xq_signal *sig,
		      const struct xq_payloads *in, struct way *w, long max_lag)
{
	struct xq_trip_opts xc = {.rs_quality = o->trip.rs_quality, .flex_rate = 8000};
	long lag;
	int r = reference(&o->trip, sig, in, w, max_lag, &w->direct, &w->direct_lag);

	if (r || !(w->src->flexible_rate || w->dst->flexible_rate))
		return r;
	return reference(&xc, sig, in, w, max_lag, &w->direct_xc, &lag);
}

/* Latency of every packet of one call's output track; appended to w->lat and, with
 * --dump, written to f beside the packet's arrival (ms after the first send). */
static void latency(const struct xq_track *t, const struct xq_stream *st, unsigned frames,
		    const struct xq_align *a, struct way *w, FILE *f)
{
	for (unsigned j = 0; j < t->npk; j++) {
		size_t last = t->pk[j].pos8 + t->pk[j].len8 - 1;
		long c = (long)last - xq_align_lag_at(a, last);
		unsigned long k;
		uint64_t done;

		if (c < 0 || !t->pk[j].len8)
			continue;
		k = (unsigned long)c / XQ_FRAME8;
		if (k >= frames || !st->tx_ns[k])
			continue;
		/* the content's sample c was complete this long before its packet was sent */
		done = st->tx_ns[k] - ((k + 1) * XQ_FRAME8 - 1 - (unsigned long)c) * 125000ull;
		w->lat[w->nlat++] = ((double)t->pk[j].t_ns - (double)done) / 1e6;
		if (f)
			fprintf(f, "%.3f %zu %zu %ld %.3f\n",
				((double)t->pk[j].t_ns - (double)st->tx_ns[0]) / 1e6, t->pk[j].pos8,
				t->pk[j].len8, xq_align_lag_at(a, last), w->lat[w->nlat - 1]);
	}
}

/* --dump: the decoded output of call i and a file for its packets' latency. */
static FILE *dump(const char *prefix, const struct way *w, unsigned i, const struct xq_track *t)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s-%s-%s-c%u.raw", prefix, w->src->name, w->dst->name, i);
	f = fopen(path, "wb");
	if (f) {
		fwrite(t->pcm8, sizeof(*t->pcm8), t->n8, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s-%s-%s-c%u.txt", prefix, w->src->name, w->dst->name, i);
	f = fopen(path, "w");
	if (f)
		fprintf(f, "# arrival_ms pos8 len8 lag8 latency_ms\n");
	return f;
}

/* Call i's output of one way: decode, compare, latency. */
static void analyse_stream(const struct opts *o, const struct xq_signal *sig,
			   const struct xq_stream *st, unsigned i, long max_lag, struct way *w)
{
	unsigned frames = sig->frames;
	FILE *f = NULL;
	size_t nref;
	const int16_t *ref = xq_signal_at(sig, 8000, &nref);
	struct xq_track t;
	struct xq_quality q;
	struct xq_align a;

	for (unsigned f = 0; f < frames; f++)
		w->sent += st->tx_ns[f] != 0;
	w->received += st->nrx;
	for (unsigned k = 0; k < st->nrx; k++)
		w->bytes += st->rx[k].len;
	if (st->late_max_ns / 1e6 > w->send_late_ms)
		w->send_late_ms = st->late_max_ns / 1e6;
	w->other_pt += st->other_pt + st->overflow;
	if (xq_track_build(w->dst, st->rx, st->nrx, nref + 8000 * 5, &t))
		return;
	w->seq_lost += t.seq_lost;
	w->gap_frames += t.gap_frames;
	w->dups += t.dups;
	w->decode_errors += t.decode_errors;
	w->outliers += t.outliers;
	if (o->dump)
		f = dump(o->dump, w, i, &t);
	if (t.n8 && xq_align(ref, nref, t.pcm8, t.n8, max_lag, (long)t.gap_frames * XQ_FRAME8,
			     &a) == 0) {
		xq_quality(ref, nref, t.pcm8, t.n8, &a, &q);
		w->corr += q.corr;
		w->snr += q.seg_snr_db;
		w->corr_g += q.corr_global;
		w->snr_g += q.seg_snr_global_db;
		w->coverage += q.coverage;
		w->slips += a.slips;
		w->slip_ms += a.slip_ms;
		w->snr_min = w->measured && w->snr_min < q.seg_snr_db ? w->snr_min : q.seg_snr_db;
		w->measured++;
		latency(&t, st, frames, &a, w, f);
		if (f)
			fprintf(f, "# lag0 %ld slips %u (%.1f ms) corr %.4f seg_snr %.2f global: corr "
				"%.4f seg_snr %.2f; coverage %.3f\n", a.lag0, a.slips, a.slip_ms,
				q.corr, q.seg_snr_db, q.corr_global, q.seg_snr_global_db,
				q.coverage);
		xq_align_free(&a);
	}
	if (f)
		fclose(f);
	xq_track_free(&t);
}

/* Sets up the calls, runs the media, tears the calls down. 0 or -errno. */
static int run_relay(const struct opts *o, const struct xq_side side[2], unsigned frames,
		     struct xq_media *m, double *others_pct)
{
	struct lg_calls calls;
	int r = lg_calls_open(&calls, o->ng_addr, o->ng_port, o->calls, o->a_port, o->b_port,
			      o->codec_b);

	if (r)
		return r;
	r = lg_calls_ping(&calls, 3000);
	if (!r) {
		r = lg_calls_grow(&calls, o->calls);
		if (r)
			fprintf(stderr, "xquality: call set-up failed at call %u: %s\n", calls.n,
				calls.err);
	}
	if (!r)
		r = xq_media_open(m, &calls, frames);
	if (!r) {
		struct timespec t0, t1;
		int64_t c0 = others_cpu_ns(getpid(), o->pid), c1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = xq_media_run(m, side, o->drain);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		c1 = others_cpu_ns(getpid(), o->pid);
		if (c0 >= 0 && c1 >= c0)
			*others_pct = 100.0 * (double)(c1 - c0) /
				      ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
				       (double)(t1.tv_nsec - t0.tv_nsec));
		if (r)
			xq_media_close(m);
	}
	if (lg_calls_delete_all(&calls))
		fprintf(stderr, "xquality: some deletes failed\n");
	lg_calls_close(&calls);
	return r;
}

static void print_table_head(void)
{
	printf("%-10s %-11s %5s %7s %7s %6s %5s %7s %7s %7s %5s %4s\n", "relay", "way", "corr",
	       "segSNR", "direct", "delta", "slips", "p50 ms", "p99 ms", "max ms", "lost", "gaps");
}

static void print_way(const struct opts *o, const struct xq_signal *sig, struct way *w)
{
	unsigned n = w->measured ? w->measured : 1;
	double p50 = xq_quantile(w->lat, w->nlat, 0.5), p99 = xq_quantile(w->lat, w->nlat, 0.99);
	double mx = w->nlat ? w->lat[w->nlat - 1] : 0, mn = w->nlat ? w->lat[0] : 0;
	double corr = o->reference ? w->direct.corr : w->corr / n;
	double snr = o->reference ? w->direct.seg_snr_db : w->snr / n;
	char way[32];

	snprintf(way, sizeof(way), "%s>%s", w->src->name, w->dst->name);
	if (!o->reference && !w->measured && !w->error)
		w->error = w->received ? "output not comparable" : "no output";
	if (o->reference || w->measured)
		printf("%-10s %-11s %5.3f %7.2f %7.2f %6.2f %5u %7.1f %7.1f %7.1f %5lu %4lu\n",
		       o->relay, way, corr, snr, w->direct.seg_snr_db, snr - w->direct.seg_snr_db,
		       w->slips, p50, p99, mx, w->seq_lost, w->gap_frames);
	else
		printf("%-10s %-11s %s\n", o->relay, way, w->error);
	printf("JSON {\"tool\":\"xquality\",\"mode\":\"xquality\",\"relay\":\"%s\","
	       "\"codec_b\":\"%s\",\"way\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"calls\":%u,"
	       "\"signal\":\"%s\",\"seconds\":%.2f,\"measured_calls\":%u,"
	       "\"corr\":%.4f,\"seg_snr_db\":%.3f,\"seg_snr_min_db\":%.3f,\"coverage\":%.4f,"
	       "\"corr_global\":%.4f,\"seg_snr_global_db\":%.3f,\"slips\":%u,\"slip_ms\":%.1f,"
	       "\"direct_corr\":%.4f,\"direct_seg_snr_db\":%.3f,\"delta_db\":%.3f,"
	       "\"codec_delay_ms\":%.3f,\"lat_p50_ms\":%.3f,\"lat_p99_ms\":%.3f,"
	       "\"lat_max_ms\":%.3f,\"lat_min_ms\":%.3f,\"lat_packets\":%zu,\"sent\":%lu,"
	       "\"received\":%lu,\"seq_lost\":%lu,\"gap_frames\":%lu,\"other_pt\":%lu,"
	       "\"dups\":%lu,\"decode_errors\":%lu,\"outliers\":%lu,\"send_late_max_ms\":%.3f,"
	       "\"out_payload_bytes\":%.1f,\"direct_opus_rate\":%u,"
	       "\"direct_8k_seg_snr_db\":%.3f,\"direct_8k_corr\":%.4f,\"others_cpu_pct\":%.1f"
	       "%s%s%s}\n",
	       o->relay, o->codec_b->name, way, w->src->name, w->dst->name,
	       o->reference ? 0 : o->calls, sig->source, sig->frames * 0.02, w->measured, corr, snr,
	       o->reference ? snr : w->snr_min, o->reference ? w->direct.coverage : w->coverage / n,
	       o->reference ? w->direct.corr_global : w->corr_g / n,
	       o->reference ? w->direct.seg_snr_global_db : w->snr_g / n, w->slips, w->slip_ms,
	       w->direct.corr, w->direct.seg_snr_db,
	       w->measured ? snr - w->direct.seg_snr_db : 0, (double)w->direct_lag / 8.0, p50, p99,
	       mx, mn, w->nlat, w->sent, w->received, w->seq_lost, w->gap_frames, w->other_pt,
	       w->dups, w->decode_errors, w->outliers, w->send_late_ms,
	       w->received ? (double)w->bytes / (double)w->received : 0,
	       o->trip.flex_rate ? o->trip.flex_rate : 48000, w->direct_xc.seg_snr_db,
	       w->direct_xc.corr, w->others_pct,
	       w->error ? ",\"error\":\"" : "", w->error ? w->error : "", w->error ? "\"" : "");
}

/* Started real-time (bench/run) for the media; the analysis after it is not, and must not
 * keep other real-time tasks of the machine off its core for a second or two. */
static void drop_realtime(void)
{
	struct sched_param sp = {.sched_priority = 0};

	if (sched_getscheduler(0) != SCHED_OTHER)
		(void)sched_setscheduler(0, SCHED_OTHER, &sp);
}

static int measure(const struct opts *o, const struct xq_signal *sig,
		   const struct xq_payloads pay[2], struct way w[2], long max_lag)
{
	const struct xq_side side[2] = {
		{.pay = &pay[0], .pt = msdp_pcmu.pt, .ts_step = msdp_pcmu.ts_step,
		 .rx_pt = msdp_pcmu.pt},
		{.pay = &pay[1], .pt = o->codec_b->pt, .ts_step = o->codec_b->ts_step,
		 .rx_pt = o->codec_b->pt}};
	struct xq_media m;
	int r = run_relay(o, side, sig->frames, &m, &w[0].others_pct);

	if (r) {
		w[0].error = w[1].error = "relay run failed";
		return r;
	}
	drop_realtime();
	for (int d = 0; d < 2; d++) {
		w[d].lat = calloc(2 * sig->frames * o->calls + 64, sizeof(*w[d].lat));
		if (!w[d].lat) {
			r = -ENOMEM;
			break;
		}
		for (unsigned i = 0; i < o->calls; i++)
			analyse_stream(o, sig, &m.st[2 * i + d], i, max_lag, &w[d]);
	}
	xq_media_close(&m);
	return r;
}

int main(int argc, char **argv)
{
	struct xq_payloads pay[2] = {0};
	struct xq_signal sig;
	struct opts o;
	struct way w[2] = {{.src = &codec_pcmu}, {.dst = &codec_pcmu}};
	long max_lag;
	int r;

	if (parse_opts(argc, argv, &o)) {
		usage();
		return 2;
	}
	w[0].dst = w[1].src = o.desc_b;
	max_lag = (long)(o.max_lag_ms * 8);
	r = xq_signal_load(&sig, o.signal, o.seconds);
	if (r) {
		fprintf(stderr, "xquality: signal %s: %s\n", o.signal ? o.signal : "(synthetic)",
			strerror(-r));
		return 1;
	}
	for (int d = 0; d < 2 && !r; d++)
		r = encode_side(&sig, w[d].src, &pay[d]);
	if (!r && !o.reference && measure(&o, &sig, pay, w, max_lag))
		fprintf(stderr, "xquality: %s: relay run failed\n", o.relay);
	drop_realtime();
	w[1].others_pct = w[0].others_pct;	/* one run for both ways */
	for (int d = 0; d < 2 && !r; d++)
		r = references(&o, &sig, &pay[d], &w[d], max_lag);
	if (r) {
		fprintf(stderr, "xquality: codec library: %s\n", strerror(-r));
		return 1;
	}
	print_table_head();
	for (int d = 0; d < 2; d++) {
		print_way(&o, &sig, &w[d]);
		free(w[d].lat);
		xq_payloads_free(&pay[d]);
	}
	xq_signal_free(&sig);
	return w[0].error || w[1].error ? 1 : 0;
}
