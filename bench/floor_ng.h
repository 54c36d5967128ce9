/* floor_ng.h: the bare forwarder's control side: a minimal ng responder (ping, offer,
 * answer, delete) that allocates one RTP/RTCP port pair per leg and wires the two legs of
 * a call to each other. Just enough for loadgen to drive the floor exactly as it drives
 * a real relay. Single-threaded: the same thread runs the forwarding loop. */
#ifndef BENCH_FLOOR_NG_H
#define BENCH_FLOOR_NG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define FL_HASH 65536

/* One side of a call: packets from this side's endpoint arrive on fd and leave through
 * peer->fd towards peer->dst (the other endpoint, from its SDP). */
struct fl_leg {
	int fd, rtcp_fd;
	uint16_t port;
	struct sockaddr_in dst; /* this side's endpoint; sin_port 0 until known */
	struct fl_leg *peer;
};

struct fl_call {
	struct fl_call *next;
	struct fl_leg leg[2]; /* 0 faces the offerer, 1 the answerer */
	char id[128];
};

struct fl_ctx {
	int epfd;
	struct in_addr addr;
	uint16_t port_min, port_max, next_port;
	unsigned ncalls;
	struct fl_call *tab[FL_HASH];
};

/* Handles one ng datagram "<cookie> <dict>" and writes the reply into out.
 * Returns the reply length, or 0 when the datagram is not worth an answer. */
size_t fl_ng_handle(struct fl_ctx *c, const char *msg, size_t len, char *out, size_t cap);

/* Closes every call's sockets. */
void fl_ng_free_all(struct fl_ctx *c);

#endif
