/*
 * main.c: rtprelayd. Reads the configuration, starts the dataplane workers,
 * opens the control listeners and runs the control thread's loop until
 * SIGTERM/SIGINT (or until a drained relay has no call left); then deletes
 * every call, stops the workers and exits 0. SIGHUP reloads what can change
 * while running (daemon/operate.h). With `listen-http`, the control thread
 * renders /metrics once a second and /status.json while it is read, and
 * publishes them to the HTTP listener's thread (http/httpd.h).
 * A bad configuration exits 2 with a message naming the key (and line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "control/server.h"
#include "daemon/admission.h"
#include "daemon/call.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "daemon/dtls_media.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_offload.h"
#include "daemon/interfaces.h"
#include "daemon/metrics.h"
#include "daemon/operate.h"
#include "daemon/repl.h"
#include "daemon/status.h"
#include "daemon/status_page.h"
#include "daemon/takeover.h"
#include "http/httpd.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/strbuf.h"
#include "kernel-offload/offload_rec.h"
#include "recording/recorder.h"
#include "srtp/sr_rfc_keys.h"
#include "srtp/sr_stream.h"

#define TICK_MS 250

struct daemon {
	struct rtprelay_config cfg;
	struct ifaces ifs;
	struct calls calls;
	struct admission adm;
	struct daemon_ctx ctx;
	struct ng_server *srv;
	struct loop *loop;
	uint64_t last_call_tick;
	struct operate op;
	struct httpd *http; /* NULL without listen-http */
	int doc_metrics, doc_status;
	uint64_t render_us; /* the last rendering of the HTTP documents took this long */
	struct loop_watch http_wake;
	struct takeover *tko; /* listening for a successor (daemon/takeover.h), NULL = none */
	int http_fd;	      /* HTTP listener taken over, -1 = bind listen-http */
	int argc;
	char **argv;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Largest document rendered for the HTTP listener; a bigger one is not
 * published (the previous version stays) and logged. */
#define HTTP_DOC_MAX (64u << 20)

/* /status.json now (a line per call: the costliest document). */
static void publish_status(struct daemon *d, uint64_t now_ms)
{
	struct strbuf b;
	size_t len;
	char *s;

	strbuf_init(&b, HTTP_DOC_MAX);
	status_render(&b, &d->ctx, &d->op, now_ms);
	s = strbuf_take(&b, &len);
	if (s)
		httpd_publish(d->http, d->doc_status, s, len);
	else
		log_warn("http: /status.json larger than %u bytes, not updated", HTTP_DOC_MAX);
}

/* The control thread's 1 s timer: /metrics always (scrapers read it with
 * their own period), /status.json while someone reads it (the page asks every
 * second; a request after a pause is held until on_http_wake renders it). */
static void publish(struct daemon *d, uint64_t now_ms)
{
	struct metrics_src src = {
		.ctx = &d->ctx, .op = &d->op, .http = d->http, .render_us = d->render_us
	};
	struct strbuf b;
	size_t len;
	char *s;
	uint64_t t0 = mono_us();

	strbuf_init(&b, HTTP_DOC_MAX);
	metrics_render(&b, &src, now_ms);
	s = strbuf_take(&b, &len);
	if (s)
		httpd_publish(d->http, d->doc_metrics, s, len);
	else
		log_warn("http: /metrics larger than %u bytes, not updated", HTTP_DOC_MAX);
	if (httpd_doc_wanted(d->http, d->doc_status, now_ms, 5000))
		publish_status(d, now_ms);
	d->render_us = mono_us() - t0;
	log_debug("http: documents rendered in %llu us", (unsigned long long)d->render_us);
}

/* A request waits for a fresh /status.json (http/httpd.h, on demand). */
static void on_http_wake(struct loop_watch *w, uint32_t events)
{
	struct daemon *d = w->data;
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another wake-up already took it */
	}
	if (httpd_doc_awaited(d->http, d->doc_status))
		publish_status(d, loop_now_ms());
}

static int start_http(struct daemon *d)
{
	const struct rtprelay_config *c = &d->cfg;
	struct httpd_config hc;
	int rc;

	memset(&hc, 0, sizeof(hc));
	hc.addr = c->listen_http.sa;
	hc.addr_len = c->listen_http.len;
	hc.has_listen_fd = d->http_fd >= 0; /* taken over from the old daemon */
	hc.listen_fd = d->http_fd;
	snprintf(hc.token, sizeof(hc.token), "%s", c->http_token);
	d->http = httpd_new(&hc);
	if (!d->http)
		return -ENOMEM;
	d->doc_metrics = httpd_add_doc(d->http, "/metrics",
				       "text/plain; version=0.0.4; charset=utf-8");
	d->doc_status = httpd_add_doc(d->http, "/status.json", "application/json");
	if (d->doc_metrics < 0 || d->doc_status < 0 ||
	    httpd_add_static(d->http, "/", "text/html; charset=utf-8", status_page_html,
			     status_page_len) < 0)
		return -EINVAL;
	/* a status older than 1.5 s is rendered for the request that wants it */
	httpd_set_fresh(d->http, d->doc_status, 1500);
	d->http_wake = (struct loop_watch){ .fd = httpd_wake_fd(d->http),
					    .cb = on_http_wake,
					    .data = d };
	rc = loop_add(d->loop, &d->http_wake, EPOLLIN);
	if (rc)
		return rc;
	rc = httpd_start(d->http);
	if (rc) {
		log_err("listen-http: cannot listen: %s", strerror(-rc));
		return rc;
	}
	publish(d, loop_now_ms());
	log_notice("http: /metrics and the status page on port %u%s", httpd_port(d->http),
		   c->http_token[0] ? " (token required)" : "");
	return 0;
}

static void on_hup(void *arg)
{
	struct daemon *d = arg;
	struct operate_reload rl;
	char err[512];

	(void)operate_reload(&d->op, &rl, err, sizeof(err)); /* logs either way */
}

/* SIGUSR2: a successor takes over (it connects to our takeover socket). */
static void on_usr2(void *arg)
{
	struct daemon *d = arg;
	const char *path = d->cfg.takeover_socket[0] ? d->cfg.takeover_socket
						     : d->cfg.takeover_from;
	int rc;

	if (!d->tko) {
		log_notice("SIGUSR2 ignored: no takeover-socket configured");
		return;
	}
	rc = takeover_spawn(path, d->argc, d->argv);
	if (rc)
		log_err("takeover: cannot start a successor: %s", strerror(-rc));
}

/* Take the listeners, calls and reply cache over from the daemon at
 * cfg.takeover_from; it exits once we have them. */
static int take_over(struct daemon *d)
{
	struct takeover_env env = { .loop = d->loop,
				    .calls = &d->calls,
				    .srv = d->srv,
				    .offload = d->cfg.offload,
				    .port_min = d->cfg.port_min,
				    .port_max = d->cfg.port_max };
	struct takeover_result res;
	int rc;

	ng_server_allow(d->srv, d->cfg.allow_from, d->cfg.n_allow_from);
	rc = takeover_receive(d->cfg.takeover_from, &env, &res);
	if (rc)
		return rc;
	d->http_fd = res.http_fd;
	return 0;
}

/* Listen for a successor: at takeover-socket, or where we took over from. */
static void listen_successor(struct daemon *d)
{
	struct takeover_env env = {
		.loop = d->loop, .calls = &d->calls, .srv = d->srv, .http = d->http
	};

	if (d->cfg.takeover_socket[0])
		d->tko = d->cfg.takeover_from[0] &&
					 !strcmp(d->cfg.takeover_socket, d->cfg.takeover_from)
				 ? takeover_listen_replace(d->cfg.takeover_socket, &env)
				 : takeover_listen(d->cfg.takeover_socket, &env);
	else if (d->cfg.takeover_from[0])
		d->tko = takeover_listen_replace(d->cfg.takeover_from, &env);
}

static void on_tick(void *arg, uint64_t now_ms)
{
	struct daemon *d = arg;

	ng_server_tick(d->srv, now_ms);
	repl_tick(d->ctx.repl, now_ms); /* a standby looks for the address each tick */
	dtls_media_tick(now_ms);	/* DTLS retransmissions and timeouts */
	if (now_ms - d->last_call_tick >= 1000) {
		d->last_call_tick = now_ms;
		/* a standby's restored calls get no media until it takes over */
		if (!repl_is_standby(d->ctx.repl))
			calls_tick(&d->calls, now_ms);
		dp_offload_tick(now_ms);
		admission_tick(&d->adm, now_ms);
		operate_tick(&d->op);
		if (d->http)
			publish(d, now_ms);
	}
}

static int open_listeners(struct daemon *d)
{
	const struct rtprelay_config *c = &d->cfg;
	int rc;

	ng_server_allow(d->srv, c->allow_from, c->n_allow_from);
	for (unsigned i = 0; i < c->n_listen_ng; i++) {
		rc = ng_server_listen_udp(d->srv, (const struct sockaddr *)&c->listen_ng[i].sa,
					  c->listen_ng[i].len);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < c->n_listen_tcp; i++) {
		rc = ng_server_listen_tcp(d->srv, (const struct sockaddr *)&c->listen_tcp[i].sa,
					  c->listen_tcp[i].len);
		if (rc)
			return rc;
	}
	if (c->listen_unix[0])
		return ng_server_listen_unix(d->srv, c->listen_unix);
	return 0;
}

static void log_interfaces(const struct rtprelay_config *c)
{
	for (unsigned i = 0; i < c->n_ifaces; i++)
		log_notice("interface %s: %s (advertised %s), ports %u-%u", c->ifaces[i].name,
			   c->ifaces[i].addr, c->ifaces[i].advertised, c->port_min, c->port_max);
}

int main(int argc, char **argv)
{
	static struct daemon d; /* large: keep it off the stack */
	char err[512];
	int rc, rc_rec, sig, status = 1;

	rc = config_load(&d.cfg, argc, argv, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc) {
		fprintf(stderr, "rtprelayd: configuration error: %s\n", err);
		return 2;
	}
	log_set_level(d.cfg.log_level);
	if (!d.cfg.foreground && daemon(0, 0)) {
		fprintf(stderr, "rtprelayd: daemon: %s\n", strerror(errno));
		return 1;
	}
	/* before any thread: the workers inherit the blocked termination signals */
	d.loop = loop_new();
	if (!d.loop) {
		log_err("cannot create the event loop: %s", strerror(errno));
		return 1;
	}
	rc = dp_start(d.cfg.num_threads);
	if (rc) {
		log_err("cannot start the dataplane: %s", strerror(-rc));
		goto err_loop;
	}
	if (dtls_media_init(d.loop, d.cfg.dtls_cert_rsa,
			    d.cfg.dtls_rsa_key_size)) /* the daemon's DTLS certificate (logged) */
		goto err_dp;
	/* dtls-certificate/dtls-private-key: one certificate for an
	 * active/standby pair (docs/failover.md) */
	if (!d.cfg.dtls_certificate[0] != !d.cfg.dtls_private_key[0]) {
		log_err("dtls-certificate and dtls-private-key go together");
		goto err_dp;
	}
	if (d.cfg.dtls_certificate[0] &&
	    dtls_media_load_cert(d.cfg.dtls_certificate, d.cfg.dtls_private_key))
		goto err_dp;
	/* libsrtp with OpenSSL's AES and HMAC under it (srtp/srtp_openssl.h),
	 * set up before any SRTP session exists */
	if (sr_init())
		log_warn("SRTP: libsrtp2 failed to initialise: SRTP offers will be refused");
	else
		log_notice("SRTP: libsrtp2, AES and HMAC-SHA1 on %s", sr_crypto_backend());
	for (enum sr_suite s = SR_AES_CM_128_HMAC_SHA1_80; s < SR_N_SUITES; s++)
		if (sr_suite_available(s) && !sr_suite_rfc_keys(s)) /* docs/architecture.md, SRTP */
			log_notice("SRTP: %s: %s", sr_suite_name(s), sr_suite_rfc_keys_why(s));
	if (d.cfg.recording_dir[0]) {
		struct recorder_config rc = {
			.dir = d.cfg.recording_dir,
			.methods = d.cfg.recording_methods,
			.pcap_eth = d.cfg.recording_eth,
			.notify = d.cfg.recording_notify,
			.ring_bytes = (size_t)d.cfg.recording_ring_kb << 10,
			.n_rings = dp_num_workers(),
		};
		rc_rec = recorder_start(&rc);
		if (rc_rec) {
			log_err("cannot start the recorder: %s", strerror(-rc_rec));
			goto err_dp;
		}
		log_notice("recording to %s", d.cfg.recording_dir);
	}
	if (ifaces_init(&d.ifs, &d.cfg) || calls_init(&d.calls, &d.cfg, &d.ifs)) {
		log_err("out of memory");
		goto err_dp;
	}
	admission_init(&d.adm, &d.cfg, loop_now_ms());
	d.calls.adm = &d.adm;
	d.ctx = (struct daemon_ctx){
		.calls = &d.calls, .ifs = &d.ifs, .cfg = &d.cfg, .started_ms = loop_now_ms()
	};
	d.srv = ng_server_new(d.loop, commands_handle, &d.ctx);
	if (!d.srv)
		goto err_calls;
	d.ctx.srv = d.srv;
	d.op = (struct operate){ .cfg = &d.cfg,
				 .argc = argc,
				 .argv = argv,
				 .adm = &d.adm,
				 .calls = &d.calls,
				 .loop = d.loop };
	d.ctx.op = &d.op;
	loop_on_hup(d.loop, on_hup, &d);
	if (d.cfg.has_redis) {
		d.ctx.repl = repl_start(&d.cfg, &d.calls, d.loop);
		if (!d.ctx.repl)
			goto err_srv;
	}
	d.http_fd = -1;
	d.argc = argc;
	d.argv = argv;
	loop_on_usr2(d.loop, on_usr2, &d);
	if (d.cfg.offload) /* before a takeover, which may load the program */
		offload_rec_set_ring_size((size_t)d.cfg.recording_kernel_ring_kb << 10);
	if (d.cfg.takeover_from[0]) {
		/* the old daemon carries on if this fails; leave without
		 * touching what it shares with us (the unix listener's path) */
		if (take_over(&d))
			_exit(1);
	} else if (open_listeners(&d)) {
		goto err_srv;
	}
	if (d.cfg.has_listen_http && start_http(&d))
		goto err_srv;
	listen_successor(&d);
	/* offload = yes: a failure is logged there; user space carries on */
	if (d.cfg.offload) /* already started if a takeover adopted the kernel maps */
		(void)dp_offload_start(d.cfg.port_min, d.cfg.port_max);
	log_interfaces(&d.cfg);
	log_notice("rtprelayd started: %u workers", dp_num_workers());
	if (d.cfg.takeover_from[0]) { /* systemd follows the successor */
		char st[64];
		snprintf(st, sizeof(st), "MAINPID=%d\nREADY=1", (int)getpid());
		takeover_sd_notify(st);
	} else {
		takeover_sd_notify("READY=1");
	}
	d.last_call_tick = loop_now_ms();
	sig = loop_run(d.loop, TICK_MS, on_tick, &d);
	if (takeover_handed_over(d.tko)) {
		/* the successor owns every socket, call and kernel entry now:
		 * tearing down would delete what it serves. Only this process's
		 * recordings end here, their files complete: the successor goes
		 * on in files of its own (callrec_continue). */
		recorder_stop();
		log_notice("rtprelayd handed over: exiting");
		_exit(0);
	}
	takeover_free(d.tko, true);
	if (sig > 0)
		log_notice("signal %d: shutting down", sig);
	else if (sig == 0 && operate_draining(&d.op))
		log_notice("drained: shutting down");
	else if (sig < 0)
		log_err("event loop failed: %s", strerror(-sig));
	status = sig < 0 ? 1 : 0;
err_srv:
	/* before the calls end: a shutdown leaves their records to the standby */
	repl_stop(d.ctx.repl);
	httpd_free(d.http);
	ng_server_free(d.srv);
err_calls:
	calls_free(&d.calls, loop_now_ms());
	dp_offload_stop();
	ifaces_free(&d.ifs);
err_dp:
	dtls_media_fini();
	dp_stop();
	/* after the workers: nothing copies into the rings any more; every
	 * recording is finished (files complete) */
	recorder_stop();
err_loop:
	loop_free(d.loop);
	if (status == 0)
		log_notice("rtprelayd stopped");
	return status;
}
