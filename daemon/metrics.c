/*
 * metrics.c: see metrics.h. Names: rtpengine's (its prefix `rtpengine_`)
 * where the figure means the same, `rtprelay_` for the rest; units follow
 * Prometheus conventions (seconds, ratios), counters end in `_total`.
 */
#include "daemon/metrics.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ngrequest.h"
#include "daemon/call.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "daemon/dtls_media.h"
#include "daemon/interfaces.h"
#include "daemon/operate.h"
#include "daemon/ports.h"
#include "daemon/quality.h"
#include "daemon/repl.h"
#include "daemon/sdes.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_offload.h"
#include "http/httpd.h"
#include "lib/histo.h"
#include "recording/recorder.h"

#define NG_CMDS	    (NG_CMD_RELOAD + 1)
#define MAX_WORKERS 256

static const char *const result_names[MR_N] = { "ok", "error", "load_limit" };

/* ng command latency: 100 us .. 1 s */
static const double ng_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
				    0.01,   0.025,   0.05,   0.1,   0.25,   1.0 };

static struct {
	bool ready;
	/* [command or NG_CMDS = unknown][result] */
	struct histo ng[NG_CMDS + 1][MR_N];
	/* worker CPU at the previous render, for the busy ratio */
	uint64_t prev_ms, prev_cpu[MAX_WORKERS];
	double busy[MAX_WORKERS];
} m;

static void init(void)
{
	if (m.ready)
		return;
	for (unsigned c = 0; c <= NG_CMDS; c++)
		for (unsigned r = 0; r < MR_N; r++)
			histo_init(&m.ng[c][r], ng_bounds,
				   sizeof(ng_bounds) / sizeof(ng_bounds[0]));
	m.ready = true;
}

void metrics_ng_observe(int cmd, enum metrics_result result, uint64_t us)
{
	init();
	if (cmd < 0 || cmd >= NG_CMDS)
		cmd = NG_CMDS;
	if ((unsigned)result >= MR_N)
		result = MR_ERROR;
	histo_observe(&m.ng[cmd][result], (double)us / 1e6);
}

static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void u64(struct strbuf *b, const char *name, const char *labels, uint64_t v)
{
	if (labels && labels[0])
		strbuf_printf(b, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
	else
		strbuf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void dbl(struct strbuf *b, const char *name, const char *labels, double v)
{
	if (labels && labels[0])
		strbuf_printf(b, "%s{%s} %.9g\n", name, labels, v);
	else
		strbuf_printf(b, "%s %.9g\n", name, v);
}

/* `name="N",address="A"` of interface @ifc, escaped, into @out. */
static void iface_labels(const struct iface *ifc, char *out, size_t cap)
{
	struct strbuf b;
	char *s;

	strbuf_init(&b, cap);
	strbuf_puts(&b, "name=\"");
	strbuf_prom_label(&b, ifc->cfg->name);
	strbuf_puts(&b, "\",address=\"");
	strbuf_prom_label(&b, ifc->cfg->addr);
	strbuf_puts(&b, "\"");
	s = strbuf_take(&b, NULL);
	snprintf(out, cap, "%s", s ? s : "name=\"?\"");
	free(s);
}

/* What the live calls hold, walked once per render. */
struct live {
	unsigned offered, answered, deleting;
	unsigned streams_user, streams_kernel, streams_xcode;
	unsigned streams_srtp; /* of those, with an SRTP party */
	struct call_iface_totals iface[CFG_MAX_IFACES];
	uint64_t rtp_lost, xcode_packets;
	uint64_t srtp_packets, srtp_auth_failed, srtp_replayed, srtp_errors, srtp_awaiting_keys;
};

static void add_stream(const struct calls *cs, const struct call_media *m,
		       const struct call_stream *s, bool rtcp, struct live *l)
{
	struct dp_stats st;

	if (!s->ep)
		return;
	dp_endpoint_stats(s->ep, &st);
	if (!rtcp) {
		l->rtp_lost += st.lost;
		if (m->xcode)
			l->xcode_packets += st.packets;
	}
	if (sdes_suite_name(m) || dtls_suite_name(m))
		l->srtp_packets += st.packets;
	l->srtp_auth_failed += st.srtp_auth_failed;
	l->srtp_replayed += st.srtp_replayed;
	l->srtp_errors += st.srtp_errors;
	l->srtp_awaiting_keys += st.srtp_awaiting_keys;
	if (m->ifc) {
		size_t i = (size_t)(m->ifc - cs->ifs->v);
		struct call_iface_totals *t = &l->iface[i < CFG_MAX_IFACES ? i : 0];

		t->packets += st.packets;
		t->bytes += st.bytes;
		t->errors += st.errors;
		t->forwarded += st.forwarded;
		t->dropped += st.dropped_source + st.dropped_other;
	}
}

static void walk(const struct calls *cs, struct live *l)
{
	memset(l, 0, sizeof(*l));
	for (const struct call *c = cs->head; c; c = c->next) {
		if (c->delete_at_ms)
			l->deleting++;
		else if (c->answered)
			l->answered++;
		else
			l->offered++;
		for (unsigned pi = 0; pi < c->n_parties; pi++) {
			const struct call_party *p = c->parties[pi];

			for (unsigned i = 0; i < p->n_media; i++) {
				const struct call_media *md = &p->media[i];

				if (!md->used || !md->pair || !md->rtp.ep)
					continue;
				if (md->xcode)
					l->streams_xcode++;
				else if (dp_endpoint_in_kernel(md->rtp.ep))
					l->streams_kernel++;
				else
					l->streams_user++;
				if (sdes_suite_name(md) || dtls_suite_name(md))
					l->streams_srtp++;
				add_stream(cs, md, &md->rtp, false, l);
				add_stream(cs, md, &md->rtcp, true, l);
			}
		}
	}
}

static void render_calls(struct strbuf *b, const struct metrics_src *src, const struct live *l,
			 uint64_t now_ms)
{
	const struct daemon_ctx *d = src->ctx;
	const struct call_totals *t = &d->calls->totals;

	family(b, "rtpengine_uptime_seconds", "gauge", "Seconds since rtprelayd started");
	u64(b, "rtpengine_uptime_seconds", NULL, (now_ms - d->started_ms) / 1000);
	family(b, "rtpengine_sessions", "gauge", "Calls now (own; foreign is always 0)");
	u64(b, "rtpengine_sessions", "type=\"own\"", d->calls->count);
	u64(b, "rtpengine_sessions", "type=\"foreign\"", 0);
	family(b, "rtprelay_calls", "gauge",
	       "Calls now by state: offered (no answer yet), answered, deleting "
	       "(delete-delay running)");
	u64(b, "rtprelay_calls", "state=\"offered\"", l->offered);
	u64(b, "rtprelay_calls", "state=\"answered\"", l->answered);
	u64(b, "rtprelay_calls", "state=\"deleting\"", l->deleting);
	family(b, "rtpengine_sessions_total", "counter", "Calls created since start");
	u64(b, "rtpengine_sessions_total", NULL, t->created);
	family(b, "rtpengine_closed_sessions_total", "counter", "Calls ended, by reason");
	u64(b, "rtpengine_closed_sessions_total", "reason=\"rejected\"", t->rejected);
	u64(b, "rtpengine_closed_sessions_total", "reason=\"timeout\"", t->timeout);
	u64(b, "rtpengine_closed_sessions_total", "reason=\"silent_timeout\"", t->silent_timeout);
	u64(b, "rtpengine_closed_sessions_total", "reason=\"final_timeout\"", t->final_timeout);
	u64(b, "rtpengine_closed_sessions_total", "reason=\"terminated\"", t->regular_end);
	u64(b, "rtpengine_closed_sessions_total", "reason=\"force_terminated\"", t->forced_end);
	family(b, "rtpengine_call_duration_total", "counter",
	       "Summed duration of the ended calls, seconds");
	dbl(b, "rtpengine_call_duration_total", NULL, (double)t->duration_ms / 1000.0);
	family(b, "rtpengine_zero_packet_streams_total", "counter",
	       "Media of ended calls that carried no RTP either way");
	u64(b, "rtpengine_zero_packet_streams_total", NULL, t->zeroway_streams);
	family(b, "rtpengine_one_way_sessions_total", "counter",
	       "Media of ended calls that carried RTP one way only");
	u64(b, "rtpengine_one_way_sessions_total", NULL, t->oneway_streams);
	family(b, "rtprelay_draining", "gauge", "1 while draining (no new calls accepted)");
	u64(b, "rtprelay_draining", NULL, src->op && operate_draining(src->op));
	family(b, "rtprelay_reloads_total", "counter", "Configuration reloads applied");
	u64(b, "rtprelay_reloads_total", NULL, src->op ? src->op->reloads : 0);
}

static void render_media(struct strbuf *b, const struct metrics_src *src, const struct live *l)
{
	const struct calls *cs = src->ctx->calls;
	const struct call_totals *t = &cs->totals;
	struct dp_totals all, kern;
	char lab[256];

	family(b, "rtpengine_mediastreams", "gauge",
	       "RTP streams now (one per party and media) by path: userspace, kernel "
	       "(eBPF fast path), transcoded");
	u64(b, "rtpengine_mediastreams", "type=\"userspace\"", l->streams_user);
	u64(b, "rtpengine_mediastreams", "type=\"kernel\"", l->streams_kernel);
	u64(b, "rtpengine_mediastreams", "type=\"transcoded\"", l->streams_xcode);
	family(b, "rtpengine_transcoded_media", "gauge", "Media lines now transcoded");
	u64(b, "rtpengine_transcoded_media", NULL, calls_transcoded_media(cs));

	dp_totals(&all);
	dp_kernel_totals(&kern);
	struct {
		const char *name, *help;
		uint64_t a, k;
	} path[] = {
		{ "rtpengine_packets_total", "Packets received and accepted, by path", all.packets,
		  kern.packets },
		{ "rtpengine_bytes_total", "Bytes received and accepted, by path", all.bytes,
		  kern.bytes },
		{ "rtpengine_packet_errors_total", "Packets received in error, by path", all.errors,
		  kern.errors },
		{ "rtprelay_packets_forwarded_total", "Packets sent on, by path", all.forwarded,
		  kern.forwarded },
		{ "rtprelay_packets_dropped_total",
		  "Packets dropped (wrong source, malformed, disabled), by path", all.dropped,
		  kern.dropped },
	};
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		family(b, path[i].name, "counter", path[i].help);
		u64(b, path[i].name, "type=\"userspace\"",
		    path[i].a > path[i].k ? path[i].a - path[i].k : 0);
		u64(b, path[i].name, "type=\"kernel\"", path[i].k);
	}
	family(b, "rtprelay_transcoded_packets_total", "counter",
	       "RTP packets received on transcoded media (part of the userspace path)");
	u64(b, "rtprelay_transcoded_packets_total", NULL, t->xcode_packets + l->xcode_packets);
	family(b, "rtprelay_transcode_ticks_total", "counter",
	       "Transcoding timer ticks the data plane handled (none while every "
	       "transcoder is idle)");
	u64(b, "rtprelay_transcode_ticks_total", NULL, all.xcode_ticks);
	family(b, "rtprelay_transcode_tick_pulls_total", "counter",
	       "Transcoders pulled by those ticks (only those with output or a report "
	       "pending)");
	u64(b, "rtprelay_transcode_tick_pulls_total", NULL, all.xcode_visits);
	family(b, "rtprelay_packets_lost_total", "counter",
	       "RTP packets lost before reaching the relay (RFC 3550 A.3)");
	u64(b, "rtprelay_packets_lost_total", NULL, t->rtp_lost + l->rtp_lost);
	/* SRTP path (dataplane/dp_srtp.c): always user space */
	family(b, "rtprelay_srtp_streams", "gauge",
	       "RTP streams now whose party speaks SRTP (SDES or DTLS-SRTP); part of the "
	       "userspace or transcoded streams");
	u64(b, "rtprelay_srtp_streams", NULL, l->streams_srtp);
	family(b, "rtprelay_srtp_packets", "gauge",
	       "Packets received so far on the live calls' SRTP streams (a counter per call)");
	u64(b, "rtprelay_srtp_packets", NULL, l->srtp_packets);
	family(b, "rtprelay_srtp_dropped_total", "counter",
	       "SRTP/SRTCP packets dropped and never forwarded, by reason");
	u64(b, "rtprelay_srtp_dropped_total", "reason=\"auth_failed\"",
	    t->srtp_auth_failed + l->srtp_auth_failed);
	u64(b, "rtprelay_srtp_dropped_total", "reason=\"replayed\"",
	    t->srtp_replayed + l->srtp_replayed);
	u64(b, "rtprelay_srtp_dropped_total", "reason=\"error\"", t->srtp_errors + l->srtp_errors);
	u64(b, "rtprelay_srtp_dropped_total", "reason=\"awaiting_keys\"",
	    t->srtp_awaiting_keys + l->srtp_awaiting_keys);

	static const struct {
		const char *name, *type, *help;
		size_t off;
		const char *dir;
	} fam[] = {
		{ "rtpengine_interface_packets", "gauge",
		  "Packets per interface: ingress received, egress sent on (a counter)",
		  offsetof(struct call_iface_totals, packets), "ingress" },
		{ "rtpengine_interface_packets", NULL, NULL,
		  offsetof(struct call_iface_totals, forwarded), "egress" },
		{ "rtpengine_interface_bytes", "gauge", "Bytes received per interface (a counter)",
		  offsetof(struct call_iface_totals, bytes), "ingress" },
		{ "rtpengine_interface_errors", "gauge",
		  "Packets received in error per interface (a counter)",
		  offsetof(struct call_iface_totals, errors), "ingress" },
		{ "rtprelay_interface_dropped_total", "counter", "Packets dropped per interface",
		  offsetof(struct call_iface_totals, dropped), NULL },
	};
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		if (fam[f].type)
			family(b, fam[f].name, fam[f].type, fam[f].help);
		for (unsigned i = 0; i < cs->ifs->n && i < CFG_MAX_IFACES; i++) {
			uint64_t v = *(const uint64_t *)((const char *)&t->iface[i] + fam[f].off) +
				     *(const uint64_t *)((const char *)&l->iface[i] + fam[f].off);
			char all_lab[320];

			iface_labels(&cs->ifs->v[i], lab, sizeof(lab));
			if (fam[f].dir)
				snprintf(all_lab, sizeof(all_lab), "%s,direction=\"%s\"", lab,
					 fam[f].dir);
			else
				snprintf(all_lab, sizeof(all_lab), "%s", lab);
			u64(b, fam[f].name, all_lab, v);
		}
	}

	family(b, "rtpengine_ports", "gauge", "Media ports per interface");
	for (unsigned i = 0; i < cs->ifs->n; i++) {
		iface_labels(&cs->ifs->v[i], lab, sizeof(lab));
		u64(b, "rtpengine_ports", lab, 2ull * ports_total(cs->ifs->v[i].pool));
	}
	family(b, "rtpengine_ports_used", "gauge", "Media ports in use per interface");
	for (unsigned i = 0; i < cs->ifs->n; i++) {
		iface_labels(&cs->ifs->v[i], lab, sizeof(lab));
		u64(b, "rtpengine_ports_used", lab, 2ull * ports_in_use(cs->ifs->v[i].pool));
	}
	family(b, "rtpengine_ports_free", "gauge",
	       "Media ports free per interface (quarantined ones count as used)");
	for (unsigned i = 0; i < cs->ifs->n; i++) {
		const struct port_pool *pp = cs->ifs->v[i].pool;
		unsigned busy = ports_in_use(pp) + ports_quarantined(pp);

		iface_labels(&cs->ifs->v[i], lab, sizeof(lab));
		u64(b, "rtpengine_ports_free", lab,
		    ports_total(pp) > busy ? 2ull * (ports_total(pp) - busy) : 0);
	}
}

static void render_quality(struct strbuf *b)
{
	const struct quality_hists *q = quality_get();

	family(b, "rtprelay_stream_loss_percent", "histogram",
	       "RTP streams that ended, by packet loss in percent (RFC 3550)");
	histo_render(b, "rtprelay_stream_loss_percent", "", &q->loss_pct);
	family(b, "rtprelay_stream_jitter_seconds", "histogram",
	       "RTP streams that ended, by interarrival jitter (RFC 3550)");
	histo_render(b, "rtprelay_stream_jitter_seconds", "", &q->jitter_s);
	family(b, "rtprelay_stream_mos", "histogram",
	       "RTP streams that ended with a measured round trip, by MOS (E-model)");
	histo_render(b, "rtprelay_stream_mos", "", &q->mos);
}

/* Recording (recording/recorder.h): what the writer thread has not caught
 * up with yet, and what recording lost. Zeros when recording is off, so a
 * dashboard shows 0 rather than no data. */
static void render_recording(struct strbuf *b)
{
	const struct recorder_config *rc = recorder_active() ? recorder_config() : NULL;
	struct rec_stats t = { 0 };
	uint64_t backlog = 0, capacity = 0, kcopied = 0, kdropped = 0;

	if (rc) { /* docs/recording.md */
		recorder_totals(&t);
		dp_kernel_rec_counters(&kcopied, &kdropped);
	}
	for (unsigned i = 0; rc && i < rc->n_rings; i++) {
		struct rec_ring *r = recorder_ring(i);

		if (r) {
			backlog += rec_ring_backlog(r);
			capacity += r->size;
		}
	}
	family(b, "rtprelay_recording_sessions", "gauge", "Recordings now running");
	u64(b, "rtprelay_recording_sessions", NULL, t.active);
	family(b, "rtprelay_recording_completed_total", "counter",
	       "Recordings finished (files closed, metadata written)");
	u64(b, "rtprelay_recording_completed_total", NULL, t.completed);
	family(b, "rtprelay_recording_backlog_bytes", "gauge",
	       "Packet copies queued for the recording writer, all workers' rings");
	u64(b, "rtprelay_recording_backlog_bytes", NULL, backlog);
	family(b, "rtprelay_recording_ring_bytes", "gauge",
	       "Capacity of the workers' recording rings together");
	u64(b, "rtprelay_recording_ring_bytes", NULL, capacity);
	family(b, "rtprelay_recording_dropped_total", "counter",
	       "Recording copies dropped because a ring was full (the packets were "
	       "forwarded all the same), by path");
	u64(b, "rtprelay_recording_dropped_total", "type=\"userspace\"",
	    t.ring_dropped - t.kernel_dropped);
	u64(b, "rtprelay_recording_dropped_total", "type=\"kernel\"", kdropped);
	family(b, "rtprelay_recording_kernel_copies_total", "counter",
	       "Packets of recorded kernel-forwarded streams the eBPF program copied for "
	       "the recorder");
	u64(b, "rtprelay_recording_kernel_copies_total", NULL, kcopied);
	family(b, "rtprelay_recording_disk_lost_bytes_total", "counter",
	       "Recording bytes lost to failed writes (full or failing disk)");
	u64(b, "rtprelay_recording_disk_lost_bytes_total", NULL, t.disk_lost_bytes);
}

static void render_ng(struct strbuf *b)
{
	char lab[96];

	init();
	family(b, "rtpengine_requests_total", "counter",
	       "ng commands handled, by command and result");
	for (unsigned c = 0; c <= NG_CMDS; c++)
		for (unsigned r = 0; r < MR_N; r++) {
			if (!m.ng[c][r].count && (c == NG_CMDS || r != MR_OK))
				continue; /* keep the page short: zero rows of ok only */
			snprintf(lab, sizeof(lab), "request=\"%s\",result=\"%s\"",
				 c < NG_CMDS ? ng_command_name((enum ng_command)c) : "unknown",
				 result_names[r]);
			u64(b, "rtpengine_requests_total", lab, m.ng[c][r].count);
		}
	family(b, "rtpengine_request_seconds_total", "counter",
	       "Time spent handling ng commands, by command");
	for (unsigned c = 0; c <= NG_CMDS; c++) {
		double s = 0;
		uint64_t n = 0;

		for (unsigned r = 0; r < MR_N; r++)
			s += m.ng[c][r].sum, n += m.ng[c][r].count;
		if (!n && c == NG_CMDS)
			continue;
		snprintf(lab, sizeof(lab), "request=\"%s\"",
			 c < NG_CMDS ? ng_command_name((enum ng_command)c) : "unknown");
		dbl(b, "rtpengine_request_seconds_total", lab, s);
	}
	family(b, "rtpengine_errors_total", "counter", "ng commands answered with an error");
	uint64_t errors = 0;
	for (unsigned c = 0; c <= NG_CMDS; c++)
		errors += m.ng[c][MR_ERROR].count;
	u64(b, "rtpengine_errors_total", NULL, errors);
	family(b, "rtprelay_ng_request_duration_seconds", "histogram",
	       "ng command handling time, by command and result");
	for (unsigned c = 0; c <= NG_CMDS; c++)
		for (unsigned r = 0; r < MR_N; r++) {
			if (!m.ng[c][r].count)
				continue;
			snprintf(lab, sizeof(lab), "request=\"%s\",result=\"%s\"",
				 c < NG_CMDS ? ng_command_name((enum ng_command)c) : "unknown",
				 result_names[r]);
			histo_render(b, "rtprelay_ng_request_duration_seconds", lab, &m.ng[c][r]);
		}
}

static void render_workers(struct strbuf *b, uint64_t now_ms)
{
	unsigned n = dp_num_workers(), in = 0, cap = 0;
	uint64_t cpu[MAX_WORKERS];
	char lab[32];

	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	for (unsigned i = 0; i < n; i++)
		if (dp_worker_cpu_ns(i, &cpu[i]))
			cpu[i] = m.prev_cpu[i];
	/* the ratio over the interval since the previous render; a render
	 * sooner than 100 ms after it shows the previous figure */
	if (m.prev_ms && now_ms >= m.prev_ms + 100)
		for (unsigned i = 0; i < n; i++) {
			double r = (double)(cpu[i] - m.prev_cpu[i]) / 1e6 /
				   (double)(now_ms - m.prev_ms);
			m.busy[i] = r < 0 ? 0 : r > 1 ? 1 : r;
		}
	if (!m.prev_ms || now_ms >= m.prev_ms + 100) {
		m.prev_ms = now_ms;
		memcpy(m.prev_cpu, cpu, n * sizeof(cpu[0]));
	}
	family(b, "rtprelay_worker_busy_ratio", "gauge",
	       "Share of the last interval a worker thread ran on a CPU (0..1)");
	for (unsigned i = 0; i < n; i++) {
		snprintf(lab, sizeof(lab), "worker=\"%u\"", i);
		dbl(b, "rtprelay_worker_busy_ratio", lab, m.busy[i]);
	}
	family(b, "rtprelay_worker_cpu_seconds_total", "counter", "CPU time used by each worker");
	for (unsigned i = 0; i < n; i++) {
		snprintf(lab, sizeof(lab), "worker=\"%u\"", i);
		dbl(b, "rtprelay_worker_cpu_seconds_total", lab, (double)cpu[i] / 1e9);
	}
	dp_offload_usage(&in, &cap);
	family(b, "rtprelay_offload_map_entries", "gauge", "Streams in the kernel fast path's map");
	u64(b, "rtprelay_offload_map_entries", NULL, in);
	family(b, "rtprelay_offload_map_capacity", "gauge",
	       "Size of the kernel fast path's map (0 = offload off)");
	u64(b, "rtprelay_offload_map_capacity", NULL, cap);
}

void metrics_render(struct strbuf *b, const struct metrics_src *src, uint64_t now_ms)
{
	struct live l;

	walk(src->ctx->calls, &l);
	render_calls(b, src, &l, now_ms);
	render_media(b, src, &l);
	render_recording(b);
	render_quality(b);
	render_ng(b);
	render_workers(b, now_ms);
	repl_metrics(b, src->ctx->repl);
	if (src->http) {
		struct httpd_stats hs;

		httpd_get_stats(src->http, &hs);
		family(b, "rtprelay_http_requests_total", "counter", "HTTP requests answered");
		u64(b, "rtprelay_http_requests_total", NULL, hs.requests);
		family(b, "rtprelay_http_refused_total", "counter",
		       "HTTP requests refused: 401 without the token, 404 unknown path or "
		       "method");
		u64(b, "rtprelay_http_refused_total", "code=\"401\"", hs.unauthorized);
		u64(b, "rtprelay_http_refused_total", "code=\"404\"", hs.not_found);
		family(b, "rtprelay_http_render_seconds", "gauge",
		       "Control-thread time the previous rendering of the HTTP documents took");
		dbl(b, "rtprelay_http_render_seconds", NULL, (double)src->render_us / 1e6);
	}
}
