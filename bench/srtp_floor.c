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
 *   build/bench/srtp_floor [--stock] [packets]   (default 2000000 per suite)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srtp/sr_stream.h"

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	bool stock = argc > 1 && !strcmp(argv[1], "--stock");
	unsigned long n = argc > 1 + stock ? strtoul(argv[1 + stock], NULL, 10) : 2000000ul;
	static const enum sr_suite suites[] = {
		SR_AES_CM_128_HMAC_SHA1_80, SR_AES_CM_128_HMAC_SHA1_32, SR_AES_256_CM_HMAC_SHA1_80,
		SR_AEAD_AES_128_GCM,	    SR_AEAD_AES_256_GCM,
	};

	if (n == 0 || (stock ? sr_init_stock() : sr_init()))
		return 1;
	printf("AES and HMAC-SHA1 under libsrtp2: %s\n", sr_crypto_backend());
	printf("suite                      protect ns/pkt  unprotect ns/pkt  (%lu packets, "
	       "172-byte RTP)\n",
	       n);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct sr_keys k;
		struct sr_stream *tx = sr_stream_new(), *rx = sr_stream_new();
		static uint8_t pkts[256][256];
		size_t lens[256];
		double t0, t_prot = 0, t_unprot = 0;

		if (!sr_suite_available(suites[i]) || !tx || !rx)
			continue;
		memset(&k, 0, sizeof(k));
		k.suite = suites[i];
		memset(k.local.master, 0x42, sizeof(k.local.master));
		k.remote = k.local;
		if (sr_stream_rekey(tx, &k) || sr_stream_rekey(rx, &k))
			return 1;
		for (unsigned long done = 0; done < n; done += 256) {
			/* a batch as a worker would see it: 256 consecutive packets */
			for (unsigned j = 0; j < 256; j++) {
				uint16_t seq = (uint16_t)(done + j);
				uint8_t *p = pkts[j];

				memset(p, 0xd5, 172);
				p[0] = 0x80;
				p[1] = 0;
				p[2] = (uint8_t)(seq >> 8);
				p[3] = (uint8_t)seq;
				memset(p + 4, 0, 4);
				memcpy(p + 8, "\x12\x34\x56\x78", 4);
				lens[j] = 172;
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
		printf("%-26s %14.0f  %16.0f\n", sr_suite_name(suites[i]), t_prot / (double)total,
		       t_unprot / (double)total);
		sr_stream_free(tx);
		sr_stream_free(rx);
	}
	return 0;
}
