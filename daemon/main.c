/*
 * main.c: rtprelayd. Reads the configuration, starts the dataplane workers,
 * opens the control listeners and runs the control thread's loop until
 * SIGTERM/SIGINT; then deletes every call, stops the workers and exits 0.
 * A bad configuration exits 2 with a message naming the key (and line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/server.h"
#include "daemon/admission.h"
#include "daemon/call.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_offload.h"
#include "daemon/interfaces.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "recording/recorder.h"

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
};

static void on_tick(void *arg, uint64_t now_ms)
{
	struct daemon *d = arg;

	ng_server_tick(d->srv, now_ms);
	if (now_ms - d->last_call_tick >= 1000) {
		d->last_call_tick = now_ms;
		calls_tick(&d->calls, now_ms);
		dp_offload_tick(now_ms);
		admission_tick(&d->adm, now_ms);
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
	if (open_listeners(&d))
		goto err_srv;
	/* offload = yes: a failure is logged there; user space carries on */
	if (d.cfg.offload)
		(void)dp_offload_start(d.cfg.port_min, d.cfg.port_max);
	log_interfaces(&d.cfg);
	log_notice("rtprelayd started: %u workers", dp_num_workers());
	d.last_call_tick = loop_now_ms();
	sig = loop_run(d.loop, TICK_MS, on_tick, &d);
	if (sig > 0)
		log_notice("signal %d: shutting down", sig);
	else if (sig < 0)
		log_err("event loop failed: %s", strerror(-sig));
	status = sig < 0 ? 1 : 0;
err_srv:
	ng_server_free(d.srv);
err_calls:
	calls_free(&d.calls, loop_now_ms());
	dp_offload_stop();
	ifaces_free(&d.ifs);
err_dp:
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
