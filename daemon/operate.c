/*
 * operate.c: drain and reload (see operate.h).
 */
#include "daemon/operate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/admission.h"
#include "daemon/call.h"
#include "daemon/config.h"
#include "lib/log.h"
#include "lib/loop.h"

unsigned operate_drain(struct operate *o, uint64_t now_ms)
{
	if (!o->drain_started_ms) {
		o->drain_started_ms = now_ms ? now_ms : 1;
		o->adm->draining = true;
		log_notice("draining: no new calls; %u call(s) continue, exit when none is left",
			   o->calls->count);
	}
	return o->calls->count;
}

bool operate_draining(const struct operate *o)
{
	return o->drain_started_ms != 0;
}

void operate_tick(struct operate *o)
{
	if (o->drain_started_ms && o->calls->count == 0) {
		log_notice("drained: no call left, stopping");
		loop_stop(o->loop);
	}
}

static void note(char *list, size_t cap, const char *key)
{
	size_t n = strlen(list);

	snprintf(list + n, cap - n, "%s%s", n ? " " : "", key);
}

#define SAME(f) (!memcmp(&o->cfg->f, &fresh->f, sizeof(fresh->f)))

/* A key that can change now: copy it and name it when it differs. */
#define APPLY(f, name)                                                  \
	do {                                                            \
		if (!SAME(f)) {                                         \
			o->cfg->f = fresh->f;                           \
			note(out->changed, sizeof(out->changed), name); \
		}                                                       \
	} while (0)
/* A key that needs a restart: name it when it differs. */
#define KEEP(f, name)                                                   \
	do {                                                            \
		if (!SAME(f))                                           \
			note(out->restart, sizeof(out->restart), name); \
	} while (0)

int operate_reload(struct operate *o, struct operate_reload *out, char *err, size_t errlen)
{
	struct rtprelay_config *fresh = malloc(sizeof(*fresh));
	int rc;

	memset(out, 0, sizeof(*out));
	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = config_load(fresh, o->argc, o->argv, err, errlen);
	if (rc) {
		free(fresh);
		if (rc == 1)
			snprintf(err, errlen, "the command line asks for --help/--version");
		log_warn("reload: configuration refused, nothing changed: %s", err);
		return -EINVAL;
	}
	APPLY(log_level, "log-level");
	APPLY(timeout, "timeout");
	APPLY(silent_timeout, "silent-timeout");
	APPLY(final_timeout, "final-timeout");
	APPLY(delete_delay, "delete-delay");
	APPLY(max_sessions, "max-sessions");
	APPLY(max_load, "max-load");
	APPLY(max_cpu, "max-cpu");
	APPLY(max_bandwidth, "max-bandwidth");
	APPLY(opus_complexity, "opus-complexity");
	APPLY(resample_quality, "resample-quality");
	APPLY(socket_buffer, "socket-buffer"); /* sockets opened from now on */
	log_set_level(o->cfg->log_level);
	/* compared field by field: unused bytes of the address structs are
	 * zero in both, config_defaults clears the whole struct */
	if (o->cfg->n_ifaces != fresh->n_ifaces ||
	    memcmp(o->cfg->ifaces, fresh->ifaces, sizeof(fresh->ifaces)))
		note(out->restart, sizeof(out->restart), "interface");
	KEEP(port_min, "port-min");
	KEEP(port_max, "port-max");
	if (o->cfg->n_listen_ng != fresh->n_listen_ng ||
	    memcmp(o->cfg->listen_ng, fresh->listen_ng, sizeof(fresh->listen_ng)) ||
	    o->cfg->n_listen_tcp != fresh->n_listen_tcp ||
	    memcmp(o->cfg->listen_tcp, fresh->listen_tcp, sizeof(fresh->listen_tcp)) ||
	    strcmp(o->cfg->listen_unix, fresh->listen_unix))
		note(out->restart, sizeof(out->restart), "listen-ng/tcp/unix");
	if (o->cfg->n_allow_from != fresh->n_allow_from ||
	    memcmp(o->cfg->allow_from, fresh->allow_from, sizeof(fresh->allow_from)))
		note(out->restart, sizeof(out->restart), "allow-from");
	KEEP(num_threads, "num-threads");
	KEEP(offload, "offload");
	KEEP(dtls_cert_rsa, "dtls-cert-cipher");
	KEEP(dtls_rsa_key_size, "dtls-rsa-key-size");
	if (o->cfg->has_listen_http != fresh->has_listen_http ||
	    memcmp(&o->cfg->listen_http, &fresh->listen_http, sizeof(fresh->listen_http)))
		note(out->restart, sizeof(out->restart), "listen-http");
	if (strcmp(o->cfg->http_token, fresh->http_token))
		note(out->restart, sizeof(out->restart), "http-token");
	free(fresh);
	o->reloads++;
	log_notice("reload: applied [%s]%s%s%s", out->changed,
		   out->restart[0] ? "; needs a restart, unchanged: [" : "", out->restart,
		   out->restart[0] ? "]" : "");
	return 0;
}
