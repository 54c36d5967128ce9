/*
 * test_srtp_openssl.c: libsrtp2 over OpenSSL's AES and HMAC-SHA1
 * (srtp/srtp_openssl.h).
 *
 *  - sr_init replaces the types: libsrtp accepted them only after their own
 *    known answers (NIST SP 800-38A CTR, the GCM spec's cases 4 and 16,
 *    RFC 2202) and those of the types they replace passed.
 *  - Every suite against libsrtp's own types: a child process keeps the
 *    stock types (sr_init_stock, Debian 12: NSS); packets of every length
 *    0..300 bytes of payload, RTP and RTCP, protected on one side unprotect
 *    on the other, both ways, and come out byte-identical (a stream cipher
 *    keyed alike gives the same ciphertext). The RFC 3711 B.3 / RFC 7714
 *    known answers in test_sr_stream.c run through the replaced types too.
 *  - The blocks a session is made of are noted for the packet path's
 *    prefetch: RTP's cipher and MAC first, RTCP's second, of the right
 *    types; the cipher libsrtp's key derivation makes and frees meanwhile
 *    is not among them.
 *  - No allocation per packet: malloc, calloc and realloc are counted
 *    around 2000 protect/unprotect pairs per suite (not in a sanitizer
 *    build, whose allocator cannot be wrapped this way).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "srtp/sr_stream.h"
#include "srtp/srtp_openssl.h"

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

/* ---- allocation counter (glibc's allocator underneath) ---- */
#ifndef SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
static volatile unsigned long n_alloc;

void *malloc(size_t n)
{
	n_alloc++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	n_alloc++;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	n_alloc++;
	return __libc_realloc(p, n);
}
#endif

static const enum sr_suite all[] = {
	SR_AES_CM_128_HMAC_SHA1_80, SR_AES_CM_128_HMAC_SHA1_32, SR_AES_192_CM_HMAC_SHA1_80,
	SR_AES_192_CM_HMAC_SHA1_32, SR_AES_256_CM_HMAC_SHA1_80, SR_AES_256_CM_HMAC_SHA1_32,
	SR_AEAD_AES_128_GCM,	    SR_AEAD_AES_256_GCM,	SR_NULL_HMAC_SHA1_80,
	SR_NULL_HMAC_SHA1_32,
};
#define N_SUITES   (sizeof(all) / sizeof(all[0]))
#define MAX_PAYLOAD 300
#define PKT_CAP	    (12 + MAX_PAYLOAD + SR_MAX_TRAILER)

static struct sr_keys keys_of(enum sr_suite s)
{
	struct sr_keys k;

	memset(&k, 0, sizeof(k));
	k.suite = s;
	for (size_t i = 0; i < sr_master_len(s); i++) {
		k.local.master[i] = (uint8_t)(0x11 * (s + 1) + i);
		k.remote.master[i] = (uint8_t)(0x11 * (s + 1) + i);
	}
	return k;
}

/* RTP packet @i (seq i, payload of i % 301 bytes) or RTCP SR @i. */
static size_t make(uint8_t *p, unsigned i, bool rtcp)
{
	size_t pl = i % (MAX_PAYLOAD + 1), len;

	memset(p, 0, PKT_CAP);
	if (rtcp) {
		pl &= ~3u; /* RTCP counts 32-bit words */
		len = 8 + pl;
		p[0] = 0x80;
		p[1] = 200;
		p[2] = (uint8_t)((len / 4 - 1) >> 8);
		p[3] = (uint8_t)(len / 4 - 1);
		memcpy(p + 4, "\x0a\x0b\x0c\x0d", 4);
	} else {
		len = 12 + pl;
		p[0] = 0x80;
		p[2] = (uint8_t)(i >> 8);
		p[3] = (uint8_t)i;
		p[7] = (uint8_t)i;
		memcpy(p + 8, "\x0a\x0b\x0c\x0d", 4);
	}
	for (size_t j = len - pl; j < len; j++)
		p[j] = (uint8_t)(i * 7 + j);
	return len;
}

#define N_PKT 600u /* every payload length twice, RTP and RTCP */

/* Protect N_PKT RTP and RTCP packets of @s and write them to @fd. */
static void protect_all(enum sr_suite s, int fd)
{
	struct sr_keys k = keys_of(s);
	struct sr_stream *st = sr_stream_new();
	uint8_t p[PKT_CAP];

	assert_non_null(st);
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	for (unsigned i = 0; i < 2 * N_PKT; i++) {
		size_t len = make(p, i / 2, i & 1);
		uint16_t l16;

		assert_int_equal(sr_protect(st, p, &len, sizeof(p), i & 1), SR_OK);
		l16 = (uint16_t)len;
		assert_int_equal(write(fd, &l16, 2), 2);
		assert_int_equal(write(fd, p, len), (ssize_t)len);
	}
	sr_stream_free(st);
}

/* All @n bytes from @fd (a pipe may hand them over in pieces). */
static bool read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (uint8_t *)buf + got, n - got);

		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Read what protect_all wrote from @fd, unprotect it and compare with the
 * plaintext; protect the same plaintext here too and compare the bytes. */
static void unprotect_all(enum sr_suite s, int fd)
{
	struct sr_keys k = keys_of(s);
	struct sr_stream *rx = sr_stream_new(), *tx = sr_stream_new();
	uint8_t got[PKT_CAP], mine[PKT_CAP], plain[PKT_CAP];

	assert_non_null(rx);
	assert_non_null(tx);
	assert_int_equal(sr_stream_rekey(rx, &k), 0);
	assert_int_equal(sr_stream_rekey(tx, &k), 0);
	for (unsigned i = 0; i < 2 * N_PKT; i++) {
		bool rtcp = i & 1;
		size_t plen = make(plain, i / 2, rtcp), mlen = plen, glen;
		uint16_t l16;

		assert_true(read_full(fd, &l16, 2));
		glen = l16;
		assert_true(glen <= sizeof(got));
		assert_true(read_full(fd, got, glen));
		memcpy(mine, plain, plen);
		assert_int_equal(sr_protect(tx, mine, &mlen, sizeof(mine), rtcp), SR_OK);
		assert_int_equal(mlen, glen);
		assert_memory_equal(mine, got, glen);
		assert_int_equal(sr_unprotect(rx, got, &glen, rtcp), SR_OK);
		assert_int_equal(glen, plen);
		assert_memory_equal(got, plain, plen);
	}
	sr_stream_free(rx);
	sr_stream_free(tx);
}

static void replaced_at_init(void **state)
{
	(void)state;
	assert_int_equal(sr_init(), 0);
	assert_string_equal(sr_crypto_backend(), "OpenSSL");
	for (size_t i = 0; i < N_SUITES; i++)
		assert_true(sr_suite_available(all[i]));
}

/* @stock_protects: a child process (this test run again, libsrtp's own
 * types) protects, this one (OpenSSL) unprotects; otherwise the other way
 * round. The child is exec'd, not only forked: libsrtp's types are chosen
 * once per process. */
static void cross(bool stock_protects)
{
	for (size_t i = 0; i < N_SUITES; i++) {
		char suite[8];
		int fds[2];
		pid_t pid;
		int status = 0;

		snprintf(suite, sizeof(suite), "%d", (int)all[i]);
		assert_int_equal(pipe(fds), 0);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int mine = fds[stock_protects ? 1 : 0];

			if (dup2(mine, stock_protects ? 1 : 0) < 0)
				_exit(4);
			close(fds[0]);
			close(fds[1]);
			alarm(20);
			execl("/proc/self/exe", "test_srtp_openssl",
			      stock_protects ? "--stock-protect" : "--stock-unprotect", suite,
			      (char *)NULL);
			_exit(5);
		}
		close(fds[stock_protects ? 1 : 0]);
		if (stock_protects)
			unprotect_all(all[i], fds[0]);
		else
			protect_all(all[i], fds[1]);
		close(fds[stock_protects ? 0 : 1]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/* The child's side of cross(): libsrtp's own types, stdin or stdout. */
static int stock_child(const char *mode, const char *suite)
{
	enum sr_suite s = (enum sr_suite)atoi(suite);

	if (sr_init_stock() || strcmp(sr_crypto_backend(), "libsrtp2") || s <= SR_SUITE_NONE ||
	    s >= SR_N_SUITES)
		return 3;
	if (!strcmp(mode, "--stock-protect"))
		protect_all(s, 1);
	else
		unprotect_all(s, 0);
	return 0;
}

static void stock_protects_openssl_unprotects(void **state)
{
	(void)state;
	cross(true);
}

static void openssl_protects_stock_unprotects(void **state)
{
	(void)state;
	cross(false);
}

static void tampered_fails_every_suite(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_SUITES; i++) {
		struct sr_keys k = keys_of(all[i]);
		struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
		uint8_t p[PKT_CAP], q[PKT_CAP];
		size_t len, qlen;

		assert_int_equal(sr_stream_rekey(tx, &k), 0);
		assert_int_equal(sr_stream_rekey(rx, &k), 0);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			len = make(p, 160, rtcp);
			assert_int_equal(sr_protect(tx, p, &len, sizeof(p), rtcp), SR_OK);
			/* a flipped bit in the payload, then in the last byte
			 * (the tag; GCM's SRTCP index, part of its AAD) */
			size_t at[2] = { 20, len - 1 };
			for (int j = 0; j < 2; j++) {
				memcpy(q, p, len);
				qlen = len;
				q[at[j]] ^= 0x40;
				assert_int_equal(sr_unprotect(rx, q, &qlen, rtcp), SR_AUTH_FAIL);
			}
			assert_int_equal(sr_unprotect(rx, p, &len, rtcp), SR_OK);
		}
		sr_stream_free(tx);
		sr_stream_free(rx);
	}
}

static void no_allocation_per_packet(void **state)
{
	(void)state;
#ifdef SANITIZED
	skip();
#else
	for (size_t i = 0; i < N_SUITES; i++) {
		struct sr_keys k = keys_of(all[i]);
		struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
		uint8_t p[PKT_CAP];
		size_t len;
		unsigned long before;

		assert_int_equal(sr_stream_rekey(tx, &k), 0);
		assert_int_equal(sr_stream_rekey(rx, &k), 0);
		/* the first packet of an SSRC clones libsrtp's stream: allowed */
		len = make(p, 0, false);
		assert_int_equal(sr_protect(tx, p, &len, sizeof(p), false), SR_OK);
		assert_int_equal(sr_unprotect(rx, p, &len, false), SR_OK);
		len = make(p, 0, true);
		assert_int_equal(sr_protect(tx, p, &len, sizeof(p), true), SR_OK);
		assert_int_equal(sr_unprotect(rx, p, &len, true), SR_OK);
		before = n_alloc;
		for (unsigned j = 1; j <= 2000; j++) {
			bool rtcp = (j % 10) == 0;

			len = make(p, j, rtcp);
			assert_int_equal(sr_protect(tx, p, &len, sizeof(p), rtcp), SR_OK);
			assert_int_equal(sr_unprotect(rx, p, &len, rtcp), SR_OK);
		}
		if (n_alloc != before)
			fail_msg("%s: %lu allocations in 2000 packets", sr_suite_name(all[i]),
				 n_alloc - before);
		sr_stream_free(tx);
		sr_stream_free(rx);
	}
#endif
}

/* A session of @policy made while a capture is open: what was noted. */
static void capture_session(void (*policy)(srtp_crypto_policy_t *), struct sr_openssl_blocks *b)
{
	uint8_t master[46];
	srtp_policy_t p;
	srtp_t session;

	memset(&p, 0, sizeof(p));
	memset(master, 0x3c, sizeof(master));
	policy(&p.rtp);
	policy(&p.rtcp);
	p.ssrc.type = ssrc_any_inbound;
	p.key = master;
	sr_openssl_capture(b);
	assert_int_equal(srtp_create(&session, &p), srtp_err_status_ok);
	sr_openssl_capture(NULL);
	/* what was noted is the session's: still alive, each a distinct block */
	for (unsigned i = 0; i < b->n_cipher; i++) {
		const srtp_cipher_t *c = b->cipher[i];
		assert_non_null(c);
		assert_int_equal(c->key_len, p.rtp.cipher_key_len);
		assert_non_null(strstr(c->type->description, "OpenSSL"));
	}
	for (unsigned i = 0; i < b->n_mac; i++) {
		const srtp_auth_t *a = b->mac[i];
		assert_non_null(a);
		assert_non_null(strstr(a->type->description, "OpenSSL"));
	}
	assert_ptr_not_equal(b->cipher[0], b->cipher[1]);
	srtp_dealloc(session);
}

static void blocks_noted_for_prefetch(void **state)
{
	struct sr_openssl_blocks b;

	(void)state;
	struct sr_stream *st = sr_stream_new(); /* libsrtp up, types replaced */
	assert_non_null(st);
	capture_session(srtp_crypto_policy_set_rtp_default, &b);
	assert_int_equal(b.n_cipher, 2);
	assert_int_equal(b.n_mac, 2);
	assert_ptr_not_equal(b.mac[0], b.mac[1]);
	/* GCM: the key derivation's AES-ICM (30-byte key) comes after the
	 * two GCM ciphers and is not noted; libsrtp's null MAC is not ours */
	capture_session(srtp_crypto_policy_set_aes_gcm_128_16_auth, &b);
	assert_int_equal(b.n_cipher, 2);
	assert_int_equal(b.n_mac, 0);
	/* closed: nothing noted any more */
	memset(&b, 0, sizeof(b));
	struct sr_keys k = keys_of(SR_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	assert_int_equal(b.n_cipher + b.n_mac, 0);
	sr_prefetch(st, false); /* a hint over the noted blocks: no effect, no fault */
	sr_prefetch(st, true);
	sr_stream_free(st);
}

int main(int argc, char **argv)
{
	if (argc == 3)
		return stock_child(argv[1], argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replaced_at_init),
		cmocka_unit_test(stock_protects_openssl_unprotects),
		cmocka_unit_test(openssl_protects_stock_unprotects),
		cmocka_unit_test(tampered_fails_every_suite),
		cmocka_unit_test(no_allocation_per_packet),
		cmocka_unit_test(blocks_noted_for_prefetch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
