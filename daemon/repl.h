/*
 * repl.h: Redis-backed active/standby (`redis`, `redis-role`, `redis-auth`;
 * docs/failover.md describes the topology).
 *
 * Active: after every change of a call (a command that names it, a latch or
 * re-key the data plane reports, its end) the control thread writes the
 * call's snapshot (daemon/call_snapshot.h) in an envelope
 * (daemon/repl_record.h) into a bounded queue that coalesces per call
 * (daemon/repl_queue.h); a writer thread of its own SETs/DELs the queued
 * records in pipelined batches under `rtprelay:call:<call-id>`. No ng reply
 * waits for Redis and the packet path never sees any of it. Redis
 * unreachable: relaying goes on, the outage is logged once, the writer
 * reconnects with backoff (100 ms doubling to 5 s), counts it, and after a
 * reconnect writes every call again.
 *
 * Standby: a follower thread PSUBSCRIBEs to the keyspace notifications of
 * those keys (Redis must have notify-keyspace-events with K, $ and g), reads
 * every existing record, then GETs each key an event names; the control
 * thread restores, replaces or deletes the call. A restored call's sockets
 * are bound with IP_FREEBIND on the (shared) interface address even while
 * that address is elsewhere, so nothing reaches them and nothing is
 * forwarded until the address is on one of this host's interfaces. The
 * standby watches for it (rtnetlink address events, and a check every tick);
 * when it arrives the standby becomes active: it stops following, its calls'
 * timeouts start, and from the ticks after it (not while the first media
 * arrives) it writes every call to Redis again.
 *
 * Control thread API; the two threads touch only the queues and the atomic
 * counters.
 */
#ifndef RTPRELAY_REPL_H
#define RTPRELAY_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct calls;
struct loop;
struct rtprelay_config;

#define REPL_QUEUE_CAP 65536 /* call records waiting for the writer at most */

struct repl;

struct repl_stats {
	bool standby;	/* still following */
	bool connected; /* the thread's connection is up */
	uint64_t writes, deletes, bytes, write_errors;
	uint64_t connect_failures, reconnects, queue_refused, coalesced;
	uint64_t restored, refused, removed, takeovers;
	unsigned queued;
};

/* Start replication for @calls as configured (cfg->has_redis). NULL on
 * failure (logged). Hooks the call table's end-of-call notification. */
struct repl *repl_start(const struct rtprelay_config *cfg, struct calls *calls, struct loop *loop);
/* Stop the threads and unhook; before calls_free, so that a shutdown does
 * not delete the records a standby takes over from. NULL is a no-op. */
void repl_stop(struct repl *r);

/* A command changed call @call_id (or ended it): its record is queued once
 * the command's reply is out. @write false (`no-redis-update`): the change
 * is taken as written without writing it; later changes are written. */
void repl_call_touched(struct repl *r, const char *call_id, bool write);
/* The control thread's tick: calls whose latching or keys changed since
 * their last record, a resynchronisation after a reconnect; on a standby,
 * whether the shared address has arrived. */
void repl_tick(struct repl *r, uint64_t now_ms);
/* Following (not active yet): the call timeouts must not run. */
bool repl_is_standby(const struct repl *r);

void repl_get_stats(struct repl *r, struct repl_stats *st);
/* The rtprelay_redis_* families of /metrics. */
void repl_metrics(struct strbuf *b, struct repl *r);

#endif
