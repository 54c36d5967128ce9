/*
 * dtls_media.c: DTLS-SRTP of a call's media; see dtls_media.h for the rules
 * and docs/architecture.md (DTLS-SRTP) for why the handshake runs here.
 */
#include "daemon/dtls_media.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>

#include "daemon/call.h"
#include "daemon/heap_trim.h"
#include "daemon/ice_family.h"
#include "dataplane/dataplane.h"
#include "dtls/dtls.h"
#include "dtls/dtls_role.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "sdp/sdp_lex.h"

#define TLS_ID_MAX     255 /* a=tls-id value kept (RFC 8842: 20..255 chars; longer compared cut) */
#define N_BUCKETS      1024u		     /* id -> media */
#define OUR_TLS_ID_LEN DTLS_MEDIA_OUR_TLS_ID /* rtprelay's a=tls-id: 144 random bits */
/* A server whose handshake a datagram broke (a forged or garbled record from
 * the peer's address) starts over this many times, then stays failed until
 * the next offer/answer. */
#define SERVER_RETRIES 5u

/* Components (RFC 5764 4.1): one DTLS association each. RTCP has its own
 * only when the party does not multiplex it on the RTP port. */
enum {
	COMP_RTP = 0,
	COMP_RTCP = 1,
	N_COMP = 2
};

/* One DTLS association, on one component's socket. */
struct dtls_assoc {
	struct dtls_conn *conn;
	bool keyed; /* keys below came from a finished handshake */
	struct sr_keys keys;
	enum dtls_profile profile;
	bool fail_logged;
	const char *last_error;
	uint64_t handshakes, failures;
};

struct media_dtls {
	struct call_media *cm;
	/* given to the data plane with DP_DTLS: id for the RTP component,
	 * id + 1 for RTCP (ids are even) */
	uint64_t id;
	struct media_dtls *bucket_next, *active_prev, *active_next;
	bool in_active;
	/* from the party's SDP */
	bool peer_has_fp;
	struct dtls_fingerprint peer_fp;
	enum dtls_setup peer_setup;
	char peer_tls_id[TLS_ID_MAX + 1];
	/* towards the party */
	bool on;	      /* the party speaks DTLS-SRTP with rtprelay */
	enum dtls_setup ours; /* the a=setup rtprelay writes */
	bool role_known;      /* the peer's a=setup (answer or offer) fixed it */
	bool client;	      /* rtprelay starts the handshake */
	enum dtls_hash hash;  /* of rtprelay's a=fingerprint */
	struct dtls_assoc as[N_COMP];
	bool restart; /* a new handshake is due (fingerprint/tls-id changed) */
	/* rtprelay's a=tls-id towards the party (RFC 8842): one per DTLS
	 * association, new whenever a restart makes a new one */
	char tls_id[OUR_TLS_ID_LEN + 1];
	uint64_t no_handshake; /* datagrams before an association existed */
	/* carried from another process (dtls_media_restore): keyed without
	 * an association until the peer or an offer/answer restarts DTLS */
	bool restored;
	/* the party's RTCP comes from its RTP transport address: it multiplexes
	 * whatever the SDP said, so RTCP rides on the RTP association */
	bool rtcp_on_rtp;
};

static struct {
	struct dtls_cert *cert;
	struct loop *loop;
	struct loop_watch watch;
	uint64_t next_id;
	struct media_dtls *buckets[N_BUCKETS];
	struct media_dtls *active; /* handshaking: timers to run */
	unsigned n_media;	   /* media with DTLS state */
} g;

static struct media_dtls *by_id(uint64_t id)
{
	id &= ~(uint64_t)1; /* the RTCP component's id is the media's + 1 */
	for (struct media_dtls *d = g.buckets[id % N_BUCKETS]; d; d = d->bucket_next)
		if (d->id == id)
			return d;
	return NULL;
}

static void active_add(struct media_dtls *d)
{
	if (d->in_active)
		return;
	d->active_prev = NULL;
	d->active_next = g.active;
	if (g.active)
		g.active->active_prev = d;
	g.active = d;
	d->in_active = true;
}

static void active_del(struct media_dtls *d)
{
	if (!d->in_active)
		return;
	if (d->active_prev)
		d->active_prev->active_next = d->active_next;
	else
		g.active = d->active_next;
	if (d->active_next)
		d->active_next->active_prev = d->active_prev;
	d->in_active = false;
}

/* A fresh a=tls-id value (RFC 8842 4: tls-id-char is ALPHA / DIGIT / "+" /
 * "/" / "-" / "_"; 64 of them, so a random byte's low 6 bits pick one). */
static int new_tls_id(struct media_dtls *d)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char r[OUR_TLS_ID_LEN];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	for (size_t i = 0; i < sizeof(r); i++)
		d->tls_id[i] = chars[r[i] & 63u];
	d->tls_id[OUR_TLS_ID_LEN] = '\0';
	return 0;
}

/* A new association is due: rtprelay's tls-id changes with it (RFC 8842 5). */
static void want_restart(struct media_dtls *d)
{
	if (!d->restart && new_tls_id(d))
		log_warn("media %u: no randomness for a new a=tls-id", d->cm->index);
	d->restart = true;
}

static struct media_dtls *state(struct call_media *cm)
{
	if (cm->dtls)
		return cm->dtls;
	struct media_dtls *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cm = cm;
	g.next_id += 2;
	d->id = g.next_id;
	d->hash = DTLS_SHA256;
	if (new_tls_id(d)) {
		free(d);
		return NULL;
	}
	d->bucket_next = g.buckets[d->id % N_BUCKETS];
	g.buckets[d->id % N_BUCKETS] = d;
	cm->dtls = d;
	g.n_media++;
	return d;
}

static void drop_conn(struct media_dtls *d)
{
	for (unsigned k = 0; k < N_COMP; k++) {
		dtls_conn_free(d->as[k].conn);
		d->as[k].conn = NULL;
	}
	active_del(d);
}

/* Whether an association of @d still handshakes (its timers must run). */
static bool handshaking(const struct media_dtls *d)
{
	for (unsigned k = 0; k < N_COMP; k++)
		if (d->as[k].conn && dtls_conn_state(d->as[k].conn) == DTLS_HANDSHAKING)
			return true;
	return false;
}

/* The socket of component @k: of the address family the party nominated
 * (daemon/ice_family.h), where the handshake's datagrams come from. */
static struct dp_endpoint *comp_ep(const struct media_dtls *d, unsigned k)
{
	return ice_family_out(d->cm, k == COMP_RTCP);
}

/* RTCP has an association of its own when the party does not multiplex it
 * (RFC 5764 4.1) and the media has an RTCP socket. */
static bool rtcp_own(const struct media_dtls *d)
{
	return !d->cm->rtcp_mux && d->cm->rtcp.ep && !d->rtcp_on_rtp;
}

/* A party that sends its RTCP from its RTP port (it multiplexes although
 * the SDP did not agree on rtcp-mux) has one socket and so room for one
 * DTLS association (RFC 5764 4.1: one per 5-tuple): a second hello from
 * rtprelay's RTCP port would reach the party's RTP DTLS endpoint and could
 * be answered instead of the RTP one. Once the RTCP socket's remote (SDP
 * or latched) is the RTP socket's, RTCP's own association is dropped and
 * SRTCP is keyed from the RTP association. True when that happened. */
static bool rtcp_collapse(struct media_dtls *d)
{
	struct dp_stats a, b;
	struct dp_endpoint *rtp = comp_ep(d, COMP_RTP), *rtcp = comp_ep(d, COMP_RTCP);

	if (!rtcp_own(d) || !rtp || !rtcp || rtp == rtcp)
		return false;
	dp_endpoint_stats(rtp, &a);
	dp_endpoint_stats(rtcp, &b);
	if (!a.remote.ss_family || !sockaddr_same(&a.remote, &b.remote))
		return false;
	d->rtcp_on_rtp = true;
	dtls_conn_free(d->as[COMP_RTCP].conn);
	d->as[COMP_RTCP].conn = NULL;
	d->as[COMP_RTCP].keyed = false;
	log_info("media %u: the party sends RTCP from its RTP port: one DTLS association, on RTP",
		 d->cm->index);
	return true;
}

void dtls_media_free(struct call_media *cm)
{
	struct media_dtls *d = cm->dtls;

	if (!d)
		return;
	drop_conn(d);
	for (struct media_dtls **pp = &g.buckets[d->id % N_BUCKETS]; *pp;
	     pp = &(*pp)->bucket_next) {
		if (*pp == d) {
			*pp = d->bucket_next;
			break;
		}
	}
	memset(d, 0, sizeof(*d)); /* no keys left in freed memory */
	free(d);
	cm->dtls = NULL;
	g.n_media--;
}

/* ---- the handshake ---- */

static void flush_output(struct media_dtls *d, unsigned k)
{
	struct dtls_assoc *as = &d->as[k];
	uint8_t buf[DTLS_MTU];
	int n;

	if (k == COMP_RTCP && rtcp_collapse(d))
		return;
	while (as->conn && (n = dtls_conn_output(as->conn, buf, sizeof(buf))) > 0) {
		struct dp_endpoint *ep = comp_ep(d, k);
		if (!ep)
			continue;
		int rc = dp_endpoint_send(ep, buf, (size_t)n);
		if (rc && rc != -ENOTCONN)
			log_debug("media %u: DTLS send: %s", d->cm->index, strerror(-rc));
	}
}

static enum sr_suite suite_of(enum dtls_profile p)
{
	switch (p) {
	case DTLS_AES128_CM_SHA1_80:
		return SR_AES_CM_128_HMAC_SHA1_80;
	case DTLS_AES128_CM_SHA1_32:
		return SR_AES_CM_128_HMAC_SHA1_32;
	case DTLS_AEAD_AES_128_GCM:
		return SR_AEAD_AES_128_GCM;
	case DTLS_AEAD_AES_256_GCM:
		return SR_AEAD_AES_256_GCM;
	default:
		return SR_SUITE_NONE;
	}
}

/* A handshake finished: key the party's endpoints (RFC 5764 4.2: the
 * client write key is what the client protects with). The RTP
 * association's keys key the RTCP socket too until RTCP's own association
 * (a party that does not multiplex RTCP) has finished; from then on RTCP
 * is keyed from its own (RFC 5764 4.1). */
static void connected(struct media_dtls *d, unsigned comp)
{
	struct dtls_assoc *as = &d->as[comp];
	struct dtls_srtp_keys k;
	struct sr_keys sk;

	if (!handshaking(d))
		active_del(d);
	heap_trim_note(); /* the handshake's OpenSSL state was just freed */
	if (dtls_conn_keys(as->conn, &k))
		return;
	memset(&sk, 0, sizeof(sk));
	sk.suite = suite_of(k.profile);
	if (sk.suite == SR_SUITE_NONE || k.key_len + k.salt_len > SR_MAX_MASTER) {
		log_warn("media %u: DTLS-SRTP profile %s has no SRTP suite here", d->cm->index,
			 dtls_profile_name(k.profile));
		as->failures++;
		return;
	}
	memcpy(sk.local.master, k.local_key, k.key_len);
	memcpy(sk.local.master + k.key_len, k.local_salt, k.salt_len);
	memcpy(sk.remote.master, k.remote_key, k.key_len);
	memcpy(sk.remote.master + k.key_len, k.remote_salt, k.salt_len);
	memset(&k, 0, sizeof(k));
	int rc = 0;
	if (comp == COMP_RTP)
		rc = d->cm->rtp.ep ? dp_endpoint_srtp(d->cm->rtp.ep, &sk) : -ENOENT;
	if (!rc && d->cm->rtcp.ep && (comp == COMP_RTCP || !d->as[COMP_RTCP].keyed))
		rc = dp_endpoint_srtp(d->cm->rtcp.ep, &sk);
	if (!rc) /* the other family's sockets alike */
		ice_family_srtp(d->cm, &sk, comp == COMP_RTP,
				comp == COMP_RTCP || !d->as[COMP_RTCP].keyed);
	if (rc) {
		log_warn("media %u: cannot key SRTP from DTLS: %s", d->cm->index, strerror(-rc));
		as->failures++;
		memset(&sk, 0, sizeof(sk));
		return;
	}
	as->keys = sk;
	as->keyed = true;
	as->profile = dtls_conn_keys(as->conn, &k) ? DTLS_PROFILE_NONE : k.profile;
	memset(&k, 0, sizeof(k));
	memset(&sk, 0, sizeof(sk));
	as->handshakes++;
	log_info("media %u: DTLS-SRTP connected as %s on %s, %s", d->cm->index,
		 d->client ? "client" : "server", comp == COMP_RTP ? "RTP" : "RTCP",
		 dtls_profile_name(as->profile));
}

static void failed(struct media_dtls *d, unsigned comp)
{
	struct dtls_assoc *as = &d->as[comp];

	if (!handshaking(d))
		active_del(d);
	heap_trim_note();
	as->failures++;
	as->last_error = dtls_conn_error(as->conn);
	/* RTCP's own association failing is no error of the call: its SRTCP
	 * stays keyed from the RTP association (a peer may never start one) */
	if (!as->fail_logged && comp == COMP_RTP)
		log_warn("media %u: %s (port %u)", d->cm->index,
			 as->last_error ? as->last_error : "DTLS handshake failed",
			 d->cm->rtp.port);
	else if (!as->fail_logged)
		log_info("media %u: RTCP port %u: %s; SRTCP keyed from the RTP association",
			 d->cm->index, d->cm->rtcp.port,
			 as->last_error ? as->last_error : "DTLS handshake failed");
	as->fail_logged = true;
}

static void after(struct media_dtls *d, unsigned comp, enum dtls_state st, bool was_connected,
		  bool was_handshaking)
{
	/* keys first: the worker has them (its queue is applied before it reads
	 * the sockets) before our last flight lets the peer send media */
	if (st == DTLS_CONNECTED && !was_connected)
		connected(d, comp);
	else if (st == DTLS_FAILED && was_handshaking)
		failed(d, comp);
	flush_output(d, comp);
}

static void start(struct media_dtls *d, uint64_t now_ms)
{
	if (!d->on || !d->role_known || !d->peer_has_fp || !g.cert || !d->cm->rtp.ep)
		return;
	for (unsigned k = 0; k < N_COMP; k++) {
		struct dtls_assoc *as = &d->as[k];
		if (k == COMP_RTCP && !rtcp_own(d)) {
			/* multiplexed now: RTCP rides on the RTP association */
			dtls_conn_free(as->conn);
			as->conn = NULL;
			as->keyed = false;
			continue;
		}
		/* a failed handshake (timeout, bad fingerprint) gets a new try
		 * with the next offer/answer */
		if (as->conn && !d->restart && dtls_conn_state(as->conn) != DTLS_FAILED)
			continue;
		/* carried over keyed: no new handshake until a restart */
		if (!as->conn && as->keyed && d->restored && !d->restart)
			continue;
		dtls_conn_free(as->conn);
		as->fail_logged = false;
		as->conn = dtls_conn_new(g.cert, d->client, &d->peer_fp, NULL, now_ms);
		if (!as->conn) {
			log_warn("media %u: cannot create a DTLS endpoint", d->cm->index);
			as->failures++;
			continue;
		}
		active_add(d);
		flush_output(d, k); /* the client's hello */
	}
	d->restart = false;
}

void dtls_media_start(struct call_party *p, uint64_t now_ms)
{
	for (unsigned i = 0; i < p->n_media; i++)
		if (p->media[i].dtls)
			start(p->media[i].dtls, now_ms);
}

void dtls_media_tick(uint64_t now_ms)
{
	struct media_dtls *d = g.active, *next;

	for (; d; d = next) {
		next = d->active_next;
		for (unsigned k = 0; k < N_COMP; k++) {
			struct dtls_conn *c = d->as[k].conn;
			if (!c || dtls_conn_state(c) != DTLS_HANDSHAKING)
				continue;
			uint64_t due = dtls_conn_deadline(c, now_ms);
			if (!due || due > now_ms)
				continue;
			after(d, k, dtls_conn_timer(c, now_ms), false, true);
		}
		if (!handshaking(d))
			active_del(d);
	}
	heap_trim_tick(now_ms); /* pages the finished handshakes freed */
}

unsigned dtls_media_in_flight(void)
{
	unsigned n = 0;

	for (const struct media_dtls *d = g.active; d; d = d->active_next)
		for (unsigned k = 0; k < N_COMP; k++)
			if (d->as[k].conn && dtls_conn_in_flight(d->as[k].conn))
				n++;
	return n;
}

static void on_datagrams(struct loop_watch *w, uint32_t events)
{
	static struct dp_dtls_datagram dg[32];
	uint64_t now_ms = loop_now_ms();
	unsigned n;

	(void)w;
	(void)events;
	n = dp_dtls_drain(dg, 32);
	for (unsigned i = 0; i < n; i++) {
		struct media_dtls *d = by_id(dg[i].id);

		if (!d)
			continue; /* released since */
		unsigned k = (unsigned)(dg[i].id & 1);
		struct dtls_assoc *as = &d->as[k];
		if (k == COMP_RTCP && (rtcp_collapse(d) || d->rtcp_on_rtp)) {
			d->no_handshake++; /* RTCP rides on the RTP association */
			continue;
		}
		if (!as->conn && d->restored && d->on && !d->client && g.cert) {
			/* a carried-over media's peer starts DTLS again: answer it
			 * with this process's certificate (its keys replace the
			 * carried ones when the handshake completes) */
			as->conn = dtls_conn_new(g.cert, false, &d->peer_fp, NULL, now_ms);
			if (as->conn)
				active_add(d);
		}
		if (!as->conn) {
			d->no_handshake++;
			continue;
		}
		enum dtls_state st0 = dtls_conn_state(as->conn);
		bool was = st0 == DTLS_CONNECTED;
		after(d, k, dtls_conn_input(as->conn, dg[i].buf, dg[i].len, now_ms), was,
		      st0 == DTLS_HANDSHAKING);
		if (was && dtls_conn_state(as->conn) == DTLS_HANDSHAKING) {
			/* the peer restarted DTLS (a new ClientHello): the new
			 * handshake's keys replace the current ones when it ends */
			log_info("media %u: DTLS restart by the peer on %s", d->cm->index,
				 k == COMP_RTP ? "RTP" : "RTCP");
			as->fail_logged = false;
			active_add(d);
		}
		if (!d->client && !was && dtls_conn_state(as->conn) == DTLS_FAILED &&
		    as->failures <= SERVER_RETRIES) {
			/* the real peer's hello may still come: listen again */
			dtls_conn_free(as->conn);
			as->conn = dtls_conn_new(g.cert, false, &d->peer_fp, NULL, now_ms);
			if (as->conn)
				active_add(d);
		}
	}
}

int dtls_media_init(struct loop *l, bool rsa, unsigned rsa_bits)
{
	g.cert = dtls_cert_new_type(rsa ? DTLS_CERT_RSA : DTLS_CERT_EC, rsa_bits);
	if (!g.cert) {
		log_err("DTLS: cannot make the daemon's certificate");
		return -ENOMEM;
	}
	log_info("DTLS certificate: %s", dtls_cert_describe(g.cert));
	g.loop = l;
	g.watch = (struct loop_watch){ .fd = dp_dtls_fd(), .cb = on_datagrams, .data = NULL };
	if (g.watch.fd < 0)
		return -EMFILE;
	return loop_add(l, &g.watch, EPOLLIN);
}

bool dtls_media_save(const struct call_media *m, struct dtls_media_saved *out)
{
	const struct media_dtls *d = m->dtls;

	memset(out, 0, sizeof(*out));
	if (!d)
		return false;
	out->on = d->on;
	out->role_known = d->role_known;
	out->client = d->client;
	out->peer_has_fp = d->peer_has_fp;
	out->ours = d->ours;
	out->peer_setup = d->peer_setup;
	out->hash = d->hash;
	out->peer_fp = d->peer_fp;
	memcpy(out->peer_tls_id, d->peer_tls_id, sizeof(out->peer_tls_id));
	memcpy(out->tls_id, d->tls_id, sizeof(out->tls_id));
	for (unsigned k = 0; k < N_COMP; k++) {
		out->as[k].keyed = d->as[k].keyed;
		out->as[k].keys = d->as[k].keys;
		out->as[k].profile = d->as[k].profile;
	}
	return true;
}

static bool tls_id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int dtls_media_restore(struct call_media *m, const struct dtls_media_saved *in, const char **why)
{
	struct media_dtls *d;

	*why = NULL;
	if (m->dtls) {
		*why = "DTLS state twice";
		return -EINVAL;
	}
	if ((unsigned)in->ours > DTLS_SETUP_HOLDCONN ||
	    (unsigned)in->peer_setup > DTLS_SETUP_HOLDCONN || (unsigned)in->hash > DTLS_SHA512) {
		*why = "setup or hash out of range";
		return -EINVAL;
	}
	if (strlen(in->tls_id) != OUR_TLS_ID_LEN) {
		*why = "tls-id of the wrong length";
		return -EINVAL;
	}
	for (unsigned i = 0; i < OUR_TLS_ID_LEN; i++)
		if (!tls_id_char(in->tls_id[i])) {
			*why = "tls-id with a character RFC 8842 does not allow";
			return -EINVAL;
		}
	if (!memchr(in->peer_tls_id, '\0', sizeof(in->peer_tls_id))) {
		*why = "peer tls-id too long";
		return -EINVAL;
	}
	if (in->peer_has_fp && (in->peer_fp.len == 0 || in->peer_fp.len > DTLS_FP_MAX)) {
		*why = "peer fingerprint of the wrong length";
		return -EINVAL;
	}
	for (unsigned k = 0; k < N_COMP; k++) {
		if (!in->as[k].keyed)
			continue;
		if ((unsigned)in->as[k].profile > DTLS_AEAD_AES_256_GCM ||
		    suite_of(in->as[k].profile) != in->as[k].keys.suite ||
		    sr_keys_check(&in->as[k].keys)) {
			*why = "keys that do not fit their SRTP profile";
			return -EINVAL;
		}
	}
	d = state(m);
	if (!d)
		return -ENOMEM;
	d->on = in->on;
	d->role_known = in->role_known;
	d->client = in->client;
	d->peer_has_fp = in->peer_has_fp;
	d->ours = in->ours;
	d->peer_setup = in->peer_setup;
	d->hash = in->hash;
	d->peer_fp = in->peer_fp;
	memcpy(d->peer_tls_id, in->peer_tls_id, sizeof(d->peer_tls_id));
	memcpy(d->tls_id, in->tls_id, sizeof(d->tls_id));
	for (unsigned k = 0; k < N_COMP; k++) {
		d->as[k].keyed = in->as[k].keyed;
		d->as[k].keys = in->as[k].keys;
		d->as[k].profile = in->as[k].profile;
	}
	d->restored = true;
	return 0;
}

int dtls_media_cert_pem(char **pem, size_t *len)
{
	if (!g.cert)
		return -ENOENT;
	return dtls_cert_pem(g.cert, pem, len);
}

int dtls_media_set_cert_pem(const char *pem, size_t len, const char **why)
{
	struct dtls_cert *c;

	if (g.n_media) {
		*why = "media use the current certificate";
		return -EBUSY;
	}
	c = dtls_cert_from_pem(pem, len, why);
	if (!c)
		return -EINVAL;
	dtls_cert_free(g.cert);
	g.cert = c;
	log_info("DTLS certificate: %s (given)", dtls_cert_describe(g.cert));
	return 0;
}

/* Append the file at @path to buf[*n..cap). 0 or -errno. */
static int read_pem(const char *path, char *buf, size_t *n, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t got;

	if (!f)
		return -errno;
	got = fread(buf + *n, 1, cap - *n, f);
	bool more = got == cap - *n && fgetc(f) != EOF;
	int err = ferror(f);
	fclose(f);
	if (err)
		return -EIO;
	if (more)
		return -EFBIG;
	*n += got;
	return 0;
}

int dtls_media_load_cert(const char *cert_path, const char *key_path)
{
	char *buf = malloc(DTLS_PEM_MAX + 1);
	size_t n = 0;
	const char *why = NULL, *bad = cert_path;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = read_pem(cert_path, buf, &n, DTLS_PEM_MAX);
	if (!rc) {
		bad = key_path;
		buf[n++] = '\n'; /* the files need not end in a newline */
		rc = read_pem(key_path, buf, &n, DTLS_PEM_MAX);
	}
	if (rc) {
		log_err("DTLS: cannot read %s: %s", bad,
			rc == -EFBIG ? "certificate and key over 64 KiB" : strerror(-rc));
	} else if ((rc = dtls_media_set_cert_pem(buf, n, &why))) {
		log_err("DTLS: the certificate in %s and key in %s: %s", cert_path, key_path,
			why ? why : strerror(-rc));
	}
	explicit_bzero(buf, DTLS_PEM_MAX + 1);
	free(buf);
	return rc;
}

void dtls_media_fini(void)
{
	if (g.loop)
		loop_del(g.loop, &g.watch);
	dtls_cert_free(g.cert);
	g.cert = NULL;
	g.loop = NULL;
}

/* ---- offer/answer ---- */

static bool proto_dtls(const char *p, size_t n)
{
	return p && n >= 7 && !strncasecmp(p, "UDP/TLS", 7);
}

/* RTP/SAVP[F]: SDES or DTLS-SRTP, whichever the parties agree on */
static bool proto_savp(const char *p, size_t n)
{
	return p && memmem(p, n, "SAVP", 4) != NULL && !proto_dtls(p, n);
}

bool dtls_media_available(void)
{
	return g.cert != NULL;
}

bool dtls_media_offered(const struct call_media *m)
{
	return m->dtls && m->dtls->on;
}

/* The first a=@kind line's value in lines [from, to) of @s. */
static bool find_attr(const struct sdp_session *s, unsigned from, unsigned to,
		      enum sdp_attr_kind kind, struct sdp_str *val)
{
	for (unsigned l = from; l < to && l < s->n_lines; l++) {
		const struct sdp_str *ln = &s->lines[l];
		size_t n = sdp_line_content_len(ln);

		if (n < 2 || ln->s[0] != 'a' || ln->s[1] != '=')
			continue;
		if (sdp_attr_classify(ln->s + 2, n - 2, val) == kind)
			return true;
	}
	return false;
}

/* Media level first, then session level (RFC 8122 5 allows both). */
static bool find_dtls_attr(const struct sdp_session *s, const struct sdp_media *m,
			   enum sdp_attr_kind kind, struct sdp_str *val)
{
	unsigned sess_end = s->n_media ? s->media[0].first_line : s->n_lines;

	return find_attr(s, m->first_line, m->first_line + m->n_lines, kind, val) ||
	       find_attr(s, 0, sess_end, kind, val);
}

bool dtls_sdp_has(const struct sdp_session *s, const struct sdp_media *m)
{
	struct sdp_str v;

	return find_attr(s, m->first_line, m->first_line + m->n_lines, SDP_A_FINGERPRINT, &v) ||
	       find_attr(s, m->first_line, m->first_line + m->n_lines, SDP_A_SETUP, &v) ||
	       find_attr(s, m->first_line, m->first_line + m->n_lines, SDP_A_TLS_ID, &v);
}

bool dtls_sdp_fingerprint(const struct sdp_session *s, const struct sdp_media *m)
{
	struct sdp_str v;

	return find_dtls_attr(s, m, SDP_A_FINGERPRINT, &v);
}

bool dtls_sdp_session_has(const struct sdp_session *s)
{
	struct sdp_str v;
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;

	return find_attr(s, 0, end, SDP_A_FINGERPRINT, &v) ||
	       find_attr(s, 0, end, SDP_A_SETUP, &v) || find_attr(s, 0, end, SDP_A_TLS_ID, &v);
}

static void trim(struct sdp_str *v)
{
	while (v->len && (v->s[0] == ' ' || v->s[0] == '\t'))
		v->s++, v->len--;
	while (v->len && (v->s[v->len - 1] == ' ' || v->s[v->len - 1] == '\t'))
		v->len--;
}

int dtls_note_sender(struct arena *a, const struct ng_request *req, const struct sdp_session *s,
		     const struct sdp_media *m, struct call_media *cm, const char **err)
{
	struct sdp_str fpv, setupv, tlsv;
	struct dtls_fingerprint fp;
	enum dtls_setup setup = DTLS_SETUP_NONE;
	const char *why = NULL;
	bool has_fp = find_dtls_attr(s, m, SDP_A_FINGERPRINT, &fpv);
	/* RTP/SAVP[F] with a=fingerprint is DTLS-SRTP too (rtpengine's
	 * "RTP/SAVPF" towards browsers), unless SDES-prefer chose the
	 * offerer's a=crypto (daemon/sdes.c) */
	bool dtls_proto = (proto_dtls(m->proto.s, m->proto.len) ||
			   (has_fp && proto_savp(m->proto.s, m->proto.len))) &&
			  !(req->cmd == NG_CMD_OFFER && cm->sdes_preferred);

	if (req->cmd == NG_CMD_OFFER && !dtls_proto && cm->dtls) {
		/* this offer has no DTLS (or SDES was preferred): nothing to answer */
		cm->dtls->on = false;
		cm->dtls->peer_has_fp = false;
		drop_conn(cm->dtls);
		return 0;
	}
	if (m->port == 0 || req->dtls == NG_DTLS_OFF || (!dtls_proto && !cm->dtls)) {
		if (cm->dtls && m->port == 0)
			cm->dtls->on = false;
		return 0;
	}
	if (!dtls_proto) { /* an answer without DTLS to rtprelay's DTLS offer: declined */
		cm->dtls->on = false;
		drop_conn(cm->dtls);
		return 0;
	}
	if (!has_fp) {
		*err = "DTLS-SRTP: UDP/TLS media without a=fingerprint";
		return -EINVAL;
	}
	trim(&fpv);
	if (dtls_fingerprint_parse(fpv.s, fpv.len, &fp, &why)) {
		*err = arena_printf(a, "DTLS-SRTP: bad a=fingerprint: %s", why ? why : "invalid");
		if (!*err)
			*err = "DTLS-SRTP: bad a=fingerprint";
		return -EINVAL;
	}
	if (find_dtls_attr(s, m, SDP_A_SETUP, &setupv)) {
		trim(&setupv);
		if (dtls_setup_parse(setupv.s, setupv.len, &setup)) {
			*err = "DTLS-SRTP: bad a=setup";
			return -EINVAL;
		}
	}
	/* the answer to rtprelay's offer (always actpass) fixes the role;
	 * checked before anything is kept so a refused answer changes nothing */
	bool answer_role = req->cmd == NG_CMD_ANSWER && cm->dtls && cm->dtls->on;
	bool client = false;
	if (answer_role &&
	    dtls_role_from_answer(setup, cm->dtls->role_known, cm->dtls->client, &client, err))
		return -EINVAL;
	struct media_dtls *d = state(cm);
	if (!d) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	char tls_id[TLS_ID_MAX + 1] = "";
	if (find_dtls_attr(s, m, SDP_A_TLS_ID, &tlsv)) {
		trim(&tlsv);
		snprintf(tls_id, sizeof(tls_id), "%.*s",
			 (int)(tlsv.len > TLS_ID_MAX ? TLS_ID_MAX : tlsv.len), tlsv.s);
	}
	/* a new fingerprint or tls-id from a party with a handshake: restart */
	if (d->peer_has_fp &&
	    (fp.hash != d->peer_fp.hash || fp.len != d->peer_fp.len ||
	     memcmp(fp.md, d->peer_fp.md, fp.len) || strcmp(tls_id, d->peer_tls_id))) {
		if (d->as[COMP_RTP].conn || d->as[COMP_RTP].keyed) {
			log_info("media %u: DTLS restart (new fingerprint or tls-id)", cm->index);
			want_restart(d);
		}
	}
	d->peer_fp = fp;
	d->peer_has_fp = true;
	d->peer_setup = setup;
	memcpy(d->peer_tls_id, tls_id, sizeof(tls_id));
	if (req->dtls_fp)
		d->hash = (enum dtls_hash)(req->dtls_fp - 1);
	else if (!d->on)
		d->hash = fp.hash; /* rtpengine: the peer's hash by default */
	if (answer_role) {
		if (d->role_known && d->client != client)
			want_restart(d);
		d->client = client;
		d->role_known = true;
	} else if (req->cmd == NG_CMD_OFFER) {
		/* the a=setup rtprelay will answer this offer with: chosen now,
		 * with this offer's DTLS key, as rtpengine does (dtls/dtls_role.h);
		 * holdconn is refused when the answer is made */
		enum dtls_setup ours;
		const char *ignore;
		if (!dtls_role_answer_offer(setup, req->dtls == NG_DTLS_PASSIVE,
					    d->on && d->role_known, d->client, &ours, &ignore))
			d->ours = ours;
	}
	return 0;
}

int dtls_for_receiver(const struct ng_request *req, struct call_media *rm, const char *out_proto,
		      const char **err)
{
	size_t n = strlen(out_proto);
	bool dtls_proto = proto_dtls(out_proto, n);
	bool savp = proto_savp(out_proto, n) && req->dtls != NG_DTLS_OFF;

	if (req->cmd == NG_CMD_OFFER) {
		/* RTP/SAVP[F]: DTLS-SRTP offered alongside SDES (rtpengine's
		 * default), which the answer may pick */
		savp = savp && g.cert;
	} else {
		/* R offered RTP/SAVP[F] with a=fingerprint: DTLS answers it;
		 * R preferring SDES (SDES-prefer) is answered with a=crypto */
		savp = savp && rm->dtls && rm->dtls->peer_has_fp && !rm->sdes_preferred;
		dtls_proto = dtls_proto && !rm->sdes_preferred;
	}
	if (!rm->pair || !(dtls_proto || savp)) {
		if (rm->dtls) {
			rm->dtls->on = false;
			drop_conn(rm->dtls);
		}
		return 0;
	}
	if (req->dtls == NG_DTLS_OFF) {
		*err = "DTLS=off, but the media's transport-protocol is UDP/TLS (DTLS-SRTP)";
		return -EINVAL;
	}
	if (!g.cert) {
		*err = "DTLS-SRTP is not available (no certificate)";
		return -ENOTSUP;
	}
	struct media_dtls *d = state(rm);
	if (!d) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	if (req->dtls_fp)
		d->hash = (enum dtls_hash)(req->dtls_fp - 1);
	if (req->cmd == NG_CMD_OFFER) {
		/* rtprelay offers actpass whatever the DTLS key (RFC 5763 5, and
		 * what rtpengine does): the answer picks the role. An association
		 * already there keeps its role until the answer changes it. */
		d->ours = dtls_role_offer_setup();
		if (!d->on)
			d->role_known = false;
		d->on = true;
		return 0;
	}
	/* answer: R offered; its a=setup (read with its offer) decides */
	if (!d->peer_has_fp) {
		*err = "DTLS-SRTP: the offer had no a=fingerprint";
		return -EINVAL;
	}
	bool client;
	switch (d->peer_setup) {
	case DTLS_SETUP_ACTIVE:
		client = false;
		break;
	case DTLS_SETUP_PASSIVE:
		client = true;
		break;
	case DTLS_SETUP_HOLDCONN:
		*err = "DTLS-SRTP: a=setup:holdconn";
		return -EINVAL;
	default: /* actpass, or none: rtprelay chooses. Passive when the offer's
		  * command asked (dtls_note_sender: rtpengine's DTLS-reverse, and
		  * DTLS since rtpengine combined the two) or this answer's command
		  * asks (rtpengine 10.5's DTLS); docs/webrtc.md, "DTLS roles" */
		client = d->ours != DTLS_SETUP_PASSIVE && req->dtls != NG_DTLS_PASSIVE;
		break;
	}
	if (d->role_known && d->on && d->client != client && d->as[COMP_RTP].conn)
		want_restart(d);
	d->client = client;
	d->ours = client ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;
	d->role_known = true;
	d->on = true;
	return 0;
}

void dtls_rewrite(struct arena *a, const struct ng_request *req, const struct call_media *rm,
		  bool had_dtls, struct sdp_media_rewrite *mr)
{
	const struct media_dtls *d = rm->dtls;
	struct dtls_fingerprint fp;
	char buf[DTLS_FP_MAX * 3 + 16];

	(void)req;
	if (!had_dtls && !(d && d->on))
		return;
	mr->replace_dtls = true;
	mr->n_dtls = 0;
	if (!d || !d->on || !g.cert || dtls_cert_fingerprint(g.cert, d->hash, &fp) ||
	    dtls_fingerprint_print(&fp, buf, sizeof(buf)) < 0)
		return;
	const char **lines = arena_alloc(a, 3 * sizeof(*lines));
	if (!lines)
		return;
	lines[0] = arena_printf(a, "a=setup:%s", dtls_setup_name(d->ours));
	lines[1] = arena_printf(a, "a=fingerprint:%s", buf);
	lines[2] = arena_printf(a, "a=tls-id:%s", d->tls_id);
	if (!lines[0] || !lines[1] || !lines[2])
		return;
	mr->dtls = lines;
	mr->n_dtls = 3;
}

void dtls_keys(const struct call_media *m, struct sr_keys *out, bool *pending)
{
	const struct media_dtls *d = m->dtls;

	if (!d || !d->on)
		return;
	if (d->as[COMP_RTP].keyed) {
		*out = d->as[COMP_RTP].keys;
		*pending = false;
	} else {
		memset(out, 0, sizeof(*out));
		*pending = true;
	}
}

void dtls_keys_rtcp(const struct call_media *m, struct sr_keys *out)
{
	const struct media_dtls *d = m->dtls;

	if (d && d->on && d->as[COMP_RTCP].keyed && rtcp_own(d))
		*out = d->as[COMP_RTCP].keys;
}

void dtls_publish(const struct call_media *m, struct dp_endpoint_params *p)
{
	if (!m->dtls || !m->dtls->on)
		return;
	p->flags |= DP_DTLS;
	p->dtls_id = m->dtls->id;
}

void dtls_publish_rtcp(const struct call_media *m, struct dp_endpoint_params *p)
{
	if (!m->dtls || !m->dtls->on || m->rtcp_mux)
		return;
	p->flags |= DP_DTLS;
	p->dtls_id = m->dtls->id + 1;
}

const char *dtls_suite_name(const struct call_media *m)
{
	return m->dtls && m->dtls->on && m->dtls->as[COMP_RTP].keyed
		       ? sr_suite_name(m->dtls->as[COMP_RTP].keys.suite)
		       : NULL;
}

static const char *hash_name(enum dtls_hash h)
{
	static const char *const n[] = { "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" };
	return h <= DTLS_SHA512 ? n[h] : "?";
}

int dtls_query(struct arena *a, struct ng_node *d, const struct call_media *m, bool rtcp)
{
	const struct media_dtls *x = m->dtls;
	struct dp_dtls_stats ds;
	struct ng_node *t;
	const char *st;

	if (!x || !x->on || (rtcp && !rtcp_own(x)))
		return 0;
	const struct dtls_assoc *as = &x->as[rtcp ? COMP_RTCP : COMP_RTP];
	struct dp_endpoint *ep = rtcp ? m->rtcp.ep : m->rtp.ep;
	t = ng_dict_add_dict(a, d, "DTLS");
	if (!t)
		return -ENOMEM;
	if (!as->conn)
		st = as->keyed ? "connected" : x->role_known ? "waiting" : "offered";
	else
		switch (dtls_conn_state(as->conn)) {
		case DTLS_CONNECTED:
			st = "connected";
			break;
		case DTLS_FAILED:
			st = "failed";
			break;
		case DTLS_CLOSED:
			st = "closed";
			break;
		default:
			st = "handshaking";
		}
	memset(&ds, 0, sizeof(ds));
	if (ep)
		dp_endpoint_dtls_stats(ep, &ds);
	if (!ng_dict_add_str(a, t, "state", st) ||
	    !ng_dict_add_str(a, t, "role",
			     !x->role_known ? "undecided"
			     : x->client    ? "active (client)"
					    : "passive (server)") ||
	    !ng_dict_add_str(a, t, "setup", dtls_setup_name(x->ours)) ||
	    !ng_dict_add_str(a, t, "fingerprint hash", hash_name(x->hash)) ||
	    (x->peer_has_fp &&
	     !ng_dict_add_str(a, t, "peer fingerprint hash", hash_name(x->peer_fp.hash))) ||
	    (as->keyed && !ng_dict_add_str(a, t, "SRTP profile", dtls_profile_name(as->profile))) ||
	    (as->last_error && !ng_dict_add_str(a, t, "error", as->last_error)) ||
	    !ng_dict_add_str(a, t, "tls-id", x->tls_id) ||
	    !ng_dict_add_int(a, t, "handshakes", (int64_t)as->handshakes) ||
	    !ng_dict_add_int(a, t, "failures", (int64_t)as->failures) ||
	    !ng_dict_add_int(a, t, "datagrams", (int64_t)ds.queued) ||
	    !ng_dict_add_int(a, t, "bad datagrams", (int64_t)ds.bad) ||
	    !ng_dict_add_int(a, t, "wrong source", (int64_t)ds.wrong_src) ||
	    !ng_dict_add_int(a, t, "rate limited", (int64_t)ds.limited) ||
	    !ng_dict_add_int(a, t, "before handshake", (int64_t)x->no_handshake))
		return -ENOMEM;
	return 0;
}
