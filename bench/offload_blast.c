/*
 * offload_blast.c: the tiny traffic tool behind kernel-offload/measure_cpu.py
 * (CPU per forwarded packet, kernel path vs user space). Not installed, not a
 * test: bench/ owns the real load generator; this one exists so the offload
 * figures can be reproduced with nothing but this directory.
 *
 *   offload-blast gen  SRC_IP SRC_PORT DST_IP DST_PORT STREAMS PPS SECONDS
 *       STREAMS sockets SRC_IP:SRC_PORT+2i each send PPS RTP packets/s (172
 *       bytes, 20 ms ptime paced in ticks) to DST_IP:DST_PORT+2i; DST_PORT
 *       "@FILE" takes stream i's port from line i of FILE instead.
 *   offload-blast sink IP PORT STREAMS SECONDS
 *       counts what arrives on IP:PORT+2i.
 *   offload-blast fwd  IN_IP IN_PORT OUT_IP OUT_PORT DST_IP DST_PORT STREAMS SECONDS
 *       the bare user-space relay: recvmmsg on IN_IP:IN_PORT+2i, sendmmsg out
 *       of OUT_IP:OUT_PORT+2i to DST_IP:DST_PORT+2i.
 *
 * Each mode prints one line "packets N" when done. IPv4 only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define BLAST_MAX_STREAMS 4096
#define BLAST_BATCH 64
#define BLAST_PKT 172
#define BLAST_TICK_NS 20000000L	/* one 20 ms RTP frame */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in sin_of(const char *ip, long port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1 || port <= 0 || port > 65535) {
		fprintf(stderr, "bad address %s:%ld\n", ip, port);
		exit(2);
	}
	return sin;
}

static int udp_bound(const char *ip, long port)
{
	struct sockaddr_in sin = sin_of(ip, port);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), buf = 1 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("bind");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return fd;
}

static long arg_num(const char *s, long min, long max)
{
	long v = strtol(s, NULL, 10);

	if (v < min || v > max) {
		fprintf(stderr, "bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* Destination port of stream @i: DST_PORT+2i, or line i of "@FILE". */
static long dst_port(const char *arg, long i)
{
	static long ports[BLAST_MAX_STREAMS];
	static long n = -1;
	FILE *f;

	if (arg[0] != '@')
		return arg_num(arg, 1, 65535) + 2 * i;
	if (n < 0) {
		f = fopen(arg + 1, "r");
		if (!f) {
			perror(arg + 1);
			exit(1);
		}
		for (n = 0; n < BLAST_MAX_STREAMS && fscanf(f, "%ld", &ports[n]) == 1; n++)
			;
		fclose(f);
	}
	if (i >= n) {
		fprintf(stderr, "%s: fewer than %ld ports\n", arg + 1, i + 1);
		exit(2);
	}
	return ports[i];
}

static int gen(char **a)
{
	long streams = arg_num(a[4], 1, BLAST_MAX_STREAMS), pps = arg_num(a[5], 1, 100000);
	uint64_t end = now_ns() + (uint64_t)arg_num(a[6], 1, 3600) * 1000000000u, sent = 0;
	static int fds[BLAST_MAX_STREAMS];
	static struct sockaddr_in dst[BLAST_MAX_STREAMS];
	struct mmsghdr msg[BLAST_BATCH];
	struct iovec iov[BLAST_BATCH];
	uint8_t pkt[BLAST_BATCH][BLAST_PKT];
	double per_tick = pps * (BLAST_TICK_NS / 1e9), owed = 0;
	uint64_t next = now_ns();
	uint16_t seq = 0;

	for (long i = 0; i < streams; i++) {
		fds[i] = udp_bound(a[0], arg_num(a[1], 1, 65535) + 2 * i);
		dst[i] = sin_of(a[2], dst_port(a[3], i));
	}
	memset(pkt, 0xd5, sizeof(pkt));
	while (now_ns() < end) {
		int n;

		owed += per_tick;
		n = (int)owed;
		owed -= n;
		if (n > BLAST_BATCH)
			n = BLAST_BATCH;
		for (int k = 0; k < n; k++, seq++) {
			pkt[k][0] = 0x80, pkt[k][1] = 0;
			pkt[k][2] = seq >> 8, pkt[k][3] = seq & 0xff;
			iov[k] = (struct iovec){pkt[k], BLAST_PKT};
		}
		for (long i = 0; i < streams && n; i++) {
			for (int k = 0; k < n; k++)
				msg[k].msg_hdr = (struct msghdr){.msg_name = &dst[i],
								 .msg_namelen = sizeof(dst[i]),
								 .msg_iov = &iov[k], .msg_iovlen = 1};
			int r = sendmmsg(fds[i], msg, n, 0);
			if (r > 0)
				sent += r;
		}
		next += BLAST_TICK_NS;
		struct timespec ts = {.tv_sec = next / 1000000000u, .tv_nsec = next % 1000000000u};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	printf("packets %" PRIu64 "\n", sent);
	return 0;
}

/* Receive on every socket of @in until @end; with @out, send each batch on. */
static uint64_t pump(int *in, int *out, struct sockaddr_in *dst, long streams, uint64_t end)
{
	static uint8_t buf[BLAST_BATCH][2048];
	struct mmsghdr msg[BLAST_BATCH];
	struct iovec iov[BLAST_BATCH];
	struct epoll_event ev[64];
	uint64_t count = 0;
	int ep = epoll_create1(0);

	for (long i = 0; i < streams; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = (uint64_t)i};

		epoll_ctl(ep, EPOLL_CTL_ADD, in[i], &e);
	}
	while (now_ns() < end) {
		int nev = epoll_wait(ep, ev, 64, 100);

		for (int e = 0; e < nev; e++) {
			long i = (long)ev[e].data.u64;
			int r;

			for (int k = 0; k < BLAST_BATCH; k++) {
				iov[k] = (struct iovec){buf[k], sizeof(buf[k])};
				msg[k].msg_hdr = (struct msghdr){.msg_iov = &iov[k], .msg_iovlen = 1};
			}
			while ((r = recvmmsg(in[i], msg, BLAST_BATCH, MSG_DONTWAIT, NULL)) > 0) {
				count += r;
				if (!out)
					continue;
				for (int k = 0; k < r; k++) {
					iov[k].iov_len = msg[k].msg_len;
					msg[k].msg_hdr.msg_name = &dst[i];
					msg[k].msg_hdr.msg_namelen = sizeof(dst[i]);
				}
				sendmmsg(out[i], msg, r, 0);
				for (int k = 0; k < r; k++) {
					iov[k].iov_len = sizeof(buf[k]);
					msg[k].msg_hdr.msg_name = NULL;
					msg[k].msg_hdr.msg_namelen = 0;
				}
			}
		}
	}
	close(ep);
	return count;
}

static int sink(char **a)
{
	long streams = arg_num(a[2], 1, BLAST_MAX_STREAMS);
	uint64_t end = now_ns() + (uint64_t)arg_num(a[3], 1, 3600) * 1000000000u;
	static int fds[BLAST_MAX_STREAMS];

	for (long i = 0; i < streams; i++)
		fds[i] = udp_bound(a[0], arg_num(a[1], 1, 65535) + 2 * i);
	printf("packets %" PRIu64 "\n", pump(fds, NULL, NULL, streams, end));
	return 0;
}

static int fwd(char **a)
{
	long streams = arg_num(a[6], 1, BLAST_MAX_STREAMS);
	uint64_t end = now_ns() + (uint64_t)arg_num(a[7], 1, 3600) * 1000000000u;
	static int in[BLAST_MAX_STREAMS], out[BLAST_MAX_STREAMS];
	static struct sockaddr_in dst[BLAST_MAX_STREAMS];

	for (long i = 0; i < streams; i++) {
		in[i] = udp_bound(a[0], arg_num(a[1], 1, 65535) + 2 * i);
		out[i] = udp_bound(a[2], arg_num(a[3], 1, 65535) + 2 * i);
		dst[i] = sin_of(a[4], arg_num(a[5], 1, 65535) + 2 * i);
	}
	printf("packets %" PRIu64 "\n", pump(in, out, dst, streams, end));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 9 && !strcmp(argv[1], "gen"))
		return gen(argv + 2);
	if (argc == 6 && !strcmp(argv[1], "sink"))
		return sink(argv + 2);
	if (argc == 10 && !strcmp(argv[1], "fwd"))
		return fwd(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of offload_blast.c\n");
	return 2;
}
