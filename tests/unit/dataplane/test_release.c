/*
 * test_release.c: releasing endpoints gives back every fd and every byte the
 * data plane allocated for them (mallinfo2), round after round, whatever
 * the order of release of endpoints that forward to each other.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>

#include "dataplane/dataplane.h"
#include "dp_test_util.h"

#define PAIRS 300

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void one_round(int round)
{
	static struct dp_endpoint *ep[2 * PAIRS];
	struct sockaddr_storage addr[2 * PAIRS];

	for (int i = 0; i < 2 * PAIRS; i++) {
		int fd = tu_socket(i & 1, 1, &addr[i]);
		assert_true(fd >= 0);
		ep[i] = dp_endpoint_new(fd, (unsigned)(i / 2) % dp_num_workers());
		assert_non_null(ep[i]);
	}
	for (int i = 0; i < 2 * PAIRS; i++) {
		struct dp_endpoint_params p;
		memset(&p, 0, sizeof(p));
		p.sdp_remote = addr[i ^ 1];
		p.fwd_rtp = ep[i ^ 1];
		p.fwd_rtcp = ep[i ^ 1];
		assert_int_equal(dp_endpoint_set(ep[i], &p), 0);
	}
	/* Release in an order that leaves the partner still pointing at the
	 * released endpoint (the worker must clear that pointer). */
	for (int i = 0; i < 2 * PAIRS; i++)
		dp_endpoint_release(ep[(round & 1) ? 2 * PAIRS - 1 - i : i]);
	assert_int_equal(dp_sync(), 0);
}

static void test_release_frees_everything(void **state)
{
	(void)state;
	int fds0 = count_fds();

	one_round(0); /* warm up: thread caches, first allocations */
	struct mallinfo2 m0 = mallinfo2();
	for (int r = 1; r <= 20; r++) {
		one_round(r);
		assert_int_equal(count_fds(), fds0);
	}
	struct mallinfo2 m1 = mallinfo2();
	/* in-use heap bytes back to where they were. The slack is what glibc
	 * keeps: the workers free endpoints and commands into their own thread
	 * caches (up to 7 chunks per size each), which count as in use here.
	 * Losing even the smallest chunk (32 bytes) per endpoint would show as
	 * 20 rounds x 600 endpoints x 32 bytes = 384 KB. */
	assert_true(m1.uordblks <= m0.uordblks + 64 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_frees_everything),
	};
	return cmocka_run_group_tests(tests, tu_dp_setup, tu_dp_teardown);
}
