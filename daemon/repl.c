/*
 * repl.c: Redis-backed active/standby (see repl.h for the design).
 */
#include "daemon/repl.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codecs/transcode.h"
#include "daemon/addr_watch.h"
#include "daemon/call.h"
#include "daemon/call_snapshot.h"
#include "daemon/callrec.h"
#include "daemon/config.h"
#include "daemon/interfaces.h"
#include "daemon/ports.h"
#include "daemon/repl_queue.h"
#include "daemon/repl_record.h"
#include "daemon/stream_ref.h"
#include "daemon/sockbuf.h"
#include "daemon/repl_rewrite.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/loop.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78 /* linux/in6.h, Linux >= 4.15 */
#endif

#define PREFIX_LEN	     (sizeof(REPL_KEY_PREFIX) - 1)
#define BACKOFF_MIN_MS	     100
#define BACKOFF_MAX_MS	     5000
#define IO_TIMEOUT_MS	     1000  /* connect and each command */
#define FOLLOW_POLL_MS	     100   /* the follower looks at its stop flag this often */
#define RECHECK_WINDOW_MS    30000 /* calls signalled this recently are re-checked */
#define RECHECK_EVERY_MS     1000
#define SAMPLE_EVERY_MS	     1000    /* output streams sampled this often (stream_ref.h) */
#define SCAN_ROUNDS_MAX	     1000000 /* SCAN calls in one initial read at most */
#define FOLLOW_EVENT_MAX_KEY 512
/* After a takeover every call is written again, but not while media moves to
 * this host (daemon/repl_rewrite.h): the first calls REWRITE_DELAY_MS later,
 * REWRITE_PER_TICK calls a control-loop tick (a snapshot costs tens of
 * microseconds; ten thousand at once would hold the control thread, and the
 * CPU the workers need, for hundreds of milliseconds right when the address
 * arrived). */
#define REWRITE_DELAY_MS     200
#define REWRITE_PER_TICK     512

struct repl {
	const struct rtprelay_config *cfg;
	struct calls *calls;
	struct loop *loop;
	char pattern[64]; /* __keyspace@DB__:rtprelay:call:* */
	/* control thread -> writer: records; follower -> control thread:
	 * records; commands -> control thread (after the reply): call-ids */
	struct repl_queue wq, fq, dirty;
	struct loop_watch dirty_w, follow_w, nl_w;
	bool nl_added;
	bool standby; /* control thread's view; the threads read `following` */
	pthread_t writer, follower;
	bool writer_started, follower_started;
	atomic_bool stop_writer, stop_follower;
	int follower_wake;	     /* eventfd: the follower's poll returns at once on stop */
	struct repl_rewrite rewrite; /* after a takeover: calls to write again */
	atomic_bool resync;	     /* the writer reconnected: write every call again */
	uint64_t last_recheck_ms, last_sample_ms;
	_Atomic uint64_t writes, deletes, bytes, write_errors, connect_failures, reconnects;
	_Atomic bool connected;
	uint64_t restored, refused, removed, takeovers; /* control thread */
};

/* ---- connections (both threads) ---- */

static redisContext *redis_open(struct repl *r, const char **why)
{
	const struct rtprelay_config *c = r->cfg;
	struct timeval tv = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };
	redisContext *rc = redisConnectWithTimeout(c->redis_host, c->redis_port, tv);
	redisReply *rep;

	if (!rc) {
		*why = "out of memory";
		return NULL;
	}
	if (rc->err) {
		static __thread char msg[128];
		snprintf(msg, sizeof(msg), "%s", rc->errstr);
		*why = msg;
		redisFree(rc);
		return NULL;
	}
	redisSetTimeout(rc, tv);
	if (c->redis_auth[0]) {
		rep = redisCommand(rc, "AUTH %s", c->redis_auth);
		if (!rep || rep->type == REDIS_REPLY_ERROR) {
			*why = "AUTH refused";
			goto fail;
		}
		freeReplyObject(rep);
	}
	if (c->redis_db) {
		rep = redisCommand(rc, "SELECT %u", c->redis_db);
		if (!rep || rep->type == REDIS_REPLY_ERROR) {
			*why = "SELECT refused";
			goto fail;
		}
		freeReplyObject(rep);
	}
	return rc;
fail:
	if (rep)
		freeReplyObject(rep);
	redisFree(rc);
	return NULL;
}

/* Sleep @ms unless @stop turns true (checked every 50 ms). */
static void nap(atomic_bool *stop, unsigned ms)
{
	for (unsigned t = 0; t < ms && !atomic_load(stop); t += 50) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* One outage, logged once: at its start, and when it ends. */
static void down(struct repl *r, bool *logged, const char *who, const char *why)
{
	atomic_fetch_add(&r->connect_failures, 1);
	atomic_store(&r->connected, false);
	if (!*logged)
		log_warn("redis: %s cannot reach %s:%u (%s); relaying continues, retrying with "
			 "backoff",
			 who, r->cfg->redis_host, r->cfg->redis_port, why);
	*logged = true;
}

/* ---- the writer thread (active) ---- */

static void *writer_main(void *arg)
{
	struct repl *r = arg;
	redisContext *rc = NULL;
	struct rq_item *batch = NULL;
	unsigned backoff = BACKOFF_MIN_MS;
	bool logged = false, ever = false;
	const char *why;

	while (!atomic_load(&r->stop_writer)) {
		if (!rc) {
			rc = redis_open(r, &why);
			if (!rc) {
				down(r, &logged, "writer", why);
				nap(&r->stop_writer, backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
								       : backoff * 2;
				continue;
			}
			if (logged || ever) {
				log_notice("redis: writer reconnected to %s:%u; writing every call "
					   "again",
					   r->cfg->redis_host, r->cfg->redis_port);
				atomic_fetch_add(&r->reconnects, 1);
				atomic_store(&r->resync, true);
			}
			ever = true;
			logged = false;
			backoff = BACKOFF_MIN_MS;
			atomic_store(&r->connected, true);
		}
		if (!batch)
			batch = rq_take(&r->wq, 200);
		if (!batch)
			continue;
		/* one pipelined round trip for the whole batch */
		for (struct rq_item *it = batch; it; it = it->next)
			if (it->data)
				redisAppendCommand(rc, "SET %s%b %b", REPL_KEY_PREFIX, it->id,
						   it->id_len, it->data, it->len);
			else
				redisAppendCommand(rc, "DEL %s%b", REPL_KEY_PREFIX, it->id,
						   it->id_len);
		bool ok = true;
		for (struct rq_item *it = batch; it; it = it->next) {
			redisReply *rep = NULL;
			if (redisGetReply(rc, (void **)&rep) != REDIS_OK || !rep) {
				ok = false;
				break;
			}
			if (rep->type == REDIS_REPLY_ERROR) {
				atomic_fetch_add(&r->write_errors, 1);
				log_warn("redis: writing call %s refused: %.*s", it->id,
					 (int)(rep->len > 200 ? 200 : rep->len), rep->str);
			} else if (it->data) {
				atomic_fetch_add(&r->writes, 1);
				atomic_fetch_add(&r->bytes, it->len);
			} else {
				atomic_fetch_add(&r->deletes, 1);
			}
			freeReplyObject(rep);
		}
		if (!ok) {
			down(r, &logged, "writer", rc->errstr[0] ? rc->errstr : "connection lost");
			redisFree(rc);
			rc = NULL;
			/* the batch goes back; a newer record queued meanwhile wins */
			for (struct rq_item *it = batch; it; it = it->next) {
				(void)rq_put(&r->wq, it->id, it->id_len, it->data, it->len, false);
				it->data = NULL;
			}
			rq_list_free(batch);
			batch = NULL;
			continue;
		}
		rq_list_free(batch);
		batch = NULL;
	}
	rq_list_free(batch);
	if (rc)
		redisFree(rc);
	return NULL;
}

/* ---- the follower thread (standby) ---- */

/* GET one key and queue what it holds (nothing: the call is gone). 0, or -1
 * when the connection failed. */
static int follow_fetch(struct repl *r, redisContext *get, const char *id, size_t id_len)
{
	redisReply *rep = redisCommand(get, "GET %s%b", REPL_KEY_PREFIX, id, id_len);
	char *data = NULL;
	size_t len = 0;

	if (!rep)
		return -1;
	if (rep->type == REDIS_REPLY_STRING) {
		if (rep->len > REPL_RECORD_MAX + 2 * CALL_TAG_MAX) {
			log_warn("redis: record for call %.*s refused: %zu bytes", (int)id_len, id,
				 (size_t)rep->len);
			freeReplyObject(rep);
			return 0;
		}
		data = malloc(rep->len ? rep->len : 1);
		if (!data) {
			freeReplyObject(rep);
			return 0;
		}
		memcpy(data, rep->str, rep->len);
		len = rep->len;
	} else if (rep->type != REDIS_REPLY_NIL) {
		freeReplyObject(rep);
		return 0; /* a key of another type: nothing of ours */
	}
	freeReplyObject(rep);
	(void)rq_put(&r->fq, id, id_len, data, len, true);
	return 0;
}

/* Every record there is now (SCAN). 0 or -1 (connection failed). */
static int follow_scan(struct repl *r, redisContext *get)
{
	char cursor[32] = "0";

	for (unsigned round = 0; round < SCAN_ROUNDS_MAX && !atomic_load(&r->stop_follower);
	     round++) {
		redisReply *rep = redisCommand(get, "SCAN %s MATCH %s* COUNT 1000", cursor,
					       REPL_KEY_PREFIX);
		if (!rep)
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(rep);
			return -1;
		}
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
		cursor[rep->element[0]->len] = '\0';
		redisReply *keys = rep->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			redisReply *k = keys->element[i];
			if (k->type != REDIS_REPLY_STRING || k->len <= PREFIX_LEN ||
			    k->len > PREFIX_LEN + CALL_TAG_MAX)
				continue;
			if (follow_fetch(r, get, k->str + PREFIX_LEN, k->len - PREFIX_LEN)) {
				freeReplyObject(rep);
				return -1;
			}
		}
		freeReplyObject(rep);
		if (!strcmp(cursor, "0"))
			return 0;
	}
	return 0;
}

/* A keyspace notification: ["pmessage", pattern, channel, event]. The
 * channel names the key; whatever the event, the key is read again, so
 * events that arrive out of order still end in Redis's current state. */
static int follow_event(struct repl *r, redisContext *get, redisReply *m)
{
	const char *ch, *key;
	size_t ch_len;

	if (m->type != REDIS_REPLY_ARRAY || m->elements != 4 ||
	    m->element[0]->type != REDIS_REPLY_STRING || strcmp(m->element[0]->str, "pmessage") ||
	    m->element[2]->type != REDIS_REPLY_STRING)
		return 0;
	ch = m->element[2]->str;
	ch_len = m->element[2]->len;
	if (ch_len > FOLLOW_EVENT_MAX_KEY)
		return 0;
	key = memchr(ch, ':', ch_len); /* after "__keyspace@N__" */
	if (!key)
		return 0;
	key++;
	size_t kl = ch_len - (size_t)(key - ch);
	if (kl <= PREFIX_LEN || kl > PREFIX_LEN + CALL_TAG_MAX ||
	    memcmp(key, REPL_KEY_PREFIX, PREFIX_LEN))
		return 0;
	return follow_fetch(r, get, key + PREFIX_LEN, kl - PREFIX_LEN);
}

static void *follower_main(void *arg)
{
	struct repl *r = arg;
	unsigned backoff = BACKOFF_MIN_MS;
	bool logged = false;
	const char *why = "";

	while (!atomic_load(&r->stop_follower)) {
		redisContext *sub = redis_open(r, &why), *get = sub ? redis_open(r, &why) : NULL;
		redisReply *rep = NULL;

		if (!get)
			goto lost;
		/* subscribe first, then read what is there: a change in between
		 * is both read and notified, never missed */
		rep = redisCommand(sub, "PSUBSCRIBE %s", r->pattern);
		if (!rep || rep->type == REDIS_REPLY_ERROR) {
			why = "PSUBSCRIBE refused";
			goto lost;
		}
		freeReplyObject(rep);
		rep = NULL;
		if (follow_scan(r, get)) {
			why = "reading the records failed";
			goto lost;
		}
		if (logged)
			log_notice("redis: follower reconnected to %s:%u", r->cfg->redis_host,
				   r->cfg->redis_port);
		logged = false;
		backoff = BACKOFF_MIN_MS;
		atomic_store(&r->connected, true);
		while (!atomic_load(&r->stop_follower)) {
			void *m = NULL;
			if (redisGetReplyFromReader(sub, &m) != REDIS_OK) {
				why = "protocol error";
				goto lost;
			}
			if (!m) {
				struct pollfd p[2] = { { .fd = sub->fd, .events = POLLIN },
						       { .fd = r->follower_wake,
							 .events = POLLIN } };
				int n = poll(p, r->follower_wake >= 0 ? 2 : 1, FOLLOW_POLL_MS);
				if (n < 0 && errno != EINTR) {
					why = "poll failed";
					goto lost;
				}
				if (n > 0 && (p[0].revents & (POLLIN | POLLERR | POLLHUP)) &&
				    redisBufferRead(sub) != REDIS_OK) {
					why = sub->errstr[0] ? sub->errstr : "connection lost";
					goto lost;
				}
				continue;
			}
			int rc = follow_event(r, get, m);
			freeReplyObject(m);
			if (rc) {
				why = get->errstr[0] ? get->errstr : "connection lost";
				goto lost;
			}
		}
		redisFree(sub);
		redisFree(get);
		break;
	lost:
		if (rep)
			freeReplyObject(rep);
		if (sub)
			redisFree(sub);
		if (get)
			redisFree(get);
		if (atomic_load(&r->stop_follower))
			break;
		down(r, &logged, "follower", why);
		nap(&r->stop_follower, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

/* ---- control thread: active side ---- */

enum queue_how {
	Q_CHANGED, /* queue it if it differs from the last record */
	Q_FORCE,   /* queue it */
	Q_ABSORB,  /* take it as written without writing (no-redis-update) */
};

/* Snapshot @c and queue it as @how says. */
static void queue_call(struct repl *r, struct call *c, enum queue_how how)
{
	struct strbuf b;
	size_t len, rec_len;
	char *snap, *rec;
	uint64_t h;
	int rc;

	strbuf_init(&b, CALL_SNAPSHOT_MAX);
	rc = call_snapshot_write(c, &b);
	snap = rc ? NULL : strbuf_take(&b, &len);
	if (!snap) {
		strbuf_free(&b);
		log_warn("redis: call %s not written: %s", c->call_id, strerror(rc ? -rc : ENOMEM));
		return;
	}
	h = (uint64_t)fnv1a(snap, len) << 32 | (uint32_t)len;
	if ((how == Q_CHANGED && h == c->repl_hash) || how == Q_ABSORB) {
		if (how == Q_ABSORB)
			c->repl_hash = h;
		free(snap);
		return;
	}
	rc = repl_record_wrap(c->call_id, strlen(c->call_id), snap, len, &rec, &rec_len);
	free(snap);
	if (rc) {
		log_warn("redis: call %s not written: %s", c->call_id, strerror(-rc));
		return;
	}
	if (rq_put(&r->wq, c->call_id, strlen(c->call_id), rec, rec_len, true) == 0) {
		c->repl_hash = h;
		c->repl_updated = time(NULL);
	} else
		atomic_store(&r->resync, true); /* full: every call again later */
}

static void on_call_destroyed(void *arg, const char *call_id)
{
	struct repl *r = arg;

	if (r->standby)
		return; /* a standby never writes */
	if (rq_put(&r->wq, call_id, strlen(call_id), NULL, 0, true))
		atomic_store(&r->resync, true);
}

void repl_call_touched(struct repl *r, const char *call_id, bool write)
{
	char *absorb = NULL;

	if (!r || r->standby || !call_id || !call_id[0])
		return;
	/* a marker for "absorb"; a later touch of the call that writes replaces it */
	if (!write && !(absorb = strdup("-")))
		return;
	(void)rq_put(&r->dirty, call_id, strlen(call_id), absorb, absorb ? 1 : 0, true);
}

/* The loop runs this after the command's reply went out. */
static void on_dirty(struct loop_watch *w, uint32_t events)
{
	struct repl *r = w->data;
	struct rq_item *list = rq_take(&r->dirty, 0);

	(void)events;
	for (struct rq_item *it = list; it; it = it->next) {
		struct call *c = call_find(r->calls, it->id);
		if (c)
			queue_call(r, c, it->data ? Q_ABSORB : Q_CHANGED);
		/* an ended call was queued for deletion by on_call_destroyed */
	}
	rq_list_free(list);
}

static void start_writer(struct repl *r)
{
	atomic_store(&r->stop_writer, false);
	if (pthread_create(&r->writer, NULL, writer_main, r) == 0)
		r->writer_started = true;
	else
		log_err("redis: cannot start the writer thread");
}

/* ---- control thread: output streams (daemon/stream_ref.h) ---- */

static void out_params(const struct call_media *m, unsigned *ptime, unsigned *clock)
{
	struct xcode_config cfg;

	xcode_config_of(m->xcode, &cfg);
	*ptime = cfg.out_ptime ? cfg.out_ptime : 20;
	*clock = cfg.out_codec->clock_rate;
}

static bool same_rocs(const struct call_media *m, const struct dp_stream_sample *s)
{
	if (m->n_rocs != s->n_rocs)
		return false;
	for (unsigned i = 0; i < s->n_rocs; i++)
		if (m->rocs[i].tx != s->rocs[i].tx || m->rocs[i].ssrc != s->rocs[i].ssrc ||
		    m->rocs[i].roc != s->rocs[i].roc)
			return false;
	return true;
}

/* Active: take in what the workers sampled since the last round (a media's
 * transcoder output and SRTP counters), ask for the next samples, and write
 * the calls whose reference moved. No packet-path work: one command per
 * sampled socket and round. */
static void sample_round(struct repl *r)
{
	for (struct call *c = r->calls->head; c; c = c->next) {
		bool moved = false;
		for (unsigned pi = 0; pi < c->n_parties; pi++)
			for (unsigned i = 0; i < c->parties[pi]->n_media; i++) {
				struct call_media *m = &c->parties[pi]->media[i];
				struct dp_stream_sample s;
				if (!m->used || !m->rtp.ep || (!m->xcode && !m->sdes && !m->dtls))
					continue;
				if (dp_endpoint_sample_read(m->rtp.ep, &s) &&
				    s.wall_ms != m->sample_wall_ms) {
					m->sample_wall_ms = s.wall_ms;
					if (s.xcode && m->xcode) {
						struct stream_ref cur;
						unsigned ptime, clock;
						out_params(m, &ptime, &clock);
						stream_ref_from_sample(&cur, s.ssrc, s.seq, s.ts,
								       s.have_roc, s.roc,
								       s.wall_ms);
						if (stream_ref_moved(&m->out_ref, &cur, ptime,
								     clock)) {
							m->out_ref = cur;
							moved = true;
						}
					}
					if (!same_rocs(m, &s) && s.n_rocs <= DP_SRTP_ROCS) {
						memcpy(m->rocs, s.rocs,
						       s.n_rocs * sizeof(s.rocs[0]));
						m->n_rocs = (uint8_t)s.n_rocs;
						moved = true;
					}
				}
				dp_endpoint_sample_request(m->rtp.ep); /* next round's */
			}
		if (moved && c->repl_updated)
			queue_call(r, c, Q_CHANGED);
	}
}

/* Standby becoming active: every restored transcoder that waits continues
 * its output where the reference predicts it now, plus slack, with the
 * SRTP counter of that packet index. */
static void continue_outputs(struct call *c, uint64_t now_wall_ms)
{
	for (unsigned pi = 0; pi < c->n_parties; pi++)
		for (unsigned i = 0; i < c->parties[pi]->n_media; i++) {
			struct call_media *m = &c->parties[pi]->media[i];
			unsigned ptime, clock;
			uint64_t index;
			uint32_t ts;
			if (!m->out_pending || !m->xcode || !m->rtp.ep)
				continue;
			m->out_pending = false;
			out_params(m, &ptime, &clock);
			stream_ref_predict(&m->out_ref, ptime, clock, now_wall_ms,
					   STREAM_REF_SLACK_MS, &index, &ts);
			if (dp_endpoint_xcode_seek(m->rtp.ep, (uint16_t)index, ts, true,
						   (uint32_t)(index >> 16)))
				log_warn("redis: call %s: a transcoder's output was not continued",
					 c->call_id);
			else
				log_info("redis: call %s: transcoded output %08x continues at "
					 "seq %u ts %u (rollover counter %u)",
					 c->call_id, m->out_ref.ssrc, (unsigned)(uint16_t)index, ts,
					 (unsigned)(index >> 16));
		}
}

/* ---- control thread: standby side ---- */

/* A restored call's socket: bound to its interface address even while that
 * address is on another host (IP_FREEBIND); SO_REUSEADDR lets a replaced
 * call's new socket bind while the data plane has yet to close the old one. */
static int standby_socket(void *ctx, const struct sockaddr_storage *local, int *out)
{
	int one = 1, tos = IFACE_MEDIA_TOS, fd;
	socklen_t len = local->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						     : sizeof(struct sockaddr_in);

	const struct repl *r = ctx;

	if (local->ss_family != AF_INET && local->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(local->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sockbuf_apply(fd, r->cfg->socket_buffer); /* a media socket as the pool's */
	if (local->ss_family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	}
	if (bind(fd, (const struct sockaddr *)local, len)) {
		int e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

static void apply_record(struct repl *r, struct rq_item *it, uint64_t now_ms)
{
	struct call *old = call_find(r->calls, it->id), *c = NULL;
	struct call_snapshot_sockets socks = { .get = standby_socket, .ctx = r };
	const char *snap, *why;
	size_t snap_len;
	int rc;

	if (!it->data) {
		if (old) {
			call_end(r->calls, old, now_ms, CALL_END_REGULAR, "deleted on the active");
			r->removed++;
		}
		return;
	}
	if (repl_record_open(it->data, it->len, it->id, it->id_len, &snap, &snap_len, &why)) {
		log_warn("redis: record for call %s refused: %s", it->id, why);
		r->refused++;
		return;
	}
	if (old) {
		/* the newer record names the same port pairs: they are freed at
		 * once instead of resting in quarantine (call_destroy's release
		 * then finds them free and leaves them) */
		for (unsigned i = 0; i < old->n_parties; i++)
			for (unsigned k = 0; k < old->parties[i]->n_media; k++) {
				struct call_media *m = &old->parties[i]->media[k];
				if (m->used && m->pair && m->ifc)
					ports_untake(m->ifc->pool, m->pair);
			}
		call_destroy(r->calls, old, now_ms, "replaced by a newer record");
	}
	rc = call_snapshot_restore(r->calls, snap, snap_len, &socks, &c);
	if (rc) {
		/* -EINVAL: call_snapshot_restore logged the field */
		log_warn("redis: record for call %s refused: %s", it->id, strerror(-rc));
		r->refused++;
		return;
	}
	c->repl_hash = (uint64_t)fnv1a(snap, snap_len) << 32 | (uint32_t)snap_len;
	r->restored++;
}

static void apply_all(struct repl *r)
{
	struct rq_item *list = rq_take(&r->fq, 0);
	uint64_t now = loop_now_ms();

	for (struct rq_item *it = list; it; it = it->next)
		apply_record(r, it, now);
	rq_list_free(list);
}

static void on_follow(struct loop_watch *w, uint32_t events)
{
	(void)events;
	apply_all(w->data);
}

static bool owns_address(const struct repl *r)
{
	for (unsigned i = 0; i < r->cfg->n_ifaces; i++)
		if (!addr_is_local(&r->cfg->ifaces[i].sa))
			return false;
	return r->cfg->n_ifaces > 0;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void stop_follower(struct repl *r)
{
	uint64_t one = 1;

	atomic_store(&r->stop_follower, true);
	if (r->follower_wake >= 0 && write(r->follower_wake, &one, sizeof(one)) < 0)
		log_warn("redis: waking the follower: %s", strerror(errno)); /* it polls */
	if (r->follower_started)
		pthread_join(r->follower, NULL);
	r->follower_started = false;
}

/* The calls of the takeover, noted by call-id for repl_tick to write again;
 * a call that cannot be noted (no memory) is written at once. */
static void rewrite_plan(struct repl *r, unsigned n, uint64_t now_ms)
{
	if (repl_rewrite_init(&r->rewrite, n, now_ms + REWRITE_DELAY_MS)) {
		for (struct call *c = r->calls->head; c; c = c->next)
			queue_call(r, c, Q_FORCE);
		return;
	}
	for (struct call *c = r->calls->head; c; c = c->next)
		if (repl_rewrite_add(&r->rewrite, c->call_id))
			queue_call(r, c, Q_FORCE);
}

/* Up to REWRITE_PER_TICK calls of the takeover written again: each one that
 * still exists and that no command has written since (repl_updated is 0 on a
 * restored call until queue_call writes it). */
static void rewrite_step(struct repl *r, uint64_t now_ms)
{
	unsigned done = 0;
	const char *id;

	while (done < REWRITE_PER_TICK && (id = repl_rewrite_next(&r->rewrite, now_ms))) {
		struct call *c = call_find(r->calls, id);

		if (c && !c->repl_updated) {
			queue_call(r, c, Q_FORCE);
			done++;
		}
	}
	if (r->rewrite.n && !repl_rewrite_left(&r->rewrite))
		repl_rewrite_free(&r->rewrite);
}

/* The shared address is here: stop following, become the active. Media
 * needs nothing of this (the sockets were bound and the data plane set up
 * when the calls were restored); the calls' records are written again from
 * the ticks after it (rewrite_step). */
static void take_over(struct repl *r, uint64_t now_ms)
{
	struct timespec seen_wall, seen;
	unsigned n = 0;

	/* when the address was seen (wall clock, to set beside a packet
	 * capture) and how long the switch took: the log line below */
	clock_gettime(CLOCK_REALTIME, &seen_wall);
	clock_gettime(CLOCK_MONOTONIC, &seen);
	stop_follower(r);
	apply_all(r); /* what the follower queued before it stopped */
	if (r->follow_w.fd >= 0)
		loop_del(r->loop, &r->follow_w);
	if (r->nl_added)
		loop_del(r->loop, &r->nl_w);
	r->nl_added = false;
	r->standby = false;
	r->takeovers++;
	uint64_t wall = stream_ref_wall_ms();
	for (struct call *c = r->calls->head; c; c = c->next, n++) {
		c->last_media_ms = now_ms; /* timeouts count from the takeover */
		callrec_continue(c);	   /* a recorded call: its next file */
		continue_outputs(c, wall);
	}
	start_writer(r);
	rewrite_plan(r, n, now_ms);
	log_notice("redis: the service address is here: active now with %u restored calls "
		   "(address seen at %lld.%06ld, active after %.2f ms)",
		   n, (long long)seen_wall.tv_sec, seen_wall.tv_nsec / 1000, ms_since(&seen));
}

static void on_netlink(struct loop_watch *w, uint32_t events)
{
	struct repl *r = w->data;

	(void)events;
	addr_watch_drain(w->fd);
	if (r->standby && owns_address(r))
		take_over(r, loop_now_ms());
}

/* ---- control thread: both ---- */

void repl_tick(struct repl *r, uint64_t now_ms)
{
	if (!r)
		return;
	if (r->standby) {
		if (owns_address(r))
			take_over(r, now_ms);
		return;
	}
	rewrite_step(r, now_ms);
	if (atomic_exchange(&r->resync, false)) {
		if (rq_len(&r->wq) > REPL_QUEUE_CAP / 2) {
			atomic_store(&r->resync, true); /* next tick */
		} else {
			for (struct call *c = r->calls->head; c; c = c->next)
				queue_call(r, c, Q_FORCE);
		}
	}
	if (now_ms - r->last_sample_ms >= SAMPLE_EVERY_MS) {
		r->last_sample_ms = now_ms;
		sample_round(r);
	}
	if (now_ms - r->last_recheck_ms < RECHECK_EVERY_MS)
		return;
	r->last_recheck_ms = now_ms;
	/* latching and DTLS keys settle shortly after offer/answer: recently
	 * signalled calls are snapshotted again and written if they changed;
	 * only calls that have a record (no-redis-update kept the others out) */
	for (struct call *c = r->calls->head; c; c = c->next)
		if (c->repl_updated && now_ms - c->last_signal_ms < RECHECK_WINDOW_MS)
			queue_call(r, c, Q_CHANGED);
}

bool repl_is_standby(const struct repl *r)
{
	return r && r->standby;
}

struct repl *repl_start(const struct rtprelay_config *cfg, struct calls *calls, struct loop *loop)
{
	struct repl *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = cfg;
	r->calls = calls;
	r->loop = loop;
	r->follow_w.fd = r->dirty_w.fd = r->nl_w.fd = r->follower_wake = -1;
	snprintf(r->pattern, sizeof(r->pattern), "__keyspace@%u__:%s*", cfg->redis_db,
		 REPL_KEY_PREFIX);
	if (rq_init(&r->wq, REPL_QUEUE_CAP, false) || rq_init(&r->fq, REPL_QUEUE_CAP, true) ||
	    rq_init(&r->dirty, REPL_QUEUE_CAP, true))
		goto fail;
	r->dirty_w = (struct loop_watch){ .fd = rq_fd(&r->dirty), .cb = on_dirty, .data = r };
	if (loop_add(loop, &r->dirty_w, EPOLLIN))
		goto fail;
	r->standby = cfg->redis_standby;
	calls->on_destroy = on_call_destroyed;
	calls->on_destroy_arg = r;
	if (!r->standby) {
		start_writer(r);
		log_notice("redis: active, writing calls to %s:%u/%u", cfg->redis_host,
			   cfg->redis_port, cfg->redis_db);
		return r;
	}
	r->follow_w = (struct loop_watch){ .fd = rq_fd(&r->fq), .cb = on_follow, .data = r };
	if (loop_add(loop, &r->follow_w, EPOLLIN))
		goto fail;
	r->follower_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* -1: it polls */
	int nl = addr_watch_open();
	if (nl >= 0) {
		r->nl_w = (struct loop_watch){ .fd = nl, .cb = on_netlink, .data = r };
		r->nl_added = loop_add(loop, &r->nl_w, EPOLLIN) == 0;
	} else {
		log_warn("redis: no rtnetlink address events (%s); the address is checked "
			 "every tick",
			 strerror(-nl));
	}
	if (pthread_create(&r->follower, NULL, follower_main, r)) {
		log_err("redis: cannot start the follower thread");
		goto fail;
	}
	r->follower_started = true;
	log_notice("redis: standby, following %s:%u/%u until the service address is here",
		   cfg->redis_host, cfg->redis_port, cfg->redis_db);
	return r;
fail:
	log_err("redis: cannot start replication");
	repl_stop(r);
	return NULL;
}

void repl_stop(struct repl *r)
{
	if (!r)
		return;
	if (r->calls->on_destroy_arg == r) {
		r->calls->on_destroy = NULL;
		r->calls->on_destroy_arg = NULL;
	}
	stop_follower(r);
	atomic_store(&r->stop_writer, true);
	rq_stop(&r->wq);
	if (r->writer_started)
		pthread_join(r->writer, NULL);
	if (r->dirty_w.fd >= 0)
		loop_del(r->loop, &r->dirty_w);
	if (r->standby && r->follow_w.fd >= 0)
		loop_del(r->loop, &r->follow_w);
	if (r->nl_added)
		loop_del(r->loop, &r->nl_w);
	if (r->nl_w.fd >= 0)
		close(r->nl_w.fd);
	if (r->follower_wake >= 0)
		close(r->follower_wake);
	repl_rewrite_free(&r->rewrite);
	rq_fini(&r->wq);
	rq_fini(&r->fq);
	rq_fini(&r->dirty);
	free(r);
}

void repl_get_stats(struct repl *r, struct repl_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	st->standby = r->standby;
	st->connected = atomic_load(&r->connected);
	st->writes = atomic_load(&r->writes);
	st->deletes = atomic_load(&r->deletes);
	st->bytes = atomic_load(&r->bytes);
	st->write_errors = atomic_load(&r->write_errors);
	st->connect_failures = atomic_load(&r->connect_failures);
	st->reconnects = atomic_load(&r->reconnects);
	pthread_mutex_lock(&r->wq.mu);
	st->queue_refused = r->wq.refused;
	st->coalesced = r->wq.coalesced;
	st->queued = r->wq.n;
	pthread_mutex_unlock(&r->wq.mu);
	st->restored = r->restored;
	st->refused = r->refused;
	st->removed = r->removed;
	st->takeovers = r->takeovers;
}

static void metric(struct strbuf *b, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
		      (unsigned long long)v);
}

void repl_metrics(struct strbuf *b, struct repl *r)
{
	struct repl_stats s;

	if (!r)
		return;
	repl_get_stats(r, &s);
	metric(b, "rtprelay_redis_standby", "gauge", "1 while following as a standby", s.standby);
	metric(b, "rtprelay_redis_connected", "gauge", "1 while the Redis connection is up",
	       s.connected);
	metric(b, "rtprelay_redis_writes_total", "counter", "Call records written (SET)", s.writes);
	metric(b, "rtprelay_redis_deletes_total", "counter", "Call records deleted (DEL)",
	       s.deletes);
	metric(b, "rtprelay_redis_written_bytes_total", "counter", "Bytes of call records written",
	       s.bytes);
	metric(b, "rtprelay_redis_write_errors_total", "counter", "Writes Redis refused",
	       s.write_errors);
	metric(b, "rtprelay_redis_connect_failures_total", "counter",
	       "Failed connections and lost connections to Redis", s.connect_failures);
	metric(b, "rtprelay_redis_reconnects_total", "counter",
	       "Connections made again after an outage", s.reconnects);
	metric(b, "rtprelay_redis_queue_refused_total", "counter",
	       "Records refused by a full queue (every call is written again later)",
	       s.queue_refused);
	metric(b, "rtprelay_redis_coalesced_total", "counter",
	       "Records replaced in the queue by a newer one of the same call", s.coalesced);
	metric(b, "rtprelay_redis_queued", "gauge", "Records waiting for the writer", s.queued);
	metric(b, "rtprelay_redis_restored_total", "counter",
	       "Calls restored from records (standby)", s.restored);
	metric(b, "rtprelay_redis_refused_total", "counter",
	       "Records refused: truncated, other version, forged (standby)", s.refused);
	metric(b, "rtprelay_redis_removed_total", "counter",
	       "Calls ended because their record was deleted (standby)", s.removed);
	metric(b, "rtprelay_redis_takeovers_total", "counter",
	       "Times this standby became the active", s.takeovers);
}
