/* floor.c: the bare forwarder, the kernel's floor for any relay that does one receive and
 * one send per packet on per-stream sockets. One thread, one epoll set: for each readable
 * leg socket, recvmmsg a batch and sendmmsg it out of the peer leg's socket to the peer's
 * SDP address. No latching, no statistics, no checks: whatever a relay spends above this
 * per packet is its own work. Answers the ng offer/answer/delete that loadgen sends.
 *
 * usage: floor --listen-ng=127.0.0.1:PORT --interface=127.0.0.1 --port-min=A --port-max=B */
#include "bench/floor_ng.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define PKT_MAX 2048

struct fwd_bufs {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][PKT_MAX];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Drains leg l (bounded so that one busy socket cannot starve the others). */
static void forward(struct fl_leg *l, struct fwd_bufs *f)
{
	struct fl_leg *p = l->peer;

	for (int round = 0; round < 8; round++) {
		int n;

		for (int i = 0; i < BATCH; i++) {
			f->iov[i] = (struct iovec){.iov_base = f->buf[i], .iov_len = PKT_MAX};
			f->msg[i].msg_hdr = (struct msghdr){.msg_iov = &f->iov[i], .msg_iovlen = 1};
		}
		n = recvmmsg(l->fd, f->msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		if (p->dst.sin_port) {
			for (int i = 0; i < n; i++) {
				f->iov[i].iov_len = f->msg[i].msg_len;
				f->msg[i].msg_hdr.msg_name = &p->dst;
				f->msg[i].msg_hdr.msg_namelen = sizeof(p->dst);
			}
			for (int sent = 0; sent < n;) {
				int r = sendmmsg(p->fd, f->msg + sent, (unsigned)(n - sent), 0);

				if (r <= 0)
					break; /* a full socket buffer drops, as a relay would */
				sent += r;
			}
		}
		if (n < BATCH)
			return;
	}
}

static void serve_ng(struct fl_ctx *c, int ngfd)
{
	static char req[65536], rep[65536];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(ngfd, req, sizeof(req), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fl);
		size_t r;

		if (n <= 0)
			return;
		r = fl_ng_handle(c, req, (size_t)n, rep, sizeof(rep));
		if (r)
			sendto(ngfd, rep, r, 0, (struct sockaddr *)&from, fl);
	}
}

static int parse_args(int argc, char **argv, struct fl_ctx *c, struct sockaddr_in *ng)
{
	static const struct option lo[] = {{"listen-ng", 1, 0, 'n'}, {"interface", 1, 0, 'i'},
					   {"port-min", 1, 0, 'm'}, {"port-max", 1, 0, 'M'},
					   {0, 0, 0, 0}};
	unsigned long pmin = 30000, pmax = 39999;
	int o;

	*ng = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(2223)};
	inet_pton(AF_INET, "127.0.0.1", &ng->sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &c->addr);
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char host[64], *colon;

		switch (o) {
		case 'n':
			colon = strrchr(optarg, ':');
			if (!colon || (size_t)(colon - optarg) >= sizeof(host))
				return -EINVAL;
			memcpy(host, optarg, (size_t)(colon - optarg));
			host[colon - optarg] = 0;
			if (inet_pton(AF_INET, host, &ng->sin_addr) != 1)
				return -EINVAL;
			ng->sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &c->addr) != 1)
				return -EINVAL;
			break;
		case 'm': pmin = strtoul(optarg, NULL, 10); break;
		case 'M': pmax = strtoul(optarg, NULL, 10); break;
		default: return -EINVAL;
		}
	}
	if (pmin < 1024 || pmax > 65535 || pmin + 3 > pmax)
		return -EINVAL;
	c->port_min = (uint16_t)((pmin + 1) & ~1ul);
	c->port_max = (uint16_t)pmax;
	c->next_port = c->port_min;
	return 0;
}

int main(int argc, char **argv)
{
	static struct fl_ctx ctx;
	static struct fwd_bufs bufs;
	struct sockaddr_in ng;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
	int ngfd;

	if (parse_args(argc, argv, &ctx, &ng)) {
		fprintf(stderr, "usage: floor --listen-ng=IP:PORT --interface=IP "
				"--port-min=N --port-max=N\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ctx.epfd = epoll_create1(EPOLL_CLOEXEC);
	ngfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctx.epfd < 0 || ngfd < 0 || bind(ngfd, (struct sockaddr *)&ng, sizeof(ng)) < 0 ||
	    epoll_ctl(ctx.epfd, EPOLL_CTL_ADD, ngfd, &ev) < 0) {
		perror("floor: ng socket");
		return 1;
	}
	fprintf(stderr, "floor: ready\n");
	while (!stop) {
		int n = epoll_wait(ctx.epfd, evs, 256, 500);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr)
				forward(evs[i].data.ptr, &bufs);
			else
				serve_ng(&ctx, ngfd);
		}
	}
	fl_ng_free_all(&ctx);
	close(ngfd);
	close(ctx.epfd);
	return 0;
}
