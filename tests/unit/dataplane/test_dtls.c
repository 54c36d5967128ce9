/*
 * test_dtls.c: DTLS datagrams on a worker (dataplane/dp_dtls.c) with real UDP:
 * a DTLS record from the stream's remote is queued for the control thread
 * with the stream's id (dp_dtls_drain) and never forwarded as media; one from
 * another address, or a malformed one, is dropped and counted; a flood is cut
 * to the burst budget; dp_endpoint_send leaves the stream's socket towards
 * its remote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>

#include "dataplane/dataplane.h"
#include "dp_test_util.h"

static const uint8_t hello[] = { 22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4, 1, 0, 0, 0 };

/* Wait until the queue signals, then take what is there. */
static unsigned drain(struct dp_dtls_datagram *out, unsigned max)
{
	struct pollfd pfd = { .fd = dp_dtls_fd(), .events = POLLIN };

	(void)poll(&pfd, 1, 500);
	return dp_dtls_drain(out, max);
}

static void queued_checked_limited(void **state)
{
	(void)state;
	static struct dp_dtls_datagram dg[64];
	unsigned w = dp_worker_for_key("dtls-call");
	struct sockaddr_storage a, x, b, ra, rb, from;
	int pa = tu_socket(0, 0, &a), px = tu_socket(0, 0, &x), pb = tu_socket(0, 0, &b);
	int fa = tu_socket(0, 1, &ra), fb = tu_socket(0, 1, &rb);
	struct dp_endpoint *ea = dp_endpoint_new(fa, w), *eb = dp_endpoint_new(fb, w);
	struct dp_endpoint_params p;
	struct dp_dtls_stats ds;
	uint8_t buf[64];

	assert_non_null(ea);
	assert_non_null(eb);
	memset(&p, 0, sizeof(p));
	p.sdp_remote = a;
	p.fwd_rtp = eb;
	p.flags = DP_SRTP | DP_SRTP_PARTY | DP_DTLS | DP_RTCP_MUX;
	p.dtls_id = 77;
	assert_int_equal(dp_endpoint_set(ea, &p), 0);
	memset(&p, 0, sizeof(p));
	p.sdp_remote = b;
	p.fwd_rtp = ea;
	p.flags = DP_SRTP;
	assert_int_equal(dp_endpoint_set(eb, &p), 0);
	assert_int_equal(dp_sync(), 0);

	/* from the remote: queued with the id, not forwarded */
	assert_int_equal(tu_send(pa, hello, sizeof(hello), &ra), 0);
	assert_int_equal(drain(dg, 64), 1);
	assert_int_equal(dg[0].id, 77);
	assert_int_equal(dg[0].len, sizeof(hello));
	assert_memory_equal(dg[0].buf, hello, sizeof(hello));
	assert_true(tu_same_port(&dg[0].src, &a));
	assert_true(tu_silent(pb, 100));

	/* from elsewhere, and malformed: dropped, counted */
	assert_int_equal(tu_send(px, hello, sizeof(hello), &ra), 0);
	uint8_t bad[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1 };
	assert_int_equal(tu_send(pa, bad, sizeof(bad), &ra), 0);
	assert_int_equal(tu_send(pa, bad, 3, &ra), 0);
	assert_int_equal(dp_sync(), 0);
	assert_true(tu_silent(pb, 100));
	dp_endpoint_dtls_stats(ea, &ds);
	assert_int_equal(ds.queued, 1);
	assert_int_equal(ds.wrong_src, 1);
	assert_int_equal(ds.bad, 2);

	/* a flood: the burst budget (less the one already spent) is queued */
	for (unsigned i = 0; i < 2 * DP_DTLS_BURST; i++)
		assert_int_equal(tu_send(pa, hello, sizeof(hello), &ra), 0);
	assert_true(tu_silent(pb, 200));
	unsigned got = 0, n;
	while ((n = drain(dg, 64)) > 0)
		got += n;
	dp_endpoint_dtls_stats(ea, &ds);
	assert_true(got >= DP_DTLS_BURST - 1 && got <= DP_DTLS_BURST + 2);
	assert_int_equal(ds.queued, 1 + got);
	assert_int_equal(ds.limited, 2 * DP_DTLS_BURST - got);

	/* the control thread's answer leaves ea's socket towards A */
	assert_int_equal(dp_endpoint_send(ea, "\x16reply", 6), 0);
	assert_int_equal(tu_recv(pa, buf, sizeof(buf), &from), 6);
	assert_true(tu_same_port(&from, &ra));

	dp_endpoint_release(ea);
	dp_endpoint_release(eb);
	close(pa);
	close(px);
	close(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(queued_checked_limited, tu_dp_setup,
						tu_dp_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
