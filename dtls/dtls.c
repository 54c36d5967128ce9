/*
 * dtls.c: DTLS-SRTP endpoints over memory BIOs (dtls.h). OpenSSL does the
 * protocol; this file feeds it datagrams, cuts what it writes into
 * datagrams of at most DTLS_MTU bytes (whole records only), bounds the
 * handshake's total time, checks the peer's certificate against the SDP
 * fingerprint and exports the SRTP keys (RFC 5764 4.2).
 */
#include "dtls/dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DEFAULT_PROFILES                                                      \
	"SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:" \
	"SRTP_AES128_CM_SHA1_32"
#define RECORD_HEADER 13u	  /* DTLS record header (RFC 6347 4.1) */
#define OUT_MAX	      (64 * 1024) /* pending output held at most (a few flights) */

static const struct {
	const char *name;
	unsigned len;
} hashes[] = {
	[DTLS_SHA1] = { "sha-1", 20 },	   [DTLS_SHA224] = { "sha-224", 28 },
	[DTLS_SHA256] = { "sha-256", 32 }, [DTLS_SHA384] = { "sha-384", 48 },
	[DTLS_SHA512] = { "sha-512", 64 },
};
#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

static const EVP_MD *hash_md(enum dtls_hash h)
{
	switch (h) {
	case DTLS_SHA1:
		return EVP_sha1();
	case DTLS_SHA224:
		return EVP_sha224();
	case DTLS_SHA256:
		return EVP_sha256();
	case DTLS_SHA384:
		return EVP_sha384();
	case DTLS_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dtls_fingerprint_parse(const char *s, size_t n, struct dtls_fingerprint *fp, const char **why)
{
	size_t i = 0, name_len;
	unsigned h;

	memset(fp, 0, sizeof(*fp));
	*why = NULL;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	name_len = 0;
	while (i + name_len < n && s[i + name_len] != ' ' && s[i + name_len] != '\t')
		name_len++;
	for (h = 0; h < N_HASHES; h++)
		if (strlen(hashes[h].name) == name_len &&
		    !strncasecmp(s + i, hashes[h].name, name_len))
			break;
	if (h == N_HASHES)
		return *why = "unknown fingerprint hash", -EINVAL;
	i += name_len;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	/* "XX:XX:...:XX": 3 * len - 1 characters */
	if (n - i != 3u * hashes[h].len - 1)
		return *why = "fingerprint of the wrong length", -EINVAL;
	for (unsigned k = 0; k < hashes[h].len; k++) {
		const char *p = s + i + 3u * k;
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0 || (k + 1 < hashes[h].len && p[2] != ':'))
			return *why = "bad fingerprint digits", -EINVAL;
		fp->md[k] = (uint8_t)(hi << 4 | lo);
	}
	fp->hash = (enum dtls_hash)h;
	fp->len = hashes[h].len;
	return 0;
}

int dtls_fingerprint_print(const struct dtls_fingerprint *fp, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";

	if ((unsigned)fp->hash >= N_HASHES || fp->len != hashes[fp->hash].len)
		return -EINVAL;
	size_t nl = strlen(hashes[fp->hash].name), need = nl + 1 + 3u * fp->len;
	if (need > cap)
		return -ENOSPC;
	memcpy(buf, hashes[fp->hash].name, nl);
	char *p = buf + nl;
	*p++ = ' ';
	for (unsigned k = 0; k < fp->len; k++) {
		*p++ = hex[fp->md[k] >> 4];
		*p++ = hex[fp->md[k] & 15];
		*p++ = k + 1 < fp->len ? ':' : '\0';
	}
	return (int)(need - 1);
}

static const char *const setup_names[] = {
	[DTLS_SETUP_NONE] = "",
	[DTLS_SETUP_ACTPASS] = "actpass",
	[DTLS_SETUP_ACTIVE] = "active",
	[DTLS_SETUP_PASSIVE] = "passive",
	[DTLS_SETUP_HOLDCONN] = "holdconn",
};

int dtls_setup_parse(const char *s, size_t n, enum dtls_setup *out)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (unsigned i = DTLS_SETUP_ACTPASS; i <= DTLS_SETUP_HOLDCONN; i++)
		if (strlen(setup_names[i]) == n && !strncasecmp(s, setup_names[i], n)) {
			*out = (enum dtls_setup)i;
			return 0;
		}
	return -EINVAL;
}

const char *dtls_setup_name(enum dtls_setup s)
{
	return (unsigned)s <= DTLS_SETUP_HOLDCONN ? setup_names[s] : "";
}

int dtls_role(enum dtls_setup peer, bool *client, enum dtls_setup *ours)
{
	switch (peer) {
	case DTLS_SETUP_ACTPASS:
	case DTLS_SETUP_PASSIVE:
		*client = true;
		*ours = DTLS_SETUP_ACTIVE;
		return 0;
	case DTLS_SETUP_ACTIVE:
		*client = false;
		*ours = DTLS_SETUP_PASSIVE;
		return 0;
	default:
		return -EINVAL;
	}
}

const char *dtls_profile_name(enum dtls_profile p)
{
	switch (p) {
	case DTLS_AES128_CM_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case DTLS_AES128_CM_SHA1_32:
		return "AES_CM_128_HMAC_SHA1_32";
	case DTLS_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	case DTLS_AEAD_AES_256_GCM:
		return "AEAD_AES_256_GCM";
	default:
		return "";
	}
}

/* ---- certificate ---- */

struct dtls_cert {
	char what[24]; /* dtls_cert_describe */
	EVP_PKEY *key;
	X509 *x509;
	SSL_CTX *ctx;
};

struct dtls_conn {
	SSL *ssl;	  /* NULL once connected (released, see dtls.h) */
	BIO *rbio, *wbio; /* owned by ssl */
	const struct dtls_cert *cert;
	char *profiles; /* the caller's list (NULL = DEFAULT_PROFILES), for a restart */
	enum dtls_state state;
	bool client;
	struct dtls_fingerprint peer_fp;
	bool fp_checked; /* the verify callback saw a matching leaf */
	bool got_input;	 /* a datagram was fed: the peer takes part */
	uint64_t started_ms;
	struct dtls_srtp_keys keys;
	char err[200];
	uint8_t *out; /* what OpenSSL wrote, being cut into datagrams */
	size_t out_len, out_pos;
	/* kept from a finished handshake once the SSL object is gone: the
	 * server's final flight (resent when the peer's Finished comes again)
	 * and the client random (a ClientHello with another one is a restart) */
	uint8_t *final;
	size_t final_len;
	unsigned replays;
	uint8_t client_random[32];
};

static int verify_cb(int ok, X509_STORE_CTX *st)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(st);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	(void)ok; /* self-signed: the chain is never "valid"; the SDP vouches */
	if (!c || !cert)
		return 0;
	if (X509_STORE_CTX_get_error_depth(st) != 0)
		return 1;
	if (!X509_digest(cert, hash_md(c->peer_fp.hash), md, &len) || len != c->peer_fp.len ||
	    CRYPTO_memcmp(md, c->peer_fp.md, len) != 0) {
		snprintf(c->err, sizeof(c->err),
			 "the peer's certificate does not match its a=fingerprint");
		X509_STORE_CTX_set_error(st, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	c->fp_checked = true;
	return 1;
}

void dtls_cert_free(struct dtls_cert *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

struct dtls_cert *dtls_cert_new(void)
{
	return dtls_cert_new_type(DTLS_CERT_EC, 0);
}

const char *dtls_cert_describe(const struct dtls_cert *c)
{
	return c->what;
}

struct dtls_cert *dtls_cert_new_type(enum dtls_cert_type type, unsigned rsa_bits)
{
	struct dtls_cert *c;
	uint64_t serial;

	if (type == DTLS_CERT_RSA && (rsa_bits < DTLS_RSA_BITS_MIN || rsa_bits > DTLS_RSA_BITS_MAX))
		return NULL;
	if (type != DTLS_CERT_EC && type != DTLS_CERT_RSA)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (getrandom(&serial, sizeof(serial), 0) != (ssize_t)sizeof(serial))
		goto fail;
	if (type == DTLS_CERT_RSA) {
		c->key = EVP_RSA_gen(rsa_bits);
		snprintf(c->what, sizeof(c->what), "RSA %u", rsa_bits);
	} else {
		c->key = EVP_EC_gen("P-256");
		snprintf(c->what, sizeof(c->what), "ECDSA P-256");
	}
	c->x509 = X509_new();
	if (!c->key || !c->x509)
		goto fail;
	X509_NAME *name = X509_get_subject_name(c->x509);
	if (!X509_set_version(c->x509, 2) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509), serial >> 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400L) ||
	    !X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400L) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"rtprelay",
					-1, -1, 0) ||
	    !X509_set_issuer_name(c->x509, name) || !X509_set_pubkey(c->x509, c->key) ||
	    !X509_sign(c->x509, c->key, EVP_sha256()))
		goto fail;
	c->ctx = SSL_CTX_new(DTLS_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c->ctx, c->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1 || SSL_CTX_check_private_key(c->ctx) != 1)
		goto fail;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	return c;
fail:
	ERR_clear_error();
	dtls_cert_free(c);
	return NULL;
}

/* The SSL context around a certificate and key (both set in @c). */
static int make_ctx(struct dtls_cert *c)
{
	c->ctx = SSL_CTX_new(DTLS_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c->ctx, c->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1 || SSL_CTX_check_private_key(c->ctx) != 1)
		return -EINVAL;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	return 0;
}

int dtls_cert_pem(const struct dtls_cert *c, char **pem, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -EIO;

	*pem = NULL;
	*len = 0;
	if (!b)
		return -ENOMEM;
	if (PEM_write_bio_X509(b, c->x509) == 1 &&
	    PEM_write_bio_PrivateKey(b, c->key, NULL, NULL, 0, NULL, NULL) == 1) {
		n = BIO_get_mem_data(b, &data);
		if (n > 0 && (size_t)n < DTLS_PEM_MAX) {
			*pem = malloc((size_t)n + 1);
			rc = -ENOMEM;
			if (*pem) {
				memcpy(*pem, data, (size_t)n);
				(*pem)[n] = '\0';
				*len = (size_t)n;
				rc = 0;
			}
		}
	}
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

struct dtls_cert *dtls_cert_from_pem(const char *pem, size_t len, const char **why)
{
	struct dtls_cert *c;
	BIO *b;

	*why = NULL;
	if (!pem || len == 0 || len > DTLS_PEM_MAX || len > INT32_MAX) {
		*why = "empty or over 64 KiB";
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* each is looked for from the start: certificate and key in any order */
	b = BIO_new_mem_buf(pem, (int)len);
	c->x509 = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_mem_buf(pem, (int)len);
	c->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!c->x509 || !c->key) {
		*why = !c->x509 ? "no PEM certificate" : "no PEM private key (or encrypted)";
		goto fail;
	}
	if (X509_check_private_key(c->x509, c->key) != 1) {
		*why = "the private key does not match the certificate";
		goto fail;
	}
	if (EVP_PKEY_is_a(c->key, "RSA"))
		snprintf(c->what, sizeof(c->what), "RSA %d", EVP_PKEY_get_bits(c->key));
	else if (EVP_PKEY_is_a(c->key, "EC"))
		snprintf(c->what, sizeof(c->what), "ECDSA P-%d", EVP_PKEY_get_bits(c->key));
	else {
		*why = "a key that is neither RSA nor EC";
		goto fail;
	}
	if (make_ctx(c)) {
		*why = "OpenSSL refused the certificate and key";
		goto fail;
	}
	ERR_clear_error();
	return c;
fail:
	if (!*why)
		*why = "out of memory";
	ERR_clear_error();
	dtls_cert_free(c);
	return NULL;
}

int dtls_cert_fingerprint(const struct dtls_cert *c, enum dtls_hash hash,
			  struct dtls_fingerprint *out)
{
	unsigned int len = 0;
	const EVP_MD *md = (unsigned)hash < N_HASHES ? hash_md(hash) : NULL;

	memset(out, 0, sizeof(*out));
	if (!md || !X509_digest(c->x509, md, out->md, &len) || len != hashes[hash].len)
		return -EINVAL;
	out->hash = hash;
	out->len = len;
	return 0;
}

/* ---- connection ---- */

static void fail_with(struct dtls_conn *c, const char *what)
{
	unsigned long e = ERR_get_error();

	if (!c->err[0]) {
		char ossl[160] = "";
		if (e)
			ERR_error_string_n(e, ossl, sizeof(ossl));
		snprintf(c->err, sizeof(c->err), "%s%s%s", what, e ? ": " : "", ossl);
	}
	ERR_clear_error();
	c->state = DTLS_FAILED;
}

/* RFC 5764 4.2: client key, server key, client salt, server salt. */
static int export_keys(struct dtls_conn *c)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
	struct dtls_srtp_keys *k = &c->keys;
	uint8_t km[2 * (32 + 14)];

	memset(k, 0, sizeof(*k));
	if (!p)
		return -EPROTO;
	switch (p->id) {
	case SRTP_AES128_CM_SHA1_80:
		*k = (struct dtls_srtp_keys){ .profile = DTLS_AES128_CM_SHA1_80, 16, 14 };
		break;
	case SRTP_AES128_CM_SHA1_32:
		*k = (struct dtls_srtp_keys){ .profile = DTLS_AES128_CM_SHA1_32, 16, 14 };
		break;
	case SRTP_AEAD_AES_128_GCM:
		*k = (struct dtls_srtp_keys){ .profile = DTLS_AEAD_AES_128_GCM, 16, 12 };
		break;
	case SRTP_AEAD_AES_256_GCM:
		*k = (struct dtls_srtp_keys){ .profile = DTLS_AEAD_AES_256_GCM, 32, 12 };
		break;
	default:
		return -EPROTO;
	}
	size_t kl = k->key_len, sl = k->salt_len, total = 2 * (kl + sl);
	if (SSL_export_keying_material(c->ssl, km, total, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) !=
	    1)
		return -EPROTO;
	const uint8_t *ck = km, *sk = km + kl, *cs = km + 2 * kl, *ss = km + 2 * kl + sl;
	memcpy(k->local_key, c->client ? ck : sk, kl);
	memcpy(k->remote_key, c->client ? sk : ck, kl);
	memcpy(k->local_salt, c->client ? cs : ss, sl);
	memcpy(k->remote_salt, c->client ? ss : cs, sl);
	OPENSSL_cleanse(km, sizeof(km));
	return 0;
}

/* Drive the handshake after input or a timer. */
static void step(struct dtls_conn *c)
{
	if (c->state != DTLS_HANDSHAKING)
		return;
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		if (!c->fp_checked) {
			fail_with(c, "the peer sent no certificate");
			return;
		}
		if (export_keys(c)) {
			fail_with(c, "no DTLS-SRTP profile agreed");
			return;
		}
		c->state = DTLS_CONNECTED;
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		fail_with(c, "DTLS handshake failed");
}

/* A fresh SSL object over two memory BIOs for @c's role; state
 * HANDSHAKING from @now_ms (a client's first flight is then ready).
 * 0 or -1 (c->ssl NULL or to be freed by the caller). */
static int ssl_open(struct dtls_conn *c, uint64_t now_ms)
{
	c->ssl = SSL_new(c->cert->ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		return -1;
	}
	BIO_set_mem_eof_return(c->rbio, -1); /* empty = "try again", not EOF */
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_app_data(c->ssl, c);
	/* memory BIOs know no path MTU: handshake messages are cut to fit */
	SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(c->ssl, DTLS_MTU - 100);
	if (SSL_set_tlsext_use_srtp(c->ssl, c->profiles ? c->profiles : DEFAULT_PROFILES) != 0)
		return -1; /* 0 is success here */
	if (c->client)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	c->started_ms = now_ms;
	c->fp_checked = false;
	c->err[0] = 0;
	c->state = DTLS_HANDSHAKING;
	if (c->client)
		step(c); /* the ClientHello */
	return c->state == DTLS_FAILED ? -1 : 0;
}

struct dtls_conn *dtls_conn_new(const struct dtls_cert *cert, bool client,
				const struct dtls_fingerprint *peer_fp, const char *profiles,
				uint64_t now_ms)
{
	struct dtls_conn *c;

	if (!cert || !peer_fp || (unsigned)peer_fp->hash >= N_HASHES ||
	    peer_fp->len != hashes[peer_fp->hash].len)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->client = client;
	c->peer_fp = *peer_fp;
	c->cert = cert;
	if (profiles && !(c->profiles = strdup(profiles)))
		goto fail;
	if (ssl_open(c, now_ms))
		goto fail;
	return c;
fail:
	ERR_clear_error();
	dtls_conn_free(c);
	return NULL;
}

void dtls_conn_free(struct dtls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl); /* frees both BIOs */
	OPENSSL_cleanse(&c->keys, sizeof(c->keys));
	free(c->out);
	free(c->final);
	free(c->profiles);
	free(c);
}

static void take_output(struct dtls_conn *c);

/* The handshake finished and its keys are exported: the SSL object (its
 * record buffers, the handshake's transcript and retransmission queue, the
 * peer's certificate; tens of KB) is freed. What is kept answers what a
 * peer may still send: a server keeps its final flight, sent again when the
 * peer's Finished comes again (the peer did not get ours), and the client
 * random, to tell a late copy of this handshake's ClientHello from a new
 * one (a restart). */
static void release(struct dtls_conn *c)
{
	take_output(c); /* the final flight, still to be sent */
	if (!c->client && c->out_len > c->out_pos) {
		c->final = malloc(c->out_len - c->out_pos);
		if (c->final) {
			memcpy(c->final, c->out + c->out_pos, c->out_len - c->out_pos);
			c->final_len = c->out_len - c->out_pos;
		}
	}
	c->replays = 0;
	(void)SSL_get_client_random(c->ssl, c->client_random, sizeof(c->client_random));
	SSL_free(c->ssl); /* frees both BIOs */
	c->ssl = NULL;
	c->rbio = c->wbio = NULL;
	ERR_clear_error();
}

/* Queue @len bytes for dtls_conn_output (bounded like OpenSSL's output). */
static void queue_out(struct dtls_conn *c, const uint8_t *p, size_t len)
{
	if (c->out_pos == c->out_len)
		c->out_pos = c->out_len = 0;
	if (c->out_len + len > OUT_MAX)
		return;
	uint8_t *n = realloc(c->out, c->out_len + len);
	if (!n)
		return;
	c->out = n;
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
}

/* A datagram after the handshake, the SSL object released. DTLS-SRTP has
 * no application data; what matters:
 *  - a ClientHello (epoch 0) with a client random other than the finished
 *    handshake's: the peer restarts DTLS; a server starts a new handshake
 *    on a fresh SSL object (the keys it exports replace the old ones when
 *    it completes; until then dtls_conn_keys says -EAGAIN and the owner
 *    keeps the old keys). A copy of the old ClientHello is ignored.
 *  - a handshake record of epoch 1 (the peer's Finished again: our final
 *    flight was lost): the final flight is sent again, at most
 *    DTLS_FINAL_REPLAYS times.
 * Anything else (alerts, which need the released keys to read) is
 * dropped. */
static enum dtls_state released_input(struct dtls_conn *c, const uint8_t *buf, size_t len,
				      uint64_t now_ms)
{
	size_t off = 0;

	if (!dtls_records_ok(buf, len) || buf[0] >= 0x20)
		return c->state;
	while (off + RECORD_HEADER <= len) {
		const uint8_t *r = buf + off, *b = r + RECORD_HEADER;
		size_t rl = ((size_t)r[11] << 8) | r[12];
		unsigned epoch = (unsigned)r[3] << 8 | r[4];

		off += RECORD_HEADER + rl;
		if (r[0] != 22 || c->client)
			continue;
		/* handshake header: type, length(3), message_seq(2),
		 * fragment_offset(3), fragment_length(3); ClientHello body:
		 * client_version(2), random(32) */
		if (epoch == 0 && rl >= 12 + 2 + 32 && b[0] == 1 && !b[6] && !b[7] && !b[8]) {
			if (!memcmp(b + 14, c->client_random, sizeof(c->client_random)))
				continue; /* this handshake's own hello, late */
			free(c->final);
			c->final = NULL;
			c->final_len = 0;
			if (ssl_open(c, now_ms)) {
				SSL_free(c->ssl);
				c->ssl = NULL;
				c->rbio = c->wbio = NULL;
				fail_with(c, "cannot start a new DTLS handshake");
				return c->state;
			}
			return dtls_conn_input(c, buf, len, now_ms);
		}
		if (epoch >= 1 && c->final_len && c->replays < DTLS_FINAL_REPLAYS) {
			c->replays++;
			queue_out(c, c->final, c->final_len);
			break; /* once per datagram */
		}
	}
	return c->state;
}

enum dtls_state dtls_conn_input(struct dtls_conn *c, const uint8_t *buf, size_t len,
				uint64_t now_ms)
{
	uint8_t scratch[2048];

	if (c->state == DTLS_FAILED || c->state == DTLS_CLOSED || len == 0 || len > 65535)
		return c->state;
	c->got_input = true;
	if (!c->ssl)
		return released_input(c, buf, len, now_ms);
	if (BIO_write(c->rbio, buf, (int)len) != (int)len) {
		fail_with(c, "out of memory");
		return c->state;
	}
	if (c->state == DTLS_HANDSHAKING) {
		step(c);
		if (c->state == DTLS_CONNECTED)
			release(c);
		return c->state;
	}
	/* connected (not released: cannot happen, kept for safety) */
	ERR_clear_error();
	for (int i = 0; i < 8; i++) {
		int r = SSL_read(c->ssl, scratch, sizeof(scratch));
		if (r > 0)
			continue; /* application data: not for us, dropped */
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			c->state = DTLS_CLOSED;
		else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			fail_with(c, "DTLS failed");
		break;
	}
	return c->state;
}

/* Move what OpenSSL wrote into c->out (bounded). */
static void take_output(struct dtls_conn *c)
{
	size_t pending = c->wbio ? BIO_ctrl_pending(c->wbio) : 0;

	if (!pending)
		return;
	if (c->out_pos == c->out_len)
		c->out_pos = c->out_len = 0;
	if (c->out_len + pending > OUT_MAX) { /* never in a sane handshake: drop */
		(void)BIO_reset(c->wbio);
		return;
	}
	uint8_t *n = realloc(c->out, c->out_len + pending);
	if (!n)
		return;
	c->out = n;
	int r = BIO_read(c->wbio, c->out + c->out_len, (int)pending);
	if (r > 0)
		c->out_len += (size_t)r;
}

int dtls_conn_output(struct dtls_conn *c, uint8_t *buf, size_t cap)
{
	size_t n = 0, lim = cap < DTLS_MTU ? cap : DTLS_MTU;

	take_output(c);
	/* whole records, as many as fit one datagram */
	while (c->out_pos < c->out_len) {
		size_t left = c->out_len - c->out_pos;
		if (left < RECORD_HEADER) { /* cannot happen: OpenSSL writes records */
			c->out_pos = c->out_len;
			break;
		}
		const uint8_t *h = c->out + c->out_pos;
		size_t rec = RECORD_HEADER + ((size_t)h[11] << 8 | h[12]);
		if (rec > left) {
			c->out_pos = c->out_len;
			break;
		}
		if (n + rec > lim) {
			if (n)
				break;	   /* the next datagram takes it */
			c->out_pos += rec; /* a record larger than a datagram: dropped */
			continue;
		}
		memcpy(buf + n, h, rec);
		n += rec;
		c->out_pos += rec;
	}
	if (!c->ssl && c->out_pos == c->out_len) { /* released: nothing more soon */
		free(c->out);
		c->out = NULL;
		c->out_pos = c->out_len = 0;
	}
	return (int)n;
}

uint64_t dtls_conn_deadline(const struct dtls_conn *c, uint64_t now_ms)
{
	struct timeval tv;

	if (c->state != DTLS_HANDSHAKING)
		return 0;
	uint64_t give_up = c->started_ms + DTLS_HANDSHAKE_MAX_MS;
	if (DTLSv1_get_timeout(c->ssl, &tv) != 1)
		return give_up;
	uint64_t at = now_ms + (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
	return at < give_up ? at : give_up;
}

enum dtls_state dtls_conn_timer(struct dtls_conn *c, uint64_t now_ms)
{
	if (c->state != DTLS_HANDSHAKING)
		return c->state;
	if (now_ms - c->started_ms >= DTLS_HANDSHAKE_MAX_MS) {
		snprintf(c->err, sizeof(c->err), "DTLS handshake timed out after %u ms",
			 DTLS_HANDSHAKE_MAX_MS);
		c->state = DTLS_FAILED;
		return c->state;
	}
	ERR_clear_error();
	if (DTLSv1_handle_timeout(c->ssl) < 0)
		fail_with(c, "DTLS retransmission failed");
	return c->state;
}

enum dtls_state dtls_conn_state(const struct dtls_conn *c)
{
	return c->state;
}

bool dtls_conn_in_flight(const struct dtls_conn *c)
{
	return c->state == DTLS_HANDSHAKING && (c->client || c->got_input);
}

const char *dtls_conn_error(const struct dtls_conn *c)
{
	return c->err;
}

int dtls_conn_keys(const struct dtls_conn *c, struct dtls_srtp_keys *out)
{
	if (c->state != DTLS_CONNECTED)
		return -EAGAIN;
	*out = c->keys;
	return 0;
}

bool dtls_records_ok(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (len && buf[0] >= 0x20 && buf[0] <= 0x3f)
		return len >= 8; /* unified header: flags, a sequence number, a tag */
	if (len < 13)
		return false;
	while (off < len) {
		if (len - off < 13)
			return false;
		const uint8_t *r = buf + off;
		size_t rl = ((size_t)r[11] << 8) | r[12];

		if (r[0] < 20 || r[0] > 26 || r[1] != 0xfe || rl == 0 || rl > len - off - 13)
			return false;
		off += 13 + rl;
	}
	return true;
}
