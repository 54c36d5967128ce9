/*
 * test_ice.c: the data plane's ICE-lite responder (dataplane/dp_ice.c) over
 * real loopback sockets, requests built with stun/stun.h:
 *  - a binding request with the right USERNAME, MESSAGE-INTEGRITY and
 *    FINGERPRINT is answered from the ICE socket with the sender's address,
 *    integrity under our password and a fingerprint;
 *  - wrong password, wrong ufrag (ours or theirs), no FINGERPRINT: no answer,
 *    counted as bad, the remote does not move;
 *  - USE-CANDIDATE with DP_ICE_LATCH moves the remote to the checker, and
 *    media then reaches it; RTP from anywhere else is not forwarded;
 *  - new credentials (an ICE restart) drop the nomination, keep the pair
 *    until a new one, the old password no longer works, the new one
 *    nominates again;
 *  - a socket without DP_ICE forwards STUN like any packet (no responder).
 *
 *   web (w, checker c) <──> ei [relay] ep <──> phone (p)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "dataplane/dataplane.h"
#include "dp_test_util.h"
#include "stun/stun.h"

#define UFRAG "OurUfrag"
#define PWD   "our-password-0123456789"

struct setup {
	int w, c, p;				 /* web's two addresses, the phone */
	struct sockaddr_storage wa, ca, pa, ri, rp; /* addresses; relay ICE / phone side */
	struct dp_endpoint *ei, *ep;
};

static void params(struct dp_endpoint_params *p, const struct sockaddr_storage *sdp,
		   struct dp_endpoint *fwd, uint32_t flags, const char *pwd)
{
	memset(p, 0, sizeof(*p));
	p->sdp_remote = *sdp;
	p->fwd_rtp = fwd;
	p->flags = flags;
	snprintf(p->ice.ufrag, sizeof(p->ice.ufrag), "%s", UFRAG);
	snprintf(p->ice.pwd, sizeof(p->ice.pwd), "%s", pwd);
	snprintf(p->ice.remote_ufrag, sizeof(p->ice.remote_ufrag), "%s", "Peer");
}

static void open_setup(struct setup *s, uint32_t ice_flags)
{
	unsigned wk = dp_worker_for_key("ice");
	s->w = tu_socket(0, 0, &s->wa);
	s->c = tu_socket(0, 0, &s->ca);
	s->p = tu_socket(0, 0, &s->pa);
	int fi = tu_socket(0, 1, &s->ri), fp = tu_socket(0, 1, &s->rp);
	assert_true(s->w >= 0 && s->c >= 0 && s->p >= 0 && fi >= 0 && fp >= 0);
	s->ei = dp_endpoint_new(fi, wk);
	s->ep = dp_endpoint_new(fp, wk);
	assert_non_null(s->ei);
	assert_non_null(s->ep);
	struct dp_endpoint_params pi, pp;
	params(&pi, &s->wa, s->ep, ice_flags, PWD);
	params(&pp, &s->pa, s->ei, 0, PWD);
	assert_int_equal(dp_endpoint_set(s->ei, &pi), 0);
	assert_int_equal(dp_endpoint_set(s->ep, &pp), 0);
	assert_int_equal(dp_sync(), 0);
}

static void close_setup(struct setup *s)
{
	dp_endpoint_release(s->ei);
	dp_endpoint_release(s->ep);
	assert_int_equal(dp_sync(), 0);
	close(s->w);
	close(s->c);
	close(s->p);
}

/* A binding request: @user, integrity under @key (NULL = none), fingerprint. */
static size_t request(uint8_t *buf, const char *user, const char *key, bool use_cand, bool fp)
{
	static const uint8_t tid[12] = "abcdefghijkl";
	struct stun_writer w;

	stun_w_init(&w, buf, 512, STUN_BINDING | STUN_CLASS_REQUEST, tid);
	stun_w_attr(&w, STUN_A_USERNAME, user, strlen(user));
	stun_w_u32(&w, STUN_A_PRIORITY, 1853824767u);
	stun_w_u64(&w, STUN_A_ICE_CONTROLLING, 7);
	if (use_cand)
		stun_w_attr(&w, STUN_A_USE_CANDIDATE, NULL, 0);
	if (key)
		stun_w_integrity(&w, (const uint8_t *)key, strlen(key));
	if (fp)
		stun_w_fingerprint(&w);
	int n = stun_w_finish(&w);
	assert_true(n > 0);
	return (size_t)n;
}

/* A request from @fd under @key is answered: from the ICE socket, a success
 * with @from as XOR-MAPPED-ADDRESS, integrity under @key, a right fingerprint. */
static void answered_key(struct setup *s, int fd, const struct sockaddr_storage *from,
			 const char *user, bool use_cand, const char *key)
{
	uint8_t out[512], in[600];
	struct sockaddr_storage src;
	struct stun_msg m;

	size_t len = request(out, user, key, use_cand, true);
	assert_int_equal(tu_send(fd, out, len, &s->ri), 0);
	ssize_t n = tu_recv(fd, in, sizeof(in), &src);
	assert_true(n > 0);
	assert_true(tu_same_port(&src, &s->ri));
	assert_int_equal(stun_parse(in, (size_t)n, &m), 0);
	assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
	assert_memory_equal(m.tid, "abcdefghijkl", 12);
	assert_true(stun_check_fingerprint(in, &m));
	assert_true(stun_check_integrity(in, &m, (const uint8_t *)key, strlen(key)));
	assert_true(m.has_xor_addr);
	assert_int_equal(tu_port(&m.xor_addr), tu_port(from));
}

static void answered(struct setup *s, int fd, const struct sockaddr_storage *from,
		     const char *user, bool use_cand)
{
	answered_key(s, fd, from, user, use_cand, PWD);
}

/* A request from @fd gets no answer. */
static void refused(struct setup *s, int fd, const char *user, const char *key, bool fp)
{
	uint8_t out[512];
	size_t len = request(out, user, key, true, fp);

	assert_int_equal(tu_send(fd, out, len, &s->ri), 0);
	assert_true(tu_silent(fd, 200));
}

static struct dp_ice_stats ice_stats(struct setup *s)
{
	struct dp_ice_stats is;

	assert_int_equal(dp_sync(), 0);
	dp_endpoint_ice_stats(s->ei, &is);
	return is;
}

/* RTP from the phone reaches @fd, or (@fd < 0) reaches neither web socket. */
static void phone_rtp_to(struct setup *s, int fd, uint16_t seq)
{
	uint8_t out[200], in[300];
	size_t len = tu_rtp(out, 0, seq, 160u * seq, 0x5151, 160);

	assert_int_equal(tu_send(s->p, out, len, &s->rp), 0);
	if (fd >= 0) {
		assert_int_equal(tu_recv(fd, in, sizeof(in), NULL), (ssize_t)len);
		assert_memory_equal(in, out, len);
	}
}

static void test_checks_and_nomination(void **state)
{
	struct setup s;
	(void)state;

	open_setup(&s, DP_ICE | DP_ICE_LATCH);
	/* before any nomination media goes to the SDP address (web's w) */
	phone_rtp_to(&s, s.w, 1);
	answered(&s, s.c, &s.ca, UFRAG ":Peer", false);
	struct dp_ice_stats is = ice_stats(&s);
	assert_int_equal(is.checks, 1);
	assert_false(is.nominated);
	phone_rtp_to(&s, s.w, 2); /* a check alone moves nothing */

	/* bad checks from c, all with USE-CANDIDATE: none answered or latched */
	refused(&s, s.c, UFRAG ":Peer", "wrong-password-xxxxxxx", true);
	refused(&s, s.c, "Nope1234:Peer", PWD, true);
	refused(&s, s.c, UFRAG ":Other", PWD, true);
	refused(&s, s.c, UFRAG ":Peer", PWD, false); /* no FINGERPRINT */
	refused(&s, s.c, UFRAG ":Peer", NULL, true); /* no MESSAGE-INTEGRITY */
	is = ice_stats(&s);
	assert_int_equal(is.bad, 5);
	assert_false(is.nominated);
	phone_rtp_to(&s, s.w, 3);

	/* RTP from c, consistent enough to latch a plain stream: not forwarded */
	uint8_t b[200];
	for (uint16_t i = 0; i < 5; i++) {
		size_t len = tu_rtp(b, 0, (uint16_t)(10 + i), 160u * i, 0x77, 160);
		assert_int_equal(tu_send(s.c, b, len, &s.ri), 0);
	}
	assert_true(tu_silent(s.p, 200));

	/* USE-CANDIDATE with good credentials nominates c */
	answered(&s, s.c, &s.ca, UFRAG ":Peer", true);
	is = ice_stats(&s);
	assert_true(is.nominated);
	assert_int_equal(is.checks, 2);
	phone_rtp_to(&s, s.c, 4);
	assert_true(tu_silent(s.w, 100));
	struct dp_stats ds;
	dp_endpoint_stats(s.ei, &ds);
	assert_true(tu_same_port(&ds.remote, &s.ca));
	/* RTP from c now reaches the phone, RTP from w does not */
	size_t len = tu_rtp(b, 0, 100, 0, 0x77, 160);
	assert_int_equal(tu_send(s.c, b, len, &s.ri), 0);
	assert_int_equal(tu_recv(s.p, b, sizeof(b), NULL), (ssize_t)len);
	len = tu_rtp(b, 0, 200, 0, 0x99, 160);
	assert_int_equal(tu_send(s.w, b, len, &s.ri), 0);
	assert_true(tu_silent(s.p, 200));

	/* an ICE restart: new password; the nomination goes, the pair stays
	 * until a new one; the old password is refused */
	struct dp_endpoint_params pi;
	params(&pi, &s.wa, s.ep, DP_ICE | DP_ICE_LATCH, "new-password-abcdefghij");
	assert_int_equal(dp_endpoint_set(s.ei, &pi), 0);
	assert_false(ice_stats(&s).nominated);
	phone_rtp_to(&s, s.c, 5);
	refused(&s, s.w, UFRAG ":Peer", PWD, true);
	assert_int_equal(ice_stats(&s).bad, 6);
	dp_endpoint_stats(s.ei, &ds);
	assert_true(tu_same_port(&ds.remote, &s.ca));
	/* the new password nominates again, here from w */
	answered_key(&s, s.w, &s.wa, UFRAG ":Peer", true, "new-password-abcdefghij");
	assert_true(ice_stats(&s).nominated);
	phone_rtp_to(&s, s.w, 6);
	assert_true(tu_silent(s.c, 100));
	close_setup(&s);
}

static void test_without_ice_stun_is_media(void **state)
{
	struct setup s;
	uint8_t out[512], in[600];
	(void)state;

	open_setup(&s, 0);
	/* no responder: a STUN request from the SDP address is forwarded */
	size_t len = request(out, UFRAG ":Peer", PWD, true, true);
	assert_int_equal(tu_send(s.w, out, len, &s.ri), 0);
	assert_int_equal(tu_recv(s.p, in, sizeof(in), NULL), (ssize_t)len);
	assert_true(tu_silent(s.w, 100));
	struct dp_ice_stats is = ice_stats(&s);
	assert_int_equal(is.checks + is.bad, 0);
	close_setup(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks_and_nomination),
		cmocka_unit_test(test_without_ice_stun_is_media),
	};
	return cmocka_run_group_tests(tests, tu_dp_setup, tu_dp_teardown);
}
