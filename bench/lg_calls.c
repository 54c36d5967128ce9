/* lg_calls.c: call set-up and tear-down over ng for the load generator. Requests are
 * sent one at a time and each reply is checked; a failing relay stops the set-up with
 * its error-reason recorded in s->err. */
#include "bench/lg_calls.h"

#include "bench/benc.h"
#include "bench/msdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct in_addr side_addr(const struct lg_calls *s, unsigned side, unsigned idx)
{
	struct in_addr a = {.s_addr = htonl(s->base[side] + idx + 1u)};

	return a;
}

int lg_calls_open(struct lg_calls *s, struct in_addr ng_addr, uint16_t ng_port, unsigned cap,
		  uint16_t a_port, uint16_t b_port, const struct msdp_codec *codec_b)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (cap > LG_MAX_CALLS)
		return -E2BIG;
	s->c = calloc(cap ? cap : 1, sizeof(*s->c));
	if (!s->c)
		return -ENOMEM;
	s->cap = cap;
	s->a_port = a_port;
	s->b_port = b_port;
	s->base[0] = 0x7f010000u;
	s->base[1] = 0x7f020000u;
	s->codec_b = codec_b && codec_b->pt != msdp_pcmu.pt ? codec_b : NULL;
	snprintf(s->prefix, sizeof(s->prefix), "lg%d-%lx", (int)getpid(), (long)time(NULL));
	r = ng_client_open(&s->ng, ng_addr, ng_port);
	if (r) {
		free(s->c);
		s->c = NULL;
	}
	return r;
}

void lg_calls_close(struct lg_calls *s)
{
	ng_client_close(&s->ng);
	free(s->c);
	s->c = NULL;
}

int lg_calls_set_endpoints(struct lg_calls *s, uint32_t base_a, uint32_t base_b, int direct)
{
	/* idx + 1 must stay inside the /16: LG_MAX_CALLS < 65535 */
	if ((base_a & 0xffffu) || (base_b & 0xffffu) || base_a == base_b || s->n)
		return -EINVAL;
	s->base[0] = base_a;
	s->base[1] = base_b;
	s->direct = direct;
	return 0;
}

void lg_calls_set_srtp(struct lg_calls *s, int on)
{
	s->srtp = on;
}

int lg_calls_ping(struct lg_calls *s, int timeout_ms)
{
	struct timespec t0, t;
	const char *rep;
	size_t rlen;
	int saved = s->ng.tries;

	s->ng.tries = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int r = ng_client_call(&s->ng, "d7:command4:pinge", 17, &rep, &rlen);

		if (r == 0 && ng_reply_ok(rep, rlen, NULL, 0) == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms) {
			s->ng.tries = saved;
			return -ETIMEDOUT;
		}
		usleep(50000);
	}
	s->ng.tries = saved;
	return 0;
}

/* Sends one request and returns its SDP's address and port (when want_sdp). */
static int request(struct lg_calls *s, struct benc_out *b, int want_sdp, struct in_addr *addr,
		   uint16_t *port, uint8_t *key)
{
	const char *rep, *sdp;
	size_t rlen, slen;
	int r;

	if (b->overflow)
		return -EMSGSIZE;
	r = ng_client_call(&s->ng, b->p, b->len, &rep, &rlen);
	if (r) {
		snprintf(s->err, sizeof(s->err), "ng: %s", strerror(-r));
		return r;
	}
	if (ng_reply_ok(rep, rlen, s->err, sizeof(s->err)))
		return -EPROTO;
	if (!want_sdp)
		return 0;
	if (benc_dict_str(rep, rlen, "sdp", &sdp, &slen) || msdp_parse(sdp, slen, addr, port)) {
		snprintf(s->err, sizeof(s->err), "reply without usable sdp");
		return -EPROTO;
	}
	if (key && lg_srtp_parse(sdp, slen, key)) {
		snprintf(s->err, sizeof(s->err), "reply without a usable a=crypto line");
		return -EPROTO;
	}
	return 0;
}

static void build(struct benc_out *b, char *mem, size_t cap, const char *cmd, const char *cid,
		  const char *from, const char *to, const char *sdp, const char *transcode,
		  const char *tp, int record)
{
	benc_init(b, mem, cap);
	benc_raw(b, "d", 1);
	if (record)
		benc_kv(b, "record call", "yes");
	if (transcode) { /* "codec": {"transcode": [NAME]} */
		benc_str(b, "codec", 5);
		benc_raw(b, "d", 1);
		benc_str(b, "transcode", 9);
		benc_raw(b, "l", 1);
		benc_str(b, transcode, strlen(transcode));
		benc_raw(b, "ee", 2);
	}
	benc_kv(b, "command", cmd);
	benc_kv(b, "call-id", cid);
	benc_kv(b, "from-tag", from);
	if (to)
		benc_kv(b, "to-tag", to);
	if (sdp)
		benc_kv(b, "sdp", sdp);
	if (tp)
		benc_kv(b, "transport-protocol", tp);
	benc_raw(b, "e", 1);
}

/* Offer from A and answer from B for call-id cid; fills the relay-side addresses. */
static int setup_one(struct lg_calls *s, const char *cid, unsigned idx, struct lg_call *c)
{
	char mem[2048], sdp[512], from[24], to[24];
	struct benc_out b;
	int r;

	c->a_addr = side_addr(s, 0, idx);
	c->b_addr = side_addr(s, 1, idx);
	if (s->direct) { /* the generator alone: each side to the other's endpoint */
		c->to_relay_a = c->b_addr;
		c->to_relay_a_port = s->b_port;
		c->to_relay_b = c->a_addr;
		c->to_relay_b_port = s->a_port;
		return 0;
	}
	snprintf(from, sizeof(from), "a%u", idx);
	snprintf(to, sizeof(to), "b%u", idx);
	if (msdp_build(sdp, sizeof(sdp), c->a_addr, s->a_port, idx + 1, NULL) < 0)
		return -ENOSPC;
	if (s->srtp) { /* RTP/SAVP with side A's key; B is offered RTP/AVP */
		char line[128], *m = strstr(sdp, "RTP/AVP"), *tail = strstr(sdp, "a=sendrecv");
		uint8_t key[LG_SRTP_KEY];
		char rest[64];

		lg_srtp_key(idx, key);
		if (!m || !tail || lg_srtp_line(key, line, sizeof(line)) < 0 ||
		    strlen(sdp) + strlen(line) + 4 >= sizeof(sdp))
			return -ENOSPC;
		snprintf(rest, sizeof(rest), "%s", tail);
		snprintf(tail, sizeof(sdp) - (size_t)(tail - sdp), "%s\r\n%s", line, rest);
		memmove(m + 5, m + 4, strlen(m + 4) + 1);
		memcpy(m, "RTP/SAVP", 8);
	}
	build(&b, mem, sizeof(mem), "offer", cid, from, NULL, sdp,
	      s->codec_b ? s->codec_b->ng_name : NULL, s->srtp ? "RTP/AVP" : NULL, s->record);
	r = request(s, &b, 1, &c->to_relay_b, &c->to_relay_b_port, NULL);
	if (r)
		return r;
	if (msdp_build(sdp, sizeof(sdp), c->b_addr, s->b_port, idx + 100001, s->codec_b) < 0)
		return -ENOSPC;
	build(&b, mem, sizeof(mem), "answer", cid, from, to, sdp, NULL, NULL, 0);
	return request(s, &b, 1, &c->to_relay_a, &c->to_relay_a_port,
		       s->srtp ? c->relay_key : NULL);
}

static int delete_one(struct lg_calls *s, const char *cid, unsigned idx)
{
	char mem[512], from[24];
	struct benc_out b;

	snprintf(from, sizeof(from), "a%u", idx);
	build(&b, mem, sizeof(mem), "delete", cid, from, NULL, NULL, NULL, NULL, 0);
	return request(s, &b, 0, NULL, NULL, NULL);
}

int lg_calls_grow(struct lg_calls *s, unsigned upto)
{
	char cid[64];

	if (upto > s->cap)
		return -E2BIG;
	while (s->n < upto) {
		int r;

		snprintf(cid, sizeof(cid), "%s-%u-%u", s->prefix, s->gen, s->n);
		r = setup_one(s, cid, s->n, &s->c[s->n]);
		if (r)
			return r;
		s->n++;
	}
	return 0;
}

unsigned lg_calls_delete_all(struct lg_calls *s)
{
	unsigned failed = 0;
	char cid[64];

	for (unsigned i = 0; i < s->n && !s->direct; i++) {
		snprintf(cid, sizeof(cid), "%s-%u-%u", s->prefix, s->gen, i);
		if (delete_one(s, cid, i))
			failed++;
	}
	s->n = 0;
	s->gen++;
	return failed;
}

int lg_calls_cycle(struct lg_calls *s, unsigned idx, unsigned serial)
{
	struct lg_call c;
	char cid[64];
	int r;

	snprintf(cid, sizeof(cid), "%s-cp%u", s->prefix, serial);
	r = setup_one(s, cid, idx, &c);
	if (r)
		return r;
	return delete_one(s, cid, idx);
}
