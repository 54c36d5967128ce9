/*
 * bench_dp_relay.c: the data plane behind a throwaway ng front end, so that
 * bench/loadgen can drive it exactly like rtpengine or bench/floor before the
 * real daemon exists. Not a test and not the product: it borrows bench's
 * minimal ng responder (bench/floor_ng.c) for port allocation and SDP, dup()s
 * each leg's RTP socket into a dp_endpoint and never reads the originals.
 *
 * build: gcc -O2 -D_GNU_SOURCE -I. tests/unit/dataplane/bench_dp_relay.c
 *        bench/floor_ng.c bench/benc.c bench/msdp.c daemon/{worker,dp_io,dp_queue,
 *        latch,rtp,log}.c -lpthread -lm -o bench_dp_relay
 * usage: bench_dp_relay --listen-ng=127.0.0.1:PORT --port-min=A --port-max=B [--threads=N]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench/floor_ng.h"
#include "dataplane/dataplane.h"

#define MAP 16384

struct map_ent {
	struct fl_call *call;		/* NULL = free */
	struct dp_endpoint *ep[2];
	struct sockaddr_in dst[2];
	unsigned gen;
};

static struct map_ent map[MAP];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static struct map_ent *map_get(struct fl_call *c, bool create)
{
	size_t h = ((uintptr_t)c >> 4) % MAP;
	for (size_t i = 0; i < MAP; i++) {
		struct map_ent *e = &map[(h + i) % MAP];
		if (e->call == c)
			return e;
		if (!e->call && create) {
			memset(e, 0, sizeof(*e));
			e->call = c;
			return e;
		}
	}
	return NULL;
}

static void wire(struct map_ent *e)
{
	for (int s = 0; s < 2; s++) {
		struct dp_endpoint_params p;
		memset(&p, 0, sizeof(p));
		memcpy(&p.sdp_remote, &e->call->leg[s].dst, sizeof(struct sockaddr_in));
		p.fwd_rtp = e->ep[!s];
		if (dp_endpoint_set(e->ep[s], &p))
			abort();
		e->dst[s] = e->call->leg[s].dst;
	}
}

/* Bring the endpoints in line with the responder's calls. */
static void sync_calls(struct fl_ctx *ctx, unsigned gen)
{
	for (unsigned i = 0; i < FL_HASH; i++) {
		for (struct fl_call *c = ctx->tab[i]; c; c = c->next) {
			struct map_ent *e = map_get(c, false);
			if (!e) {
				e = map_get(c, true);
				unsigned w = dp_worker_for_key(c->id);
				e->ep[0] = dp_endpoint_new(dup(c->leg[0].fd), w);
				e->ep[1] = dp_endpoint_new(dup(c->leg[1].fd), w);
			}
			e->gen = gen;
			if (memcmp(&e->dst[0], &c->leg[0].dst, sizeof(e->dst[0])) ||
			    memcmp(&e->dst[1], &c->leg[1].dst, sizeof(e->dst[1])))
				wire(e);
		}
	}
	for (unsigned i = 0; i < MAP; i++) {
		struct map_ent *e = &map[i];
		if (e->call && e->gen != gen) {
			dp_endpoint_release(e->ep[0]);
			dp_endpoint_release(e->ep[1]);
			e->call = NULL;
		}
	}
}

int main(int argc, char **argv)
{
	static struct fl_ctx ctx;
	static char req[65536], rep[65536];
	struct sockaddr_in ng = { .sin_family = AF_INET, .sin_port = htons(2223) };
	unsigned threads = 1, gen = 0;
	unsigned long pmin = 30000, pmax = 39999;
	static const struct option lo[] = { { "listen-ng", 1, 0, 'n' }, { "port-min", 1, 0, 'm' },
					    { "port-max", 1, 0, 'M' }, { "threads", 1, 0, 't' },
					    { "interface", 1, 0, 'i' }, { 0, 0, 0, 0 } };
	int o;

	inet_pton(AF_INET, "127.0.0.1", &ng.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &ctx.addr);
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *colon;
		switch (o) {
		case 'n':
			colon = strrchr(optarg, ':');
			if (!colon)
				return 2;
			*colon = 0;
			inet_pton(AF_INET, optarg, &ng.sin_addr);
			ng.sin_port = htons((uint16_t)atoi(colon + 1));
			break;
		case 'm': pmin = strtoul(optarg, NULL, 10); break;
		case 'M': pmax = strtoul(optarg, NULL, 10); break;
		case 't': threads = (unsigned)atoi(optarg); break;
		case 'i': break;
		default: return 2;
		}
	}
	ctx.port_min = ctx.next_port = (uint16_t)((pmin + 1) & ~1ul);
	ctx.port_max = (uint16_t)pmax;
	ctx.epfd = epoll_create1(EPOLL_CLOEXEC); /* never waited on */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int ngfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_usec = 200000 };
	setsockopt(ngfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (ngfd < 0 || bind(ngfd, (struct sockaddr *)&ng, sizeof(ng)) < 0 || dp_start(threads)) {
		perror("bench_dp_relay");
		return 1;
	}
	fprintf(stderr, "bench_dp_relay: ready\n");
	while (!stop) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(ngfd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		size_t r = fl_ng_handle(&ctx, req, (size_t)n, rep, sizeof(rep));
		sync_calls(&ctx, ++gen);
		if (r)
			sendto(ngfd, rep, r, 0, (struct sockaddr *)&from, fl);
	}
	struct dp_totals t;
	dp_totals(&t);
	fprintf(stderr, "bench_dp_relay: packets %lu forwarded %lu dropped %lu errors %lu\n",
		(unsigned long)t.packets, (unsigned long)t.forwarded, (unsigned long)t.dropped,
		(unsigned long)t.errors);
	dp_stop();
	fl_ng_free_all(&ctx);
	return 0;
}
