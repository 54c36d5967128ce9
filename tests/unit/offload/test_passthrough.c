/*
 * test_passthrough.c: everything the fast path must not take leaves the
 * program untouched with TC_ACT_OK (so the stack and user space see it as if
 * there were no offload), and is not counted; RTCP on an rtcp-mux socket is
 * told from RTP by user space's rule (lib/rtp.h rtp_is_rtcp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "kernel-offload/offload.h"
#include "lib/rtp.h"
#include "tests/unit/offload/fixture.h"

static const struct offload_stream *stream(uint32_t flags, const char *expect)
{
	static struct offload_stream s;

	memset(&s, 0, sizeof(s));
	s.local = fx_sa("127.0.0.1", 30000);
	s.src = fx_sa("127.0.0.1", 30002);
	s.dst = fx_sa("127.0.0.3", 6000);
	if (expect)
		s.expect = fx_sa(expect, 5000);
	s.flags = flags;
	assert_int_equal(offload_stream_add(&s), 0);
	return &s;
}

/* @in must come out unchanged with TC_ACT_OK, uncounted */
static void assert_untouched(const uint8_t *in, size_t in_len)
{
	uint8_t out[FX_MAX_PKT];
	size_t out_len;
	struct offload_counters c;
	struct sockaddr_storage local = fx_sa("127.0.0.1", 30000);

	assert_int_equal(fx_run(in, in_len, out, &out_len), TC_ACT_OK);
	assert_int_equal(out_len, in_len);
	assert_memory_equal(out, in, in_len);
	assert_int_equal(offload_stream_read(&local, &c), 0);
	assert_int_equal(c.packets, 0);
	assert_int_equal(c.dropped_source, 0);
}

static size_t rtp_to(uint8_t *pkt, const char *from, const char *to, uint16_t port, uint8_t pt)
{
	uint8_t rtp[200];
	size_t rlen = fx_rtp(rtp, pt, 1, 42, 20);
	struct sockaddr_storage s = fx_sa(from, 5000), d = fx_sa(to, port);

	return fx_packet(pkt, &s, &d, rtp, rlen, true);
}

static void other_port_or_address(void **state)
{
	uint8_t pkt[FX_MAX_PKT];

	(void)state;
	fx_require();
	stream(0, NULL);
	assert_untouched(pkt, rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30004, 8));
	assert_untouched(pkt, rtp_to(pkt, "127.0.0.2", "127.0.0.5", 30000, 8));
	assert_untouched(pkt, rtp_to(pkt, "::1", "::1", 30000, 8));
}

static void not_rtp_goes_to_user_space(void **state)
{
	/* a STUN binding request (first two bits 00) and a DTLS record (first
	 * byte 22): ICE and DTLS-SRTP are user space's job */
	uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	uint8_t dtls[20] = {22, 0xfe, 0xfd};
	struct sockaddr_storage s = fx_sa("127.0.0.2", 5000), d = fx_sa("127.0.0.1", 30000);
	uint8_t pkt[FX_MAX_PKT];

	(void)state;
	fx_require();
	stream(0, NULL);
	assert_untouched(pkt, fx_packet(pkt, &s, &d, stun, sizeof(stun), true));
	assert_untouched(pkt, fx_packet(pkt, &s, &d, dtls, sizeof(dtls), true));
	/* shorter than an RTP header */
	assert_untouched(pkt, fx_packet(pkt, &s, &d, (const uint8_t *)"\x80\x08\0\1", 4, true));
}

static void rtcp_stays_in_user_space_when_asked(void **state)
{
	uint8_t pkt[FX_MAX_PKT], out[FX_MAX_PKT];
	size_t len, out_len;

	(void)state;
	fx_require();
	stream(OFFLOAD_RTCP_TO_USER, NULL);
	assert_untouched(pkt, rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, 200));	/* SR */
	assert_untouched(pkt, rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, 201));	/* RR */
	/* RTP with the marker bit set is not mistaken for RTCP */
	len = rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, 0x80 | 8);
	fx_run(pkt, len, out, &out_len);
	assert_memory_not_equal(out, pkt, len);
}

/* The program splits RTP from RTCP on an rtcp-mux socket by user space's
 * rule (rtp_is_rtcp, RFC 5761 4) for every second byte: 192..223 is left to
 * user space untouched, everything else (payload types 64..95 without the
 * marker among them) is forwarded rewritten. */
static void rtcp_split_as_user_space(void **state)
{
	static const struct {
		uint8_t b1;
		bool rtcp;
	} edge[] = {
		{ 63, false }, { 64, false }, { 95, false }, { 96, false },
		{ 0x80 | 63, false }, { 192, true }, { 223, true }, { 224, false },
	};
	uint8_t pkt[FX_MAX_PKT], out[FX_MAX_PKT];
	struct sockaddr_storage local = fx_sa("127.0.0.1", 30000);
	struct offload_counters c;
	uint64_t forwarded = 0;
	size_t len, out_len;

	(void)state;
	fx_require();
	stream(OFFLOAD_RTCP_TO_USER, NULL);
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		len = rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, edge[i].b1);
		assert_int_equal(rtp_is_rtcp(pkt + len - 32, 32), edge[i].rtcp);
		assert_int_equal(fx_run(pkt, len, out, &out_len), TC_ACT_OK);
		if (edge[i].rtcp)
			assert_memory_equal(out, pkt, len);
		else
			assert_memory_not_equal(out, pkt, len);
	}
	for (unsigned b1 = 0; b1 < 256; b1++) {
		len = rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, (uint8_t)b1);
		assert_int_equal(fx_run(pkt, len, out, &out_len), TC_ACT_OK);
		if (memcmp(out, pkt, len) == 0) {
			if (!rtp_is_rtcp(pkt + len - 32, 32))
				fail_msg("second byte %u: RTP left to user space", b1);
		} else {
			if (rtp_is_rtcp(pkt + len - 32, 32))
				fail_msg("second byte %u: RTCP forwarded as RTP", b1);
			forwarded++;
		}
	}
	assert_int_equal(forwarded, 256 - 32);
	assert_int_equal(offload_stream_read(&local, &c), 0);
	assert_int_equal(c.packets, forwarded + 6);
}

static void fragments_and_truncated_packets(void **state)
{
	uint8_t pkt[FX_MAX_PKT];
	size_t len;

	(void)state;
	fx_require();
	stream(0, NULL);
	len = rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, 8);
	pkt[ETH_HLEN + 6] |= 0x20;		/* more fragments */
	assert_untouched(pkt, len);
	len = rtp_to(pkt, "127.0.0.2", "127.0.0.1", 30000, 8);
	assert_untouched(pkt, len - 10);	/* UDP length beyond the packet */
	assert_untouched(pkt, ETH_HLEN + 20 + 4);	/* UDP header cut */
	pkt[12] = 0x08, pkt[13] = 0x06;		/* ARP ethertype */
	assert_untouched(pkt, len);
}

static void other_source_of_a_non_strict_stream(void **state)
{
	uint8_t pkt[FX_MAX_PKT];

	(void)state;
	fx_require();
	stream(0, "127.0.0.2");
	/* not the latched source: user space decides (re-latching, bleed checks) */
	assert_untouched(pkt, rtp_to(pkt, "127.0.0.9", "127.0.0.1", 30000, 8));
}

static int reset(void **state)
{
	struct sockaddr_storage local = fx_sa("127.0.0.1", 30000);

	(void)state;
	offload_stream_del(&local);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(other_port_or_address, reset),
		cmocka_unit_test_teardown(not_rtp_goes_to_user_space, reset),
		cmocka_unit_test_teardown(rtcp_stays_in_user_space_when_asked, reset),
		cmocka_unit_test_teardown(rtcp_split_as_user_space, reset),
		cmocka_unit_test_teardown(fragments_and_truncated_packets, reset),
		cmocka_unit_test_teardown(other_source_of_a_non_strict_stream, reset),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
