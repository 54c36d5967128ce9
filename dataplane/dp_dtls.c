/*
 * dp_dtls.c: DTLS datagrams on a worker (docs/architecture.md, DTLS-SRTP).
 *
 * A worker never runs a DTLS handshake: signing and verifying (ECDSA here,
 * RSA from some peers) would stall every stream of the worker for the
 * duration. An endpoint with DP_DTLS hands every datagram whose first byte
 * is 20..63 (RFC 7983) to dp_dtls_rx, which
 *   - drops it unless it comes from the stream's current remote (the
 *     ICE-nominated pair with DP_ICE_LATCH, else the SDP or latched
 *     address): a ClientHello from anywhere else starts nothing;
 *   - drops it unless its framing is DTLS records (dtls_records_ok);
 *   - charges the stream's token bucket (DP_DTLS_RATE per second, burst
 *     DP_DTLS_BURST), so a flood from the right address costs the control
 *     thread a bounded amount of work per stream;
 *   - copies it into one bounded queue (DP_DTLS_QUEUE, shared by the
 *     workers under a mutex: only DTLS datagrams take it, a handful per
 *     call) and wakes the control thread through an eventfd.
 * Every drop is counted on the endpoint. The control thread
 * (daemon/dtls_media.c) feeds the handshake and sends its output from the
 * same socket (dp_endpoint_send).
 */
#include "dataplane/dp_endpoint.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dtls/dtls.h"

static struct {
	pthread_mutex_t lock;
	pthread_once_t once;
	int efd;
	unsigned head, n;
	struct dp_dtls_datagram q[DP_DTLS_QUEUE];
} dq = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT, .efd = -1 };

static void dq_init(void)
{
	dq.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int dp_dtls_fd(void)
{
	pthread_once(&dq.once, dq_init);
	return dq.efd;
}

void dp_dtls_apply(struct dp_endpoint *ep, const struct dp_endpoint_params *p, uint64_t now_ms)
{
	if (!(p->flags & DP_DTLS)) {
		ep->dtls_id = 0;
		return;
	}
	if (ep->dtls_id != p->dtls_id) {
		ep->dtls_tokens = DP_DTLS_BURST;
		ep->dtls_fill_ms = now_ms;
	}
	ep->dtls_id = p->dtls_id;
}

/* The token bucket: one token per datagram. */
static bool take_token(struct dp_endpoint *ep, uint64_t now_ms)
{
	uint64_t gained = (now_ms - ep->dtls_fill_ms) * DP_DTLS_RATE / 1000u;

	if (gained) {
		uint64_t t = ep->dtls_tokens + gained;
		ep->dtls_tokens = t > DP_DTLS_BURST ? DP_DTLS_BURST : (uint32_t)t;
		ep->dtls_fill_ms = now_ms;
	}
	if (!ep->dtls_tokens)
		return false;
	ep->dtls_tokens--;
	return true;
}

void dp_dtls_rx(struct dp_worker *w, struct dp_endpoint *ep, const struct dp_slot *s, size_t len)
{
	if (!ep->latch.remote.sa.sa_family || !dp_addr_eq(&s->src, &ep->latch.remote)) {
		DP_ADD(ep->pub.dtls_wrong_src, 1);
		return;
	}
	if (len > DP_DTLS_MAX || !dtls_records_ok(s->buf, len)) {
		DP_ADD(ep->pub.dtls_bad, 1);
		return;
	}
	if (!take_token(ep, w->now_ms)) {
		DP_ADD(ep->pub.dtls_limited, 1);
		return;
	}
	bool wake = false, queued = false;

	pthread_mutex_lock(&dq.lock);
	if (dq.n < DP_DTLS_QUEUE) {
		struct dp_dtls_datagram *d = &dq.q[(dq.head + dq.n) % DP_DTLS_QUEUE];

		d->id = ep->dtls_id;
		memset(&d->src, 0, sizeof(d->src));
		memcpy(&d->src, &s->src, dp_addr_len(&s->src));
		d->len = len;
		memcpy(d->buf, s->buf, len);
		wake = dq.n == 0;
		dq.n++;
		queued = true;
	}
	pthread_mutex_unlock(&dq.lock);
	if (!queued) {
		DP_ADD(ep->pub.dtls_limited, 1);
		return;
	}
	DP_ADD(ep->pub.dtls_queued, 1);
	if (wake) {
		uint64_t one = 1;
		if (write(dp_dtls_fd(), &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is already nonzero, the loop will wake */
		}
	}
}

unsigned dp_dtls_drain(struct dp_dtls_datagram *out, unsigned max)
{
	uint64_t v;
	unsigned k = 0;

	if (read(dp_dtls_fd(), &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing signalled; the queue is looked at anyway */
	}
	pthread_mutex_lock(&dq.lock);
	while (dq.n && k < max) {
		out[k++] = dq.q[dq.head];
		dq.head = (dq.head + 1) % DP_DTLS_QUEUE;
		dq.n--;
	}
	bool more = dq.n != 0;
	pthread_mutex_unlock(&dq.lock);
	if (more) { /* the caller stopped at @max: come back */
		uint64_t one = 1;
		if (write(dp_dtls_fd(), &one, sizeof(one)) < 0) {
			/* EAGAIN: already signalled */
		}
	}
	return k;
}

int dp_endpoint_send(struct dp_endpoint *ep, const void *buf, size_t len)
{
	struct dp_stats st;
	socklen_t sl;

	dp_pub_read(ep, &st);
	if (st.remote.ss_family == AF_INET)
		sl = sizeof(struct sockaddr_in);
	else if (st.remote.ss_family == AF_INET6)
		sl = sizeof(struct sockaddr_in6);
	else
		return -ENOTCONN;
	if (sendto(ep->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&st.remote, sl) < 0)
		return -errno;
	return 0;
}

void dp_endpoint_dtls_stats(const struct dp_endpoint *ep, struct dp_dtls_stats *out)
{
	out->queued = DP_GET(ep->pub.dtls_queued);
	out->bad = DP_GET(ep->pub.dtls_bad);
	out->wrong_src = DP_GET(ep->pub.dtls_wrong_src);
	out->limited = DP_GET(ep->pub.dtls_limited);
}
