/*
 * operate.h: what an operator does to a running relay (rtprelay-ctl):
 *
 * - drain: no new calls from now on (an offer that would create one is
 *   refused like an admission limit, daemon/admission.h, so a proxy that
 *   sends `supports: ["load limit"]` gets `result: load limit` and tries
 *   another relay); the calls there continue, and the daemon exits 0 once
 *   the last one has ended.
 * - reload: read the configuration again (the same --config file and
 *   command line as at start) and apply the keys that can change while
 *   calls run: log-level, timeout, silent-timeout, final-timeout,
 *   delete-delay, max-sessions, max-load, max-cpu, max-bandwidth,
 *   opus-complexity, resample-quality. A changed key that needs a restart
 *   (interfaces, ports, listeners, num-threads, offload, http-token) is
 *   named and left as it is. A configuration that does not parse changes
 *   nothing. Reached by SIGHUP (systemd's ExecReload) and the `reload` ng
 *   command.
 *
 * Control thread only.
 */
#ifndef RTPRELAY_OPERATE_H
#define RTPRELAY_OPERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct admission;
struct calls;
struct loop;
struct rtprelay_config;

struct operate {
	struct rtprelay_config *cfg; /* the live configuration */
	int argc;		     /* the command line, read again by reload */
	char **argv;
	struct admission *adm;
	struct calls *calls;
	struct loop *loop;
	uint64_t drain_started_ms; /* 0 = not draining */
	uint64_t reloads;	   /* successful reloads */
};

/* What a reload did: the keys applied and those that need a restart, as
 * blank-separated names ("" = none). */
struct operate_reload {
	char changed[512];
	char restart[256];
};

/* Start draining (again: no effect). Returns the calls still there. */
unsigned operate_drain(struct operate *o, uint64_t now_ms);
bool operate_draining(const struct operate *o);
/* 0, or -EINVAL with the configuration error in @err (nothing changed). */
int operate_reload(struct operate *o, struct operate_reload *out, char *err, size_t errlen);
/* The control thread's timer: a drained relay without calls stops the loop. */
void operate_tick(struct operate *o);

#endif
