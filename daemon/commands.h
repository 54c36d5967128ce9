/*
 * commands.h: ng command dispatch: bytes of one message in, bytes of its reply
 * out. Decodes (bencode or JSON), validates, runs ping/offer/answer/delete/
 * query/list/statistics against the call table, the operator's drain and
 * reload (daemon/operate.h), and encodes the reply in the
 * request's encoding. Any failure becomes `result: error` + `error-reason`;
 * a message without a readable cookie gets no reply (logged). Control thread.
 */
#ifndef RTPRELAY_COMMANDS_H
#define RTPRELAY_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct calls;
struct ifaces;
struct ng_server;
struct operate;
struct repl;
struct rtprelay_config;

#define CTL_NCMD	19 /* enum ng_command: ping .. stop media (NG_CMD_LAST) */
#define CTL_MAX_PROXIES 64 /* proxies counted one by one; more share the last entry */

/* Duration of one command over its runs. */
struct ctl_time {
	uint64_t count, total_us, min_us, max_us;
};

/* Requests of one command per wall-clock second. */
struct ctl_rate {
	uint64_t sec, in_sec; /* the second being counted, its requests so far */
	uint64_t min, max;    /* over the finished seconds that had requests */
	uint64_t busy_secs;   /* finished seconds that had requests */
};

struct ctl_proxy {
	char addr[48]; /* the proxy's address as text, "" = unused slot */
	uint64_t count[CTL_NCMD], time_us[CTL_NCMD];
	uint64_t errors;
};

/* The `statistics` reply's control figures, counted in commands_handle. */
struct ctl_stats {
	struct ctl_time total[CTL_NCMD];
	/* the interval: since the previous `statistics` reply (or start) */
	uint64_t iv_start_ms;
	bool iv_started;
	struct ctl_time iv[CTL_NCMD];
	struct ctl_rate rate[CTL_NCMD];
	uint64_t iv_min_sessions, iv_max_sessions;
	uint64_t iv_duration_ms; /* calls' summed duration at the interval start */
	/* packet rates: counters at the last sample, and the rates then */
	uint64_t sample_ms, sample_packets, sample_bytes, sample_errors;
	uint64_t packetrate, byterate, errorrate;
	struct ctl_proxy proxies[CTL_MAX_PROXIES];
	unsigned n_proxies;
};

struct daemon_ctx {
	struct calls *calls;
	struct ifaces *ifs;
	const struct rtprelay_config *cfg;
	struct ng_server *srv; /* for statistics; may be NULL */
	struct operate *op;    /* drain and reload; NULL = refused */
	struct repl *repl;     /* Redis replication (daemon/repl.h); NULL = off */
	uint64_t started_ms;
	uint64_t cmd_counts[CTL_NCMD]; /* per enum ng_command */
	uint64_t cmd_errors;
	struct ctl_stats stats;
};

/* ng_handler_fn for server.h: @ctx is a struct daemon_ctx. */
size_t commands_handle(void *ctx, const uint8_t *msg, size_t len,
		       const struct sockaddr_storage *from, char *out, size_t cap);

#endif
