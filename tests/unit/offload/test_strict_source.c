/*
 * test_strict_source.c: with strict source, packets from any address or port
 * other than the expected one are dropped in the kernel (TC_ACT_SHOT) and
 * counted; the expected source is still forwarded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include <linux/pkt_cls.h>

#include "kernel-offload/offload.h"
#include "tests/unit/offload/fixture.h"

static int send_from(const struct offload_stream *s, const char *addr, uint16_t port)
{
	struct sockaddr_storage from = fx_sa(addr, port);
	uint8_t rtp[200], pkt[FX_MAX_PKT], out[FX_MAX_PKT];
	size_t len, out_len;

	len = fx_packet(pkt, &from, &s->local, rtp, fx_rtp(rtp, 0, 9, 7, 160), true);
	return fx_run(pkt, len, out, &out_len);
}

static void strict_source_drops_others(void **state)
{
	struct offload_stream s = {
		.local = fx_sa("127.0.0.1", 30010), .expect = fx_sa("127.0.0.2", 5000),
		.src = fx_sa("127.0.0.1", 30012), .dst = fx_sa("127.0.0.3", 6000),
		.flags = OFFLOAD_STRICT_SOURCE,
	};
	struct offload_counters c;

	(void)state;
	fx_require();
	assert_int_equal(offload_stream_add(&s), 0);
	assert_int_equal(send_from(&s, "127.0.0.9", 5000), TC_ACT_SHOT);	/* other host */
	assert_int_equal(send_from(&s, "127.0.0.2", 5001), TC_ACT_SHOT);	/* other port */
	assert_int_equal(offload_stream_read(&s.local, &c), 0);
	assert_int_equal(c.dropped_source, 2);
	assert_int_equal(c.packets, 0);

	assert_int_equal(send_from(&s, "127.0.0.2", 5000), TC_ACT_OK);
	assert_int_equal(offload_stream_read(&s.local, &c), 0);
	assert_int_equal(c.packets, 1);
	assert_int_equal(c.dropped_source, 2);
	assert_int_equal(offload_stream_del(&s.local), 0);
}

static void strict_source_ipv6(void **state)
{
	struct offload_stream s = {
		.local = fx_sa("2001:db8::1", 30020), .expect = fx_sa("2001:db8:1::2", 5000),
		.src = fx_sa("2001:db8::1", 30022), .dst = fx_sa("2001:db8:2::3", 6000),
		.flags = OFFLOAD_STRICT_SOURCE, .egress_ifindex = 1,
	};
	struct offload_counters c;

	(void)state;
	fx_require();
	assert_int_equal(offload_stream_add(&s), 0);
	/* differs only in the last byte of the address */
	assert_int_equal(send_from(&s, "2001:db8:1::3", 5000), TC_ACT_SHOT);
	assert_int_equal(send_from(&s, "2001:db8:1::2", 5000), TC_ACT_REDIRECT);
	assert_int_equal(offload_stream_read(&s.local, &c), 0);
	assert_int_equal(c.dropped_source, 1);
	assert_int_equal(c.packets, 1);
	assert_int_equal(offload_stream_del(&s.local), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strict_source_drops_others),
		cmocka_unit_test(strict_source_ipv6),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
