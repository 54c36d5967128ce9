/*
 * test_dtls.c: the DTLS-SRTP module (dtls/dtls.h) with two in-process
 * endpoints exchanging datagrams: each SRTP profile negotiated, both sides
 * export the same keys crosswise (RFC 5764 4.2); a certificate that does not
 * match the SDP fingerprint is refused on either side; garbage does not stop
 * a later handshake; a lone client retransmits and gives up after
 * DTLS_HANDSHAKE_MAX_MS; an RSA certificate against an ECDSA one. After
 * the handshake (the OpenSSL object freed): a lost final flight is sent
 * again when the client retransmits (a bounded number of times), a new
 * ClientHello restarts the handshake with new keys while a late copy of the
 * old one is ignored, and an established server endpoint holds a few KB.
 * Also a=fingerprint and a=setup parse/print.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <malloc.h>

#include "dtls/dtls.h"

static struct dtls_cert *ca, *cb, *cc;

static int setup(void **state)
{
	(void)state;
	ca = dtls_cert_new();
	cb = dtls_cert_new();
	cc = dtls_cert_new();
	return ca && cb && cc ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	dtls_cert_free(ca);
	dtls_cert_free(cb);
	dtls_cert_free(cc);
	return 0;
}

static void test_fingerprint(void **state)
{
	struct dtls_fingerprint fp, back;
	const char *why;
	char buf[256];
	(void)state;

	const char *s = "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:"
			"76:1B:1A:6E:4F:AB:E8:C4:7F:0B:DC:4F";
	assert_int_equal(dtls_fingerprint_parse(s, strlen(s), &fp, &why), 0);
	assert_int_equal(fp.hash, DTLS_SHA256);
	assert_int_equal(fp.len, 32);
	assert_int_equal(fp.md[0], 0x4a);
	assert_int_equal(fp.md[31], 0x4f);
	assert_int_equal(dtls_fingerprint_print(&fp, buf, sizeof(buf)), (int)strlen(s));
	assert_string_equal(buf, s);
	/* every hash of the daemon's certificate prints and parses back */
	for (int h = DTLS_SHA1; h <= DTLS_SHA512; h++) {
		assert_int_equal(dtls_cert_fingerprint(ca, (enum dtls_hash)h, &fp), 0);
		int n = dtls_fingerprint_print(&fp, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(dtls_fingerprint_parse(buf, (size_t)n, &back, &why), 0);
		assert_int_equal(back.len, fp.len);
		assert_memory_equal(back.md, fp.md, fp.len);
	}
	assert_int_equal(dtls_fingerprint_print(&fp, buf, 20), -ENOSPC);
	static const char *const bad[] = {
		"",
		"sha-256",
		"md5 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B",
		"sha-256 4A:AD",					/* too short */
		"sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:76", /* long */
		"sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:GG",	  /* hex */
		"sha-1 4A-AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",	  /* sep */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (dtls_fingerprint_parse(bad[i], strlen(bad[i]), &fp, &why) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(why);
	}
}

static void test_setup_and_role(void **state)
{
	enum dtls_setup s, ours;
	bool client;
	(void)state;

	assert_int_equal(dtls_setup_parse("actpass", 7, &s), 0);
	assert_int_equal(s, DTLS_SETUP_ACTPASS);
	assert_int_equal(dtls_setup_parse("PASSIVE ", 8, &s), 0);
	assert_int_equal(s, DTLS_SETUP_PASSIVE);
	assert_int_equal(dtls_setup_parse("act", 3, &s), -EINVAL);
	assert_int_equal(dtls_role(DTLS_SETUP_ACTPASS, &client, &ours), 0);
	assert_true(client);
	assert_string_equal(dtls_setup_name(ours), "active");
	assert_int_equal(dtls_role(DTLS_SETUP_ACTIVE, &client, &ours), 0);
	assert_false(client);
	assert_string_equal(dtls_setup_name(ours), "passive");
	assert_int_equal(dtls_role(DTLS_SETUP_HOLDCONN, &client, &ours), -EINVAL);
}

/* Pass datagrams both ways until nothing moves (bounded). */
static void shuttle(struct dtls_conn *x, struct dtls_conn *y)
{
	uint8_t buf[DTLS_MTU];

	for (int round = 0; round < 64; round++) {
		bool moved = false;
		int n;
		while ((n = dtls_conn_output(x, buf, sizeof(buf))) > 0) {
			assert_true(n <= (int)DTLS_MTU);
			dtls_conn_input(y, buf, (size_t)n, 0);
			moved = true;
		}
		while ((n = dtls_conn_output(y, buf, sizeof(buf))) > 0) {
			assert_true(n <= (int)DTLS_MTU);
			dtls_conn_input(x, buf, (size_t)n, 0);
			moved = true;
		}
		if (!moved)
			return;
	}
	fail_msg("handshake did not settle");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void handshake(const char *profiles, enum dtls_profile want, unsigned kl, unsigned sl)
{
	struct dtls_fingerprint fa, fb;
	struct dtls_srtp_keys kc, ks;

	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA384, &fb), 0);
	struct dtls_conn *client = dtls_conn_new(ca, true, &fb, profiles, 0);
	struct dtls_conn *server = dtls_conn_new(cb, false, &fa, NULL, 0);
	assert_non_null(client);
	assert_non_null(server);
	assert_int_equal(dtls_conn_keys(client, &kc), -EAGAIN);
	shuttle(client, server);
	if (dtls_conn_state(client) != DTLS_CONNECTED || dtls_conn_state(server) != DTLS_CONNECTED)
		fail_msg("client %d '%s', server %d '%s'", dtls_conn_state(client),
			 dtls_conn_error(client), dtls_conn_state(server), dtls_conn_error(server));
	assert_int_equal(dtls_conn_keys(client, &kc), 0);
	assert_int_equal(dtls_conn_keys(server, &ks), 0);
	assert_int_equal(kc.profile, want);
	assert_int_equal(ks.profile, want);
	assert_int_equal(kc.key_len, kl);
	assert_int_equal(kc.salt_len, sl);
	/* what one side sends with, the other receives with */
	assert_memory_equal(kc.local_key, ks.remote_key, kl);
	assert_memory_equal(kc.remote_key, ks.local_key, kl);
	assert_memory_equal(kc.local_salt, ks.remote_salt, sl);
	assert_memory_equal(kc.remote_salt, ks.local_salt, sl);
	assert_false(all_zero(kc.local_key, kl));
	assert_memory_not_equal(kc.local_key, kc.remote_key, kl);
	dtls_conn_free(client);
	dtls_conn_free(server);
}

static void test_handshake_profiles(void **state)
{
	(void)state;
	handshake(NULL, DTLS_AEAD_AES_256_GCM, 32, 12); /* GCM preferred */
	handshake("SRTP_AES128_CM_SHA1_80", DTLS_AES128_CM_SHA1_80, 16, 14);
	handshake("SRTP_AES128_CM_SHA1_32", DTLS_AES128_CM_SHA1_32, 16, 14);
	handshake("SRTP_AEAD_AES_128_GCM", DTLS_AEAD_AES_128_GCM, 16, 12);
	handshake("SRTP_AEAD_AES_256_GCM", DTLS_AEAD_AES_256_GCM, 32, 12);
	assert_string_equal(dtls_profile_name(DTLS_AES128_CM_SHA1_80), "AES_CM_128_HMAC_SHA1_80");
}

/* @who_lies: 0 = the client expects another server certificate, 1 = the
 * server expects another client certificate. */
static void refused(int who_lies)
{
	struct dtls_fingerprint fa, fb, fc;
	struct dtls_srtp_keys k;

	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &fb), 0);
	assert_int_equal(dtls_cert_fingerprint(cc, DTLS_SHA256, &fc), 0);
	struct dtls_conn *client = dtls_conn_new(ca, true, who_lies == 0 ? &fc : &fb, NULL, 0);
	struct dtls_conn *server = dtls_conn_new(cb, false, who_lies == 1 ? &fc : &fa, NULL, 0);
	assert_non_null(client);
	assert_non_null(server);
	shuttle(client, server);
	struct dtls_conn *checker = who_lies == 0 ? client : server;
	assert_int_equal(dtls_conn_state(checker), DTLS_FAILED);
	assert_non_null(strstr(dtls_conn_error(checker), "does not match its a=fingerprint"));
	assert_int_equal(dtls_conn_keys(checker, &k), -EAGAIN);
	/* the other side never gets keys either */
	assert_int_not_equal(dtls_conn_state(who_lies == 0 ? server : client), DTLS_CONNECTED);
	dtls_conn_free(client);
	dtls_conn_free(server);
}

static void test_bad_fingerprint_refused(void **state)
{
	(void)state;
	refused(0);
	refused(1);
}

/* An RSA certificate (dtls-cert-cipher = RSA) against the default ECDSA
 * one, each as client and as server: the handshake completes with matching
 * keys; sizes outside DTLS_RSA_BITS_MIN..MAX are refused. */
static void test_rsa_certificate(void **state)
{
	struct dtls_cert *rsa = dtls_cert_new_type(DTLS_CERT_RSA, 2048);
	struct dtls_fingerprint fr, fa;
	struct dtls_srtp_keys k1, k2;
	(void)state;

	assert_non_null(rsa);
	assert_string_equal(dtls_cert_describe(rsa), "RSA 2048");
	assert_string_equal(dtls_cert_describe(ca), "ECDSA P-256");
	assert_null(dtls_cert_new_type(DTLS_CERT_RSA, 512));
	assert_null(dtls_cert_new_type(DTLS_CERT_RSA, DTLS_RSA_BITS_MAX + 1));
	assert_null(dtls_cert_new_type((enum dtls_cert_type)7, 2048));
	assert_int_equal(dtls_cert_fingerprint(rsa, DTLS_SHA512, &fr), 0);
	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA1, &fa), 0);
	for (int rsa_client = 0; rsa_client < 2; rsa_client++) {
		struct dtls_conn *client =
			rsa_client ? dtls_conn_new(rsa, true, &fa, NULL, 0)
				   : dtls_conn_new(ca, true, &fr, NULL, 0);
		struct dtls_conn *server =
			rsa_client ? dtls_conn_new(ca, false, &fr, NULL, 0)
				   : dtls_conn_new(rsa, false, &fa, NULL, 0);
		assert_non_null(client);
		assert_non_null(server);
		shuttle(client, server);
		assert_int_equal(dtls_conn_state(client), DTLS_CONNECTED);
		assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);
		assert_int_equal(dtls_conn_keys(client, &k1), 0);
		assert_int_equal(dtls_conn_keys(server, &k2), 0);
		assert_memory_equal(k1.local_key, k2.remote_key, k1.key_len);
		dtls_conn_free(client);
		dtls_conn_free(server);
	}
	dtls_cert_free(rsa);
}

/* A certificate written as PEM and read back (another process: a takeover,
 * an active/standby pair) is the same certificate: same fingerprint, and it
 * handshakes with its key; PEM that is cut, lacks the key, or pairs the
 * certificate with another key is refused with a reason. */
static void test_pem_round_trip(void **state)
{
	struct dtls_fingerprint f1, f2, fa;
	char *pem, *pem_b;
	size_t len, len_b;
	const char *why;
	(void)state;

	assert_int_equal(dtls_cert_pem(cb, &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(strstr(pem, "PRIVATE KEY-----"));
	struct dtls_cert *copy = dtls_cert_from_pem(pem, len, &why);
	assert_non_null(copy);
	assert_string_equal(dtls_cert_describe(copy), "ECDSA P-256");
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &f1), 0);
	assert_int_equal(dtls_cert_fingerprint(copy, DTLS_SHA256, &f2), 0);
	assert_int_equal(f1.len, f2.len);
	assert_memory_equal(f1.md, f2.md, f1.len);
	/* the copy proves it holds the key: a client checking cb's fingerprint
	 * completes a handshake with it */
	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	struct dtls_conn *client = dtls_conn_new(ca, true, &f1, NULL, 0);
	struct dtls_conn *server = dtls_conn_new(copy, false, &fa, NULL, 0);
	shuttle(client, server);
	assert_int_equal(dtls_conn_state(client), DTLS_CONNECTED);
	dtls_conn_free(client);
	dtls_conn_free(server);
	/* key first, certificate second: read too */
	char *key_at = strstr(pem, "-----BEGIN PRIVATE KEY-----");
	assert_non_null(key_at);
	size_t cert_len = (size_t)(key_at - pem);
	char *swapped = malloc(len + 1);
	memcpy(swapped, key_at, len - cert_len);
	memcpy(swapped + (len - cert_len), pem, cert_len);
	struct dtls_cert *c2 = dtls_cert_from_pem(swapped, len, &why);
	assert_non_null(c2);
	dtls_cert_free(c2);
	free(swapped);
	/* refused: no key, cut, nothing, too long, another certificate's key */
	assert_null(dtls_cert_from_pem(pem, cert_len, &why));
	assert_string_equal(why, "no PEM private key (or encrypted)");
	assert_null(dtls_cert_from_pem(pem, len / 3, &why));
	assert_non_null(why);
	assert_null(dtls_cert_from_pem("", 0, &why));
	assert_null(dtls_cert_from_pem(pem, DTLS_PEM_MAX + 1, &why));
	assert_int_equal(dtls_cert_pem(ca, &pem_b, &len_b), 0);
	char *key_b = strstr(pem_b, "-----BEGIN PRIVATE KEY-----");
	char *mixed = malloc(len + len_b);
	memcpy(mixed, pem, cert_len);
	memcpy(mixed + cert_len, key_b, strlen(key_b));
	assert_null(dtls_cert_from_pem(mixed, cert_len + strlen(key_b), &why));
	assert_string_equal(why, "the private key does not match the certificate");
	free(mixed);
	free(pem_b);
	free(pem);
	dtls_cert_free(copy);
}

static void test_garbage_then_handshake(void **state)
{
	struct dtls_fingerprint fa, fb;
	uint8_t junk[300];
	(void)state;

	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &fb), 0);
	struct dtls_conn *server = dtls_conn_new(cb, false, &fa, NULL, 0);
	assert_non_null(server);
	for (unsigned i = 0; i < 50; i++) {
		for (unsigned k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)(i * 131 + k * 7);
		junk[0] = 22; /* a handshake record header, then nonsense */
		junk[1] = 0xfe;
		junk[2] = 0xfd;
		dtls_conn_input(server, junk, 13 + i * 5, 0);
		/* DTLS drops records it cannot read (RFC 6347 4.1.2.7) */
		assert_int_equal(dtls_conn_state(server), DTLS_HANDSHAKING);
	}
	struct dtls_conn *client = dtls_conn_new(ca, true, &fb, NULL, 0);
	assert_non_null(client);
	shuttle(client, server);
	assert_int_equal(dtls_conn_state(client), DTLS_CONNECTED);
	assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);
	dtls_conn_free(client);
	dtls_conn_free(server);
}

static void test_retransmit_and_timeout(void **state)
{
	struct dtls_fingerprint fb;
	uint8_t buf[DTLS_MTU];
	(void)state;

	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &fb), 0);
	struct dtls_conn *client = dtls_conn_new(ca, true, &fb, NULL, 1000);
	assert_non_null(client);
	int first = dtls_conn_output(client, buf, sizeof(buf));
	assert_true(first > 0);
	assert_int_equal(buf[0], 22); /* handshake record: the ClientHello */
	assert_int_equal(dtls_conn_output(client, buf, sizeof(buf)), 0);
	uint64_t d = dtls_conn_deadline(client, 1000);
	assert_true(d > 1000 && d <= 1000 + DTLS_HANDSHAKE_MAX_MS);
	/* OpenSSL's first retransmission timer is 1 s of real time */
	struct timespec ts = { 1, 150 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	assert_int_equal(dtls_conn_timer(client, 2150), DTLS_HANDSHAKING);
	int again = dtls_conn_output(client, buf, sizeof(buf));
	assert_true(again > 0);
	assert_int_equal(buf[0], 22);
	/* bounded total time */
	assert_int_equal(dtls_conn_timer(client, 1000 + DTLS_HANDSHAKE_MAX_MS), DTLS_FAILED);
	assert_non_null(strstr(dtls_conn_error(client), "timed out"));
	assert_int_equal(dtls_conn_deadline(client, 1000 + DTLS_HANDSHAKE_MAX_MS), 0);
	dtls_conn_free(client);
}

/* Datagrams one endpoint has to send, kept for replaying. */
struct flight {
	uint8_t dg[8][DTLS_MTU];
	int len[8];
	int n;
};

static void take(struct dtls_conn *x, struct flight *f)
{
	int n;

	f->n = 0;
	while (f->n < 8 && (n = dtls_conn_output(x, f->dg[f->n], DTLS_MTU)) > 0)
		f->len[f->n++] = n;
	assert_true(f->n < 8);
}

static void give(struct dtls_conn *y, const struct flight *f)
{
	for (int i = 0; i < f->n; i++)
		dtls_conn_input(y, f->dg[i], (size_t)f->len[i], 0);
}

static void keys_match(struct dtls_conn *client, struct dtls_conn *server)
{
	struct dtls_srtp_keys kc, ks;

	assert_int_equal(dtls_conn_keys(client, &kc), 0);
	assert_int_equal(dtls_conn_keys(server, &ks), 0);
	assert_memory_equal(kc.local_key, ks.remote_key, kc.key_len);
	assert_memory_equal(kc.remote_key, ks.local_key, kc.key_len);
	assert_memory_equal(kc.local_salt, ks.remote_salt, kc.salt_len);
}

/* The server's final flight is lost: the client's retransmitted flight
 * (the same datagrams again) gets the same final flight from the
 * connected server, which lets the client finish; beyond
 * DTLS_FINAL_REPLAYS resends the server stays silent. */
static void test_lost_final_flight_resent(void **state)
{
	struct dtls_fingerprint fa, fb;
	struct flight f1, f2, f3, f4, again;
	(void)state;

	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &fb), 0);
	struct dtls_conn *client = dtls_conn_new(ca, true, &fb, NULL, 0);
	struct dtls_conn *server = dtls_conn_new(cb, false, &fa, NULL, 0);
	assert_non_null(client);
	assert_non_null(server);
	take(client, &f1);
	give(server, &f1);
	take(server, &f2);
	give(client, &f2);
	take(client, &f3); /* Certificate .. Finished */
	assert_true(f3.n > 0);
	give(server, &f3);
	assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);
	take(server, &f4); /* ChangeCipherSpec, Finished: lost */
	assert_true(f4.n > 0);
	assert_int_equal(dtls_conn_state(client), DTLS_HANDSHAKING);

	give(server, &f3); /* the client's retransmission */
	take(server, &again);
	assert_int_equal(again.n, f4.n);
	for (int i = 0; i < f4.n; i++) {
		assert_int_equal(again.len[i], f4.len[i]);
		assert_memory_equal(again.dg[i], f4.dg[i], (size_t)f4.len[i]);
	}
	give(client, &again);
	assert_int_equal(dtls_conn_state(client), DTLS_CONNECTED);
	keys_match(client, server);

	unsigned resent = 1;
	for (unsigned i = 0; i < DTLS_FINAL_REPLAYS + 4; i++) {
		give(server, &f3);
		take(server, &again);
		resent += again.n > 0;
	}
	assert_int_equal(resent, DTLS_FINAL_REPLAYS);
	assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);
	keys_match(client, server);
	dtls_conn_free(client);
	dtls_conn_free(server);
}

/* After the handshake a late copy of its ClientHello changes nothing; a
 * new ClientHello (the peer restarts DTLS, same certificate) starts a new
 * handshake whose keys replace the old ones. */
static void test_restart_by_new_client_hello(void **state)
{
	struct dtls_fingerprint fa, fb;
	struct dtls_srtp_keys k1, k2;
	struct flight hello, out;
	(void)state;

	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &fb), 0);
	struct dtls_conn *client = dtls_conn_new(ca, true, &fb, NULL, 0);
	struct dtls_conn *server = dtls_conn_new(cb, false, &fa, NULL, 0);
	assert_non_null(client);
	assert_non_null(server);
	take(client, &hello);
	give(server, &hello);
	shuttle(client, server);
	assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);
	keys_match(client, server);
	assert_int_equal(dtls_conn_keys(server, &k1), 0);

	give(server, &hello); /* late copy */
	take(server, &out);
	assert_int_equal(out.n, 0);
	assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);

	struct dtls_conn *client2 = dtls_conn_new(ca, true, &fb, NULL, 5000);
	assert_non_null(client2);
	take(client2, &hello);
	give(server, &hello);
	assert_int_equal(dtls_conn_state(server), DTLS_HANDSHAKING);
	assert_int_equal(dtls_conn_keys(server, &k2), -EAGAIN);
	assert_true(dtls_conn_deadline(server, 5000) > 0);
	take(server, &out); /* the server's new flight */
	assert_true(out.n > 0);
	give(client2, &out);
	shuttle(client2, server);
	assert_int_equal(dtls_conn_state(client2), DTLS_CONNECTED);
	assert_int_equal(dtls_conn_state(server), DTLS_CONNECTED);
	keys_match(client2, server);
	assert_int_equal(dtls_conn_keys(server, &k2), 0);
	assert_memory_not_equal(k1.local_key, k2.local_key, k1.key_len);
	dtls_conn_free(client);
	dtls_conn_free(client2);
	dtls_conn_free(server);
}

static size_t heap_used(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* An established server endpoint keeps its keys and final flight, not its
 * OpenSSL object: the heap it holds is a few KB (OpenSSL's SSL object with
 * its buffers was about 78 KB). Skipped where mallinfo2 does not see the
 * heap (a sanitizer's allocator). */
static void test_established_memory(void **state)
{
	enum { N = 16 };
	struct dtls_fingerprint fa, fb;
	struct dtls_conn *servers[N];
	(void)state;

	size_t h0 = heap_used();
	void *probe = malloc(256 * 1024);
	assert_non_null(probe);
	bool seen = heap_used() >= h0 + 256 * 1024;
	free(probe);
	if (!seen)
		skip();
	assert_int_equal(dtls_cert_fingerprint(ca, DTLS_SHA256, &fa), 0);
	assert_int_equal(dtls_cert_fingerprint(cb, DTLS_SHA256, &fb), 0);
	size_t before = heap_used();
	for (int i = 0; i < N; i++) {
		struct dtls_conn *client = dtls_conn_new(ca, true, &fb, NULL, 0);
		servers[i] = dtls_conn_new(cb, false, &fa, NULL, 0);
		assert_non_null(client);
		assert_non_null(servers[i]);
		shuttle(client, servers[i]);
		assert_int_equal(dtls_conn_state(servers[i]), DTLS_CONNECTED);
		dtls_conn_free(client);
	}
	size_t per = (heap_used() - before) / N;
	print_message("heap per established server endpoint: %zu bytes\n", per);
	assert_true(per < 8 * 1024);
	for (int i = 0; i < N; i++)
		dtls_conn_free(servers[i]);
}

/* The data plane's framing check: record sequences whose lengths add up. */
static void test_records_ok(void **state)
{
	(void)state;
	uint8_t two[13 + 2 + 13 + 1] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2,
					 20, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	assert_true(dtls_records_ok(two, sizeof(two)));
	assert_false(dtls_records_ok(two, sizeof(two) - 1)); /* second record cut */
	assert_false(dtls_records_ok(two, 12));		     /* short header */
	two[0] = 19;					     /* not a DTLS content type */
	assert_false(dtls_records_ok(two, sizeof(two)));
	two[0] = 22;
	two[1] = 0x03; /* TLS, not DTLS */
	assert_false(dtls_records_ok(two, sizeof(two)));
	two[1] = 0xfe;
	two[12] = 0; /* empty record */
	assert_false(dtls_records_ok(two, sizeof(two)));
	uint8_t unified[8] = { 0x2c, 0, 0, 0, 0, 0, 0, 0 }; /* DTLS 1.3 ciphertext */
	assert_true(dtls_records_ok(unified, sizeof(unified)));
	assert_false(dtls_records_ok(unified, 4));
	assert_false(dtls_records_ok(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_setup_and_role),
		cmocka_unit_test(test_handshake_profiles),
		cmocka_unit_test(test_bad_fingerprint_refused),
		cmocka_unit_test(test_rsa_certificate),
		cmocka_unit_test(test_pem_round_trip),
		cmocka_unit_test(test_garbage_then_handshake),
		cmocka_unit_test(test_retransmit_and_timeout),
		cmocka_unit_test(test_lost_final_flight_resent),
		cmocka_unit_test(test_restart_by_new_client_hello),
		cmocka_unit_test(test_established_memory),
		cmocka_unit_test(test_records_ok),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
