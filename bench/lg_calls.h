/* lg_calls.h: the load generator's calls: set up over ng (offer from side A, answer
 * from side B), remember where the relay wants each side's media, tear down.
 *
 * Endpoint addressing: every call has its own address per side (A_i = base_a+i+1, B_i =
 * base_b+i+1; by default 127.1.0.0 and 127.2.0.0 on lo, other /16 bases when the generator
 * reaches the relay over an interface) and all calls share one port per side, so the
 * generator needs one receive socket per side (bound to 0.0.0.0:port) while the relay
 * still sees a distinct peer per stream.
 *
 * Direct calls (no relay): each side's media goes straight to the other side's endpoint,
 * nothing is sent over ng. The generator alone, as a baseline for whole-machine CPU. */
#ifndef BENCH_LG_CALLS_H
#define BENCH_LG_CALLS_H

#include "bench/lg_srtp.h"
#include "bench/msdp.h"
#include "bench/ngclient.h"

#include <netinet/in.h>
#include <stdint.h>

#define LG_MAX_CALLS 60000

struct lg_call {
	struct in_addr a_addr, b_addr;   /* generator endpoints (SDP we send) */
	struct in_addr to_relay_a;       /* where A sends (from the answer reply) */
	struct in_addr to_relay_b;       /* where B sends (from the offer reply) */
	uint16_t to_relay_a_port;
	uint16_t to_relay_b_port;
	uint8_t relay_key[LG_SRTP_KEY]; /* --srtp: the relay's key for side A */
};

struct lg_calls {
	struct ng_client ng;
	struct lg_call *c;
	unsigned n;          /* calls set up: c[0..n) */
	unsigned cap;
	uint16_t a_port, b_port;
	uint32_t base[2];    /* endpoint address base per side, host order, /16 aligned */
	int direct;          /* no relay: A sends to B's endpoint and B to A's */
	const struct msdp_codec *codec_b; /* side B's only codec; not PCMU: transcoding */
	int record;          /* offers ask for recording ("record call": "yes") */
	char prefix[40];     /* call-id prefix, unique per generator run */
	unsigned gen;        /* bumped by delete_all so that call-ids are never reused */
	int srtp;            /* side A offers RTP/SAVP + a=crypto, relayed as RTP/AVP to B */
	char err[160];       /* last error, for the report */
};

/* codec_b NULL or PCMU: plain forwarding; anything else: side A offers PCMU and asks
 * the relay (ng "codec" → "transcode") to offer codec_b, which side B answers with. */
int lg_calls_open(struct lg_calls *s, struct in_addr ng_addr, uint16_t ng_port, unsigned cap,
		  uint16_t a_port, uint16_t b_port, const struct msdp_codec *codec_b);
void lg_calls_close(struct lg_calls *s);

/* Endpoint address bases (host order, low 16 bits zero) and direct mode; call before
 * the first grow. Defaults: 127.1.0.0, 127.2.0.0, through the relay. */
int lg_calls_set_endpoints(struct lg_calls *s, uint32_t base_a, uint32_t base_b, int direct);

/* Side A as an SDES-SRTP phone (bench/lg_srtp.h); call before the first grow. */
void lg_calls_set_srtp(struct lg_calls *s, int on);

/* Pings the relay until it answers or timeout_ms passes. */
int lg_calls_ping(struct lg_calls *s, int timeout_ms);

/* Sets up calls [s->n, upto). Returns 0 or the first error (s->n = calls that work). */
int lg_calls_grow(struct lg_calls *s, unsigned upto);

/* Deletes every call that was set up; returns how many deletes failed. */
unsigned lg_calls_delete_all(struct lg_calls *s);

/* One offer+answer+delete cycle for call index idx (not stored). 0 or -errno. */
int lg_calls_cycle(struct lg_calls *s, unsigned idx, unsigned serial);

#endif
