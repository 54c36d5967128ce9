/* lg_media.c: paced raw-socket RTP sender and epoll/recvmmsg receiver of the load
 * generator (see lg_media.h for why a raw socket).
 *
 * Stream s = 2*call + dir; dir 0 is A->B (arrives on the B socket), dir 1 is B->A.
 * Schedule: packet k goes to stream k % n at t0 + (k / n) * interval + (k % n) * interval
 * / n, i.e. the streams' phases are spread evenly over one packet interval. A packet is
 * "measured" when its scheduled time falls in the measurement window, so the number of
 * measured packets sent is exact and independent of the pacer's jitter. Every packet
 * carries its stream index, the run's epoch (late packets of an earlier run are ignored),
 * the measured flag and its send time (CLOCK_REALTIME, compared with the kernel's receive
 * timestamp, so the generator's own wake-up delay is not counted as relay latency). */
#include "bench/lg_media.h"

#include "bench/lg_srtp.h"
#include "bench/procstat.h"
#include "bench/voice.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TX_BATCH 32 /* packets per sendmmsg: each batch gets a fresh send timestamp */
#define RX_BATCH 128
#define RX_BUF 2048
#define NET_HDR 28 /* IPv4 + UDP */
#define RTP_HDR 12
#define MARK_LEN 24
#define MARK_MAGIC 0x524c4231u
#define MEASURED 0x80000000u
#define TICK_NS 500000 /* pacer period */
#define SLOW_DIV 10 /* slow start: a tenth of the rate */

struct mark {
	uint32_t magic, idx, epoch_flags, pad;
	uint64_t tx_ns;
};

struct snap {
	uint64_t t;
	int64_t relay_cpu, self_cpu, rss_kb, others, drops, ipis;
	struct sys_cpu sys;
};

/* Per-stream output sequence tracking of transcoding runs (RFC 3550 A.1 style, without
 * the probation: the relay's output starts a fresh sequence space). */
struct seqtrack {
	uint32_t first, last_ext, count;
};

struct lg_media {
	int raw_fd, rx_fd[2], epfd, tfd;
	unsigned max_streams, nstreams;
	size_t payload, pkt_len, stride;
	size_t len_dir[2];              /* packet length per direction (A->B, B->A) */
	uint32_t ts_step_dir[2];
	const struct msdp_codec *codec_b; /* non-NULL: transcoding run */
	struct seqtrack *seq;
	/* per stream, plain runs: kernel receive time of the last measured arrival and the
	 * longest silence between two of them (CLOCK_REALTIME ns): the media gap a relay
	 * restart leaves, and whether the stream carried media again afterwards */
	uint64_t *last_rx, *max_gap;
	uint64_t win_lo, win_hi;        /* measurement window in CLOCK_REALTIME ns */
	uint64_t untranscoded, sent_all;
	uint64_t t_origin;              /* RTP timestamps count 20 ms slots from here */
	uint64_t interval;              /* current run's packet interval, ns */
	uint32_t net[2];                /* endpoint /16 per side (host order, high 16 bits) */
	uint8_t voice[VOICE_FRAMES][VOICE_FRAME]; /* side A's PCMU payload, speech-like */
	uint8_t *tpl;
	struct sockaddr_in *dst;
	/* --srtp: side A encrypts with tx[call] and decrypts with rx[call] */
	int srtp;
	void **stx, **srx;
	unsigned nsess;
	uint32_t epoch;
	struct hist lat;
	uint64_t sent_meas, recv_meas, recv_all, stale, bad, misrouted, tx_err;
	struct mmsghdr tx[TX_BATCH];
	struct iovec txiov[TX_BATCH];
	uint8_t tx_meas[TX_BATCH];
	struct mmsghdr rx[RX_BATCH];
	struct iovec rxiov[RX_BATCH];
	char rxctl[RX_BATCH][64];
	uint8_t rxbuf[RX_BATCH][RX_BUF];
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int open_rx(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int big = 64 << 20;

	if (fd < 0)
		return -errno;
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; fall back to what rmem_max allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int open_fds(struct lg_media *m, uint16_t a_port, uint16_t b_port)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct itimerspec it = {.it_interval.tv_nsec = TICK_NS, .it_value.tv_nsec = TICK_NS};
	int big = 8 << 20;

	m->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (m->raw_fd < 0)
		return -errno;
	setsockopt(m->raw_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	m->rx_fd[0] = open_rx(a_port);
	if (m->rx_fd[0] < 0)
		return m->rx_fd[0];
	m->rx_fd[1] = open_rx(b_port);
	if (m->rx_fd[1] < 0)
		return m->rx_fd[1];
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->epfd < 0 || m->tfd < 0 || timerfd_settime(m->tfd, 0, &it, NULL) < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, i < 2 ? m->rx_fd[i] : m->tfd, &ev) < 0)
			return -errno;
	}
	return 0;
}

int lg_media_open(struct lg_media **out, uint16_t a_port, uint16_t b_port, unsigned max_streams,
		  size_t payload, const struct msdp_codec *codec_b)
{
	struct lg_media *m;
	int r;

	if (payload < MARK_LEN || payload > RX_BUF - NET_HDR - RTP_HDR)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->raw_fd = m->rx_fd[0] = m->rx_fd[1] = m->epfd = m->tfd = -1;
	m->t_origin = clock_ns(CLOCK_MONOTONIC);
	voice_fill(m->voice);
	m->max_streams = max_streams;
	m->payload = payload;
	m->pkt_len = NET_HDR + RTP_HDR + payload;
	m->codec_b = codec_b && codec_b->pt != msdp_pcmu.pt ? codec_b : NULL;
	m->len_dir[0] = m->len_dir[1] = m->pkt_len;
	m->ts_step_dir[0] = m->ts_step_dir[1] = 160;
	if (m->codec_b) {
		m->len_dir[1] = NET_HDR + RTP_HDR + m->codec_b->bytes;
		m->ts_step_dir[1] = m->codec_b->ts_step;
	}
	m->stride = (m->pkt_len > m->len_dir[1] ? m->pkt_len : m->len_dir[1]);
	m->stride = (m->stride + LG_SRTP_TAG + 63) & ~(size_t)63; /* room for an SRTP tag */
	m->tpl = calloc(max_streams ? max_streams : 1, m->stride);
	m->dst = calloc(max_streams ? max_streams : 1, sizeof(*m->dst));
	m->seq = calloc(max_streams ? max_streams : 1, sizeof(*m->seq));
	m->last_rx = calloc(max_streams ? max_streams : 1, sizeof(*m->last_rx));
	m->max_gap = calloc(max_streams ? max_streams : 1, sizeof(*m->max_gap));
	m->stx = calloc(max_streams / 2 + 1, sizeof(*m->stx));
	m->srx = calloc(max_streams / 2 + 1, sizeof(*m->srx));
	if (!m->tpl || !m->dst || !m->seq || !m->last_rx || !m->max_gap || !m->stx || !m->srx) {
		r = -ENOMEM;
		goto err;
	}
	r = open_fds(m, a_port, b_port);
	if (r)
		goto err;
	for (unsigned i = 0; i < RX_BATCH; i++) {
		m->rxiov[i].iov_base = m->rxbuf[i];
		m->rxiov[i].iov_len = RX_BUF;
	}
	*out = m;
	return 0;
err:
	lg_media_close(m);
	return r;
}

void lg_media_close(struct lg_media *m)
{
	if (!m)
		return;
	int fds[] = {m->raw_fd, m->rx_fd[0], m->rx_fd[1], m->epfd, m->tfd};

	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (unsigned c = 0; c < m->nsess; c++) {
		lg_srtp_free(m->stx[c]);
		lg_srtp_free(m->srx[c]);
	}
	free(m->stx);
	free(m->srx);
	free(m->tpl);
	free(m->dst);
	free(m->seq);
	free(m->last_rx);
	free(m->max_gap);
	free(m);
}

/* One template: IPv4 (checksum and length filled in by the kernel for IPPROTO_RAW), UDP
 * with checksum 0 (none, legal for IPv4), RTP PCMU, marker area, mu-law silence. */
static void build_template(struct lg_media *m, unsigned s, struct in_addr src, uint16_t sport,
			   struct in_addr dst, uint16_t dport)
{
	uint8_t *p = m->tpl + (size_t)s * m->stride;
	struct iphdr *ip = (struct iphdr *)p;
	struct udphdr *udp = (struct udphdr *)(p + 20);
	uint8_t *rtp = p + NET_HDR;
	uint32_t ssrc = htonl(0x10000000u + s);
	uint16_t seq = htons((uint16_t)(s * 7919u));
	size_t len = m->len_dir[s & 1];
	int coded = m->codec_b && (s & 1); /* side B's packets carry codec_b */

	memset(p, coded ? 0x55 : 0xff, len);
	memset(p, 0, NET_HDR + RTP_HDR + (m->codec_b ? 0 : MARK_LEN));
	if (coded && m->codec_b->toc)
		rtp[RTP_HDR] = m->codec_b->toc;
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)len);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = src.s_addr;
	ip->daddr = dst.s_addr;
	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons((uint16_t)(len - 20));
	rtp[0] = 0x80;
	rtp[1] = coded ? m->codec_b->pt : 0; /* PT 0 = PCMU */
	memcpy(rtp + 2, &seq, 2);
	memcpy(rtp + 8, &ssrc, 4);
	m->dst[s] = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = dst};
}

int lg_media_set_calls(struct lg_media *m, const struct lg_call *calls, unsigned ncalls)
{
	uint16_t a_port, b_port;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	if (ncalls * 2 > m->max_streams)
		return -E2BIG;
	if (getsockname(m->rx_fd[0], (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	a_port = ntohs(sa.sin_port);
	sl = sizeof(sa);
	if (getsockname(m->rx_fd[1], (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	b_port = ntohs(sa.sin_port);
	if (ncalls) { /* lg_calls numbers call i as base + i + 1 within one /16 per side */
		m->net[0] = ntohl(calls[0].a_addr.s_addr) >> 16;
		m->net[1] = ntohl(calls[0].b_addr.s_addr) >> 16;
	}
	for (unsigned c = 0; m->srtp && c < m->nsess; c++) {
		lg_srtp_free(m->stx[c]);
		lg_srtp_free(m->srx[c]);
		m->stx[c] = m->srx[c] = NULL;
	}
	m->nsess = 0;
	for (unsigned c = 0; m->srtp && c < ncalls; c++) {
		uint8_t key[LG_SRTP_KEY];

		lg_srtp_key(c, key);
		m->stx[c] = lg_srtp_session(key, 0);
		m->srx[c] = lg_srtp_session(calls[c].relay_key, 1);
		m->nsess = c + 1;
		if (!m->stx[c] || !m->srx[c])
			return -ENOMEM;
	}
	for (unsigned c = 0; c < ncalls; c++) {
		build_template(m, 2 * c, calls[c].a_addr, a_port, calls[c].to_relay_a,
			       calls[c].to_relay_a_port);
		build_template(m, 2 * c + 1, calls[c].b_addr, b_port, calls[c].to_relay_b,
			       calls[c].to_relay_b_port);
	}
	m->nstreams = ncalls * 2;
	return 0;
}

int lg_media_set_srtp(struct lg_media *m, int on)
{
	if (on && !m->srtp) {
		if (lg_srtp_init())
			return -EIO;
		m->len_dir[0] += LG_SRTP_TAG;
	}
	m->srtp = on;
	return 0;
}

const struct hist *lg_media_hist(const struct lg_media *m)
{
	return &m->lat;
}

/* Fills stream s's template for its next packet (scheduled at due) and queues it in tx
 * slot i. The RTP timestamp follows the clock (slots since t_origin), so a pause between
 * runs shows up as a timestamp jump, as it would from a phone; flood counts packets. */
static void queue_packet(struct lg_media *m, unsigned i, unsigned s, int measured, uint64_t rt,
			 uint64_t due)
{
	uint8_t *p = m->tpl + (size_t)s * m->stride, *rtp = p + NET_HDR;
	struct mark mk = {.magic = MARK_MAGIC, .idx = s,
			  .epoch_flags = m->epoch | (measured ? MEASURED : 0), .tx_ns = rt};
	uint16_t seq;
	uint32_t ts;

	memcpy(&seq, rtp + 2, 2);
	seq = htons((uint16_t)(ntohs(seq) + 1));
	memcpy(rtp + 2, &seq, 2);
	if (m->interval > 1000) {
		ts = htonl((uint32_t)(((due - m->t_origin) / m->interval) * m->ts_step_dir[s & 1] +
				      s * 7919u));
	} else {
		memcpy(&ts, rtp + 4, 4);
		ts = htonl(ntohl(ts) + m->ts_step_dir[s & 1]);
	}
	memcpy(rtp + 4, &ts, 4);
	if (!(s & 1) || !m->codec_b) { /* PCMU: speech, after the marker when there is one */
		size_t off = m->codec_b ? 0 : MARK_LEN;
		size_t n = m->payload < VOICE_FRAME ? m->payload : VOICE_FRAME;

		if (n > off)
			memcpy(rtp + RTP_HDR + off, m->voice[ntohs(seq) % VOICE_FRAMES] + off, n - off);
	}
	if (!m->codec_b)
		memcpy(rtp + RTP_HDR, &mk, sizeof(mk));
	if (m->srtp && !(s & 1)) { /* side A: SRTP, the tag fills the template's end */
		size_t len = m->len_dir[0] - NET_HDR - LG_SRTP_TAG;

		if (lg_srtp_protect(m->stx[s / 2], rtp, &len))
			m->tx_err++;
	}
	m->txiov[i] = (struct iovec){.iov_base = p, .iov_len = m->len_dir[s & 1]};
	m->tx[i].msg_hdr = (struct msghdr){.msg_name = &m->dst[s], .msg_namelen = sizeof(m->dst[s]),
					   .msg_iov = &m->txiov[i], .msg_iovlen = 1};
	m->tx_meas[i] = (uint8_t)measured;
	m->sent_all++;
	if (measured)
		m->sent_meas++;
}

/* Sends tx[0..cnt); a packet the kernel refused is taken back out of the measured count
 * (the generator's failure must not be booked as the relay's loss). */
static void flush_tx(struct lg_media *m, unsigned cnt)
{
	unsigned done = 0;

	while (done < cnt) {
		int r = sendmmsg(m->raw_fd, m->tx + done, cnt - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			m->tx_err++;
			m->sent_all--;
			m->sent_meas -= m->tx_meas[done];
			done++;
			continue;
		}
		done += (unsigned)r;
	}
}

struct pacer {
	uint64_t t0, t_ms, t_me, interval, k;
	uint64_t t_flood;     /* flood from here on (t0, or t_ms after a paced warm-up) */
	uint64_t t_slow;      /* before this, every stream sends one packet in SLOW_DIV */
	int flood, sending;
	double lag_max_ms;
};

static int flooding(const struct pacer *pc, uint64_t now)
{
	return pc->flood && now >= pc->t_flood;
}

static uint64_t due_of(const struct pacer *pc, unsigned n)
{
	return pc->t0 + (pc->k / n) * pc->interval + ((pc->k % n) * pc->interval) / n;
}

/* Sends everything due by now (paced) or a few batches (flood). */
static void send_due(struct lg_media *m, struct pacer *pc, uint64_t now)
{
	unsigned n = m->nstreams, batches = 0;
	int flood = flooding(pc, now);

	while (pc->sending && (!flood || batches < 4)) {
		uint64_t rt = clock_ns(CLOCK_REALTIME);
		unsigned cnt = 0;

		for (; cnt < TX_BATCH; pc->k++) {
			uint64_t due = flood ? now : due_of(pc, n);

			if (due >= pc->t_me) {
				pc->sending = 0;
				break;
			}
			if (due > now)
				break;
			if (due < pc->t_slow && (pc->k / n) % SLOW_DIV)
				continue; /* slow start: one round in SLOW_DIV */
			if (!flood && due >= pc->t_ms && (double)(now - due) / 1e6 > pc->lag_max_ms)
				pc->lag_max_ms = (double)(now - due) / 1e6;
			queue_packet(m, cnt++, (unsigned)(pc->k % n), due >= pc->t_ms, rt, due);
		}
		if (!cnt)
			break;
		flush_tx(m, cnt);
		batches++;
		if (cnt < TX_BATCH && !flood)
			break;
	}
}

/* Destination address of a received packet (IP_PKTINFO), 0 when absent. */
static uint32_t rx_dst(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return ntohl(pi.ipi_addr.s_addr);
		}
	}
	return 0;
}

static uint64_t rx_stamp(struct msghdr *h);

/* Transcoding run: the stream is known from the destination address (side A's or side
 * B's /16, e.g. 127.1.x.y and 127.2.x.y, low 16 bits = call + 1), not from a marker. */
static void account_tc(struct lg_media *m, unsigned side, struct mmsghdr *h)
{
	const uint8_t *p = h->msg_hdr.msg_iov->iov_base;
	uint32_t dst = rx_dst(&h->msg_hdr), call, s;
	uint8_t want_pt = side ? m->codec_b->pt : msdp_pcmu.pt;
	uint64_t rx;
	uint16_t seq;
	struct seqtrack *t;

	if (h->msg_len < RTP_HDR || (p[0] & 0xc0) != 0x80 ||
	    (dst >> 16) != m->net[side] || (dst & 0xffff) == 0) {
		m->bad++;
		return;
	}
	call = (dst & 0xffff) - 1;
	s = 2 * call + (side ? 0 : 1);
	if (s >= m->nstreams) {
		m->bad++;
		return;
	}
	if ((p[1] & 0x7f) != want_pt) {
		m->untranscoded++;
		return;
	}
	m->recv_all++;
	rx = rx_stamp(&h->msg_hdr);
	if (rx < m->win_lo || rx >= m->win_hi)
		return;
	m->recv_meas++;
	memcpy(&seq, p + 2, 2);
	seq = ntohs(seq);
	t = &m->seq[s];
	if (!t->count) {
		t->first = t->last_ext = seq;
	} else {
		uint32_t ext = (t->last_ext & ~0xffffu) | seq;

		if (ext + 0x8000u < t->last_ext) /* wrapped forward */
			ext += 0x10000u;
		if (ext > t->last_ext)
			t->last_ext = ext;
	}
	t->count++;
}

static uint64_t rx_stamp(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	return clock_ns(CLOCK_REALTIME);
}

static void account(struct lg_media *m, unsigned side, struct mmsghdr *h)
{
	uint8_t *p = h->msg_hdr.msg_iov->iov_base;
	struct mark mk;

	if (m->srtp && side == 0) { /* side A receives SRTP: decrypt first */
		uint32_t call = (rx_dst(&h->msg_hdr) & 0xffffu) - 1u;
		size_t len = h->msg_len;

		if (call >= m->nsess || lg_srtp_unprotect(m->srx[call], p, &len)) {
			m->bad++;
			return;
		}
		h->msg_len = (unsigned)len;
	}

	if (h->msg_len < RTP_HDR + MARK_LEN) {
		m->bad++;
		return;
	}
	memcpy(&mk, p + RTP_HDR, sizeof(mk));
	if (mk.magic != MARK_MAGIC || mk.idx >= m->nstreams) {
		m->bad++;
		return;
	}
	if ((mk.epoch_flags & ~MEASURED) != m->epoch) {
		m->stale++;
		return;
	}
	if ((mk.idx & 1u) == side) { /* dir 0 (A->B) must arrive on side 1 (B) */
		m->misrouted++;
		return;
	}
	m->recv_all++;
	if (mk.epoch_flags & MEASURED) {
		uint64_t rx = rx_stamp(&h->msg_hdr);

		m->recv_meas++;
		hist_add(&m->lat, rx > mk.tx_ns ? rx - mk.tx_ns : 0);
		if (m->last_rx[mk.idx] && rx > m->last_rx[mk.idx] &&
		    rx - m->last_rx[mk.idx] > m->max_gap[mk.idx])
			m->max_gap[mk.idx] = rx - m->last_rx[mk.idx];
		if (rx > m->last_rx[mk.idx])
			m->last_rx[mk.idx] = rx;
	}
}

static void drain_rx(struct lg_media *m, unsigned side)
{
	for (int iter = 0; iter < 16; iter++) {
		int r;

		for (unsigned i = 0; i < RX_BATCH; i++) {
			m->rx[i].msg_hdr = (struct msghdr){.msg_iov = &m->rxiov[i], .msg_iovlen = 1,
							   .msg_control = m->rxctl[i],
							   .msg_controllen = sizeof(m->rxctl[i])};
		}
		r = recvmmsg(m->rx_fd[side], m->rx, RX_BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			return;
		for (int i = 0; i < r; i++) {
			if (m->codec_b)
				account_tc(m, side, &m->rx[i]);
			else
				account(m, side, &m->rx[i]);
		}
		if (r < RX_BATCH)
			return;
	}
}

static void take_snap(struct snap *s, pid_t relay)
{
	s->t = clock_ns(CLOCK_MONOTONIC);
	s->self_cpu = (int64_t)clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	s->relay_cpu = relay ? proc_cpu_ns(relay) : 0;
	s->rss_kb = relay ? proc_rss_kb(relay) : 0;
	s->others = others_cpu_ns(getpid(), relay);
	s->drops = softnet_drops();
	s->ipis = ipi_count();
	if (sys_cpu_read(&s->sys))
		memset(&s->sys, 0, sizeof(s->sys));
}

static void progress(const struct lg_media *m, const struct lg_point_cfg *cfg,
		     const struct pacer *pc, uint64_t now, uint64_t *last_t, uint64_t *last_rx)
{
	double dt;

	if (now < *last_t || (dt = (double)(now - *last_t) / 1e9) < 1.0)
		return;
	fprintf(stderr, "  [%s] t=%4.1fs %s rx %7.0f pps  measured sent %llu recv %llu%s\n",
		cfg->label ? cfg->label : "run", (double)(now - pc->t0) / 1e9,
		now < pc->t_ms ? "warmup " : (pc->sending ? "measure" : "drain  "),
		(double)(m->recv_all - *last_rx) / dt, (unsigned long long)m->sent_meas,
		(unsigned long long)m->recv_meas, m->tx_err ? "  (tx errors)" : "");
	*last_t = now;
	*last_rx = m->recv_all;
}

/* Plain runs: a call is alive at the end when both its streams had a measured packet
 * arrive in the window's last second; the longest gap is over the streams of those
 * calls (a stream that never came back has no gap that ends). */
static void fill_gaps(const struct lg_media *m, struct lg_point_res *r)
{
	uint64_t tail = m->win_hi > 1000000000ull ? m->win_hi - 1000000000ull : 0;

	r->calls_alive_end = 0;
	r->gap_max_ns = 0;
	if (m->codec_b)
		return;
	for (unsigned c = 0; 2 * c + 1 < m->nstreams; c++) {
		unsigned s0 = 2 * c, s1 = 2 * c + 1;

		if (m->last_rx[s0] < tail || m->last_rx[s1] < tail)
			continue;
		r->calls_alive_end++;
		for (unsigned s = s0; s <= s1; s++)
			if (m->max_gap[s] > r->gap_max_ns)
				r->gap_max_ns = m->max_gap[s];
	}
}

static void fill_result(const struct lg_media *m, const struct lg_point_cfg *cfg,
			const struct snap *a, const struct snap *b, struct lg_point_res *r)
{
	double win = (double)(b->t - a->t);
	double pk = m->recv_meas ? (double)m->recv_meas : 1.0;
	int64_t self = b->self_cpu - a->self_cpu;
	double busy = (double)sys_cpu_busy_ns(&a->sys, &b->sys); /* every core */

	r->calls = m->nstreams / 2;
	r->measure_s = cfg->measure_s;
	r->sent = m->sent_meas;
	r->received = m->recv_meas;
	r->stale = m->stale;
	r->bad = m->bad;
	r->misrouted = m->misrouted;
	r->offered_pps = (double)m->sent_meas / cfg->measure_s;
	r->delivered_pps = (double)m->recv_meas / cfg->measure_s;
	r->loss_pct = m->sent_meas && m->recv_meas < m->sent_meas
		? 100.0 * (double)(m->sent_meas - m->recv_meas) / (double)m->sent_meas : 0.0;
	r->p50_ns = hist_quantile(&m->lat, 0.50);
	r->p99_ns = hist_quantile(&m->lat, 0.99);
	r->max_ns = m->lat.max;
	r->relay_cpu_pct = cfg->relay_pid ? 100.0 * (double)(b->relay_cpu - a->relay_cpu) / win : 0;
	r->relay_ns_per_pkt = cfg->relay_pid ? (double)(b->relay_cpu - a->relay_cpu) / pk : 0;
	r->sys_ns_per_pkt = (busy - (double)self) / pk;
	r->softirq_pct = 100.0 * (double)(b->sys.softirq_ns - a->sys.softirq_ns) / win;
	r->gen_cpu_pct = 100.0 * (double)self / win;
	r->window_s = win / 1e9;
	r->machine_busy_pct = 100.0 * busy / win;
	r->ncores = a->sys.ncpu < SYS_CPU_CORES ? a->sys.ncpu : SYS_CPU_CORES;
	for (unsigned c = 0; c < r->ncores; c++)
		r->core_busy_pct[c] = 100.0 * (double)sys_cpu_core_busy_ns(&a->sys, &b->sys, c) / win;
	r->tick_busy_pct = 100.0 * (double)(b->sys.tick_busy_ns - a->sys.tick_busy_ns) / win;
	r->ipi_per_pkt = a->ipis >= 0 && b->ipis >= 0 ? (double)(b->ipis - a->ipis) / pk : -1;
	r->others_cpu_pct = a->others >= 0 && b->others >= 0
		? 100.0 * (double)(b->others - a->others) / win : 0;
	r->relay_rss_kb = a->rss_kb;
	r->transcode = m->codec_b != NULL;
	r->untranscoded = m->untranscoded;
	r->seq_loss_pct = 0;
	fill_gaps(m, r);
	if (m->codec_b) {
		uint64_t expect = 0, got = 0;

		r->silent_streams = 0;
		r->first_silent = -1;
		for (unsigned s = 0; s < m->nstreams; s++) {
			if (!m->seq[s].count) {
				if (!r->silent_streams++)
					r->first_silent = (int)s;
				continue;
			}
			expect += m->seq[s].last_ext - m->seq[s].first + 1;
			got += m->seq[s].count;
		}
		if (expect > got)
			r->seq_loss_pct = 100.0 * (double)(expect - got) / (double)expect;
		/* Loss: what never arrived, over the whole run after the drain, beyond three
		 * frames per stream that a transcoder may legitimately still hold. The window
		 * deficit (sent in it minus arrived in it) is how much the relay's delay grew
		 * across the window, in time. */
		uint64_t residue = 3ull * m->nstreams; /* frames a pipeline may still hold */

		r->loss_pct = m->sent_all && m->recv_all + residue < m->sent_all
			? 100.0 * (double)(m->sent_all - m->recv_all - residue) /
				  (double)m->sent_all : 0.0;
		if (r->seq_loss_pct > r->loss_pct)
			r->loss_pct = r->seq_loss_pct;
		r->delay_growth_ms = m->sent_meas > m->recv_meas
			? (double)(m->sent_meas - m->recv_meas) / r->offered_pps * 1e3 : 0.0;
	}
}

int lg_media_run(struct lg_media *m, const struct lg_point_cfg *cfg, struct lg_point_res *res)
{
	struct pacer pc = {0};
	struct snap sa = {0}, sb = {0};
	int have_a = 0, have_b = 0;
	uint64_t now, last_t, last_rx = 0, t_end;
	struct epoll_event ev[4];
	int64_t drops;

	if (!m->nstreams || cfg->measure_s <= 0)
		return -EINVAL;
	m->epoch = (m->epoch + 1) & ~MEASURED;
	m->sent_meas = m->recv_meas = m->recv_all = m->stale = m->bad = m->misrouted = 0;
	m->tx_err = m->untranscoded = m->sent_all = 0;
	memset(m->seq, 0, (size_t)m->nstreams * sizeof(*m->seq));
	memset(m->last_rx, 0, (size_t)m->nstreams * sizeof(*m->last_rx));
	memset(m->max_gap, 0, (size_t)m->nstreams * sizeof(*m->max_gap));
	hist_reset(&m->lat);
	pc.flood = cfg->pps <= 0;
	pc.interval = pc.flood ? (cfg->warmup_pps > 0 ? (uint64_t)(1e9 / cfg->warmup_pps) : 1)
			       : (uint64_t)(1e9 / cfg->pps);
	m->interval = pc.flood ? 1 : pc.interval; /* flood: timestamps count packets */
	pc.t0 = clock_ns(CLOCK_MONOTONIC) + 1000000;
	pc.t_ms = pc.t0 + (uint64_t)(cfg->warmup_s * 1e9);
	pc.t_me = pc.t_ms + (uint64_t)(cfg->measure_s * 1e9);
	pc.t_flood = pc.flood && cfg->warmup_pps > 0 ? pc.t_ms : pc.t0;
	pc.t_slow = pc.t0 + (uint64_t)((cfg->slow_s < cfg->warmup_s ? cfg->slow_s : cfg->warmup_s) *
				       1e9);
	pc.sending = 1;
	t_end = pc.t_me + (uint64_t)(cfg->drain_s * 1e9);
	/* Transcoding runs count arrivals by kernel receive time inside the window. */
	m->win_lo = pc.t_ms + (clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	m->win_hi = m->win_lo + (pc.t_me - pc.t_ms);
	last_t = pc.t0;
	for (;;) {
		int n = epoll_wait(m->epfd, ev, 4,
				   flooding(&pc, clock_ns(CLOCK_MONOTONIC)) && pc.sending ? 0 : 5);

		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 < 2) {
				drain_rx(m, ev[i].data.u32);
			} else {
				uint64_t exp;

				if (read(m->tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					return -errno;
			}
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (!have_a && now >= pc.t_ms) {
			take_snap(&sa, cfg->relay_pid);
			have_a = 1;
		}
		if (!have_b && now >= pc.t_me) {
			take_snap(&sb, cfg->relay_pid);
			have_b = 1;
		}
		if (pc.sending && now >= pc.t0)
			send_due(m, &pc, now);
		if (!pc.sending && have_b &&
		    ((!m->codec_b && m->recv_meas >= m->sent_meas) || now >= t_end))
			break;
		progress(m, cfg, &pc, now, &last_t, &last_rx);
	}
	fill_result(m, cfg, &sa, &sb, res);
	/* from the window's start to the end of the drain: where the measured packets went */
	drops = softnet_drops();
	res->backlog_drops = drops >= 0 && sa.drops >= 0 ? drops - sa.drops : -1;
	res->gen_lag_max_ms = pc.lag_max_ms;
	if (m->tx_err)
		fprintf(stderr, "  warning: %llu generator send errors (not counted as loss)\n",
			(unsigned long long)m->tx_err);
	return 0;
}
