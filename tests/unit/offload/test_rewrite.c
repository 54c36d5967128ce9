/*
 * test_rewrite.c: a matching RTP packet comes out with source and destination
 * rewritten, byte for byte as if built fresh (checksums included), for IPv4
 * (with and without a UDP checksum) and IPv6, delivered locally (TC_ACT_OK)
 * or redirected (TC_ACT_REDIRECT); and it is counted.
 */
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include <linux/pkt_cls.h>

#include "kernel-offload/offload.h"
#include "tests/unit/offload/fixture.h"

/* Offload @local (any source) -> @src/@dst, send one RTP packet from @peer,
 * and check the output against a freshly built packet. Returns the verdict. */
static int run_case(const char *local, const char *peer, const char *src, const char *dst,
		    uint32_t egress, bool udp_csum)
{
	struct offload_stream s = {
		.local = fx_sa(local, 30000), .src = fx_sa(src, 30002), .dst = fx_sa(dst, 6000),
		.egress_ifindex = egress,
	};
	struct sockaddr_storage from = fx_sa(peer, 5000);
	uint8_t rtp[256], in[FX_MAX_PKT], want[FX_MAX_PKT], out[FX_MAX_PKT];
	size_t rlen = fx_rtp(rtp, 8, 4711, 0xdeadbeef, 160), in_len, want_len, out_len;
	struct offload_counters c;
	int verdict;

	assert_int_equal(offload_stream_add(&s), 0);
	in_len = fx_packet(in, &from, &s.local, rtp, rlen, udp_csum);
	want_len = fx_packet(want, &s.src, &s.dst, rtp, rlen, udp_csum);
	verdict = fx_run(in, in_len, out, &out_len);

	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_true(fx_l3_csum_ok(out, out_len));
	assert_true(fx_udp_csum_ok(out, out_len));

	assert_int_equal(offload_stream_read(&s.local, &c), 0);
	assert_int_equal(c.packets, 1);
	assert_int_equal(c.bytes, rlen);
	assert_int_equal(c.ssrc, 0xdeadbeef);
	assert_int_equal(c.seq, 4711);
	assert_true(c.last_seen_ns > 0);
	assert_int_equal(c.dropped_source, 0);
	assert_int_equal(offload_stream_del(&s.local), 0);
	return verdict;
}

static void ipv4_local_destination_is_rewritten_and_passed_on(void **state)
{
	(void)state;
	fx_require();
	/* 127.0.0.3 is local: the stack delivers the rewritten packet */
	assert_int_equal(run_case("127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.3", 0, true),
			 TC_ACT_OK);
}

static void ipv4_without_udp_checksum_keeps_it_zero(void **state)
{
	(void)state;
	fx_require();
	assert_int_equal(run_case("127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.3", 0, false),
			 TC_ACT_OK);
}

static void ipv4_remote_destination_is_redirected(void **state)
{
	(void)state;
	fx_require();
	assert_int_equal(run_case("192.0.2.1", "198.51.100.7", "192.0.2.1", "203.0.113.9",
				  if_nametoindex("lo"), true),
			 TC_ACT_REDIRECT);
}

static void ipv6_is_rewritten_and_redirected(void **state)
{
	(void)state;
	fx_require();
	assert_int_equal(run_case("2001:db8::1", "2001:db8:1::7", "2001:db8::1", "2001:db8:2::9",
				  if_nametoindex("lo"), true),
			 TC_ACT_REDIRECT);
}

static void ipv6_local_destination_is_passed_on(void **state)
{
	(void)state;
	fx_require();
	assert_int_equal(run_case("::1", "::1", "::1", "::1", 0, true), TC_ACT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_local_destination_is_rewritten_and_passed_on),
		cmocka_unit_test(ipv4_without_udp_checksum_keeps_it_zero),
		cmocka_unit_test(ipv4_remote_destination_is_redirected),
		cmocka_unit_test(ipv6_is_rewritten_and_redirected),
		cmocka_unit_test(ipv6_local_destination_is_passed_on),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
