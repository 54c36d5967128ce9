/*
 * test_stream_api.c: the map manager's contract: read/del of an unknown
 * stream fail with -ENOENT, a re-add moves the stream to its new endpoint and
 * keeps the counters, a delete gives the packets back to the stack, mixed
 * address families are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "kernel-offload/offload.h"
#include "tests/unit/offload/fixture.h"

/* send one RTP packet to @local; returns its UDP destination port on the way out */
static uint16_t send_one(const struct sockaddr_storage *local, uint8_t *out, size_t *out_len)
{
	struct sockaddr_storage from = fx_sa("127.0.0.2", 5000);
	uint8_t rtp[200], pkt[FX_MAX_PKT];
	size_t len = fx_packet(pkt, &from, local, rtp, fx_rtp(rtp, 0, 1, 1, 100), true);

	assert_int_equal(fx_run(pkt, len, out, out_len), TC_ACT_OK);
	return (uint16_t)(out[ETH_HLEN + 20 + 2] << 8 | out[ETH_HLEN + 20 + 3]);
}

static void unknown_stream(void **state)
{
	struct sockaddr_storage local = fx_sa("127.0.0.1", 31000);
	struct offload_counters c;

	(void)state;
	fx_require();
	assert_int_equal(offload_stream_read(&local, &c), -ENOENT);
	assert_int_equal(offload_stream_del(&local), -ENOENT);
}

static void readd_moves_and_keeps_counters(void **state)
{
	struct offload_stream s = {
		.local = fx_sa("127.0.0.1", 31000), .src = fx_sa("127.0.0.1", 31002),
		.dst = fx_sa("127.0.0.3", 6000),
	};
	uint8_t out[FX_MAX_PKT];
	struct offload_counters c;
	size_t out_len;

	(void)state;
	fx_require();
	assert_int_equal(offload_stream_add(&s), 0);
	assert_int_equal(send_one(&s.local, out, &out_len), 6000);
	s.dst = fx_sa("127.0.0.4", 7000);
	assert_int_equal(offload_stream_add(&s), 0);
	assert_int_equal(send_one(&s.local, out, &out_len), 7000);
	assert_memory_equal(out + ETH_HLEN + 16, "\x7f\x00\x00\x04", 4);
	assert_true(fx_udp_csum_ok(out, out_len));
	assert_int_equal(offload_stream_read(&s.local, &c), 0);
	assert_int_equal(c.packets, 2);

	/* deleted: the packet reaches the stack as it came */
	assert_int_equal(offload_stream_del(&s.local), 0);
	assert_int_equal(send_one(&s.local, out, &out_len), 31000);
	assert_int_equal(offload_stream_read(&s.local, &c), -ENOENT);
}

static void mixed_families_are_refused(void **state)
{
	struct offload_stream s = {
		.local = fx_sa("127.0.0.1", 31010), .src = fx_sa("::1", 31012),
		.dst = fx_sa("127.0.0.3", 6000),
	};
	struct offload_counters c;

	(void)state;
	fx_require();
	assert_int_equal(offload_stream_add(&s), -EINVAL);
	s.src = fx_sa("127.0.0.1", 31012);
	s.expect = fx_sa("::1", 5000);
	assert_int_equal(offload_stream_add(&s), -EINVAL);
	assert_int_equal(offload_stream_read(&s.local, &c), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_stream),
		cmocka_unit_test(readd_moves_and_keeps_counters),
		cmocka_unit_test(mixed_families_are_refused),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
