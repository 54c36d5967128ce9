/*
 * sr_stream.c: one stream's SRTP contexts over libsrtp2 (see sr_stream.h).
 * Everything cryptographic is libsrtp's; this file maps suites and session
 * parameters onto its policies, keeps one session per direction and bounds
 * the SSRCs each session holds.
 */
#include "srtp/sr_stream.h"
#include "srtp/srtcp_forge.h"
#include "srtp/srtp_openssl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>

static bool available[SR_N_SUITES];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static bool want_stock;	  /* sr_init_stock: keep libsrtp's own primitives */
static const char *backend; /* what the sessions' ciphers and MAC run on */

/* The RTP and RTCP crypto policies of @s (RFC 4568 6.2: the _32 suites
 * keep an 80-bit tag on SRTCP), then @params applied (6.3.2 - 6.3.4). */
static void set_policy(enum sr_suite s, uint8_t params, srtp_crypto_policy_t *rtp,
		       srtp_crypto_policy_t *rtcp)
{
	switch (s) {
	case SR_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		break;
	case SR_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		break;
	case SR_AES_192_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtcp);
		break;
	case SR_AES_192_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtcp);
		break;
	case SR_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		break;
	case SR_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		break;
	case SR_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		break;
	case SR_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
		break;
	case SR_NULL_HMAC_SHA1_80:
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtcp);
		break;
	case SR_NULL_HMAC_SHA1_32:
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
		rtp->auth_tag_len = 4;
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtcp);
		break;
	default:
		memset(rtp, 0, sizeof(*rtp));
		memset(rtcp, 0, sizeof(*rtcp));
		return;
	}
	if (params & SR_UNENCRYPTED_SRTP)
		rtp->sec_serv = (srtp_sec_serv_t)(rtp->sec_serv & ~sec_serv_conf);
	if (params & SR_UNAUTHENTICATED_SRTP) {
		/* no tag at all: libsrtp's unprotect takes the tag length
		 * from the auth function whatever the services say */
		rtp->sec_serv = (srtp_sec_serv_t)(rtp->sec_serv & ~sec_serv_auth);
		rtp->auth_type = SRTP_NULL_AUTH;
		rtp->auth_key_len = 0;
		rtp->auth_tag_len = 0;
	}
	if (params & SR_UNENCRYPTED_SRTCP)
		rtcp->sec_serv = (srtp_sec_serv_t)(rtcp->sec_serv & ~sec_serv_conf);
}

/* A libsrtp session for one direction keyed with @key. */
/* A session for any SSRC (@ssrc NULL), or a stream for one SSRC (host
 * order) added to @into. */
static srtp_t session_make(enum sr_suite s, const struct sr_key *key, bool inbound,
			   const uint32_t *ssrc, srtp_t into)
{
	srtp_master_key_t mk, *mks[1] = { &mk };
	uint8_t master[SR_MAX_MASTER];
	uint8_t mki[SR_MAX_MKI];
	srtp_policy_t p;
	srtp_t session = NULL;

	memset(&p, 0, sizeof(p));
	set_policy(s, key->params, &p.rtp, &p.rtcp);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	if (ssrc) {
		p.ssrc.type = ssrc_specific;
		p.ssrc.value = *ssrc;
	}
	p.window_size = key->window;
	p.allow_repeat_tx = 0; /* the same index twice would reuse keystream */
	memcpy(master, key->master, sizeof(master));
	if (key->mki_len) {
		memcpy(mki, key->mki, key->mki_len);
		mk.key = master;
		mk.mki_id = mki;
		mk.mki_size = key->mki_len;
		p.keys = mks;
		p.num_master_keys = 1;
	} else {
		p.key = master;
	}
	if (into)
		session = srtp_add_stream(into, &p) == srtp_err_status_ok ? into : NULL;
	else if (srtp_create(&session, &p) != srtp_err_status_ok)
		session = NULL;
	memset(master, 0, sizeof(master));
	return session;
}

static srtp_t session_new(enum sr_suite s, const struct sr_key *key, bool inbound)
{
	return session_make(s, key, inbound, NULL, NULL);
}

static void init_lib(void)
{
	struct sr_key k;

	if (srtp_init() != srtp_err_status_ok)
		return;
	/* OpenSSL's AES and SHA-1 under libsrtp (srtp_openssl.h): before
	 * the first session, which keeps the types it was made with. A type
	 * OpenSSL cannot give (refused by libsrtp's known-answer checks)
	 * stays libsrtp's own, which is correct, only slower. */
	if (want_stock)
		backend = "libsrtp2";
	else
		backend = sr_openssl_register() ? "libsrtp2 (OpenSSL refused)" : "OpenSSL";
	memset(&k, 0x5a, sizeof(k));
	k.mki_len = 0;
	k.params = 0;
	k.window = 0;
	for (int s = 1; s < SR_N_SUITES; s++) {
		srtp_t t = session_new((enum sr_suite)s, &k, false);

		available[s] = t != NULL;
		if (t)
			srtp_dealloc(t);
	}
	init_rc = 0;
}

int sr_init(void)
{
	pthread_once(&init_once, init_lib);
	return init_rc;
}

int sr_init_stock(void)
{
	want_stock = true;
	return sr_init();
}

const char *sr_crypto_backend(void)
{
	return sr_init() == 0 ? backend : "none";
}

bool sr_suite_available(enum sr_suite s)
{
	return sr_init() == 0 && sr_suite_ok(s) && available[s];
}

static const char *key_check(enum sr_suite s, const struct sr_key *k)
{
	if (k->mki_len > SR_MAX_MKI)
		return "MKI too long";
	if (k->window && (k->window < 64 || k->window >= 0x8000))
		return "replay window out of range (64..32767)";
	if (sr_suite_aead(s) && (k->params & SR_UNAUTHENTICATED_SRTP))
		return "UNAUTHENTICATED_SRTP is not possible with an AEAD suite";
	/* libsrtp 2.5 looks for an SRTCP packet's MKI behind a tag of the
	 * SRTP tag's length: with a shorter SRTP tag (a _32 suite, or none)
	 * no SRTCP packet with an MKI would ever be accepted */
	if (k->mki_len && !sr_suite_aead(s) &&
	    (s == SR_AES_CM_128_HMAC_SHA1_32 || s == SR_AES_192_CM_HMAC_SHA1_32 ||
	     s == SR_AES_256_CM_HMAC_SHA1_32 || s == SR_NULL_HMAC_SHA1_32 ||
	     (k->params & SR_UNAUTHENTICATED_SRTP)))
		return "MKI with a 32-bit or no SRTP tag is not supported by libsrtp";
	return NULL;
}

const char *sr_keys_check(const struct sr_keys *k)
{
	const char *e;

	if (!sr_suite_ok(k->suite))
		return "unknown crypto suite";
	if (!sr_suite_available(k->suite))
		return "crypto suite not supported by libsrtp";
	e = key_check(k->suite, &k->local);
	return e ? e : key_check(k->suite, &k->remote);
}

static bool key_equal(enum sr_suite s, const struct sr_key *a, const struct sr_key *b)
{
	return !memcmp(a->master, b->master, sr_master_len(s)) && a->mki_len == b->mki_len &&
	       !memcmp(a->mki, b->mki, a->mki_len) && a->params == b->params &&
	       a->window == b->window;
}

bool sr_keys_equal(const struct sr_keys *a, const struct sr_keys *b)
{
	return a->suite == b->suite && key_equal(a->suite, &a->local, &b->local) &&
	       key_equal(a->suite, &a->remote, &b->remote);
}

/* What a packet reads comes first: each direction starts a cache line and
 * an RTP packet of a known SSRC reads only that line of the stream. */
struct sr_dir {
	_Alignas(64) srtp_t s;
	bool mki;
	uint8_t trailer; /* most bytes protect adds: tag, MKI, SRTCP index */
	unsigned n_ssrc;
	struct sr_openssl_blocks blk; /* the session's cipher and MAC, for sr_prefetch */
	uint32_t ssrc[SR_MAX_SSRC];   /* network order, most recent first */
	uint32_t srtcp[SR_MAX_SSRC];  /* last SRTCP index of ssrc[i], 0 = none */
};

struct sr_stream {
	struct sr_dir tx, rx;
	struct sr_counters c;
	struct sr_keys keys;
};

struct sr_stream *sr_stream_new(void)
{
	size_t n = (sizeof(struct sr_stream) + 63) / 64 * 64;
	struct sr_stream *st;

	if (sr_init())
		return NULL;
	st = aligned_alloc(64, n);
	if (st)
		memset(st, 0, n);
	return st;
}

static void dir_clear(struct sr_dir *d)
{
	if (d->s)
		srtp_dealloc(d->s);
	memset(d, 0, sizeof(*d));
}

void sr_stream_free(struct sr_stream *st)
{
	if (!st)
		return;
	dir_clear(&st->tx);
	dir_clear(&st->rx);
	memset(&st->keys, 0, sizeof(st->keys));
	free(st);
}

void sr_stream_clear(struct sr_stream *st)
{
	dir_clear(&st->tx);
	dir_clear(&st->rx);
	memset(&st->keys, 0, sizeof(st->keys));
}

const struct sr_keys *sr_stream_keys(const struct sr_stream *st)
{
	return &st->keys;
}

static int dir_rekey(struct sr_dir *d, enum sr_suite s, const struct sr_key *k, bool inbound)
{
	dir_clear(d);
	sr_openssl_capture(&d->blk);
	d->s = session_new(s, k, inbound);
	sr_openssl_capture(NULL);
	d->mki = k->mki_len != 0;
	d->trailer = (uint8_t)(16 + k->mki_len + 4);
	return d->s ? 0 : -ENOMEM;
}

int sr_stream_rekey(struct sr_stream *st, const struct sr_keys *k)
{
	bool same_suite = st->keys.suite == k->suite;
	int rc = 0;

	if (sr_keys_check(k)) {
		rc = -EINVAL;
		goto fail;
	}
	if (!st->tx.s || !same_suite || !key_equal(k->suite, &st->keys.local, &k->local))
		rc = dir_rekey(&st->tx, k->suite, &k->local, false);
	if (!rc && (!st->rx.s || !same_suite || !key_equal(k->suite, &st->keys.remote, &k->remote)))
		rc = dir_rekey(&st->rx, k->suite, &k->remote, true);
	if (rc)
		goto fail;
	st->keys = *k;
	return 0;
fail:
	dir_clear(&st->tx);
	dir_clear(&st->rx);
	memset(&st->keys, 0, sizeof(st->keys));
	return rc;
}

/* The SSRC libsrtp keys the packet's stream by (network order). */
static uint32_t packet_ssrc(const uint8_t *buf, bool rtcp)
{
	uint32_t v;

	memcpy(&v, buf + (rtcp ? 4 : 8), 4);
	return v;
}

/* @ssrc just went through @d: most recent first; beyond SR_MAX_SSRC the
 * oldest stream leaves libsrtp, so a sender cycling SSRCs costs bounded
 * memory. */
static void note_ssrc(struct sr_dir *d, uint32_t ssrc)
{
	unsigned i;
	uint32_t idx;

	if (d->n_ssrc && d->ssrc[0] == ssrc)
		return;
	for (i = 1; i < d->n_ssrc && d->ssrc[i] != ssrc; i++)
		;
	if (i >= d->n_ssrc) { /* new */
		if (d->n_ssrc == SR_MAX_SSRC)
			srtp_remove_stream(d->s, d->ssrc[SR_MAX_SSRC - 1]);
		else
			d->n_ssrc++;
		i = d->n_ssrc - 1;
		d->srtcp[i] = 0;
	}
	idx = d->srtcp[i];
	memmove(d->ssrc + 1, d->ssrc, i * sizeof(d->ssrc[0]));
	memmove(d->srtcp + 1, d->srtcp, i * sizeof(d->srtcp[0]));
	d->ssrc[0] = ssrc;
	d->srtcp[0] = idx;
}

/* The SRTCP index of the protected packet buf[0..n): RFC 3711 3.4 puts it
 * before MKI and tag, RFC 7714 9 after the tag, before the MKI. Every
 * suite's SRTCP tag is 80 bits, AEAD's 128. 0 if it does not fit. */
static uint32_t srtcp_index_of(const struct sr_stream *st, const struct sr_dir *d,
			       const uint8_t *buf, size_t n)
{
	const struct sr_key *k = d == &st->tx ? &st->keys.local : &st->keys.remote;
	size_t back = 4 + k->mki_len + (sr_suite_aead(st->keys.suite) ? 0 : 10);
	const uint8_t *p;

	if (n < 8 + back + (sr_suite_aead(st->keys.suite) ? 16 : 0))
		return 0;
	p = buf + n - back;
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) &
	       0x7fffffff;
}

void sr_prefetch(const struct sr_stream *st, bool tx)
{
	const struct sr_dir *d = tx ? &st->tx : &st->rx;

	/* libsrtp's session (its stream list comes first), then the RTP
	 * cipher and MAC libsrtp reaches only after its own stream state */
	if (d->s)
		__builtin_prefetch(d->s);
	sr_openssl_prefetch(d->blk.cipher[0]);
	sr_openssl_prefetch(d->blk.mac[0]);
}

enum sr_result sr_unprotect(struct sr_stream *st, uint8_t *buf, size_t *len, bool rtcp)
{
	srtp_err_status_t e;
	int n = (int)*len;

	if (!st->rx.s || *len < (rtcp ? 8u : 12u) || *len > 0xffff) {
		st->c.errors++;
		return SR_ERR;
	}
	uint32_t ssrc = packet_ssrc(buf, rtcp);
	uint32_t idx = rtcp ? srtcp_index_of(st, &st->rx, buf, *len) : 0;
	if (rtcp)
		e = srtp_unprotect_rtcp_mki(st->rx.s, buf, &n, st->rx.mki);
	else
		e = srtp_unprotect_mki(st->rx.s, buf, &n, st->rx.mki);
	switch (e) {
	case srtp_err_status_ok:
		*len = (size_t)n;
		note_ssrc(&st->rx, ssrc);
		if (rtcp && idx > st->rx.srtcp[0])
			st->rx.srtcp[0] = idx;
		return SR_OK;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cipher_fail: /* AEAD tag mismatch */
		st->c.auth_failed++;
		return SR_AUTH_FAIL;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		st->c.replayed++;
		return SR_REPLAY;
	default:
		st->c.errors++;
		return SR_ERR;
	}
}

enum sr_result sr_protect(struct sr_stream *st, uint8_t *buf, size_t *len, size_t cap, bool rtcp)
{
	srtp_err_status_t e;
	int n = (int)*len;

	if (!st->tx.s || *len < (rtcp ? 8u : 12u) || cap < *len + st->tx.trailer ||
	    *len > 0xffff) {
		st->c.errors++;
		return SR_ERR;
	}
	uint32_t ssrc = packet_ssrc(buf, rtcp);
	if (rtcp)
		e = srtp_protect_rtcp_mki(st->tx.s, buf, &n, st->tx.mki, 0);
	else
		e = srtp_protect_mki(st->tx.s, buf, &n, st->tx.mki, 0);
	if (e != srtp_err_status_ok) {
		st->c.errors++;
		return SR_ERR;
	}
	*len = (size_t)n;
	note_ssrc(&st->tx, ssrc);
	if (rtcp)
		st->tx.srtcp[0] = srtcp_index_of(st, &st->tx, buf, *len);
	return SR_OK;
}

void sr_stream_counters(const struct sr_stream *st, struct sr_counters *out)
{
	*out = st->c;
}

unsigned sr_stream_get_rocs(const struct sr_stream *st, bool tx, struct sr_roc *out, unsigned max)
{
	const struct sr_dir *d = tx ? &st->tx : &st->rx;
	unsigned n = 0;

	for (unsigned i = 0; d->s && i < d->n_ssrc && n < max; i++) {
		uint32_t roc;
		if (srtp_get_stream_roc(d->s, ntohl(d->ssrc[i]), &roc) == srtp_err_status_ok)
			out[n++] = (struct sr_roc){ .ssrc = ntohl(d->ssrc[i]),
						    .roc = roc,
						    .srtcp_index = d->srtcp[i] };
	}
	return n;
}

/* A stream of its own for @ssrc in @d, unless one exists, to carry a
 * counter or index before its first packet. */
static int ssrc_stream(struct sr_stream *st, bool tx, uint32_t ssrc)
{
	struct sr_dir *d = tx ? &st->tx : &st->rx;
	const struct sr_key *k = tx ? &st->keys.local : &st->keys.remote;
	uint32_t cur;

	if (!d->s)
		return -EINVAL;
	if (srtp_get_stream_roc(d->s, ssrc, &cur) != srtp_err_status_ok) {
		if (!session_make(st->keys.suite, k, !tx, &ssrc, d->s))
			return -ENOMEM;
		note_ssrc(d, htonl(ssrc));
	}
	return 0;
}

int sr_stream_set_roc(struct sr_stream *st, bool tx, uint32_t ssrc, uint32_t roc)
{
	struct sr_dir *d = tx ? &st->tx : &st->rx;
	int rc = ssrc_stream(st, tx, ssrc);

	if (rc)
		return rc;
	return srtp_set_stream_roc(d->s, ssrc, roc) == srtp_err_status_ok ? 0 : -EINVAL;
}

/* libsrtp's SRTCP replay window (128 indexes) moves to an authentic
 * packet's index when that is beyond it; the sending side takes its next
 * index from the window's start plus one. So: for what rtprelay sends, a
 * packet at @index + 127 leaves the window starting at @index and the next
 * SRTCP goes out with @index + 1; for what it receives, a packet at @index
 * marks @index as seen and everything after it as new. */
int sr_stream_set_srtcp_index(struct sr_stream *st, bool tx, uint32_t ssrc, uint32_t index)
{
	struct sr_dir *d = tx ? &st->tx : &st->rx;
	const struct sr_key *k = tx ? &st->keys.local : &st->keys.remote;
	uint8_t pkt[SRTCP_FORGE_MAX];
	uint32_t mark = tx ? index + 127 : index;
	size_t len = 0;
	int n, rc;

	if (index == 0 || index > 0x7fffffff - 127)
		return -EINVAL;
	if ((rc = ssrc_stream(st, tx, ssrc)))
		return rc;
	if ((rc = srtcp_forge(st->keys.suite, k, ssrc, mark, pkt, sizeof(pkt), &len)))
		return rc;
	n = (int)len;
	if (srtp_unprotect_rtcp_mki(d->s, pkt, &n, d->mki) != srtp_err_status_ok)
		return -EPROTO;
	/* the note of what went through: the stream's last index is @index */
	note_ssrc(d, htonl(ssrc));
	d->srtcp[0] = index;
	return 0;
}
