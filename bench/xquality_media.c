/* xquality_media.c: sockets, pacing and capture of xquality (see xquality_media.h).
 * Pacing: event e (frame e / (2 * calls), slot e % (2 * calls)) is due at
 * t0 + frame * 20 ms + slot * 20 ms / (2 * calls); between events the receive sockets are
 * drained with ppoll, so an arrival is stamped by the kernel whatever the loop is doing. */
#include "bench/xquality_media.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PTIME_NS 20000000ull
#define RTP_HDR 12
#define RX_BUF 2048

static uint64_t now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int open_endpoint(struct in_addr a, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = a, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

void xq_media_close(struct xq_media *m)
{
	for (unsigned k = 0; m->fd && k < 2 * m->calls; k++)
		if (m->fd[k] >= 0)
			close(m->fd[k]);
	for (unsigned s = 0; m->st && s < 2 * m->calls; s++) {
		free(m->st[s].tx_ns);
		free(m->st[s].rx);
		free(m->st[s].store);
	}
	free(m->fd);
	free(m->dst);
	free(m->st);
	memset(m, 0, sizeof(*m));
}

int xq_media_open(struct xq_media *m, const struct lg_calls *calls, unsigned frames)
{
	unsigned n = 2 * calls->n;

	memset(m, 0, sizeof(*m));
	m->calls = calls->n;
	m->frames = frames;
	m->fd = malloc(n * sizeof(*m->fd));
	m->dst = calloc(n, sizeof(*m->dst));
	m->st = calloc(n, sizeof(*m->st));
	if (!m->fd || !m->dst || !m->st)
		goto err_nomem;
	for (unsigned k = 0; k < n; k++)
		m->fd[k] = -1;
	for (unsigned k = 0; k < n; k++) {
		const struct lg_call *c = &calls->c[k / 2];
		struct xq_stream *st = &m->st[k];
		int side = k % 2, fd;

		fd = open_endpoint(side ? c->b_addr : c->a_addr, side ? calls->b_port : calls->a_port);
		if (fd < 0) {
			xq_media_close(m);
			return fd;
		}
		m->fd[k] = fd;
		m->dst[k] = (struct sockaddr_in){
			.sin_family = AF_INET, .sin_addr = side ? c->to_relay_b : c->to_relay_a,
			.sin_port = htons(side ? c->to_relay_b_port : c->to_relay_a_port)};
		/* the relay may send a few packets more than it got (concealment, flush) */
		st->cap = 2 * frames + 64;
		st->tx_ns = calloc(frames + 1, sizeof(*st->tx_ns));
		st->rx = calloc(st->cap, sizeof(*st->rx));
		st->store = calloc(st->cap, CODEC_MAX_PAYLOAD);
		if (!st->tx_ns || !st->rx || !st->store)
			goto err_nomem;
	}
	return 0;

err_nomem:
	xq_media_close(m);
	return -ENOMEM;
}

/* One received datagram on side `side` of a call, into the stream that ends there. */
static void take(struct xq_stream *st, const uint8_t *b, size_t len, uint64_t t, uint8_t rx_pt)
{
	size_t hdr = RTP_HDR;
	struct xq_rx_pkt *p;

	if (len < RTP_HDR || (b[0] >> 6) != 2)
		goto other;
	hdr += (size_t)(b[0] & 0x0f) * 4;
	if ((b[0] & 0x10) && len >= hdr + 4)
		hdr += 4 + 4 * (size_t)(b[hdr + 2] << 8 | b[hdr + 3]);
	if ((b[0] & 0x20) && len > hdr && b[len - 1] <= len - hdr)
		len -= b[len - 1];
	if (len <= hdr || len - hdr > CODEC_MAX_PAYLOAD || (b[1] & 0x7f) != rx_pt)
		goto other;
	if (st->nrx == st->cap) {
		st->overflow++;
		return;
	}
	p = &st->rx[st->nrx];
	p->t_ns = t;
	p->seq = (uint16_t)(b[2] << 8 | b[3]);
	p->ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	p->len = (uint16_t)(len - hdr);
	memcpy(st->store + (size_t)st->nrx * CODEC_MAX_PAYLOAD, b + hdr, p->len);
	p->pay = st->store + (size_t)st->nrx * CODEC_MAX_PAYLOAD;
	st->nrx++;
	return;
other:
	st->other_pt++;
}

/* Reads everything pending on fd[k]; what arrives at side B belongs to stream A -> B. */
static void drain_fd(struct xq_media *m, unsigned k, const struct xq_side side[2])
{
	uint8_t buf[RX_BUF], ctl[256];
	unsigned call = k / 2, s = k % 2;
	struct xq_stream *st = &m->st[2 * call + (s ? 0 : 1)];

	for (unsigned i = 0; i < 1000; i++) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		uint64_t t = 0;
		ssize_t r = recvmsg(m->fd[k], &mh, 0);

		if (r < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			}
		take(st, buf, (size_t)r, t ? t : now_ns(CLOCK_REALTIME), side[s].rx_pt);
	}
}

/* Waits until CLOCK_MONOTONIC reaches `until`, receiving meanwhile. */
static void wait_until(struct xq_media *m, struct pollfd *pf, uint64_t until,
		       const struct xq_side side[2])
{
	unsigned n = 2 * m->calls;

	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		struct timespec to;

		if (now >= until)
			return;
		to.tv_sec = (time_t)((until - now) / 1000000000ull);
		to.tv_nsec = (long)((until - now) % 1000000000ull);
		if (ppoll(pf, n, &to, NULL) <= 0)
			continue;
		for (unsigned k = 0; k < n; k++)
			if (pf[k].revents & POLLIN)
				drain_fd(m, k, side);
	}
}

static void send_frame(struct xq_media *m, unsigned k, unsigned f, const struct xq_side *sd)
{
	uint8_t pkt[RTP_HDR + CODEC_MAX_PAYLOAD];
	struct xq_stream *st = &m->st[k];	/* side A of call i sends stream 2i, B 2i + 1 */
	uint32_t ssrc = 0x51a70000u + k, seq = 1000u * (k + 1) + f;
	uint32_t ts = 0x10000000u * (k % 7) + f * sd->ts_step;
	size_t len = sd->pay->len[f];

	pkt[0] = 0x80;
	pkt[1] = (uint8_t)(sd->pt | (f == 0 ? 0x80 : 0));
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	memcpy(pkt + RTP_HDR, sd->pay->pay[f], len);
	st->tx_ns[f] = now_ns(CLOCK_REALTIME);
	if (sendto(m->fd[k], pkt, RTP_HDR + len, 0, (struct sockaddr *)&m->dst[k],
		   sizeof(m->dst[k])) < 0) {
		st->tx_err++;
		st->tx_ns[f] = 0;
	}
}

int xq_media_run(struct xq_media *m, const struct xq_side side[2], double drain_s)
{
	unsigned n = 2 * m->calls;
	uint64_t t0, e_end = (uint64_t)m->frames * n;
	struct pollfd *pf = calloc(n, sizeof(*pf));

	if (!pf)
		return -ENOMEM;
	for (unsigned k = 0; k < n; k++)
		pf[k] = (struct pollfd){.fd = m->fd[k], .events = POLLIN};
	t0 = now_ns(CLOCK_MONOTONIC) + 50000000ull;
	for (uint64_t e = 0; e < e_end; e++) {
		unsigned f = (unsigned)(e / n), k = (unsigned)(e % n);

		if (side[k % 2].pay->frames <= f)
			continue;
		uint64_t due = t0 + f * PTIME_NS + k * PTIME_NS / n, late;

		wait_until(m, pf, due, side);
		send_frame(m, k, f, &side[k % 2]);
		late = now_ns(CLOCK_MONOTONIC) - due;
		if (late > m->st[k].late_max_ns)
			m->st[k].late_max_ns = late;
	}
	wait_until(m, pf, t0 + m->frames * PTIME_NS + (uint64_t)(drain_s * 1e9), side);
	free(pf);
	return 0;
}
