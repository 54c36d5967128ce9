/*
 * test_rtp_stats.c: the kernel's RFC 3550 receiver state (map relay_stats)
 * against lib/rtp.c, the user-space algorithm it must match field for
 * field: in order, a loss gap, reordering, duplicates, the wrap at 65535, a
 * sender restart (A.1 bad sequence), a new SSRC; a seeded state continues
 * instead of restarting; and the A.8 jitter for packets whose RTP timestamps
 * disagree with their (near-simultaneous) arrival by a known amount.
 *
 * bpf_prog_test_run cannot set the clock: the packets of a test arrive
 * microseconds apart, i.e. at the same time in a 1 kHz RTP clock (give or
 * take one tick), so the jitter converges on the timestamp step.
 *
 * The clock rate the program takes by static payload type is user space's
 * (lib/rtp) for every type.
 *
 * Also the other direction: a state posted to a user-space rtp_source is
 * taken over at its next packet (how the daemon hands a stream back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/pkt_cls.h>

#include "lib/rtp.h"
#include "kernel-offload/offload.h"
#include "tests/unit/offload/fixture.h"

#define PORT 31100

static struct offload_stream stream(uint32_t clock_rate)
{
	struct offload_stream s = {
		.local = fx_sa("127.0.0.1", PORT), .src = fx_sa("127.0.0.1", PORT + 2),
		.dst = fx_sa("127.0.0.3", 6000), .clock_rate = clock_rate,
	};
	return s;
}

/* One RTP packet through the program, and through @model (arrival 0). */
static void feed(struct rtp_source *model, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	struct sockaddr_storage from = fx_sa("127.0.0.2", 5000), local = fx_sa("127.0.0.1", PORT);
	uint8_t rtp[64], pkt[FX_MAX_PKT], out[FX_MAX_PKT];
	size_t rlen = fx_rtp(rtp, 96, seq, ssrc, 20), len, out_len;
	struct rtp_info ri;

	rtp[4] = ts >> 24;
	rtp[5] = (ts >> 16) & 0xff;
	rtp[6] = (ts >> 8) & 0xff;
	rtp[7] = ts & 0xff;
	len = fx_packet(pkt, &from, &local, rtp, rlen, true);
	assert_int_equal(fx_run(pkt, len, out, &out_len), TC_ACT_OK);
	if (model) {
		assert_int_equal(rtp_parse(rtp, rlen, &ri), 0);
		rtp_source_update(model, &ri, 0);
	}
}

static void feed_seqs(struct rtp_source *model, const uint16_t *seq, size_t n, uint32_t ssrc)
{
	for (size_t i = 0; i < n; i++)
		feed(model, seq[i], 160u * seq[i], ssrc);
}

static struct offload_counters kernel_state(void)
{
	struct sockaddr_storage local = fx_sa("127.0.0.1", PORT);
	struct offload_counters c;

	assert_int_equal(offload_stream_read(&local, &c), 0);
	return c;
}

/* every A.1/A.3 field equal; the jitter is checked apart (arrival differs) */
static void assert_same_seq_state(const struct rtp_source *k, const struct rtp_source *m)
{
	assert_int_equal(k->valid, m->valid);
	assert_int_equal(k->ssrc, m->ssrc);
	assert_int_equal(k->max_seq, m->max_seq);
	assert_int_equal(k->cycles, m->cycles);
	assert_int_equal(k->base_seq, m->base_seq);
	assert_int_equal(k->bad_seq, m->bad_seq);
	assert_int_equal(k->probation, m->probation);
	assert_int_equal(k->received, m->received);
	assert_int_equal(rtp_source_expected(k), rtp_source_expected(m));
	assert_int_equal(rtp_source_lost(k), rtp_source_lost(m));
}

static int add_stream(void **state)
{
	struct offload_stream s = stream(0);

	(void)state;
	if (offload_prog_fd() < 0)
		return 0;	/* no BPF permission: the tests skip */
	return offload_stream_add(&s);
}

static int del_stream(void **state)
{
	struct sockaddr_storage local = fx_sa("127.0.0.1", PORT);

	(void)state;
	offload_stream_del(&local);
	return 0;
}

static void in_order(void **state)
{
	struct rtp_source m = { 0 };
	struct offload_counters c;

	(void)state;
	fx_require();
	for (uint16_t i = 0; i < 50; i++)
		feed(&m, 1000 + i, 160u * i, 7);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	/* A.1: the first packet only starts probation */
	assert_int_equal(rtp_source_expected(&c.src), 49);
	assert_int_equal(rtp_source_lost(&c.src), 0);
	assert_int_equal(c.packets, 50);
	assert_int_equal(c.clock_rate, 8000);	/* dynamic type, no rate given */
}

static void loss_gap(void **state)
{
	struct rtp_source m = { 0 };
	uint16_t seq[100];
	size_t n = 0;

	(void)state;
	fx_require();
	/* 5 % loss: every 20th packet missing */
	for (uint16_t i = 0; i < 105; i++)
		if (i % 20 != 10)
			seq[n++] = 2000 + i;
	feed_seqs(&m, seq, n, 8);
	struct offload_counters c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	assert_int_equal(rtp_source_expected(&c.src), 104);
	assert_int_equal(rtp_source_lost(&c.src), 5);
}

static void reorder_and_duplicates(void **state)
{
	static const uint16_t seq[] = {10, 11, 13, 12, 14, 16, 15, 15, 17, 19, 18, 20};
	struct rtp_source m = { 0 };
	struct offload_counters c;

	(void)state;
	fx_require();
	feed_seqs(&m, seq, sizeof(seq) / sizeof(seq[0]), 9);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	assert_int_equal(rtp_source_expected(&c.src), 10);	/* 11..20 */
	assert_int_equal(rtp_source_lost(&c.src), 0);		/* the duplicate makes up */
}

static void wrap_at_65535(void **state)
{
	struct rtp_source m = { 0 };
	struct offload_counters c;

	(void)state;
	fx_require();
	for (uint32_t i = 65530; i < 65536 + 10; i++)
		feed(&m, (uint16_t)i, 160u * i, 10);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	assert_int_equal(c.src.cycles, 65536);
	assert_int_equal(rtp_source_ext_max(&c.src), 65536 + 9);
	assert_int_equal(rtp_source_lost(&c.src), 0);
}

static void restart_and_new_ssrc(void **state)
{
	struct rtp_source m = { 0 };
	struct offload_counters c;
	uint32_t r = 12345;

	(void)state;
	fx_require();
	for (uint16_t i = 0; i < 20; i++)
		feed(&m, 100 + i, 0, 11);
	/* a far jump is a bad sequence, confirmed by its successor */
	feed(&m, 40000, 0, 11);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	feed(&m, 40001, 0, 11);
	feed(&m, 40002, 0, 11);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	assert_int_equal(c.src.base_seq, 40001);
	/* pseudo-random walk: gaps, reorder, duplicates, jumps */
	for (int i = 0; i < 500; i++) {
		r = r * 1103515245u + 12345u;
		feed(&m, (uint16_t)(40003 + i + (r >> 16) % 7 - 3 + ((r >> 8) % 97 == 0 ? 5000 : 0)),
		     0, 11);
	}
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	/* a new SSRC starts over, on probation */
	feed(&m, 7, 0, 12);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	assert_int_equal(c.src.ssrc, 12);
	assert_int_equal(rtp_source_expected(&c.src), 0);
}

static void seeded_state_continues(void **state)
{
	struct offload_stream s = stream(0);
	struct rtp_source seed = { 0 }, m = { 0 };
	struct offload_counters c;

	(void)state;
	fx_require();
	/* user space saw 60000..65535 and 0..499 with 20 lost, jitter 40 */
	seed.valid = true;
	seed.ssrc = 13;
	seed.base_seq = 60000;
	seed.cycles = 65536;
	seed.max_seq = 499;
	seed.bad_seq = 65537;
	seed.received = 65536 + 500 - 60000 - 20;
	seed.jitter = 40 * 16;
	assert_int_equal(offload_stream_add_from(&s, &seed), 0);
	rtp_source_copy(&m, &seed);
	for (uint16_t i = 500; i < 600; i++)
		feed(&m, i, 0, 13);
	c = kernel_state();
	assert_same_seq_state(&c.src, &m);
	assert_int_equal(rtp_source_expected(&c.src), 65536 + 600 - 60000);
	assert_int_equal(rtp_source_lost(&c.src), 20);
	/* republishing the rewrite keeps the state */
	s.dst = fx_sa("127.0.0.4", 7000);
	assert_int_equal(offload_stream_add(&s), 0);
	c = kernel_state();
	assert_int_equal(c.src.received, m.received);
	/* a seed replaces what is there */
	assert_int_equal(offload_stream_add_from(&s, &seed), 0);
	c = kernel_state();
	assert_int_equal(c.src.received, seed.received);
	assert_int_equal(c.src.jitter, 40 * 16);
}

/* @n packets @step RTP ticks apart, sent back to back, at @rate Hz; returns
 * the kernel's jitter in timestamp units */
static double jitter_of(uint32_t rate, uint32_t step, unsigned n)
{
	struct offload_stream s = stream(rate);
	struct rtp_source empty = { 0 };

	assert_int_equal(offload_stream_add_from(&s, &empty), 0);
	for (unsigned i = 0; i < n; i++)
		feed(NULL, (uint16_t)(3000 + i), 5000 + step * i, 14);
	struct offload_counters c = kernel_state();
	assert_int_equal(c.clock_rate, rate);
	return c.src.jitter / 16.0;
}

/* With no clock rate from the daemon the program takes the static payload
 * type's, from the table user space uses (lib/rtp), else 8000 as
 * dataplane/dp_io.c does: every payload type 0..127, with and without the
 * marker bit (the stream is not rtcp-mux: all of them are forwarded). */
static void static_clock_rates_as_user_space(void **state)
{
	struct sockaddr_storage from = fx_sa("127.0.0.2", 5000), local = fx_sa("127.0.0.1", PORT);
	uint8_t rtp[64], pkt[FX_MAX_PKT], out[FX_MAX_PKT];
	size_t len, out_len;

	(void)state;
	fx_require();
	for (unsigned b1 = 0; b1 < 256; b1++) {
		uint32_t want = rtp_static_clock_rate(b1 & 0x7f);
		struct offload_counters c;

		len = fx_packet(pkt, &from, &local, rtp, fx_rtp(rtp, (uint8_t)b1, 1, 15, 20), true);
		assert_int_equal(fx_run(pkt, len, out, &out_len), TC_ACT_OK);
		c = kernel_state();
		if (c.clock_rate != (want ? want : 8000))
			fail_msg("payload type %u%s: kernel clock %u, user space %u", b1 & 0x7f,
				 b1 & 0x80 ? " (marker)" : "", c.clock_rate, want ? want : 8000);
	}
}

static void jitter_converges(void **state)
{
	struct rtp_source m = { 0 };
	struct rtp_info ri = { .ssrc = 1 };

	(void)state;
	fx_require();
	/* perfectly paced (timestamps as the arrival): no jitter */
	assert_true(jitter_of(1000, 0, 100) < 1.0);
	/* every packet 100 ticks "late" relative to its predecessor: the
	 * estimate follows J += (100 - J) / 16, as rtp.c computes it */
	double got = jitter_of(1000, 100, 100);
	for (unsigned i = 0; i < 100; i++) {
		ri.seq = (uint16_t)(3000 + i);
		ri.ts = 5000 + 100 * i;
		rtp_source_update(&m, &ri, 0);
	}
	print_message("jitter: kernel %.2f, model %.2f timestamp units\n", got, m.jitter / 16.0);
	assert_true(got > m.jitter / 16.0 - 2.0 && got < m.jitter / 16.0 + 2.0);
	assert_true(got > 95.0);
}

/* The hand-back: the owner's next packet continues from a posted state; a
 * second post returns the first, unpost takes back what was not adopted. */
static void handover_is_adopted_at_next_packet(void **state)
{
	struct rtp_source owner = { 0 }, *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct rtp_info ri = { .ssrc = 5, .seq = 901, .ts = 0 };

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (uint16_t i = 0; i < 10; i++) {
		ri.seq = 100 + i;
		rtp_source_update(&owner, &ri, 0);
	}
	a->valid = true;
	a->ssrc = 5;
	a->max_seq = 900;
	a->base_seq = 101;
	a->bad_seq = 65537;
	a->received = 780;
	rtp_source_copy(b, a);
	assert_null(rtp_source_post(&owner, a));
	assert_ptr_equal(rtp_source_post(&owner, b), a);	/* replaced, not adopted */
	free(a);
	ri.seq = 901;
	rtp_source_update(&owner, &ri, 0);	/* adopts b, then counts 901 */
	assert_int_equal(owner.received, 781);
	assert_int_equal(rtp_source_expected(&owner), 801);
	assert_int_equal(rtp_source_lost(&owner), 20);
	assert_null(rtp_source_unpost(&owner));
	b = calloc(1, sizeof(*b));
	assert_null(rtp_source_post(&owner, b));
	assert_ptr_equal(rtp_source_unpost(&owner), b);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(in_order, add_stream, del_stream),
		cmocka_unit_test_setup_teardown(loss_gap, add_stream, del_stream),
		cmocka_unit_test_setup_teardown(reorder_and_duplicates, add_stream, del_stream),
		cmocka_unit_test_setup_teardown(wrap_at_65535, add_stream, del_stream),
		cmocka_unit_test_setup_teardown(restart_and_new_ssrc, add_stream, del_stream),
		cmocka_unit_test_setup_teardown(seeded_state_continues, add_stream, del_stream),
		cmocka_unit_test_setup_teardown(static_clock_rates_as_user_space, add_stream,
						del_stream),
		cmocka_unit_test_setup_teardown(jitter_converges, add_stream, del_stream),
		cmocka_unit_test(handover_is_adopted_at_next_packet),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
