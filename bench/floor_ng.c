/* floor_ng.c: ng responder of the bare forwarder. Calls live in a chained hash table
 * keyed by call-id; each leg's RTP socket is registered in the forwarder's epoll set
 * with the leg as its data pointer. Ports: RTP even, RTCP = RTP+1 (bound only to hold
 * the pair, as a relay would), taken round-robin from the range. */
#include "bench/floor_ng.h"

#include "bench/benc.h"
#include "bench/msdp.h"
#include "lib/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned hash_id(const char *s, size_t n)
{
	return fnv1a(s, n) % FL_HASH;
}

static int bind_udp(struct in_addr a, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = a};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Binds an RTP/RTCP pair for leg l and adds the RTP socket to epoll. */
static int leg_open(struct fl_ctx *c, struct fl_leg *l)
{
	unsigned span = (unsigned)(c->port_max - c->port_min + 1) / 2;

	for (unsigned tries = 0; tries < span; tries++) {
		uint16_t p = c->next_port;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};

		c->next_port = (uint16_t)(p + 2 > c->port_max - 1 ? c->port_min : p + 2);
		l->fd = bind_udp(c->addr, p);
		if (l->fd < 0)
			continue;
		l->rtcp_fd = bind_udp(c->addr, (uint16_t)(p + 1));
		if (l->rtcp_fd < 0) {
			close(l->fd);
			continue;
		}
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
			int e = -errno;

			close(l->fd);
			close(l->rtcp_fd);
			return e;
		}
		l->port = p;
		return 0;
	}
	return -EADDRINUSE;
}

static void call_free(struct fl_call *call)
{
	for (int i = 0; i < 2; i++) {
		close(call->leg[i].fd); /* closing also removes it from epoll */
		close(call->leg[i].rtcp_fd);
	}
	free(call);
}

static struct fl_call **find(struct fl_ctx *c, const char *id, size_t n)
{
	struct fl_call **pp = &c->tab[hash_id(id, n)];

	while (*pp && !(strlen((*pp)->id) == n && memcmp((*pp)->id, id, n) == 0))
		pp = &(*pp)->next;
	return pp;
}

static struct fl_call *call_new(struct fl_ctx *c, const char *id, size_t n, int *err)
{
	struct fl_call *call = calloc(1, sizeof(*call));

	*err = -ENOMEM;
	if (!call)
		return NULL;
	memcpy(call->id, id, n);
	*err = leg_open(c, &call->leg[0]);
	if (*err)
		goto err_call;
	*err = leg_open(c, &call->leg[1]);
	if (*err)
		goto err_leg0;
	call->leg[0].peer = &call->leg[1];
	call->leg[1].peer = &call->leg[0];
	call->next = c->tab[hash_id(id, n)];
	c->tab[hash_id(id, n)] = call;
	c->ncalls++;
	return call;
err_leg0:
	close(call->leg[0].fd);
	close(call->leg[0].rtcp_fd);
err_call:
	free(call);
	return NULL;
}

static size_t reply_error(char *out, size_t cap, const char *reason)
{
	struct benc_out b;

	benc_init(&b, out, cap);
	benc_raw(&b, "d", 1);
	benc_kv(&b, "error-reason", reason);
	benc_kv(&b, "result", "error");
	benc_raw(&b, "e", 1);
	return b.overflow ? 0 : b.len;
}

/* offer (side 0) or answer (side 1): learn this side's endpoint from its SDP and reply
 * with the port of the other leg, the one this SDP's receiver must send to. */
static size_t offer_answer(struct fl_ctx *c, const char *d, size_t dl, int side, char *out,
			   size_t cap)
{
	const char *id, *sdp;
	size_t idn, sdpn;
	struct fl_call **pp, *call;
	struct in_addr a;
	uint16_t port;
	char rsdp[512];
	struct benc_out b;
	int err, n;

	if (benc_dict_str(d, dl, "call-id", &id, &idn) || idn == 0 || idn >= sizeof(call->id))
		return reply_error(out, cap, "bad call-id");
	if (benc_dict_str(d, dl, "sdp", &sdp, &sdpn) || msdp_parse(sdp, sdpn, &a, &port))
		return reply_error(out, cap, "bad sdp");
	pp = find(c, id, idn);
	call = *pp;
	if (!call && side == 1)
		return reply_error(out, cap, "Unknown call-id");
	if (!call && !(call = call_new(c, id, idn, &err)))
		return reply_error(out, cap, err == -EADDRINUSE ? "Ran out of ports" : "no memory");
	call->leg[side].dst = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = a,
						   .sin_port = htons(port)};
	n = msdp_build(rsdp, sizeof(rsdp), c->addr, call->leg[!side].port, 1, NULL);
	if (n < 0)
		return reply_error(out, cap, "sdp too long");
	benc_init(&b, out, cap);
	benc_raw(&b, "d", 1);
	benc_kv(&b, "result", "ok");
	benc_str(&b, "sdp", 3);
	benc_str(&b, rsdp, (size_t)n);
	benc_raw(&b, "e", 1);
	return b.overflow ? 0 : b.len;
}

static size_t do_delete(struct fl_ctx *c, const char *d, size_t dl, char *out, size_t cap)
{
	const char *id;
	size_t idn;
	struct fl_call **pp, *call;

	if (benc_dict_str(d, dl, "call-id", &id, &idn))
		return reply_error(out, cap, "bad call-id");
	pp = find(c, id, idn);
	if (!*pp)
		return reply_error(out, cap, "Call-ID not found");
	call = *pp;
	*pp = call->next;
	call_free(call);
	c->ncalls--;
	return (size_t)snprintf(out, cap, "d6:result2:oke");
}

size_t fl_ng_handle(struct fl_ctx *c, const char *msg, size_t len, char *out, size_t cap)
{
	const char *sp = memchr(msg, ' ', len), *d, *cmd;
	size_t cl, dl, cmdn, r = 0;

	if (!sp || sp == msg || (size_t)(sp - msg) > 64 || cap < 128)
		return 0;
	cl = (size_t)(sp - msg);
	memcpy(out, msg, cl + 1); /* the reply starts with the same cookie */
	d = sp + 1;
	dl = len - cl - 1;
	out += cl + 1;
	cap -= cl + 1;
	if (benc_dict_str(d, dl, "command", &cmd, &cmdn))
		r = reply_error(out, cap, "no command");
	else if (cmdn == 4 && !memcmp(cmd, "ping", 4))
		r = (size_t)snprintf(out, cap, "d6:result4:ponge");
	else if (cmdn == 5 && !memcmp(cmd, "offer", 5))
		r = offer_answer(c, d, dl, 0, out, cap);
	else if (cmdn == 6 && !memcmp(cmd, "answer", 6))
		r = offer_answer(c, d, dl, 1, out, cap);
	else if (cmdn == 6 && !memcmp(cmd, "delete", 6))
		r = do_delete(c, d, dl, out, cap);
	else
		r = reply_error(out, cap, "Unrecognized command");
	return r ? r + cl + 1 : 0;
}

void fl_ng_free_all(struct fl_ctx *c)
{
	for (unsigned i = 0; i < FL_HASH; i++) {
		while (c->tab[i]) {
			struct fl_call *call = c->tab[i];

			c->tab[i] = call->next;
			call_free(call);
		}
	}
	c->ncalls = 0;
}
