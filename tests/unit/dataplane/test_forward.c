/*
 * test_forward.c: the data plane forwards real UDP packets between loopback
 * sockets, both ways, IPv4 and IPv6, RTP and RTCP (muxed and not), and counts
 * them; DP_FORWARD_PT_ONLY passes only the payload types it names; releasing
 * an endpoint closes its socket.
 *
 *   phone A (pa) <──> ea [relay] eb <──> phone B (pb)
 * A packet A sends to ea leaves eb towards pb, and back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dataplane/dataplane.h"
#include "dp_test_util.h"

struct pair {
	int pa, pb;				/* phones */
	struct sockaddr_storage a, b;		/* phone addresses */
	struct sockaddr_storage ra, rb;		/* relay endpoint addresses */
	struct dp_endpoint *ea, *eb;
};

static void params_for(struct dp_endpoint_params *p, const struct sockaddr_storage *sdp,
		       struct dp_endpoint *fwd, uint32_t flags)
{
	memset(p, 0, sizeof(*p));
	p->sdp_remote = *sdp;
	p->fwd_rtp = fwd;
	p->flags = flags;
}

static void pair_open(struct pair *x, int v6, const char *callid)
{
	unsigned w = dp_worker_for_key(callid);
	int fa, fb;

	x->pa = tu_socket(v6, 0, &x->a);
	x->pb = tu_socket(v6, 0, &x->b);
	fa = tu_socket(v6, 1, &x->ra);
	fb = tu_socket(v6, 1, &x->rb);
	assert_true(x->pa >= 0 && x->pb >= 0 && fa >= 0 && fb >= 0);
	x->ea = dp_endpoint_new(fa, w);
	x->eb = dp_endpoint_new(fb, w);
	assert_non_null(x->ea);
	assert_non_null(x->eb);

	struct dp_endpoint_params p;
	params_for(&p, &x->a, x->eb, 0);
	assert_int_equal(dp_endpoint_set(x->ea, &p), 0);
	params_for(&p, &x->b, x->ea, 0);
	assert_int_equal(dp_endpoint_set(x->eb, &p), 0);
	assert_int_equal(dp_sync(), 0);
}

static void pair_close(struct pair *x)
{
	dp_endpoint_release(x->ea);
	dp_endpoint_release(x->eb);
	assert_int_equal(dp_sync(), 0);
	close(x->pa);
	close(x->pb);
}

/* Send @n RTP packets from @from to relay @to; each must arrive at @sink
 * unchanged, from @via (the other relay endpoint). */
static void push(int from, const struct sockaddr_storage *to, int sink,
		 const struct sockaddr_storage *via, uint32_t ssrc, int n)
{
	uint8_t out[200], in[300];
	struct sockaddr_storage src;

	for (int i = 0; i < n; i++) {
		size_t len = tu_rtp(out, 0, (uint16_t)(1000 + i), 160u * i, ssrc, 160);
		assert_int_equal(tu_send(from, out, len, to), 0);
		ssize_t got = tu_recv(sink, in, sizeof(in), &src);
		assert_int_equal(got, (ssize_t)len);
		assert_memory_equal(in, out, len);
		assert_true(tu_same_port(&src, via));
	}
}

static void both_ways(int v6)
{
	struct pair x;
	struct dp_stats st;
	struct dp_totals t0, t1;

	dp_totals(&t0);
	pair_open(&x, v6, v6 ? "call-v6" : "call-v4");
	push(x.pa, &x.ra, x.pb, &x.rb, 0x11111111, 20);
	push(x.pb, &x.rb, x.pa, &x.ra, 0x22222222, 10);
	assert_int_equal(dp_sync(), 0);

	dp_endpoint_stats(x.ea, &st);
	assert_int_equal(st.packets, 20);
	assert_int_equal(st.forwarded, 20);
	assert_int_equal(st.bytes, 20 * 172);
	assert_int_equal(st.ssrc, 0x11111111);
	assert_int_equal(st.lost, 0);
	/* A.1: the first packet is the probation one; 19 counted. */
	assert_int_equal(st.expected, 19);
	assert_int_equal(st.dropped_source + st.dropped_other, 0);
	assert_true(st.last_packet_ms > 0);
	assert_true(st.last_packet_wall > 1600000000u);
	assert_true(tu_same_port(&st.remote, &x.a));
	assert_false(st.latched);

	dp_endpoint_stats(x.eb, &st);
	assert_int_equal(st.packets, 10);
	assert_int_equal(st.forwarded, 10);
	assert_int_equal(st.ssrc, 0x22222222);

	dp_totals(&t1);
	assert_int_equal(t1.packets - t0.packets, 30);
	assert_int_equal(t1.forwarded - t0.forwarded, 30);
	assert_int_equal(t1.bytes - t0.bytes, 30 * 172);
	pair_close(&x);
}

static void test_both_ways_v4(void **state)
{
	(void)state;
	both_ways(0);
}

static void test_both_ways_v6(void **state)
{
	(void)state;
	both_ways(1);
}

/* Many packets at once: recvmmsg/sendmmsg batches, nothing lost. */
static void test_burst(void **state)
{
	(void)state;
	struct pair x;
	uint8_t out[200], in[300];
	enum { N = 200 };

	pair_open(&x, 0, "call-burst");
	for (int i = 0; i < N; i++) {
		size_t len = tu_rtp(out, 8, (uint16_t)i, 160u * i, 0x33, 160);
		assert_int_equal(tu_send(x.pa, out, len, &x.ra), 0);
	}
	for (int i = 0; i < N; i++) {
		ssize_t got = tu_recv(x.pb, in, sizeof(in), NULL);
		assert_int_equal(got, 172);
		/* order is kept */
		assert_int_equal((in[2] << 8) | in[3], i);
	}
	assert_int_equal(dp_sync(), 0);
	struct dp_stats st;
	dp_endpoint_stats(x.ea, &st);
	assert_int_equal(st.forwarded, N);
	pair_close(&x);
}

/* Until the first dp_endpoint_set an endpoint drops (and counts). */
static void test_disabled_until_set(void **state)
{
	(void)state;
	struct sockaddr_storage ra, a;
	int pa = tu_socket(0, 0, &a);
	int fd = tu_socket(0, 1, &ra);
	struct dp_endpoint *ep = dp_endpoint_new(fd, 0);
	uint8_t out[64];

	assert_non_null(ep);
	assert_int_equal(dp_sync(), 0);
	size_t len = tu_rtp(out, 0, 1, 0, 1, 20);
	assert_int_equal(tu_send(pa, out, len, &ra), 0);
	assert_true(tu_silent(pa, 100));
	struct dp_stats st;
	dp_endpoint_stats(ep, &st);
	assert_int_equal(st.dropped_other, 1);
	assert_int_equal(st.packets, 0);
	dp_endpoint_release(ep);
	assert_int_equal(dp_sync(), 0);
	close(pa);
}

/* Release closes the socket the data plane owns. */
static void test_release_closes_fd(void **state)
{
	(void)state;
	struct pair x;
	pair_open(&x, 0, "call-release");
	int fd = -1;
	/* the relay fds are the ones tu_socket gave; find ea's by its port */
	for (int i = 3; i < 1024; i++) {
		struct sockaddr_storage s;
		socklen_t l = sizeof(s);
		if (getsockname(i, (struct sockaddr *)&s, &l) == 0 && s.ss_family == AF_INET &&
		    tu_same_port(&s, &x.ra)) {
			fd = i;
			break;
		}
	}
	assert_true(fd >= 0);
	pair_close(&x);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

/*
 * rtcp-mux on A's side, RTP + RTCP ports on B's side (RFC 5761):
 *   pa <──RTP+RTCP──> ea [relay] eb_rtp <──RTP──> pb_rtp
 *                               eb_rtcp <──RTCP─> pb_rtcp
 */
static void test_rtcp_mux_to_non_mux(void **state)
{
	(void)state;
	struct sockaddr_storage a, b, bc, ra, rb, rbc, src;
	int pa = tu_socket(0, 0, &a), pb = tu_socket(0, 0, &b), pbc = tu_socket(0, 0, &bc);
	unsigned w = dp_worker_for_key("call-mux");
	struct dp_endpoint *ea = dp_endpoint_new(tu_socket(0, 1, &ra), w);
	struct dp_endpoint *eb = dp_endpoint_new(tu_socket(0, 1, &rb), w);
	struct dp_endpoint *ebc = dp_endpoint_new(tu_socket(0, 1, &rbc), w);
	struct dp_endpoint_params p;
	uint8_t out[200], in[300];

	assert_true(ea && eb && ebc);
	params_for(&p, &a, eb, DP_RTCP_MUX);
	p.fwd_rtcp = ebc;
	assert_int_equal(dp_endpoint_set(ea, &p), 0);
	params_for(&p, &b, ea, 0);
	assert_int_equal(dp_endpoint_set(eb, &p), 0);
	params_for(&p, &bc, NULL, DP_RTCP);
	p.fwd_rtcp = ea;
	assert_int_equal(dp_endpoint_set(ebc, &p), 0);
	assert_int_equal(dp_sync(), 0);

	/* A's RTP goes to B's RTP port, A's RTCP to B's RTCP port. */
	size_t len = tu_rtp(out, 0, 7, 0, 0xa, 160);
	assert_int_equal(tu_send(pa, out, len, &ra), 0);
	assert_int_equal(tu_recv(pb, in, sizeof(in), &src), (ssize_t)len);
	assert_true(tu_same_port(&src, &rb));
	len = tu_rtcp_rr(out, 0xa);
	assert_int_equal(tu_send(pa, out, len, &ra), 0);
	assert_int_equal(tu_recv(pbc, in, sizeof(in), &src), (ssize_t)len);
	assert_true(tu_same_port(&src, &rbc));
	assert_true(tu_silent(pb, 50));

	/* B's RTCP and RTP both reach A's single port from ea. */
	len = tu_rtcp_rr(out, 0xb);
	assert_int_equal(tu_send(pbc, out, len, &rbc), 0);
	assert_int_equal(tu_recv(pa, in, sizeof(in), &src), (ssize_t)len);
	assert_true(tu_same_port(&src, &ra));
	assert_int_equal(in[1], 201);
	len = tu_rtp(out, 0, 9, 0, 0xb, 160);
	assert_int_equal(tu_send(pb, out, len, &rb), 0);
	assert_int_equal(tu_recv(pa, in, sizeof(in), &src), (ssize_t)len);
	assert_true(tu_same_port(&src, &ra));

	/* RTCP is not RTP: ea's RTP stats only saw the RTP packet. */
	assert_int_equal(dp_sync(), 0);
	struct dp_stats st;
	dp_endpoint_stats(ea, &st);
	assert_int_equal(st.packets, 2);
	assert_int_equal(st.ssrc, 0xa);
	dp_endpoint_release(ea);
	dp_endpoint_release(eb);
	dp_endpoint_release(ebc);
	assert_int_equal(dp_sync(), 0);
	close(pa);
	close(pb);
	close(pbc);
}

/* Endpoints that forward to each other must share a worker. */
static void test_cross_worker_rejected(void **state)
{
	(void)state;
	struct sockaddr_storage r0, r1;
	struct dp_endpoint *e0 = dp_endpoint_new(tu_socket(0, 1, &r0), 0);
	struct dp_endpoint *e1 = dp_endpoint_new(tu_socket(0, 1, &r1), 1);
	struct dp_endpoint_params p;

	assert_true(e0 && e1);
	params_for(&p, &r1, e1, 0);
	assert_int_equal(dp_endpoint_set(e0, &p), -EXDEV);
	dp_endpoint_release(e0);
	dp_endpoint_release(e1);
	assert_int_equal(dp_sync(), 0);
}

/* dp_endpoints_set is all or nothing: one bad entry and no endpoint of the
 * batch changes (the first one still drops, as before any set). */
static void test_batch_all_or_nothing(void **state)
{
	(void)state;
	struct pair x;
	struct sockaddr_storage r1;
	/* tu_dp_setup starts two workers: e1 lives on the other one */
	unsigned other = dp_worker_for_key("call-batch") ^ 1;
	struct dp_endpoint *e1 = dp_endpoint_new(tu_socket(0, 1, &r1), other);
	struct dp_endpoint_params ps[2];
	struct dp_stats st;
	uint8_t out[200], in[300];

	pair_open(&x, 0, "call-batch");
	assert_non_null(e1);
	/* ea would stop forwarding; eb would forward into another worker */
	params_for(&ps[0], &x.a, NULL, DP_DISABLED);
	params_for(&ps[1], &x.b, e1, 0);
	struct dp_endpoint *eps[2] = {x.ea, x.eb};
	assert_int_equal(dp_endpoints_set(eps, ps, 2), -EXDEV);
	assert_int_equal(dp_sync(), 0);
	size_t len = tu_rtp(out, 0, 1, 0, 0xa, 20);
	assert_int_equal(tu_send(x.pa, out, len, &x.ra), 0);
	assert_int_equal(tu_recv(x.pb, in, sizeof(in), NULL), (ssize_t)len);
	assert_int_equal(dp_sync(), 0);		/* counters after the send */
	dp_endpoint_stats(x.ea, &st);
	assert_int_equal(st.forwarded, 1);
	dp_endpoint_release(e1);
	pair_close(&x);
}

/* DP_FORWARD_PT_ONLY: only RTP with a full header and a payload type in
 * forward_pt goes on; the rest is dropped and counted. */
static void test_forward_pt_only(void **state)
{
	(void)state;
	struct pair x;
	struct dp_endpoint_params p;
	struct dp_stats st;
	uint8_t out[200], in[300];

	pair_open(&x, 0, "call-fwd-pt");
	params_for(&p, &x.a, x.eb, DP_FORWARD_PT_ONLY);
	p.forward_pt[0] = 1u << 0;	/* PCMU only */
	assert_int_equal(dp_endpoint_set(x.ea, &p), 0);
	assert_int_equal(dp_sync(), 0);

	size_t len = tu_rtp(out, 8, 1, 0, 0x44, 160);	/* PCMA: not offered */
	assert_int_equal(tu_send(x.pa, out, len, &x.ra), 0);
	len = tu_rtp(out, 0, 2, 160, 0x44, 160);	/* truncated to 4 bytes */
	assert_int_equal(tu_send(x.pa, out, 4, &x.ra), 0);
	assert_true(tu_silent(x.pb, 50));
	assert_int_equal(tu_send(x.pa, out, len, &x.ra), 0);
	assert_int_equal(tu_recv(x.pb, in, sizeof(in), NULL), (ssize_t)len);
	assert_int_equal(dp_sync(), 0);
	dp_endpoint_stats(x.ea, &st);
	assert_int_equal(st.packets, 3);
	assert_int_equal(st.dropped_other, 2);
	assert_int_equal(st.forwarded, 1);
	pair_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways_v4),
		cmocka_unit_test(test_both_ways_v6),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_disabled_until_set),
		cmocka_unit_test(test_release_closes_fd),
		cmocka_unit_test(test_rtcp_mux_to_non_mux),
		cmocka_unit_test(test_cross_worker_rejected),
		cmocka_unit_test(test_batch_all_or_nothing),
		cmocka_unit_test(test_forward_pt_only),
	};
	return cmocka_run_group_tests(tests, tu_dp_setup, tu_dp_teardown);
}
