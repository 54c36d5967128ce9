/*
 * test_latch.c: RTP-bleed resistant latching (dataplane/latch.h), pure logic
 * with a test-driven clock: who is accepted, when the remote is learned, and
 * that "the last sender wins" never happens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dataplane/dataplane.h"
#include "dataplane/latch.h"
#include "dp_test_util.h"

static union dp_addr addr4(const char *ip, uint16_t port)
{
	union dp_addr a;
	memset(&a, 0, sizeof(a));
	a.v4.sin_family = AF_INET;
	a.v4.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.v4.sin_addr);
	return a;
}

static const uint8_t any_pt[16];

/* SDP 10.0.0.1:4000 (a phone behind NAT advertises its private address). */
static void setup_latch(struct latch *l, uint32_t flags, uint64_t now)
{
	union dp_addr sdp = addr4("10.0.0.1", 4000);
	memset(l, 0, sizeof(*l));
	latch_configure(l, &sdp, flags, any_pt, LATCH_RTP, now + 5000);
}

static enum latch_verdict rtp_from(struct latch *l, const union dp_addr *src, uint8_t pt,
				   uint16_t seq, uint32_t ssrc, uint64_t now)
{
	uint8_t b[200];
	size_t len = tu_rtp(b, pt, seq, seq * 160u, ssrc, 160);
	return latch_packet(l, src, b, len, now);
}

static void test_sdp_address_accepted(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr sdp = addr4("10.0.0.1", 4000);
	setup_latch(&l, 0, 0);
	assert_int_equal(rtp_from(&l, &sdp, 0, 1, 1, 10), LATCH_ACCEPT);
	assert_false(l.latched);
	assert_true(dp_addr_eq(&l.remote, &sdp));
}

static void test_nat_learns_after_consistent_rtp(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	setup_latch(&l, 0, 0);
	assert_int_equal(rtp_from(&l, &nat, 0, 100, 42, 10), LATCH_ACCEPT);
	assert_int_equal(rtp_from(&l, &nat, 0, 101, 42, 30), LATCH_ACCEPT);
	assert_int_equal(rtp_from(&l, &nat, 0, 102, 42, 50), LATCH_LEARNED);
	assert_true(l.latched);
	assert_true(dp_addr_eq(&l.remote, &nat));
	assert_int_equal(rtp_from(&l, &nat, 0, 103, 42, 70), LATCH_ACCEPT);
}

static void test_junk_and_wrong_pt_never_learn(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr bad = addr4("198.51.100.9", 5000);
	uint8_t junk[100];
	memset(junk, 0x41, sizeof(junk));
	uint8_t allowed[16] = { 0 };
	allowed[0] = 1 | (1 << 1); /* PT 0 and 1... */
	allowed[101 >> 3] |= 1 << (101 & 7); /* and 101 */

	setup_latch(&l, 0, 0);
	union dp_addr sdp = l.sdp;
	latch_configure(&l, &sdp, 0, allowed, LATCH_RTP, 5000);
	for (int i = 0; i < 50; i++) {
		latch_packet(&l, &bad, junk, sizeof(junk), 10 + i);
		rtp_from(&l, &bad, 8, (uint16_t)i, 7, 10 + i);		/* PT 8 not allowed */
		rtp_from(&l, &bad, 101, (uint16_t)i, 1000u + i, 10 + i); /* SSRC hops */
	}
	assert_true(dp_addr_eq(&l.remote, &sdp));
	assert_false(l.latched);
	/* the allowed PT, one SSRC, in sequence: learned */
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &bad, 101, (uint16_t)(500 + i), 77, 100);
	assert_true(dp_addr_eq(&l.remote, &bad));
}

static void test_no_learning_after_window(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	setup_latch(&l, 0, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rtp_from(&l, &nat, 0, (uint16_t)i, 1, 5000 + i), LATCH_ACCEPT);
	assert_false(l.latched);
	/* a re-offer opens a new window */
	union dp_addr sdp = l.sdp;
	latch_configure(&l, &sdp, 0, any_pt, LATCH_RTP, 9000);
	for (int i = 10; i < 13; i++)
		rtp_from(&l, &nat, 0, (uint16_t)i, 1, 6000 + i);
	assert_true(l.latched);
}

static void test_confirmed_source_kept_while_sending(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	union dp_addr spray = addr4("203.0.113.66", 1234);
	setup_latch(&l, 0, 0);
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &nat, 0, (uint16_t)i, 1, 10 + 20 * i);
	assert_true(dp_addr_eq(&l.remote, &nat));
	/* Well-formed RTP from an attacker while the phone keeps talking:
	 * dropped, even without strict-source, and never learned. */
	uint64_t t = 100;
	for (int i = 0; i < 50; i++, t += 20) {
		assert_int_equal(rtp_from(&l, &spray, 0, (uint16_t)(900 + i), 9, t), LATCH_DROP);
		assert_int_equal(rtp_from(&l, &nat, 0, (uint16_t)(3 + i), 1, t), LATCH_ACCEPT);
	}
	assert_true(dp_addr_eq(&l.remote, &nat));
	/* The phone went silent for longer than LATCH_IDLE_MS within the
	 * window: someone else may now be learned. */
	t += LATCH_IDLE_MS + 1;
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &spray, 0, (uint16_t)(2000 + i), 9, t);
	assert_true(dp_addr_eq(&l.remote, &spray));
}

/* media-handover relaxes the confirmed-source rule only: a new source that
 * looks like the stream takes over while the old one still sends, also
 * after the window; junk, a wrong payload type or SSRC hopping still teach
 * nothing, and the SDP address still wins. Before any packet confirmed the
 * remote, the window applies as without the flag. */
static void test_media_handover(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	union dp_addr moved = addr4("192.0.2.8", 62000);
	union dp_addr sdp = addr4("10.0.0.1", 4000);
	uint8_t allowed[16] = { 0 };
	allowed[0] = 1; /* PT 0 only */

	setup_latch(&l, DP_MEDIA_HANDOVER, 0);
	latch_configure(&l, &sdp, DP_MEDIA_HANDOVER, allowed, LATCH_RTP, 5000);
	/* unconfirmed, window over: nothing learned (the window rule stays) */
	for (int i = 0; i < 5; i++)
		assert_int_equal(rtp_from(&l, &nat, 0, (uint16_t)i, 1, 6000 + i), LATCH_ACCEPT);
	assert_false(l.latched);
	latch_configure(&l, &sdp, DP_MEDIA_HANDOVER, allowed, LATCH_RTP, 9000);
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &nat, 0, (uint16_t)(10 + i), 1, 6100 + i);
	assert_true(dp_addr_eq(&l.remote, &nat));
	/* after the window, while nat keeps sending: junk, a PT not allowed
	 * and a hopping SSRC from moved are never learned */
	uint64_t t = 20000;
	uint8_t junk[60];
	memset(junk, 0x41, sizeof(junk));
	for (int i = 0; i < 20; i++, t += 20) {
		latch_packet(&l, &moved, junk, sizeof(junk), t);
		rtp_from(&l, &moved, 8, (uint16_t)(100 + i), 5, t);
		rtp_from(&l, &moved, 0, (uint16_t)(200 + i), 6000u + i, t);
		assert_int_equal(rtp_from(&l, &nat, 0, (uint16_t)(20 + i), 1, t), LATCH_ACCEPT);
	}
	assert_true(dp_addr_eq(&l.remote, &nat));
	/* a consistent stream from moved takes over while nat still sends */
	assert_int_equal(rtp_from(&l, &moved, 0, 300, 2, t), LATCH_DROP);
	assert_int_equal(rtp_from(&l, &moved, 0, 301, 2, t + 20), LATCH_DROP);
	assert_int_equal(rtp_from(&l, &moved, 0, 302, 2, t + 40), LATCH_LEARNED);
	assert_true(dp_addr_eq(&l.remote, &moved));
	/* and back: it moves again the same way */
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &nat, 0, (uint16_t)(50 + i), 1, t + 60 + i);
	assert_true(dp_addr_eq(&l.remote, &nat));
	/* the SDP address still wins at once */
	assert_int_equal(rtp_from(&l, &sdp, 0, 1, 3, t + 100), LATCH_LEARNED);
	assert_true(dp_addr_eq(&l.remote, &sdp));
	/* without the flag the same sequence after the window keeps nat */
	setup_latch(&l, 0, 0);
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &nat, 0, (uint16_t)i, 1, 10 + i);
	for (int i = 0; i < 5; i++)
		rtp_from(&l, &moved, 0, (uint16_t)(300 + i), 2, 20000 + i);
	assert_true(dp_addr_eq(&l.remote, &nat));
}

static void test_sdp_address_wins(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr other = addr4("192.0.2.7", 61000);
	setup_latch(&l, 0, 0);
	union dp_addr sdp = l.sdp;
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &other, 0, (uint16_t)i, 1, 10);
	assert_true(l.latched);
	/* Much later (window closed) the signalled address speaks: it wins. */
	assert_int_equal(rtp_from(&l, &sdp, 0, 1, 5, 60000), LATCH_LEARNED);
	assert_false(l.latched);
	assert_true(dp_addr_eq(&l.remote, &sdp));
	assert_int_equal(rtp_from(&l, &other, 0, 4, 1, 60010), LATCH_DROP);
}

static void test_strict_source(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	union dp_addr spray = addr4("203.0.113.66", 1234);
	setup_latch(&l, DP_STRICT_SOURCE, 0);
	/* during learning too: nothing but the remote is forwarded */
	assert_int_equal(rtp_from(&l, &nat, 0, 1, 1, 10), LATCH_DROP);
	assert_int_equal(rtp_from(&l, &nat, 0, 2, 1, 20), LATCH_DROP);
	assert_int_equal(rtp_from(&l, &nat, 0, 3, 1, 30), LATCH_LEARNED);
	assert_int_equal(rtp_from(&l, &nat, 0, 4, 1, 40), LATCH_ACCEPT);
	uint8_t junk[20] = { 0 };
	assert_int_equal(latch_packet(&l, &spray, junk, sizeof(junk), 50), LATCH_DROP);
	assert_int_equal(rtp_from(&l, &spray, 0, 4, 1, 50), LATCH_DROP);
}

static void test_asymmetric_never_latches(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	setup_latch(&l, DP_ASYMMETRIC, 0);
	union dp_addr sdp = l.sdp;
	for (int i = 0; i < 20; i++)
		assert_int_equal(rtp_from(&l, &nat, 0, (uint16_t)i, 1, 10 + i), LATCH_ACCEPT);
	assert_true(dp_addr_eq(&l.remote, &sdp));
	setup_latch(&l, DP_ASYMMETRIC | DP_STRICT_SOURCE, 0);
	assert_int_equal(rtp_from(&l, &nat, 0, 1, 1, 10), LATCH_DROP);
}

static void test_trust_address(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr other = addr4("192.0.2.7", 61000);
	setup_latch(&l, DP_TRUST_ADDRESS, 0);
	union dp_addr sdp = l.sdp;
	assert_int_equal(rtp_from(&l, &sdp, 0, 1, 1, 10), LATCH_ACCEPT);
	/* the SDP address spoke: even once it is idle, nobody replaces it */
	for (int i = 0; i < 5; i++)
		rtp_from(&l, &other, 0, (uint16_t)i, 1, 3000 + i);
	assert_true(dp_addr_eq(&l.remote, &sdp));
	/* but if it never speaks, latching still works */
	setup_latch(&l, DP_TRUST_ADDRESS, 0);
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &other, 0, (uint16_t)i, 1, 10 + i);
	assert_true(dp_addr_eq(&l.remote, &other));
}

static void test_reoffer_same_sdp_keeps_learned(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr nat = addr4("192.0.2.7", 61000);
	setup_latch(&l, 0, 0);
	union dp_addr sdp = l.sdp;
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &nat, 0, (uint16_t)i, 1, 10);
	latch_configure(&l, &sdp, 0, any_pt, LATCH_RTP, 10000);
	assert_true(dp_addr_eq(&l.remote, &nat));
	union dp_addr moved = addr4("10.0.0.2", 4002);
	latch_configure(&l, &moved, 0, any_pt, LATCH_RTP, 10000);
	assert_true(dp_addr_eq(&l.remote, &moved));
	assert_false(l.latched);
}

static void test_rtcp_socket_learns_from_one_report(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr sdp = addr4("10.0.0.1", 4001), nat = addr4("192.0.2.7", 61001);
	uint8_t b[64];
	memset(&l, 0, sizeof(l));
	latch_configure(&l, &sdp, 0, any_pt, LATCH_RTCP, 5000);
	size_t len = tu_rtp(b, 0, 1, 1, 1, 20); /* RTP is not RTCP */
	latch_packet(&l, &nat, b, len, 10);
	assert_false(l.latched);
	len = tu_rtcp_rr(b, 5);
	assert_int_equal(latch_packet(&l, &nat, b, len, 20), LATCH_LEARNED);
}

static void test_unknown_sdp_learns(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr none, nat = addr4("192.0.2.7", 61000);
	memset(&none, 0, sizeof(none));
	memset(&l, 0, sizeof(l));
	latch_configure(&l, &none, 0, any_pt, LATCH_RTP, 5000);
	assert_int_equal(l.remote.sa.sa_family, 0);
	for (int i = 0; i < 3; i++)
		rtp_from(&l, &nat, 0, (uint16_t)i, 1, 10 + i);
	assert_true(dp_addr_eq(&l.remote, &nat));
	/* a re-offer that still has no address keeps it */
	latch_configure(&l, &none, 0, any_pt, LATCH_RTP, 5000);
	assert_true(dp_addr_eq(&l.remote, &nat));
}

static void test_v4_mapped_equal(void **state)
{
	(void)state;
	union dp_addr a = addr4("192.0.2.7", 61000), m;
	memset(&m, 0, sizeof(m));
	m.v6.sin6_family = AF_INET6;
	m.v6.sin6_port = htons(61000);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &m.v6.sin6_addr);
	assert_true(dp_addr_eq(&a, &m));
	assert_true(dp_addr_eq(&m, &a));
	m.v6.sin6_port = htons(61001);
	assert_false(dp_addr_eq(&a, &m));
}

/* ICE (DP_ICE_LATCH): media never teaches the remote, only a nomination
 * does; the nominated pair survives a re-offer with another c=. */
static void test_ice_follows_nomination(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr sdp = addr4("10.0.0.1", 4000), cand = addr4("192.0.2.7", 61000);
	union dp_addr other = addr4("198.51.100.9", 5000);
	setup_latch(&l, DP_ICE | DP_ICE_LATCH, 0);
	/* consistent RTP from elsewhere inside the window: dropped, not learned */
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(rtp_from(&l, &cand, 0, (uint16_t)(100 + i), 42, 10 + i),
				 LATCH_DROP);
	assert_true(dp_addr_eq(&l.remote, &sdp));
	assert_true(latch_nominate(&l, &cand, 50));
	assert_false(latch_nominate(&l, &cand, 51));
	assert_true(l.latched && dp_addr_eq(&l.remote, &cand));
	assert_int_equal(rtp_from(&l, &cand, 0, 200, 42, 60), LATCH_ACCEPT);
	assert_int_equal(rtp_from(&l, &sdp, 0, 1, 1, 61), LATCH_DROP);
	assert_int_equal(rtp_from(&l, &other, 0, 1, 1, 62), LATCH_DROP);
	/* a re-offer naming another default candidate keeps the pair */
	latch_configure(&l, &other, DP_ICE | DP_ICE_LATCH, any_pt, LATCH_RTP, 10000);
	assert_true(dp_addr_eq(&l.remote, &cand));
	assert_int_equal(rtp_from(&l, &cand, 0, 201, 42, 70), LATCH_ACCEPT);
}

/* ICE nominating the SDP address itself (a host candidate, no NAT): the
 * remote stays, but it is nominated now (latched, reported as changed so it
 * is published), and a re-offer naming another default candidate keeps it. */
static void test_ice_nominates_sdp_address(void **state)
{
	(void)state;
	struct latch l;
	union dp_addr sdp = addr4("10.0.0.1", 4000), other = addr4("198.51.100.9", 5000);
	setup_latch(&l, DP_ICE | DP_ICE_LATCH, 0);
	assert_false(l.latched);
	assert_true(latch_nominate(&l, &sdp, 50));
	assert_true(l.latched && dp_addr_eq(&l.remote, &sdp));
	assert_false(latch_nominate(&l, &sdp, 51));
	latch_configure(&l, &other, DP_ICE | DP_ICE_LATCH, any_pt, LATCH_RTP, 10000);
	assert_true(dp_addr_eq(&l.remote, &sdp));
	assert_int_equal(rtp_from(&l, &other, 0, 1, 1, 60), LATCH_DROP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdp_address_accepted),
		cmocka_unit_test(test_nat_learns_after_consistent_rtp),
		cmocka_unit_test(test_junk_and_wrong_pt_never_learn),
		cmocka_unit_test(test_no_learning_after_window),
		cmocka_unit_test(test_confirmed_source_kept_while_sending),
		cmocka_unit_test(test_media_handover),
		cmocka_unit_test(test_sdp_address_wins),
		cmocka_unit_test(test_strict_source),
		cmocka_unit_test(test_asymmetric_never_latches),
		cmocka_unit_test(test_trust_address),
		cmocka_unit_test(test_reoffer_same_sdp_keeps_learned),
		cmocka_unit_test(test_rtcp_socket_learns_from_one_report),
		cmocka_unit_test(test_unknown_sdp_learns),
		cmocka_unit_test(test_v4_mapped_equal),
		cmocka_unit_test(test_ice_follows_nomination),
		cmocka_unit_test(test_ice_nominates_sdp_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
