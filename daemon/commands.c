/*
 * commands.c: one ng message -> one reply (see commands.h).
 *
 * Each message gets its own arena (capped, so hostile input cannot make it
 * grow without bound) which holds the decoded request, the rewritten SDP and
 * the reply tree; it is freed before returning. The reply carries every
 * warning of the request (flags accepted but not implemented) in `warning`.
 */
#include "daemon/commands.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/arena.h"
#include "control/ngdict.h"
#include "control/ngmsg.h"
#include "control/ngrequest.h"
#include "control/server.h"
#include "daemon/admission.h"
#include "daemon/call.h"
#include "daemon/callctl.h"
#include "daemon/callrec.h"
#include "daemon/playmedia.h"
#include "recording/recorder.h"
#include "daemon/config.h"
#include "daemon/fork.h"
#include "dataplane/dataplane.h"
#include "daemon/interfaces.h"
#include "daemon/metrics.h"
#include "daemon/operate.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "daemon/offer.h"
#include "daemon/query.h"
#include "daemon/repl.h"

#define MSG_ARENA_CAP	   (16u << 20)
#define LIST_DEFAULT_LIMIT 100000

static const char *const not_found = "Call-ID not found or tags didn't match";

static void add_warnings(struct arena *a, struct ng_node *reply, const struct ng_request *req)
{
	size_t total = 0;
	char *buf, *p;

	if (req->n_warnings == 0)
		return;
	for (unsigned i = 0; i < req->n_warnings; i++)
		total += strlen(req->warnings[i]) + 2;
	buf = arena_alloc(a, total + 1);
	if (!buf)
		return;
	p = buf;
	for (unsigned i = 0; i < req->n_warnings; i++) {
		size_t n = strlen(req->warnings[i]);
		if (i) {
			memcpy(p, "; ", 2);
			p += 2;
		}
		memcpy(p, req->warnings[i], n);
		p += n;
	}
	*p = '\0';
	ng_dict_add_str(a, reply, "warning", buf);
}

static int cmd_offer_answer(struct daemon_ctx *d, struct ng_request *req, struct arena *a,
			    struct ng_node *reply, uint64_t now, const char **err)
{
	char *sdp;
	size_t len;
	int rc = offer_answer(d->calls, req, a, now, &sdp, &len, err);

	if (rc)
		return rc;
	if (!ng_dict_add_strn(a, reply, "sdp", sdp, len)) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	return 0;
}

static bool given(const char *s)
{
	return s && s[0];
}

/* label / to-label select a party as from-tag / to-tag do (rtpengine's
 * to-label: "instead of to-tag"); a tag given wins over a label. -ENOENT
 * when a label names no party. */
static int select_labels(struct call *c, const struct ng_request *req, struct call_party **f,
			 struct call_party **t)
{
	*f = *t = NULL;
	if (!given(req->from_tag) && given(req->label) &&
	    !(*f = call_party_by_label(c, req->label)))
		return -ENOENT;
	if (!given(req->to_tag) && given(req->to_label) &&
	    !(*t = call_party_by_label(c, req->to_label)))
		return -ENOENT;
	return 0;
}

/* Which part of the call a delete names (as rtpengine): *party the party
 * that goes (with the parties only it was talking to), NULL = the whole
 * call; *tag_only when only one of several to-tags of a party goes. The
 * to-tag (or to-label) names the party, else the via-branch when no to-tag
 * is given, else the from-tag; a to-tag that names nothing falls back to
 * the via-branch, then to the from-tag's party if its callee never
 * answered. Without a from-tag (or label) the whole call goes. */
static int delete_scope(struct call *c, const struct ng_request *req, struct call_party **party,
			const char **tag_only)
{
	struct call_party *f, *t, *b;
	bool has_f, has_t;

	*party = NULL;
	*tag_only = NULL;
	if (select_labels(c, req, &f, &t))
		return -ENOENT;
	has_f = f || given(req->from_tag);
	has_t = t || given(req->to_tag);
	b = fork_branch_find(c, req->via_branch, NULL);
	if (!has_f)
		return given(req->via_branch) && !b ? -ENOENT : 0;
	if (!f)
		f = call_party_find(c, req->from_tag);
	if (!has_t && b) {
		*party = b;
		return 0;
	}
	if (has_t) {
		if (!t && (t = call_party_find(c, req->to_tag)) && t->n_tags > 1) {
			*party = t; /* one fork of several ends */
			*tag_only = req->to_tag;
			return 0;
		}
		*party = t ? t : b;
		if (!*party && f && (!f->peer || !f->peer->n_tags))
			*party = f;
		return *party ? 0 : -ENOENT;
	}
	if (!f)
		return -ENOENT;
	if (f->n_tags > 1 && given(req->from_tag)) {
		*party = f;
		*tag_only = req->from_tag;
	} else {
		*party = f;
	}
	return 0;
}

/* Delete one branch @p when its caller has others: @p's sockets go, and
 * the caller's media, if it went to @p, goes to the branch that signalled
 * before. false when @p is no such branch: then, as rtpengine cascades a
 * deletion to the parties left with nobody to talk to, the call goes. */
static bool delete_branch(struct daemon_ctx *d, struct call *c, struct call_party *p,
			  struct arena *a, uint64_t now)
{
	struct call_party *caller = p->peer, *other = NULL;
	int rc;

	if (!caller || caller == p || fork_branches(c, caller) < 2)
		return false;
	for (unsigned i = 0; i < c->n_parties; i++) /* nobody but the caller talks to @p */
		if (c->parties[i]->peer == p && c->parties[i] != caller)
			return false;
	log_info("call %s: branch %s (via-branch %s) deleted", c->call_id,
		 call_party_tag(p)[0] ? call_party_tag(p) : "(untagged)",
		 p->via_branch ? p->via_branch : "-");
	call_party_remove(d->calls, c, p, now);
	if (caller->peer)
		return true;
	for (unsigned i = 0; i < c->n_parties; i++)
		if (c->parties[i] != caller && c->parties[i]->peer == caller)
			other = c->parties[i];
	caller->peer = other;
	if (other && (rc = offer_publish_party(c, caller, a)))
		log_warn("call %s: caller's media not re-pointed: %s", c->call_id, strerror(-rc));
	return true;
}

/* delete (as rtpengine): an unknown call-id or a tag/branch that matches
 * nothing is "ok" with a warning, and an error only with the "fatal" flag.
 * With "all" the whole call goes, whatever tags or via-branch the message
 * names. */
static int cmd_delete(struct daemon_ctx *d, struct ng_request *req, struct arena *a,
		      struct ng_node *reply, uint64_t now, const char **err)
{
	struct call *c = call_find(d->calls, req->call_id);
	struct call_party *party = NULL;
	const char *tag_only = NULL;
	int64_t delay = req->delete_delay >= 0 ? req->delete_delay : d->cfg->delete_delay;

	if (!c || (!(req->flags & NG_F_ALL) && delete_scope(c, req, &party, &tag_only))) {
		if (req->flags & NG_F_FATAL) {
			*err = not_found;
			return -ENOENT;
		}
		log_info("call %s: delete: %s", req->call_id, not_found);
		if (req->n_warnings < NG_MAX_WARNINGS)
			req->warnings[req->n_warnings++] = not_found;
		return 0;
	}
	if (tag_only) {
		call_party_drop_tag(party, tag_only);
		log_info("call %s: branch %s deleted", c->call_id, tag_only);
		return 0;
	}
	if (party && delete_branch(d, c, party, a, now))
		return 0;
	if (query_call(a, c, reply)) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	if (delay <= 0) {
		call_end(d->calls, c, now, CALL_END_REGULAR, "delete");
	} else {
		uint64_t at = now + (uint64_t)delay * 1000;
		if (!c->delete_at_ms || at < c->delete_at_ms)
			c->delete_at_ms = at;
		callrec_call_deleted(c); /* the recording ends with the delete */
		log_info("call %s: delete in %lld s", c->call_id, (long long)delay);
	}
	return 0;
}

static int cmd_query(struct daemon_ctx *d, struct ng_request *req, struct arena *a,
		     struct ng_node *reply, const char **err)
{
	struct call *c = call_find(d->calls, req->call_id);

	struct call_party *f, *t, *sel;

	if (!c) {
		*err = "Unknown call-id";
		return -ENOENT;
	}
	if (select_labels(c, req, &f, &t)) {
		*err = "Unknown label";
		return -ENOENT;
	}
	/* a tag or label given: that party and its peer (as rtpengine) */
	sel = t			     ? t
	      : given(req->to_tag)   ? call_party_find(c, req->to_tag)
	      : f		     ? f
	      : given(req->from_tag) ? call_party_find(c, req->from_tag)
				     : NULL;
	if (query_call_for(a, c, f || t || given(req->from_tag) || given(req->to_tag), sel,
			   reply)) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	return 0;
}

static int cmd_list(struct daemon_ctx *d, const struct ng_node *dict, struct arena *a,
		    struct ng_node *reply, const char **err)
{
	int64_t limit = LIST_DEFAULT_LIMIT;
	struct ng_node *l = ng_dict_add_list(a, reply, "calls");

	if (!ng_dict_get_int(dict, "limit", &limit) || limit < 0)
		limit = LIST_DEFAULT_LIMIT;
	if (!l)
		goto nomem;
	for (struct call *c = d->calls->head; c && limit > 0; c = c->next, limit--)
		if (!ng_list_add(l, ng_new_cstr(a, c->call_id)))
			goto nomem;
	return 0;
nomem:
	*err = "Out of memory";
	return -ENOMEM;
}

#define ADD_INT(dict, k, v)                                     \
	do {                                                    \
		if (!ng_dict_add_int(a, dict, k, (int64_t)(v))) \
			goto nomem;                             \
	} while (0)

/* ---- control statistics: counted per command, per proxy, per interval ---- */

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void time_add(struct ctl_time *t, uint64_t us)
{
	if (!t->count || us < t->min_us)
		t->min_us = us;
	if (us > t->max_us)
		t->max_us = us;
	t->count++;
	t->total_us += us;
}

/* The second @r was counting is over: its requests count towards min/max. */
static void rate_fold(struct ctl_rate *r)
{
	if (!r->in_sec)
		return;
	if (!r->busy_secs || r->in_sec < r->min)
		r->min = r->in_sec;
	if (r->in_sec > r->max)
		r->max = r->in_sec;
	r->busy_secs++;
	r->in_sec = 0;
}

static void rate_add(struct ctl_rate *r, uint64_t now_ms)
{
	uint64_t sec = now_ms / 1000;

	if (sec != r->sec) {
		rate_fold(r);
		r->sec = sec;
	}
	r->in_sec++;
}

static void iv_start(struct daemon_ctx *d, uint64_t now_ms)
{
	struct ctl_stats *st = &d->stats;

	memset(st->iv, 0, sizeof(st->iv));
	memset(st->rate, 0, sizeof(st->rate));
	st->iv_start_ms = now_ms;
	st->iv_started = true;
	st->iv_min_sessions = st->iv_max_sessions = d->calls->count;
	st->iv_duration_ms = d->calls->totals.duration_ms;
}

static void iv_sessions(struct ctl_stats *st, uint64_t n)
{
	if (n < st->iv_min_sessions)
		st->iv_min_sessions = n;
	if (n > st->iv_max_sessions)
		st->iv_max_sessions = n;
}

static void addr_str(const struct sockaddr_storage *from, char *out, size_t cap)
{
	if (from && from->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, out,
			  (socklen_t)cap);
	else if (from && from->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, out,
			  (socklen_t)cap);
	else
		snprintf(out, cap, "local"); /* unix socket */
}

/* The entry of the proxy at @from; once CTL_MAX_PROXIES - 1 are known, the
 * last entry (named "other") collects the rest. */
static struct ctl_proxy *proxy_of(struct ctl_stats *st, const struct sockaddr_storage *from)
{
	char who[48];
	unsigned i;

	addr_str(from, who, sizeof(who));
	for (i = 0; i < st->n_proxies; i++)
		if (!strcmp(st->proxies[i].addr, who))
			return &st->proxies[i];
	if (st->n_proxies < CTL_MAX_PROXIES - 1) {
		i = st->n_proxies++;
		snprintf(st->proxies[i].addr, sizeof(st->proxies[i].addr), "%s", who);
		return &st->proxies[i];
	}
	i = CTL_MAX_PROXIES - 1;
	if (st->n_proxies < CTL_MAX_PROXIES) {
		st->n_proxies = CTL_MAX_PROXIES;
		snprintf(st->proxies[i].addr, sizeof(st->proxies[i].addr), "other");
	}
	return &st->proxies[i];
}

/* The command a message names, or -1 when it names none we know. */
static int command_of(const struct ng_node *dict)
{
	size_t len;
	const char *s = dict ? ng_dict_get_str(dict, "command", &len) : NULL;

	for (int c = 0; s && c < CTL_NCMD; c++) {
		const char *n = ng_command_name((enum ng_command)c);
		if (strlen(n) == len && !strncasecmp(s, n, len))
			return c;
	}
	return -1;
}

/* One message handled: @cmd < 0 when it named no known command (then it
 * counts as an error of its proxy only). */
static void count_command(struct daemon_ctx *d, const struct sockaddr_storage *from, int cmd,
			  bool failed, uint64_t us, uint64_t now_ms)
{
	struct ctl_stats *st = &d->stats;
	struct ctl_proxy *p = proxy_of(st, from);

	if (!st->iv_started)
		iv_start(d, now_ms);
	if (failed)
		p->errors++;
	if (cmd >= 0 && cmd < CTL_NCMD) {
		time_add(&st->total[cmd], us);
		time_add(&st->iv[cmd], us);
		rate_add(&st->rate[cmd], now_ms);
		p->count[cmd]++;
		p->time_us[cmd] += us;
	}
	iv_sessions(st, d->calls->count);
}

static const char *fmt_secs(struct arena *a, uint64_t us)
{
	const char *s = arena_printf(a, "%llu.%06llu", (unsigned long long)(us / 1000000),
				     (unsigned long long)(us % 1000000));
	return s ? s : "0.000000";
}

#define ADD_STR(dict, k, v)                          \
	do {                                         \
		if (!ng_dict_add_str(a, dict, k, v)) \
			goto nomem;                  \
	} while (0)

/* Commands rtpengine counts that rtprelay does not have: always 0 here
 * (rtprelay answers them "Unknown command", counted as errors). Keys as
 * rtpengine writes them: its short command name in lower case. */
static const char *const absent_cmds[] = { "startfwd", "stopfwd" };

_Static_assert(CTL_NCMD == NG_CMD_LAST + 1, "one statistics slot per command");

/* The name a command's figures carry in `statistics`: rtpengine's short
 * command name in lower case ("blkdtmf" + "count"); the first commands'
 * short names are their names. */
static const char *stats_name(int c)
{
	static const char *const call_control[] = {
		[NG_CMD_BLOCK_MEDIA - NG_CMD_BLOCK_MEDIA] = "blkmedia",
		[NG_CMD_UNBLOCK_MEDIA - NG_CMD_BLOCK_MEDIA] = "unblkmedia",
		[NG_CMD_SILENCE_MEDIA - NG_CMD_BLOCK_MEDIA] = "slnmedia",
		[NG_CMD_UNSILENCE_MEDIA - NG_CMD_BLOCK_MEDIA] = "unslnmedia",
		[NG_CMD_BLOCK_DTMF - NG_CMD_BLOCK_MEDIA] = "blkdtmf",
		[NG_CMD_UNBLOCK_DTMF - NG_CMD_BLOCK_MEDIA] = "unblkdtmf",
		[NG_CMD_PLAY_DTMF - NG_CMD_BLOCK_MEDIA] = "playdtmf",
		[NG_CMD_START_RECORDING - NG_CMD_BLOCK_MEDIA] = "startrec",
		[NG_CMD_STOP_RECORDING - NG_CMD_BLOCK_MEDIA] = "stoprec",
		[NG_CMD_PAUSE_RECORDING - NG_CMD_BLOCK_MEDIA] = "pauserec",
		[NG_CMD_PLAY_MEDIA - NG_CMD_BLOCK_MEDIA] = "playmedia",
		[NG_CMD_STOP_MEDIA - NG_CMD_BLOCK_MEDIA] = "stopmedia",
	};

	if (c >= NG_CMD_BLOCK_MEDIA)
		return call_control[c - NG_CMD_BLOCK_MEDIA];
	return ng_command_name((enum ng_command)c);
}

/* rtpengine's documentation also lists some of them without "count"
 * ("blkmedia", "totalplaydtmf"); those keys carry the same figures. */
static const int doc_keys[] = { NG_CMD_BLOCK_MEDIA, NG_CMD_UNBLOCK_MEDIA, NG_CMD_PLAY_DTMF,
				NG_CMD_PLAY_MEDIA, NG_CMD_STOP_MEDIA };

/* Packet rates over the time since the last sample, at least a second. */
/* min<cmd><what>, max<cmd><what>, avg<cmd><what> of @x as rtpengine's
 * "%.6f" seconds; -ENOMEM when the reply cannot grow. */
static int add_min_max_avg(struct arena *a, struct ng_node *d, const char *cmd, const char *what,
			   const struct ctl_time *x)
{
	static const char *const pre[3] = { "min", "max", "avg" };
	const uint64_t us[3] = { x->min_us, x->max_us, x->count ? x->total_us / x->count : 0 };
	char key[64];

	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s%s%s", pre[i], cmd, what);
		if (!ng_dict_add_str(a, d, key, fmt_secs(a, us[i])))
			return -ENOMEM;
	}
	return 0;
}

static void sample_rates(struct ctl_stats *st, const struct dp_totals *dt, uint64_t now_ms)
{
	uint64_t ms = now_ms - st->sample_ms;

	if (st->sample_ms && ms < 1000)
		return; /* under a second since the last sample: keep its rates */
	if (st->sample_ms) {
		st->packetrate = (dt->packets - st->sample_packets) * 1000 / ms;
		st->byterate = (dt->bytes - st->sample_bytes) * 1000 / ms;
		st->errorrate = (dt->errors - st->sample_errors) * 1000 / ms;
	}
	st->sample_ms = now_ms;
	st->sample_packets = dt->packets;
	st->sample_bytes = dt->bytes;
	st->sample_errors = dt->errors;
}

/* The `statistics` dictionary in the shape of rtpengine's documentation of
 * the `statistics` command (current, total, interval and control figures;
 * durations and averages as "%.6f" strings as there), plus per command the
 * total/min/max/avg duration. The interval is the time since the previous
 * `statistics` reply (or the first command); this reply ends it. */
static int rtpengine_statistics(struct daemon_ctx *d, struct arena *a, struct ng_node *reply,
				const struct dp_totals *dt, uint64_t now_ms)
{
	struct ctl_stats *st = &d->stats;
	const struct call_totals *t = &d->calls->totals;
	struct ng_node *top = ng_dict_add_dict(a, reply, "statistics");
	struct ng_node *cur = ng_dict_add_dict(a, top, "currentstatistics");
	struct ng_node *tot = ng_dict_add_dict(a, top, "totalstatistics");
	struct ng_node *iv = ng_dict_add_dict(a, top, "intervalstatistics");
	struct ng_node *ctl = ng_dict_add_dict(a, top, "controlstatistics");
	struct ng_node *proxies = ng_dict_add_list(a, ctl, "proxies");
	uint64_t iv_ms, iv_secs;
	char key[64];

	if (!cur || !tot || !iv || !ctl || !proxies)
		goto nomem;
	if (!st->iv_started)
		iv_start(d, now_ms);
	iv_sessions(st, d->calls->count);
	sample_rates(st, dt, now_ms);

	ADD_INT(cur, "sessionsown", d->calls->count);
	ADD_INT(cur, "sessionsforeign", 0);
	ADD_INT(cur, "sessionstotal", d->calls->count);
	ADD_INT(cur, "transcodedmedia", calls_transcoded_media(d->calls));
	ADD_INT(cur, "packetrate", st->packetrate);
	ADD_INT(cur, "byterate", st->byterate);
	ADD_INT(cur, "errorrate", st->errorrate);

	ADD_STR(tot, "uptime",
		arena_printf(a, "%llu", (unsigned long long)((now_ms - d->started_ms) / 1000)));
	ADD_INT(tot, "managedsessions", t->created);
	ADD_INT(tot, "rejectedsessions", t->rejected);
	ADD_INT(tot, "timeoutsessions", t->timeout);
	ADD_INT(tot, "silenttimeoutsessions", t->silent_timeout);
	ADD_INT(tot, "finaltimeoutsessions", t->final_timeout);
	ADD_INT(tot, "offertimeoutsessions", 0); /* rtprelay has no offer timeout */
	ADD_INT(tot, "regularterminatedsessions", t->regular_end);
	ADD_INT(tot, "forcedterminatedsessions", t->forced_end);
	ADD_INT(tot, "relayedpackets", dt->forwarded);
	ADD_INT(tot, "relayedpacketerrors", dt->errors);
	ADD_INT(tot, "relayedbytes", dt->bytes);
	ADD_INT(tot, "zerowaystreams", t->zeroway_streams);
	ADD_INT(tot, "onewaystreams", t->oneway_streams);
	ADD_STR(tot, "avgcallduration",
		fmt_secs(a, t->deleted ? t->duration_ms * 1000 / t->deleted : 0));

	iv_ms = now_ms - st->iv_start_ms;
	iv_secs = iv_ms / 1000 ? iv_ms / 1000 : 1;
	ADD_STR(iv, "totalcallsduration",
		fmt_secs(a, (t->duration_ms - st->iv_duration_ms) * 1000));
	ADD_INT(iv, "minmanagedsessions", st->iv_min_sessions);
	ADD_INT(iv, "maxmanagedsessions", st->iv_max_sessions);
	for (int c = 0; c < CTL_NCMD; c++) {
		const struct ctl_time *x = &st->iv[c];
		const char *n = stats_name(c);

		if (add_min_max_avg(a, iv, n, "delay", x))
			goto nomem;
	}
	for (int c = 0; c < CTL_NCMD; c++) {
		const struct ctl_rate *r = &st->rate[c];
		const char *n = stats_name(c);
		/* the second being counted is cut short by this reply: it counts
		 * for the maximum, and for the minimum only with the others */
		uint64_t busy = r->busy_secs + (r->in_sec ? 1 : 0);
		uint64_t mx = r->max > r->in_sec ? r->max : r->in_sec;
		uint64_t mn = r->busy_secs ? r->min : r->in_sec;

		if (r->in_sec && r->in_sec < mn)
			mn = r->in_sec;
		if (busy < iv_secs) /* some second of the interval had none */
			mn = 0;
		snprintf(key, sizeof(key), "min%srequestrate", n);
		ADD_INT(iv, key, mn);
		snprintf(key, sizeof(key), "max%srequestrate", n);
		ADD_INT(iv, key, mx);
		snprintf(key, sizeof(key), "avg%srequestrate", n);
		ADD_INT(iv, key, st->iv[c].count / iv_secs);
	}

	for (unsigned i = 0; i < st->n_proxies; i++) {
		const struct ctl_proxy *p = &st->proxies[i];
		struct ng_node *px = ng_new_dict(a);

		if (!px || !ng_list_add(proxies, px))
			goto nomem;
		ADD_STR(px, "proxy", p->addr);
		for (int c = 0; c < CTL_NCMD; c++) {
			const char *n = stats_name(c);

			/* rtpengine's documentation: "statistics", not "statisticscount" */
			snprintf(key, sizeof(key), c == NG_CMD_STATISTICS ? "%s" : "%scount", n);
			ADD_INT(px, key, p->count[c]);
			snprintf(key, sizeof(key), "%sduration", n);
			ADD_STR(px, key, fmt_secs(a, p->time_us[c]));
		}
		for (size_t k = 0; k < sizeof(absent_cmds) / sizeof(absent_cmds[0]); k++) {
			snprintf(key, sizeof(key), "%scount", absent_cmds[k]);
			ADD_INT(px, key, 0);
		}
		for (size_t k = 0; k < sizeof(doc_keys) / sizeof(doc_keys[0]); k++)
			ADD_INT(px, stats_name(doc_keys[k]), p->count[doc_keys[k]]);
		ADD_INT(px, "errorcount", p->errors);
	}
	for (int c = 0; c < CTL_NCMD; c++) {
		const struct ctl_time *x = &st->total[c];
		const char *n = stats_name(c);

		snprintf(key, sizeof(key), c == NG_CMD_STATISTICS ? "total%s" : "total%scount", n);
		ADD_INT(ctl, key, x->count);
		snprintf(key, sizeof(key), "total%sduration", n);
		ADD_STR(ctl, key, fmt_secs(a, x->total_us));
		if (add_min_max_avg(a, ctl, n, "duration", x))
			goto nomem;
	}
	for (size_t k = 0; k < sizeof(absent_cmds) / sizeof(absent_cmds[0]); k++) {
		snprintf(key, sizeof(key), "total%scount", absent_cmds[k]);
		ADD_INT(ctl, key, 0);
	}
	for (size_t k = 0; k < sizeof(doc_keys) / sizeof(doc_keys[0]); k++) {
		snprintf(key, sizeof(key), "total%s", stats_name(doc_keys[k]));
		ADD_INT(ctl, key, st->total[doc_keys[k]].count);
	}
	ADD_INT(ctl, "totalerrorcount", d->cmd_errors);
	if (d->repl) { /* rtprelay's own: Redis replication (daemon/repl.h) */
		struct repl_stats rs;
		struct ng_node *rd = ng_dict_add_dict(a, top, "redis");

		if (!rd)
			goto nomem;
		repl_get_stats(d->repl, &rs);
		ADD_STR(rd, "role", rs.standby ? "standby" : "active");
		ADD_INT(rd, "connected", rs.connected);
		ADD_INT(rd, "writes", rs.writes);
		ADD_INT(rd, "deletes", rs.deletes);
		ADD_INT(rd, "writtenbytes", rs.bytes);
		ADD_INT(rd, "writeerrors", rs.write_errors);
		ADD_INT(rd, "connectfailures", rs.connect_failures);
		ADD_INT(rd, "reconnects", rs.reconnects);
		ADD_INT(rd, "queued", rs.queued);
		ADD_INT(rd, "queuerefused", rs.queue_refused);
		ADD_INT(rd, "coalesced", rs.coalesced);
		ADD_INT(rd, "restored", rs.restored);
		ADD_INT(rd, "refused", rs.refused);
		ADD_INT(rd, "removed", rs.removed);
		ADD_INT(rd, "takeovers", rs.takeovers);
	}
	iv_start(d, now_ms);
	return 0;
nomem:
	return -ENOMEM;
}

static int cmd_statistics(struct daemon_ctx *d, struct arena *a, struct ng_node *reply,
			  const char **err)
{
	const struct call_totals *t = &d->calls->totals;
	struct dp_totals dt;
	struct ng_server_stats ss;
	unsigned used, total;
	struct ng_node *cur = ng_dict_add_dict(a, reply, "currentstatistics");
	struct ng_node *tot = ng_dict_add_dict(a, reply, "totalstatistics");
	struct ng_node *ctl = ng_dict_add_dict(a, reply, "controlstatistics");
	struct ng_node *ports = ng_dict_add_dict(a, reply, "ports");

	if (!cur || !tot || !ctl || !ports)
		goto nomem;
	dp_totals(&dt);
	memset(&ss, 0, sizeof(ss));
	if (d->srv)
		ng_server_get_stats(d->srv, &ss);
	ifaces_port_usage(d->ifs, &used, &total);
	ADD_INT(cur, "sessionsown", d->calls->count);
	ADD_INT(cur, "sessionsforeign", 0);
	ADD_INT(cur, "sessionstotal", d->calls->count);
	ADD_INT(cur, "transcodedmedia", calls_transcoded_media(d->calls));
	ADD_INT(tot, "uptime", (loop_now_ms() - d->started_ms) / 1000);
	ADD_INT(tot, "managedsessions", t->created);
	ADD_INT(tot, "deletedsessions", t->deleted);
	ADD_INT(tot, "timeoutsessions", t->timed_out);
	ADD_INT(tot, "packets", dt.packets);
	ADD_INT(tot, "bytes", dt.bytes);
	ADD_INT(tot, "forwarded", dt.forwarded);
	ADD_INT(tot, "dropped", dt.dropped);
	ADD_INT(tot, "errors", dt.errors);
	if (recorder_active()) { /* rtprelay's own: docs/recording.md */
		struct rec_stats rs;
		struct ng_node *rec = ng_dict_add_dict(a, reply, "recording");

		if (!rec)
			goto nomem;
		recorder_totals(&rs);
		ADD_INT(rec, "active", rs.active);
		ADD_INT(rec, "completed", rs.completed);
		ADD_INT(rec, "ringdroppedpackets", rs.ring_dropped);
		ADD_INT(rec, "disklostbytes", rs.disk_lost_bytes);
		uint64_t kcopied, kdropped;
		dp_kernel_rec_counters(&kcopied, &kdropped);
		ADD_INT(rec, "kernelcopiedpackets", kcopied);
		ADD_INT(rec, "kernelringdroppedpackets", kdropped);
	}
	ADD_INT(ctl, "requests", ss.requests);
	ADD_INT(ctl, "cachehits", ss.cache_hits);
	ADD_INT(ctl, "errors", d->cmd_errors);
	ADD_INT(ctl, "offers", d->cmd_counts[NG_CMD_OFFER]);
	ADD_INT(ctl, "answers", d->cmd_counts[NG_CMD_ANSWER]);
	ADD_INT(ctl, "deletes", d->cmd_counts[NG_CMD_DELETE]);
	ADD_INT(ctl, "queries", d->cmd_counts[NG_CMD_QUERY]);
	ADD_INT(ctl, "pings", d->cmd_counts[NG_CMD_PING]);
	ADD_INT(ports, "used", used * 2u);
	ADD_INT(ports, "total", total * 2u);
	if (rtpengine_statistics(d, a, reply, &dt, loop_now_ms()))
		goto nomem;
	return 0;
nomem:
	*err = "Out of memory";
	return -ENOMEM;
}

/* drain: the calls still there; reload: the keys applied and those that
 * need a restart (daemon/operate.h). */
static int cmd_operate(struct daemon_ctx *d, const struct ng_request *req, struct arena *a,
		       struct ng_node *reply, uint64_t now, const char **err)
{
	static char reason[256]; /* the reply is encoded before the next command */
	struct operate_reload rl;

	if (!d->op) {
		*err = "Not available";
		return -EINVAL;
	}
	if (req->cmd == NG_CMD_DRAIN) {
		unsigned n = operate_drain(d->op, now);

		if (!ng_dict_add_int(a, reply, "calls", n))
			goto nomem;
		return 0;
	}
	if (operate_reload(d->op, &rl, reason, sizeof(reason))) {
		*err = reason;
		return -EINVAL;
	}
	struct ng_node *ch = ng_dict_add_list(a, reply, "changed");
	struct ng_node *rs = ng_dict_add_list(a, reply, "restart needed");
	if (!ch || !rs)
		goto nomem;
	for (int k = 0; k < 2; k++) {
		char *list = k ? rl.restart : rl.changed, *save = NULL;

		for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
			if (!ng_list_add(k ? rs : ch, ng_new_str(a, w, strlen(w))))
				goto nomem;
	}
	return 0;
nomem:
	*err = "Out of memory";
	return -ENOMEM;
}

static int dispatch(struct daemon_ctx *d, struct ng_request *req, const struct ng_node *dict,
		    struct arena *a, struct ng_node *reply, const char **err)
{
	uint64_t now = loop_now_ms();

	if ((unsigned)req->cmd < sizeof(d->cmd_counts) / sizeof(d->cmd_counts[0]))
		d->cmd_counts[req->cmd]++;
	switch (req->cmd) {
	case NG_CMD_PING:
		return 0;
	case NG_CMD_OFFER:
	case NG_CMD_ANSWER:
		return cmd_offer_answer(d, req, a, reply, now, err);
	case NG_CMD_DELETE:
		return cmd_delete(d, req, a, reply, now, err);
	case NG_CMD_QUERY:
		return cmd_query(d, req, a, reply, err);
	case NG_CMD_LIST:
		return cmd_list(d, dict, a, reply, err);
	case NG_CMD_STATISTICS:
		return cmd_statistics(d, a, reply, err);
	case NG_CMD_DRAIN:
	case NG_CMD_RELOAD:
		return cmd_operate(d, req, a, reply, now, err);
	case NG_CMD_BLOCK_MEDIA:
	case NG_CMD_UNBLOCK_MEDIA:
	case NG_CMD_SILENCE_MEDIA:
	case NG_CMD_UNSILENCE_MEDIA:
	case NG_CMD_BLOCK_DTMF:
	case NG_CMD_UNBLOCK_DTMF:
	case NG_CMD_PLAY_DTMF: {
		const char *warning = NULL;
		int rc = callctl_command(d->calls, req, now, err, &warning);

		if (warning && req->n_warnings < NG_MAX_WARNINGS)
			req->warnings[req->n_warnings++] = warning;
		return rc;
	}
	case NG_CMD_START_RECORDING:
	case NG_CMD_STOP_RECORDING:
	case NG_CMD_PAUSE_RECORDING:
		return callrec_command(d->calls, req, err);
	case NG_CMD_PLAY_MEDIA:
	case NG_CMD_STOP_MEDIA:
		return playmedia_command(d->calls, req, a, reply, now, err);
	}
	*err = "Unknown command";
	return -EINVAL;
}

/* Encoding of an undecodable message, for its error reply. */
static enum ng_encoding guess_enc(const uint8_t *msg, size_t len, size_t cookie_len)
{
	return cookie_len + 1 < len && msg[cookie_len + 1] == '{' ? NG_ENC_JSON : NG_ENC_BENCODE;
}

static size_t encode_reply(const char *cookie, size_t clen, enum ng_encoding enc, struct arena *a,
			   struct ng_node *reply, char *out, size_t cap)
{
	long n = ng_msg_encode(cookie, clen, enc, reply, out, cap);
	struct ng_node *e;

	if (n >= 0)
		return (size_t)n;
	log_warn("ng: reply for cookie %.*s does not fit (%zu bytes max)", (int)clen, cookie, cap);
	e = ng_new_dict(a);
	if (!e || !ng_dict_add_str(a, e, "result", "error") ||
	    !ng_dict_add_str(a, e, "error-reason", "Reply too large"))
		return 0;
	n = ng_msg_encode(cookie, clen, enc, e, out, cap);
	return n > 0 ? (size_t)n : 0;
}

size_t commands_handle(void *ctx, const uint8_t *msg, size_t len,
		       const struct sockaddr_storage *from, char *out, size_t cap)
{
	struct daemon_ctx *d = ctx;
	struct arena *a = arena_new(16384);
	struct ng_msg m = { 0 };
	struct ng_request req;
	struct ng_node *reply;
	const char *err = NULL;
	size_t n = 0;
	uint64_t t0 = mono_us();
	bool parsed = false;
	int rc;
	char kv[5][200];

	if (!a)
		return 0;
	arena_set_cap(a, MSG_ARENA_CAP);
	memset(&req, 0, sizeof(req));
	rc = ng_msg_decode(a, msg, len, &m, &err);
	if (rc && !m.cookie) {
		log_warn("ng: %zu-byte message without a usable cookie dropped: %s", len,
			 err ? err : "malformed");
		goto out;
	}
	if (rc)
		m.enc = guess_enc(msg, len, m.cookie_len);
	reply = ng_new_dict(a);
	if (!reply)
		goto out;
	if (!rc) {
		rc = ng_request_parse(a, m.dict, &req, &err);
		parsed = rc == 0;
	}
	if (!rc)
		rc = dispatch(d, &req, m.dict, a, reply, &err);
	/* a command that may have changed its call: the record is written
	 * after this reply is out (daemon/repl.h) */
	if (!rc && d->repl && req.call_id && req.cmd != NG_CMD_QUERY && req.cmd != NG_CMD_LIST &&
	    req.cmd != NG_CMD_STATISTICS && req.cmd != NG_CMD_PING)
		repl_call_touched(d->repl, req.call_id, !(req.flags & NG_F_NO_REDIS_UPDATE));
	/* a refusal by an admission limit: rtpengine's "load limit" extension */
	bool load_limit = rc && admission_is_refusal(err);
	uint64_t took_us = mono_us() - t0;
	count_command(d, from, command_of(m.dict),
		      rc != 0 && !(load_limit && req.supports_load_limit), took_us, loop_now_ms());
	metrics_ng_observe(parsed ? (int)req.cmd : -1,
			   !rc					   ? MR_OK
			   : load_limit && req.supports_load_limit ? MR_LOAD_LIMIT
								   : MR_ERROR,
			   took_us);
	/* the call's keys for the journal (docs/architecture.md, Operations),
	 * quoted only when the lines below will be written */
	const char *k_cmd = "", *k_id = "", *k_from = "", *k_to = "";
	if (log_get_level() >= LOG_LVL_INFO) {
		k_cmd = log_kv(kv[0], sizeof(kv[0]), parsed ? ng_command_name(req.cmd) : "?");
		k_id = log_kv(kv[1], sizeof(kv[1]), req.call_id ? req.call_id : "");
		k_from = log_kv(kv[2], sizeof(kv[2]), req.from_tag ? req.from_tag : "");
		k_to = log_kv(kv[3], sizeof(kv[3]), req.to_tag ? req.to_tag : "");
	}
	if (load_limit && req.supports_load_limit) {
		/* the proxy tries another relay: `result` and the reason, nothing else */
		reply = ng_new_dict(a);
		if (!reply || !ng_dict_add_str(a, reply, "result", "load limit") ||
		    !ng_dict_add_str(a, reply, "message", err))
			goto out;
		log_info("ng: command=%s call-id=%s from-tag=%s to-tag=%s result=load-limit "
			 "reason=\"%s\"",
			 k_cmd, k_id, k_from, k_to, err);
	} else if (rc) {
		/* without the extension every limit has rtpengine's one legacy reason */
		if (load_limit)
			err = ADM_REASON_SESSIONS;
		d->cmd_errors++;
		reply = ng_new_dict(a); /* drop partial results */
		if (!reply || !ng_dict_add_str(a, reply, "result", "error") ||
		    !ng_dict_add_str(a, reply, "error-reason", err ? err : "Internal error"))
			goto out;
		log_info("ng: command=%s call-id=%s from-tag=%s to-tag=%s result=error "
			 "reason=%s",
			 k_cmd, k_id, k_from, k_to, log_kv(kv[4], sizeof(kv[4]), err ? err : "?"));
	} else {
		/* result first, as rtpengine writes it */
		struct ng_node *r = ng_new_dict(a);
		if (!r || !ng_dict_add_str(a, r, "result", req.cmd == NG_CMD_PING ? "pong" : "ok"))
			goto out;
		for (struct ng_node *c = reply->child, *nx; c; c = nx) {
			nx = c->next; /* ng_dict_add relinks c */
			if (!ng_dict_add(a, r, c->key, c))
				goto out;
		}
		reply = r;
		add_warnings(a, reply, &req);
		if (req.cmd != NG_CMD_PING)
			log_info("ng: command=%s call-id=%s from-tag=%s to-tag=%s result=ok", k_cmd,
				 k_id, k_from, k_to);
	}
	n = encode_reply(m.cookie, m.cookie_len, m.enc, a, reply, out, cap);
out:
	arena_free(a);
	return n;
}
