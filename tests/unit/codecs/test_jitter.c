/*
 * test_jitter.c: the jitter buffer's behaviour as a table of steps (put a
 * packet at time t / get a frame at time t, with the expected outcome), plus
 * simulated long runs for clock drift and adaptive depth.
 * 8 kHz clock, 20 ms frames (160 timestamp units), minimum depth one frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>

#include "codecs/jitter.h"

#define A 0x1111u
#define B 0x2222u
#define TS(seq) ((uint32_t)(seq) * 160u)

enum op { PUT, GET, GETW /* get, underrun not concealed */, END };

struct step {
	enum op op;
	uint64_t t;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	int expect;	/* enum jb_put_result / enum jb_get_result */
	int seq_out;	/* GET -> JB_FRAME: which packet; JB_LOST: 1 = FEC packet offered */
};

#define P(t_, ssrc_, seq_, res_) { PUT, t_, ssrc_, seq_, TS(seq_), res_, 0 }
#define PT(t_, seq_, ts_, res_) { PUT, t_, A, seq_, ts_, res_, 0 }
#define G(t_, res_, seq_) { GET, t_, 0, 0, 0, res_, seq_ }
#define GW(t_, res_) { GETW, t_, 0, 0, 0, res_, 0 }

static void run(const struct step *s)
{
	struct jitter_buffer *jb;

	assert_int_equal(jb_new(8000, 20, 0, 0, &jb), 0);
	for (unsigned i = 0; s[i].op != END; i++) {
		const struct step *st = &s[i];

		if (st->op == PUT) {
			uint8_t pay[2] = { (uint8_t)st->seq, (uint8_t)(st->seq >> 8) };

			if ((int)jb_put(jb, st->ssrc, st->seq, st->ts, 0, false, pay, 2, st->t) !=
			    st->expect)
				fail_msg("step %u: put seq %u: unexpected result", i, st->seq);
		} else {
			struct jb_frame f;
			int r = jb_get(jb, st->t, st->op == GET, &f);

			if (r != st->expect)
				fail_msg("step %u: get -> %d, expected %d", i, r, st->expect);
			if (r == JB_FRAME && (f.data[0] | f.data[1] << 8) != st->seq_out)
				fail_msg("step %u: got seq %u, expected %d", i,
					 f.data[0] | f.data[1] << 8, st->seq_out);
			if (r == JB_LOST && (f.next != NULL) != (st->seq_out == 1))
				fail_msg("step %u: FEC packet %s", i, f.next ? "offered" : "missing");
			if (r == JB_LOST)
				assert_int_equal(f.duration, 160);
		}
	}
	jb_free(jb);
}

static void test_in_order(void **state)
{
	(void)state;
	run((struct step[]){ G(0, JB_EMPTY, 0), P(0, A, 10, JB_PUT_OK), G(0, JB_FRAME, 10),
			     P(20, A, 11, JB_PUT_OK), G(20, JB_FRAME, 11), P(40, A, 12, JB_PUT_OK),
			     G(40, JB_FRAME, 12), { .op = END } });
}

static void test_reordered(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 0, JB_PUT_OK), G(0, JB_FRAME, 0), P(20, A, 2, JB_PUT_OK),
			     P(22, A, 1, JB_PUT_OK), G(30, JB_FRAME, 1), G(40, JB_FRAME, 2),
			     { .op = END } });
}

static void test_duplicate(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 0, JB_PUT_OK), P(1, A, 0, JB_PUT_DUP), G(1, JB_FRAME, 0),
			     P(2, A, 0, JB_PUT_LATE), P(20, A, 1, JB_PUT_OK), P(21, A, 1, JB_PUT_DUP),
			     G(21, JB_FRAME, 1), GW(40, JB_EMPTY), { .op = END } });
}

/* A hole with a packet behind it is a loss (the next packet is offered for
 * FEC); a packet that comes after its slot was played is late and dropped. */
static void test_loss(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 0, JB_PUT_OK), G(0, JB_FRAME, 0), P(40, A, 2, JB_PUT_OK),
			     G(40, JB_LOST, 1), G(40, JB_FRAME, 2), P(45, A, 1, JB_PUT_LATE),
			     P(60, A, 5, JB_PUT_OK), G(60, JB_LOST, 0), G(60, JB_LOST, 1),
			     G(60, JB_FRAME, 5), { .op = END } });
}

/* A packet that is late but not yet given up: the underrun is concealed
 * without moving the playout point, and the packet still plays. */
static void test_underrun_stalls(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 0, JB_PUT_OK), G(0, JB_FRAME, 0), GW(20, JB_EMPTY),
			     G(30, JB_LOST, 0), P(35, A, 1, JB_PUT_OK), G(50, JB_FRAME, 1),
			     P(55, A, 2, JB_PUT_OK), G(70, JB_FRAME, 2), { .op = END } });
}

/* The sender goes quiet (DTX, hold): after 200 ms of underrun the buffer goes
 * idle and hands out nothing; the next packet, with its timestamp far ahead,
 * starts playout again. */
static void test_silence_and_ts_jump(void **state)
{
	(void)state;
	run((struct step[]){ PT(0, 0, 0, JB_PUT_OK), G(0, JB_FRAME, 0), G(20, JB_LOST, 0),
			     G(40, JB_LOST, 0), G(60, JB_LOST, 0), G(80, JB_LOST, 0),
			     G(100, JB_LOST, 0), G(120, JB_LOST, 0), G(140, JB_LOST, 0),
			     G(160, JB_LOST, 0), G(180, JB_LOST, 0), G(200, JB_LOST, 0),
			     G(220, JB_EMPTY, 0), G(240, JB_EMPTY, 0),
			     PT(3000, 1, 8000 * 3, JB_PUT_OK), G(3000, JB_FRAME, 1),
			     PT(3020, 2, 8000 * 3 + 160, JB_PUT_OK), G(3020, JB_FRAME, 2), { .op = END } });
}

#define QUIET_FROM(t0) G(t0, JB_LOST, 0), G(t0 + 20, JB_LOST, 0), G(t0 + 40, JB_LOST, 0), \
	G(t0 + 60, JB_LOST, 0), G(t0 + 80, JB_LOST, 0), G(t0 + 100, JB_LOST, 0), \
	G(t0 + 120, JB_LOST, 0), G(t0 + 140, JB_LOST, 0), G(t0 + 160, JB_LOST, 0), \
	G(t0 + 180, JB_LOST, 0), G(t0 + 200, JB_EMPTY, 0)

/* Once idle, the old playout point means nothing: a sender that resumes
 * with its numbering restarted behind it (same SSRC) plays at once instead
 * of being dropped as late for good. */
static void test_idle_resume_renumbered(void **state)
{
	(void)state;
	run((struct step[]){ PT(0, 100, 0, JB_PUT_OK), G(0, JB_FRAME, 100), QUIET_FROM(20),
			     PT(3000, 5, 8000 * 3, JB_PUT_RESET), G(3000, JB_FRAME, 5),
			     PT(3020, 6, 8000 * 3 + 160, JB_PUT_OK), G(3020, JB_FRAME, 6),
			     { .op = END } });
}

/* ... and one that resumes after a stall that lost 100 packets plays its
 * first packet at once: the frames missed while idle are not concealed. */
static void test_idle_resume_after_stall(void **state)
{
	(void)state;
	run((struct step[]){ PT(0, 100, 0, JB_PUT_OK), G(0, JB_FRAME, 100), QUIET_FROM(20),
			     PT(2000, 201, 16000, JB_PUT_RESET), G(2000, JB_FRAME, 201),
			     PT(2020, 202, 16160, JB_PUT_OK), G(2020, JB_FRAME, 202),
			     { .op = END } });
}

/* While playing: one packet far behind the playout point is dropped as late;
 * far behind and confirmed by its successor, the sender renumbered and the
 * buffer follows it (RFC 3550 A.1 style). */
static void test_renumbered_while_playing(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 100, JB_PUT_OK), G(0, JB_FRAME, 100), P(20, A, 101, JB_PUT_OK),
			     G(20, JB_FRAME, 101), P(40, A, 50, JB_PUT_LATE),
			     P(41, A, 102, JB_PUT_OK), P(42, A, 51, JB_PUT_LATE),
			     G(42, JB_FRAME, 102), P(60, A, 52, JB_PUT_RESET),
			     G(60, JB_FRAME, 52), P(80, A, 53, JB_PUT_OK), G(80, JB_FRAME, 53),
			     { .op = END } });
}

static void test_ssrc_change(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 0, JB_PUT_OK), G(0, JB_FRAME, 0), P(20, A, 1, JB_PUT_OK),
			     P(21, B, 5000, JB_PUT_RESET), G(21, JB_FRAME, 5000),
			     P(40, A, 2, JB_PUT_RESET), G(40, JB_FRAME, 2), { .op = END } });
}

static void test_seq_jump_and_wrap(void **state)
{
	(void)state;
	run((struct step[]){ P(0, A, 65534, JB_PUT_OK), G(0, JB_FRAME, 65534),
			     P(20, A, 65535, JB_PUT_OK), G(20, JB_FRAME, 65535),
			     P(40, A, 0, JB_PUT_OK), G(40, JB_FRAME, 0), P(60, A, 1, JB_PUT_OK),
			     G(60, JB_FRAME, 1), P(80, A, 30000, JB_PUT_RESET),
			     G(80, JB_FRAME, 30000), P(100, A, 29000, JB_PUT_RESET),
			     G(100, JB_FRAME, 29000), { .op = END } });
}

/* Simulate @secs of a sender whose packets are @period_us apart, pulled
 * every 20 ms, arrival jitter uniform in [0, @jitter_ms). */
static void simulate(struct jitter_buffer *jb, unsigned secs, unsigned period_us,
		     unsigned jitter_ms, struct jb_stats *st)
{
	uint64_t next_get = 0;
	uint16_t seq = 0;
	uint8_t pay[2] = { 0 };

	srand(7);
	for (uint64_t us = 0; us < secs * 1000000ull; us += period_us) {
		uint64_t arrive = us / 1000 + (jitter_ms ? (unsigned)rand() % jitter_ms : 0);

		while (next_get <= arrive) {
			struct jb_frame f;

			jb_get(jb, next_get, true, &f);
			next_get += 20;
		}
		jb_put(jb, A, seq, TS(seq), 0, false, pay, 2, arrive);
		seq++;
	}
	jb_get_stats(jb, st);
}

/* Sender clock 5 % fast: without correction the buffer would overflow within
 * a few seconds; it must drop a frame now and then and stay shallow. */
static void test_drift_fast_sender(void **state)
{
	struct jitter_buffer *jb;
	struct jb_stats st;

	(void)state;
	assert_int_equal(jb_new(8000, 20, 0, 0, &jb), 0);
	simulate(jb, 60, 19000, 0, &st);
	print_message("fast: drift drops %llu overflow %llu depth %u target %u\n",
		      (unsigned long long)st.drift_drops, (unsigned long long)st.overflow, st.depth,
		      st.target);
	assert_true(st.drift_drops > 100);
	assert_int_equal(st.overflow, 0);
	assert_true(st.depth <= st.target + 3);
	jb_free(jb);
}

/* Sender clock 5 % slow: underruns are concealed and nothing is dropped. */
static void test_drift_slow_sender(void **state)
{
	struct jitter_buffer *jb;
	struct jb_stats st;

	(void)state;
	assert_int_equal(jb_new(8000, 20, 0, 0, &jb), 0);
	simulate(jb, 60, 21000, 0, &st);
	print_message("slow: received %llu played %llu underruns %llu\n",
		      (unsigned long long)st.received, (unsigned long long)st.played,
		      (unsigned long long)st.underruns);
	assert_true(st.underruns > 100);
	assert_true(st.played + 2 >= st.received);
	assert_int_equal(st.lost + st.late + st.drift_drops + st.overflow, 0);
	jb_free(jb);
}

/* Depth follows the jitter: steady arrivals keep one frame, 60 ms of
 * arrival jitter grows the target so that little is lost to lateness. */
static void test_adaptive_depth(void **state)
{
	struct jitter_buffer *jb;
	struct jb_stats st;

	(void)state;
	assert_int_equal(jb_new(8000, 20, 0, 0, &jb), 0);
	simulate(jb, 20, 20000, 0, &st);
	assert_int_equal(st.target, 1);
	assert_int_equal(st.lost + st.late, 0);
	jb_free(jb);

	assert_int_equal(jb_new(8000, 20, 0, 0, &jb), 0);
	simulate(jb, 20, 20000, 60, &st);
	print_message("jitter %.1f ms: target %u frames, late %llu lost %llu of %llu\n",
		      st.jitter_ms, st.target, (unsigned long long)st.late,
		      (unsigned long long)st.lost, (unsigned long long)st.received);
	assert_true(st.jitter_ms > 10);
	assert_true(st.target >= 3);
	assert_true((st.late + st.lost) * 100 < st.received * 3);	/* < 3 % */
	jb_free(jb);

	/* Bounds are honoured. */
	assert_int_equal(jb_new(8000, 20, 40, 60, &jb), 0);
	simulate(jb, 5, 20000, 200, &st);
	assert_true(st.target >= 2 && st.target <= 3);
	jb_free(jb);
	assert_int_equal(jb_new(0, 20, 0, 0, &jb), -EINVAL);
}

static void test_oversized_payload(void **state)
{
	struct jitter_buffer *jb;
	static uint8_t big[JB_MAX_PAYLOAD + 1];

	(void)state;
	struct jb_stats st;
	struct jb_frame f;

	assert_int_equal(jb_new(8000, 20, 0, 0, &jb), 0);
	assert_int_equal(jb_put(jb, A, 0, 0, 0, false, big, sizeof(big), 0), JB_PUT_OVERSIZE);
	/* counted as what it is, not as late, and the stream goes on */
	jb_get_stats(jb, &st);
	assert_int_equal(st.oversize, 1);
	assert_int_equal(st.received, 1);
	assert_int_equal(st.late + st.dup + st.resets, 0);
	assert_int_equal(jb_put(jb, A, 1, 160, 0, false, big, 2, 20), JB_PUT_OK);
	assert_int_equal(jb_get(jb, 20, true, &f), JB_FRAME);
	assert_int_equal(f.ts, 160);
	/* oversize behind the playout point is still oversize */
	assert_int_equal(jb_put(jb, A, 0, 0, 0, false, big, sizeof(big), 21), JB_PUT_OVERSIZE);
	jb_get_stats(jb, &st);
	assert_int_equal(st.oversize, 2);
	assert_int_equal(st.late, 0);
	jb_free(jb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_underrun_stalls),
		cmocka_unit_test(test_silence_and_ts_jump),
		cmocka_unit_test(test_idle_resume_renumbered),
		cmocka_unit_test(test_idle_resume_after_stall),
		cmocka_unit_test(test_renumbered_while_playing),
		cmocka_unit_test(test_ssrc_change),
		cmocka_unit_test(test_seq_jump_and_wrap),
		cmocka_unit_test(test_drift_fast_sender),
		cmocka_unit_test(test_drift_slow_sender),
		cmocka_unit_test(test_adaptive_depth),
		cmocka_unit_test(test_oversized_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
