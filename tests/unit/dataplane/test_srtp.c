/*
 * test_srtp.c: the worker's SRTP (dataplane/dp_srtp.c) with real UDP:
 *
 *   phone A (SRTP) <──> ea [relay] eb <──> phone B (plain)
 *
 * ea's party speaks SRTP: without keys nothing from A is accepted and
 * nothing goes to A; dp_endpoint_srtp keys it later (as a DTLS handshake
 * would); then A's packets reach B decrypted, B's reach A encrypted with
 * the relay's key, and a forged packet is dropped and counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dataplane/dataplane.h"
#include "dp_test_util.h"
#include "srtp/sr_stream.h"

static struct sr_keys relay_keys(void)
{
	struct sr_keys k;

	memset(&k, 0, sizeof(k));
	k.suite = SR_AES_CM_128_HMAC_SHA1_80;
	memset(k.local.master, 0x11, sizeof(k.local.master));  /* relay -> A */
	memset(k.remote.master, 0x22, sizeof(k.remote.master)); /* A -> relay */
	return k;
}

/* Phone A's view: it encrypts with the remote key, decrypts with the local. */
static struct sr_stream *phone_a(const struct sr_keys *relay)
{
	struct sr_keys k = *relay;
	struct sr_stream *st = sr_stream_new();

	k.local = relay->remote;
	k.remote = relay->local;
	assert_non_null(st);
	assert_int_equal(sr_stream_rekey(st, &k), 0);
	return st;
}

static void keyed_later(void **state)
{
	(void)state;
	unsigned w = dp_worker_for_key("srtp-call");
	struct sockaddr_storage a, b, ra, rb, src;
	int pa = tu_socket(0, 0, &a), pb = tu_socket(0, 0, &b);
	int fa = tu_socket(0, 1, &ra), fb = tu_socket(0, 1, &rb);
	struct dp_endpoint *ea = dp_endpoint_new(fa, w), *eb = dp_endpoint_new(fb, w);
	struct dp_endpoint_params p;
	struct sr_keys k = relay_keys();
	struct sr_stream *pha = phone_a(&k);
	uint8_t pkt[300], in[300];
	struct dp_stats st;

	assert_non_null(ea);
	assert_non_null(eb);
	memset(&p, 0, sizeof(p));
	p.sdp_remote = a;
	p.fwd_rtp = eb;
	p.flags = DP_SRTP | DP_SRTP_PARTY; /* keys still to come */
	assert_int_equal(dp_endpoint_set(ea, &p), 0);
	memset(&p, 0, sizeof(p));
	p.sdp_remote = b;
	p.fwd_rtp = ea;
	p.flags = DP_SRTP; /* forwards into an SRTP party */
	assert_int_equal(dp_endpoint_set(eb, &p), 0);
	assert_int_equal(dp_sync(), 0);

	/* no keys: A's SRTP is not accepted, B's RTP does not go to A in clear */
	size_t len = tu_rtp(pkt, 0, 100, 0, 0xaaaa, 160);
	assert_int_equal(sr_protect(pha, pkt, &len, sizeof(pkt), false), SR_OK);
	assert_int_equal(tu_send(pa, pkt, len, &ra), 0);
	assert_true(tu_silent(pb, 200));
	len = tu_rtp(pkt, 0, 500, 0, 0xbbbb, 160);
	assert_int_equal(tu_send(pb, pkt, len, &rb), 0);
	assert_true(tu_silent(pa, 200));

	/* keyed now */
	assert_int_equal(dp_endpoint_srtp(ea, &k), 0);
	assert_int_equal(dp_sync(), 0);
	for (uint16_t seq = 101; seq < 105; seq++) {
		uint8_t plain[300];
		size_t pl = tu_rtp(plain, 0, seq, seq * 160u, 0xaaaa, 160);

		memcpy(pkt, plain, pl);
		len = pl;
		assert_int_equal(sr_protect(pha, pkt, &len, sizeof(pkt), false), SR_OK);
		assert_int_equal(tu_send(pa, pkt, len, &ra), 0);
		assert_int_equal(tu_recv(pb, in, sizeof(in), &src), (ssize_t)pl);
		assert_memory_equal(in, plain, pl);
	}
	uint8_t plain[300];
	size_t pl = tu_rtp(plain, 0, 501, 160, 0xbbbb, 160);
	assert_int_equal(tu_send(pb, plain, pl, &rb), 0);
	ssize_t got = tu_recv(pa, in, sizeof(in), &src);
	assert_int_equal(got, (ssize_t)(pl + 10));
	len = (size_t)got;
	assert_int_equal(sr_unprotect(pha, in, &len, false), SR_OK);
	assert_memory_equal(in, plain, pl);

	/* forged: dropped and counted, the next good one passes */
	len = tu_rtp(pkt, 0, 105, 0, 0xaaaa, 160);
	assert_int_equal(sr_protect(pha, pkt, &len, sizeof(pkt), false), SR_OK);
	pkt[len - 1] ^= 1;
	assert_int_equal(tu_send(pa, pkt, len, &ra), 0);
	assert_true(tu_silent(pb, 200));
	len = tu_rtp(pkt, 0, 106, 0, 0xaaaa, 160);
	assert_int_equal(sr_protect(pha, pkt, &len, sizeof(pkt), false), SR_OK);
	assert_int_equal(tu_send(pa, pkt, len, &ra), 0);
	assert_int_equal(tu_recv(pb, in, sizeof(in), &src), (ssize_t)(len - 10));
	/* keyed: a packet libsrtp refuses (too short for SRTP) is an error */
	assert_int_equal(tu_send(pa, pkt, 5, &ra), 0);
	assert_true(tu_silent(pb, 200));
	/* a STUN binding request (RFC 5389 header, no attributes) from a party
	 * without ICE, as Linphone sends at stream start: dropped, not SRTP */
	static const uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
					  1,    2,    3,    4,    5,    6,    7,    8,
					  9,    10,   11,   12 };
	assert_int_equal(tu_send(pa, stun, sizeof(stun), &ra), 0);
	assert_true(tu_silent(pb, 200));
	assert_int_equal(dp_sync(), 0);
	dp_endpoint_stats(ea, &st);
	assert_int_equal(st.srtp_auth_failed, 1);
	/* A's and B's packet before the keys: dropped while awaiting them, which
	 * is not a libsrtp error; the short one after the keys is; the STUN
	 * request is neither (a drop of its own kind) */
	assert_int_equal(st.srtp_awaiting_keys, 2);
	assert_int_equal(st.srtp_errors, 1);
	assert_int_equal(st.dropped_other, 1 + 1 + 1 + 1); /* forged, short, STUN, A's early */
	assert_int_equal(st.forwarded, 5);

	/* keys libsrtp cannot use are refused at the API */
	k.suite = SR_N_SUITES;
	assert_int_equal(dp_endpoint_srtp(ea, &k), -EINVAL);

	sr_stream_free(pha);
	dp_endpoint_release(ea);
	dp_endpoint_release(eb);
	assert_int_equal(dp_sync(), 0);
	close(pa);
	close(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keyed_later),
	};
	return cmocka_run_group_tests(tests, tu_dp_setup, tu_dp_teardown);
}
