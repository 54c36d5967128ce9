/*
 * srtp_floor.c: the crypto floor of SRTP<->RTP forwarding: thread CPU per
 * packet of what rtprelay's SRTP layer (srtp/sr_stream.h over libsrtp2)
 * does to one forwarded 172-byte PCMU packet, measured alone, no sockets:
 * unprotect (SRTP leg in) and protect (SRTP leg out), per suite. A relay
 * forwarding SRTP<->RTP cannot go below its plain forwarding cost plus this.
 * By default libsrtp runs on OpenSSL's AES and HMAC as in the daemon
 * (srtp/srtp_openssl.h); --stock keeps the libsrtp build's own (Debian 12:
 * NSS) for comparison.
 *
 * --contexts N measures what a relay with many calls pays instead: N
 * libsrtp contexts (N/2 streams, each with an encrypting and a decrypting
 * session, as one SRTP leg of a call has), AES_CM_128_HMAC_SHA1_80, one
 * packet per stream per round in a fixed shuffled order, so that between
 * two packets of one stream every other stream's state went through the
 * caches. 600 contexts are what 300 SRTP<->RTP calls keep; their state is
 * larger than this machine's L2, and the difference to the same loop over
 * one stream (printed as "hot") is the cost of fetching a cold context.
 * It also prints the heap one keyed stream takes (glibc mallinfo2).
 *
 *   build/bench/srtp_floor [--stock] [packets]   (default 2000000 per suite)
 *   build/bench/srtp_floor [--stock] --contexts N [packets]
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srtp/sr_stream.h"

#define PKT_LEN 172
#define PKT_CAP 256

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A 172-byte PCMU packet of @ssrc with sequence number @seq. */
static void make_packet(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	memset(p, 0xd5, PKT_LEN);
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memset(p + 4, 0, 4);
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
}

static int one_suite(enum sr_suite suite, unsigned long n)
{
	struct sr_keys k;
	struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
	static uint8_t pkts[256][PKT_CAP];
	size_t lens[256];
	double t0, t_prot = 0, t_unprot = 0;

	if (!sr_suite_available(suite) || !tx || !rx)
		return 0;
	memset(&k, 0, sizeof(k));
	k.suite = suite;
	memset(k.local.master, 0x42, sizeof(k.local.master));
	k.remote = k.local;
	if (sr_stream_rekey(tx, &k) || sr_stream_rekey(rx, &k))
		return 1;
	for (unsigned long done = 0; done < n; done += 256) {
		/* a batch as a worker would see it: 256 consecutive packets */
		for (unsigned j = 0; j < 256; j++) {
			make_packet(pkts[j], (uint16_t)(done + j), 0x12345678u);
			lens[j] = PKT_LEN;
		}
		t0 = thread_ns();
		for (unsigned j = 0; j < 256; j++)
			if (sr_protect(tx, pkts[j], &lens[j], sizeof(pkts[j]), false) != SR_OK)
				return 2;
		t_prot += thread_ns() - t0;
		t0 = thread_ns();
		for (unsigned j = 0; j < 256; j++)
			if (sr_unprotect(rx, pkts[j], &lens[j], false) != SR_OK)
				return 3;
		t_unprot += thread_ns() - t0;
	}
	unsigned long total = (n + 255) / 256 * 256;
	printf("%-26s %14.0f  %16.0f\n", sr_suite_name(suite), t_prot / (double)total,
	       t_unprot / (double)total);
	sr_stream_free(tx);
	sr_stream_free(rx);
	return 0;
}

struct ctx_result {
	double prot_ns, unprot_ns; /* per packet */
	double heap_per_stream;	   /* bytes */
};

/* @streams streams round-robin (see the header), @n packets each way in
 * all, timed in rounds of at least 256 packets (a stream gets consecutive
 * sequence numbers within a round when there are fewer streams). 0 or the
 * failing step. */
static int contexts_run(unsigned streams, unsigned long n, struct ctx_result *r)
{
	unsigned per = (256 + streams - 1) / streams, batch = per * streams;
	struct sr_stream **st = calloc(streams, sizeof(*st));
	unsigned *order = calloc(streams, sizeof(*order));
	uint8_t(*pkts)[PKT_CAP] = calloc(batch, PKT_CAP);
	size_t *lens = calloc(batch, sizeof(*lens));
	uint32_t x = 2463534242u; /* xorshift32 state */
	double t0, t_prot = 0, t_unprot = 0;
	unsigned long rounds = (n + batch - 1) / batch;
	int rc = 0;

	if (!st || !order || !pkts || !lens)
		return 1;
	struct mallinfo2 m0 = mallinfo2();
	for (unsigned i = 0; i < streams; i++) {
		struct sr_keys k;

		memset(&k, 0, sizeof(k));
		k.suite = SR_AES_CM_128_HMAC_SHA1_80;
		for (size_t b = 0; b < sizeof(k.local.master); b++)
			k.local.master[b] = (uint8_t)(i * 31u + b);
		/* the decrypting session checks what the encrypting one made */
		k.remote = k.local;
		st[i] = sr_stream_new();
		if (!st[i] || sr_stream_rekey(st[i], &k))
			return 1;
		order[i] = i;
	}
	struct mallinfo2 m1 = mallinfo2();
	r->heap_per_stream = (double)(m1.uordblks - m0.uordblks) / streams;
	for (unsigned i = streams; i > 1; i--) { /* Fisher-Yates */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		unsigned j = x % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (unsigned long round = 0; round < rounds && !rc; round++) {
		/* packet b is stream order[b % streams]'s, in sequence */
		for (unsigned b = 0; b < batch; b++) {
			unsigned s = order[b % streams];

			make_packet(pkts[b], (uint16_t)(round * per + b / streams),
				    0x10000000u + s);
			lens[b] = PKT_LEN;
		}
		t0 = thread_ns();
		for (unsigned b = 0; b < batch; b++)
			if (sr_protect(st[order[b % streams]], pkts[b], &lens[b], PKT_CAP, false) !=
			    SR_OK)
				rc = 2;
		t_prot += thread_ns() - t0;
		t0 = thread_ns();
		for (unsigned b = 0; b < batch; b++)
			if (sr_unprotect(st[order[b % streams]], pkts[b], &lens[b], false) != SR_OK)
				rc = 3;
		t_unprot += thread_ns() - t0;
	}
	r->prot_ns = t_prot / (double)(rounds * batch);
	r->unprot_ns = t_unprot / (double)(rounds * batch);
	for (unsigned i = 0; i < streams; i++)
		sr_stream_free(st[i]);
	free(st);
	free(order);
	free(pkts);
	free(lens);
	return rc;
}

static int contexts_main(unsigned contexts, unsigned long n)
{
	struct ctx_result hot, cold;
	unsigned streams = contexts / 2;
	int rc;

	if (streams < 1 || streams > 100000) {
		fprintf(stderr, "--contexts 2..200000\n");
		return 1;
	}
	if ((rc = contexts_run(1, n, &hot)) || (rc = contexts_run(streams, n, &cold)))
		return rc;
	printf("AES_CM_128_HMAC_SHA1_80 under libsrtp2 (%s), %lu packets each way, 172-byte RTP\n",
	       sr_crypto_backend(), n);
	printf("%-22s %14s  %16s\n", "", "protect ns/pkt", "unprotect ns/pkt");
	printf("%-22s %14.0f  %16.0f\n", "hot (1 stream)", hot.prot_ns, hot.unprot_ns);
	printf("cold (%6u contexts) %14.0f  %16.0f\n", streams * 2, cold.prot_ns, cold.unprot_ns);
	printf("cold - hot             %14.0f  %16.0f\n", cold.prot_ns - hot.prot_ns,
	       cold.unprot_ns - hot.unprot_ns);
	printf("heap per keyed stream (2 contexts): %.0f bytes\n", cold.heap_per_stream);
	return 0;
}

int main(int argc, char **argv)
{
	bool stock = false;
	unsigned long contexts = 0, n = 0;
	static const enum sr_suite suites[] = {
		SR_AES_CM_128_HMAC_SHA1_80, SR_AES_CM_128_HMAC_SHA1_32, SR_AES_256_CM_HMAC_SHA1_80,
		SR_AEAD_AES_128_GCM,	    SR_AEAD_AES_256_GCM,
	};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stock"))
			stock = true;
		else if (!strcmp(argv[i], "--contexts") && i + 1 < argc)
			contexts = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !n)
			n = strtoul(argv[i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--stock] [--contexts N] [packets]\n", argv[0]);
			return 1;
		}
	}
	if (!n)
		n = 2000000ul;
	if (stock ? sr_init_stock() : sr_init())
		return 1;
	if (contexts)
		return contexts_main((unsigned)(contexts > 200000 ? 200000 : contexts), n);
	printf("AES and HMAC-SHA1 under libsrtp2: %s\n", sr_crypto_backend());
	printf("suite                      protect ns/pkt  unprotect ns/pkt  (%lu packets, "
	       "172-byte RTP)\n",
	       n);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		int rc = one_suite(suites[i], n);

		if (rc)
			return rc;
	}
	return 0;
}
