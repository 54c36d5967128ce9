/*
 * call.c: the call table, parties, and call lifetime (creation, deletion,
 * timeouts). Offer/answer processing lives in offer.c, query output in query.c.
 *
 * Invariants: a call is in exactly one hash chain and in the all-calls list;
 * every dp_endpoint of a call is owned by one call_stream; before an endpoint
 * is released, every endpoint that forwards into it has been re-pointed (the
 * dataplane queue is FIFO per worker, so the release is applied after).
 */
#include "daemon/codec_negotiate.h"
#include "daemon/call.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/config.h"
#include "dataplane/dataplane.h"
#include "daemon/interfaces.h"
#include "daemon/admission.h"
#include "daemon/quality.h"
#include "daemon/dtls_media.h"
#include "daemon/ice_family.h"
#include "daemon/sdes.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "recording/recorder.h"

#define CALL_BUCKETS 65536

char *call_strdup(const char *s)
{
	size_t n = strnlen(s, CALL_TAG_MAX);

	return strndup(s, n);
}

int calls_init(struct calls *cs, const struct rtprelay_config *cfg, struct ifaces *ifs)
{
	memset(cs, 0, sizeof(*cs));
	cs->n_buckets = CALL_BUCKETS;
	cs->buckets = calloc(cs->n_buckets, sizeof(*cs->buckets));
	if (!cs->buckets)
		return -ENOMEM;
	cs->cfg = cfg;
	cs->ifs = ifs;
	return 0;
}

void calls_free(struct calls *cs, uint64_t now_ms)
{
	while (cs->head)
		call_end(cs, cs->head, now_ms, CALL_END_FORCED, "shutdown");
	free(cs->buckets);
	cs->buckets = NULL;
}

struct call *call_find(struct calls *cs, const char *call_id)
{
	struct call *c = cs->buckets[fnv1a_str(call_id) & (cs->n_buckets - 1)];

	for (; c; c = c->hnext)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

struct call *call_create(struct calls *cs, const char *call_id, uint64_t now_ms, const char **err)
{
	struct call *c;
	uint32_t h = fnv1a_str(call_id) & (cs->n_buckets - 1);
	char kv[CALL_TAG_MAX + 8];

	const char *refused = admission_check(cs->adm, cs->cfg, cs->count, call_id);

	if (refused) {
		*err = refused;
		if (!strcmp(refused, ADM_REASON_SESSIONS))
			cs->totals.rejected++;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->call_id = call_strdup(call_id);
	if (!c || !c->call_id) {
		free(c);
		*err = "Out of memory";
		return NULL;
	}
	c->worker = dp_worker_for_key(call_id);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	c->created = c->last_signal = wall.tv_sec;
	c->created_us = (uint32_t)(wall.tv_nsec / 1000);
	c->created_ms = c->last_signal_ms = now_ms;
	c->hnext = cs->buckets[h];
	cs->buckets[h] = c;
	c->next = cs->head;
	if (cs->head)
		cs->head->prev = c;
	cs->head = c;
	cs->count++;
	cs->totals.created++;
	log_info("call created call-id=%s", log_kv(kv, sizeof(kv), call_id));
	return c;
}

static void release_stream(struct call_stream *s)
{
	if (s->ep) {
		dp_endpoint_release(s->ep);
		s->ep = NULL;
	}
}

/* Sum what a stream carried into the global totals before it goes away. */
static void account_stream(struct calls *cs, const struct call_media *m,
			   const struct call_stream *s, bool rtcp, struct dp_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s->ep)
		return;
	dp_endpoint_stats(s->ep, st);
	if (rtcp) {
		cs->totals.rtcp_packets += st->packets;
		cs->totals.rtcp_bytes += st->bytes;
		cs->totals.rtcp_errors += st->errors;
	} else {
		cs->totals.rtp_packets += st->packets;
		cs->totals.rtp_bytes += st->bytes;
		cs->totals.rtp_errors += st->errors;
		cs->totals.rtp_lost += st->lost;
		if (m->xcode)
			cs->totals.xcode_packets += st->packets;
	}
	cs->totals.srtp_auth_failed += st->srtp_auth_failed;
	cs->totals.srtp_replayed += st->srtp_replayed;
	cs->totals.srtp_errors += st->srtp_errors;
	cs->totals.srtp_awaiting_keys += st->srtp_awaiting_keys;
	if (m->ifc && cs->ifs) {
		size_t i = (size_t)(m->ifc - cs->ifs->v);
		struct call_iface_totals *t = &cs->totals.iface[i < CFG_MAX_IFACES ? i : 0];

		t->packets += st->packets;
		t->bytes += st->bytes;
		t->errors += st->errors;
		t->forwarded += st->forwarded;
		t->dropped += st->dropped_source + st->dropped_other;
	}
}

/* The media of @c's other party that @m's packets go to, NULL if none. */
static const struct call_media *peer_media(const struct call *c, const struct call_media *m)
{
	for (unsigned i = 0; c && i < c->n_parties; i++) {
		const struct call_party *p = c->parties[i];

		if (m < p->media || m >= p->media + SDP_MAX_MEDIA)
			continue;
		unsigned k = (unsigned)(m - p->media);
		if (p->peer && k < p->peer->n_media && p->peer->media[k].used)
			return &p->peer->media[k];
		return NULL;
	}
	return NULL;
}

void call_media_release(struct calls *cs, struct call *c, struct call_media *m, uint64_t now_ms)
{
	struct dp_stats rtp, rtcp;

	account_stream(cs, m, &m->rtp, false, &rtp);
	account_stream(cs, m, &m->rtcp, true, &rtcp);
	/* one quality sample per RTP stream that carried media (daemon/quality.h) */
	if (rtp.packets)
		quality_observe(quality_loss_pct(&rtp), rtp.jitter_ms,
				quality_mos10(m, peer_media(c, m), &rtp));
	const struct ice_family *f = ice_family_of(m);
	if (f) { /* the other family's sockets count in the totals too */
		struct dp_stats x;
		account_stream(cs, m, &f->rtp, false, &x);
		account_stream(cs, m, &f->rtcp, true, &x);
	}
	release_stream(&m->rtp);
	release_stream(&m->rtcp);
	ice_family_release(m, now_ms); /* the other family's sockets */
	if (m->pair && m->ifc)
		iface_release_pair(m->ifc, m->pair, now_ms);
	m->pair = 0;
	sdes_free(m);		  /* new sockets get new keys */
	dtls_media_free(m);	  /* ... and a new DTLS association */
	codecneg_free(m->codecs); /* codecs: the endpoint's release frees m->xcode */
	m->codecs = NULL;
	m->xcode = NULL;
}

/* Stop every endpoint of @p (and those of others forwarding into @p) from
 * forwarding, so @p's endpoints can be released. Should that fail (no
 * memory), releasing is still safe: the worker clears every forward pointer
 * into an endpoint it releases (and dp_offload_release every kernel entry). */
static void disable_party(struct call_party *q)
{
	static const struct dp_endpoint_params off = { .flags = DP_DISABLED };
	struct dp_endpoint *eps[2];
	int rc;

	for (unsigned i = 0; i < q->n_media; i++) {
		eps[0] = q->media[i].rtp.ep;
		eps[1] = q->media[i].rtcp.ep;
		for (int k = 0; k < 2; k++) {
			if (eps[k] && (rc = dp_endpoint_set(eps[k], &off)))
				log_warn("media %u: cannot disable an endpoint (%s); its "
					 "release stops it",
					 q->media[i].index, strerror(-rc));
		}
	}
}

static void unlink_party(struct call *c, struct call_party *p)
{
	for (unsigned pi = 0; pi < c->n_parties; pi++)
		if (c->parties[pi] == p || c->parties[pi]->peer == p)
			disable_party(c->parties[pi]);
}

static void free_party(struct call_party *p)
{
	for (unsigned i = 0; i < p->n_tags; i++)
		free(p->tags[i]);
	free(p->label);
	free(p->via_branch);
	free(p->last_sdp);
	free(p->moh_file);
	dp_media_unref(p->moh_media);
	for (unsigned i = 0; i < SDP_MAX_MEDIA; i++) {
		free(p->media[i].ice); /* daemon/ice.h: plain memory */
		sdes_free(&p->media[i]);
		dtls_media_free(&p->media[i]);
	}
	free(p);
}

/* Release @p's sockets and take it out of the call (forwarders already off). */
static void party_drop(struct calls *cs, struct call *c, struct call_party *p, uint64_t now_ms)
{
	for (unsigned i = 0; i < p->n_media; i++)
		call_media_release(cs, c, &p->media[i], now_ms);
	for (unsigned i = 0; i < c->n_parties; i++) {
		if (c->parties[i]->peer == p)
			c->parties[i]->peer = NULL;
	}
	for (unsigned i = 0; i < c->n_parties; i++) {
		if (c->parties[i] == p) {
			c->parties[i] = c->parties[--c->n_parties];
			break;
		}
	}
	free_party(p);
}

void call_party_remove(struct calls *cs, struct call *c, struct call_party *p, uint64_t now_ms)
{
	unlink_party(c, p);
	party_drop(cs, c, p, now_ms);
}

static uint64_t rtp_received(const struct call_media *m)
{
	struct dp_stats st;

	if (!m->rtp.ep)
		return 0;
	dp_endpoint_stats(m->rtp.ep, &st);
	return st.packets;
}

/* Zero-way and one-way media of @c, into the totals: each media of two
 * peers once, judged by the RTP each side sent the relay. */
static void account_ways(struct calls *cs, const struct call *c)
{
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		const struct call_party *p = c->parties[pi], *q = p->peer;
		unsigned qi = 0;

		while (qi < c->n_parties && c->parties[qi] != q)
			qi++;
		if (!q || qi <= pi) /* the pair is counted from its other side */
			continue;
		for (unsigned i = 0; i < p->n_media && i < q->n_media; i++) {
			if (!p->media[i].pair || !q->media[i].pair)
				continue;
			uint64_t a = rtp_received(&p->media[i]), b = rtp_received(&q->media[i]);
			if (!a && !b)
				cs->totals.zeroway_streams++;
			else if (!a || !b)
				cs->totals.oneway_streams++;
		}
	}
}

void call_end(struct calls *cs, struct call *c, uint64_t now_ms, enum call_end end, const char *why)
{
	switch (end) {
	case CALL_END_REGULAR:
		cs->totals.regular_end++;
		break;
	case CALL_END_FORCED:
		cs->totals.forced_end++;
		break;
	case CALL_END_TIMEOUT:
		cs->totals.timeout++;
		break;
	case CALL_END_SILENT:
		cs->totals.silent_timeout++;
		break;
	case CALL_END_FINAL:
		cs->totals.final_timeout++;
		break;
	}
	call_destroy(cs, c, now_ms, why);
}

void call_destroy(struct calls *cs, struct call *c, uint64_t now_ms, const char *why)
{
	struct call **pp = &cs->buckets[fnv1a_str(c->call_id) & (cs->n_buckets - 1)];
	char kv[CALL_TAG_MAX + 8], kw[128];

	if (cs->on_destroy)
		cs->on_destroy(cs->on_destroy_arg, c->call_id);
	account_ways(cs, c);
	/* every endpoint stops forwarding first, then all are released: the
	 * worker never forwards into an endpoint it already freed */
	for (unsigned i = 0; i < c->n_parties; i++)
		disable_party(c->parties[i]);
	while (c->n_parties)
		party_drop(cs, c, c->parties[c->n_parties - 1], now_ms);
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cs->count--;
	cs->totals.deleted++;
	cs->totals.duration_ms += now_ms - c->created_ms;
	log_info("call deleted call-id=%s reason=%s duration=%llus",
		 log_kv(kv, sizeof(kv), c->call_id), log_kv(kw, sizeof(kw), why),
		 (unsigned long long)((now_ms - c->created_ms) / 1000));
	if (c->rec_id) /* the recording ends with the call: files complete */
		recorder_session_stop(c->rec_id, now_ms * 1000u);
	free(c->rec_base);
	free(c->rec_metadata);
	free(c->call_id);
	free(c);
}

bool call_party_has_tag(const struct call_party *p, const char *tag)
{
	for (unsigned i = 0; i < p->n_tags; i++)
		if (strcmp(p->tags[i], tag) == 0)
			return true;
	return false;
}

const char *call_party_tag(const struct call_party *p)
{
	return p->n_tags ? p->tags[0] : "";
}

struct call_party *call_party_find(struct call *c, const char *tag)
{
	for (unsigned i = 0; i < c->n_parties; i++)
		if (call_party_has_tag(c->parties[i], tag))
			return c->parties[i];
	return NULL;
}

struct call_party *call_party_by_label(struct call *c, const char *label)
{
	if (!label || !label[0])
		return NULL;
	for (unsigned i = 0; i < c->n_parties; i++)
		if (c->parties[i]->label && !strcmp(c->parties[i]->label, label))
			return c->parties[i];
	return NULL;
}

int call_party_add_tag(struct call_party *p, const char *tag)
{
	if (!tag || !tag[0] || call_party_has_tag(p, tag))
		return 0;
	if (p->n_tags >= CALL_MAX_TAGS)
		return -E2BIG;
	p->tags[p->n_tags] = call_strdup(tag);
	if (!p->tags[p->n_tags])
		return -ENOMEM;
	p->n_tags++;
	return 0;
}

void call_party_drop_tag(struct call_party *p, const char *tag)
{
	for (unsigned i = 0; i < p->n_tags; i++) {
		if (strcmp(p->tags[i], tag) == 0) {
			free(p->tags[i]);
			memmove(&p->tags[i], &p->tags[i + 1], (p->n_tags - i - 1) * sizeof(char *));
			p->n_tags--;
			return;
		}
	}
}

struct call_party *call_party_new(struct call *c, const char *tag)
{
	struct call_party *p;

	if (c->n_parties >= CALL_MAX_PARTIES)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (call_party_add_tag(p, tag)) {
		free_party(p);
		return NULL;
	}
	p->created = time(NULL);
	c->parties[c->n_parties++] = p;
	return p;
}

unsigned calls_transcoded_media(const struct calls *cs)
{
	unsigned n = 0;

	for (const struct call *c = cs->head; c; c = c->next) {
		for (unsigned pi = 0; pi < c->n_parties; pi++) {
			const struct call_party *p = c->parties[pi], *q = p->peer;
			/* a pair of parties is looked at once, from its first party */
			if (q && q->peer == p && (uintptr_t)q < (uintptr_t)p)
				continue;
			for (unsigned i = 0; i < p->n_media; i++) {
				bool x = p->media[i].xcode ||
					 (q && i < q->n_media && q->media[i].xcode);
				n += x;
			}
		}
	}
	return n;
}

/* Is what party @p sends on media @i expected to carry media? Not when @p
 * says it sends nothing there or its peer says it receives nothing (port 0,
 * inactive, sendonly/recvonly the other way, c= 0.0.0.0 hold). A peer whose
 * SDP was not seen yet (the callee before the answer) receives. */
static bool stream_expects_media(const struct call_party *p, unsigned i)
{
	const struct call_party *q = p->peer;
	const struct call_media *m = &p->media[i];

	if (!m->pair || m->no_send)
		return false;
	return !(q && i < q->n_media && q->media[i].no_recv);
}

/* Latest packet time of a stream (RTP or RTCP), ms, 0 = never. */
static uint64_t media_last_packet_ms(const struct call_media *m)
{
	const struct call_stream *s[2] = { &m->rtp, &m->rtcp };
	uint64_t last = 0;
	struct dp_stats st;

	for (int k = 0; k < 2; k++) {
		if (!s[k]->ep)
			continue;
		dp_endpoint_stats(s[k]->ep, &st);
		if (st.last_packet_ms > last)
			last = st.last_packet_ms;
	}
	return last;
}

enum expiry {
	EXPIRY_NONE,
	EXPIRY_DELETE_DELAY, /* a delete's grace period ended: not a timeout */
	EXPIRY_FINAL,
	EXPIRY_TIMEOUT,
	EXPIRY_SILENT,
};

static const char *const expiry_name[] = {
	[EXPIRY_DELETE_DELAY] = "delete-delay elapsed",
	[EXPIRY_FINAL] = "final-timeout",
	[EXPIRY_TIMEOUT] = "timeout: no media",
	[EXPIRY_SILENT] = "silent-timeout: no media",
};

static enum expiry expiry_of(struct calls *cs, struct call *c, uint64_t now_ms)
{
	const struct rtprelay_config *cfg = cs->cfg;
	uint64_t last_all = 0, last_expected = 0, last;
	bool expected = false;
	unsigned limit;

	if (c->delete_at_ms && now_ms >= c->delete_at_ms)
		return EXPIRY_DELETE_DELAY;
	if (cfg->final_timeout && now_ms - c->created_ms >= cfg->final_timeout * 1000ull)
		return EXPIRY_FINAL;
	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		const struct call_party *p = c->parties[pi];
		for (unsigned i = 0; i < p->n_media; i++) {
			uint64_t pkt = media_last_packet_ms(&p->media[i]);
			if (pkt > last_all)
				last_all = pkt;
			if (!stream_expects_media(p, i))
				continue;
			expected = true;
			if (pkt > last_expected)
				last_expected = pkt;
		}
	}
	if (last_all > c->last_media_ms)
		c->last_media_ms = last_all;
	/* media on streams on hold does not keep a call with expected streams */
	last = expected ? last_expected : last_all;
	if (c->last_signal_ms > last)
		last = c->last_signal_ms;
	limit = expected ? cfg->timeout : cfg->silent_timeout;
	/* a packet counted after this tick read the clock (a worker's batch,
	 * the kernel fast path) is newer than now_ms: not an expiry */
	if (limit && now_ms > last && now_ms - last >= limit * 1000ull)
		return expected ? EXPIRY_TIMEOUT : EXPIRY_SILENT;
	return EXPIRY_NONE;
}

void calls_tick(struct calls *cs, uint64_t now_ms)
{
	struct call *c = cs->head, *next;
	char kv[CALL_TAG_MAX + 8], kw[64];

	for (; c; c = next) {
		next = c->next;
		enum expiry e = expiry_of(cs, c, now_ms);
		if (e == EXPIRY_NONE)
			continue;
		if (e != EXPIRY_DELETE_DELAY) {
			cs->totals.timed_out++;
			log_notice("call expired call-id=%s reason=%s",
				   log_kv(kv, sizeof(kv), c->call_id),
				   log_kv(kw, sizeof(kw), expiry_name[e]));
		}
		call_end(cs, c, now_ms,
			 e == EXPIRY_DELETE_DELAY ? CALL_END_REGULAR
			 : e == EXPIRY_FINAL	  ? CALL_END_FINAL
			 : e == EXPIRY_TIMEOUT	  ? CALL_END_TIMEOUT
						  : CALL_END_SILENT,
			 expiry_name[e]);
	}
}
