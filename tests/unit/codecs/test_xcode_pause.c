/*
 * test_xcode_pause.c: a transcoded stream resumes after a pause in its
 * input (silence suppression / DTX, hold, a network stall).
 *
 * Driven as the worker drives it: push then pull on every arrival, and a
 * pull from a 5 ms timer that keeps running through the pause. The sender
 * sends 1 s of PCMU, stops, then resumes the way real senders do: sequence
 * and timestamp simply continuing, sequence continuing with the timestamp
 * jumped by the pause (DTX), both jumped (a stall that lost everything), or
 * a new SSRC with fresh numbering (after a hold), or the same SSRC with its
 * sequence numbers restarted behind the old ones (a sender or B2BUA that
 * renumbers; the bench's generator does this between runs). Output must come
 * back within 100 ms of the first resumed packet and keep flowing, made of
 * the resumed audio (not concealment of frames the buffer thinks it lost).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codecs/codec.h"
#include "codecs/transcode.h"
#include "lib/rtp.h"
#include "tests/unit/codecs/signal.h"

#define TICK_MS 5
#define PTIME 20
#define T0 10000ull

enum resume { SAME_SEQ_TS, TS_JUMP, SEQ_TS_JUMP, NEW_SSRC, RENUMBERED };
static const char *const resume_name[] = { "seq+ts continue", "ts jump (DTX)",
	"seq+ts jump (stall)", "new SSRC (hold)", "same SSRC, numbering restarted" };

struct sender {
	struct codec *enc;
	uint32_t ssrc, ts;
	uint16_t seq;
	unsigned n;	/* packets sent, for the signal phase */
};

struct run {
	struct xcode *x;
	uint64_t now;
	unsigned out;		/* packets out so far */
	uint64_t last_out;	/* time of the last output packet */
};

static void pull_all(struct run *r)
{
	uint8_t out[1500];
	int n;

	while ((n = xcode_pull(r->x, r->now, out, sizeof(out))) > 0) {
		struct rtp_info h;

		assert_int_equal(rtp_parse(out, (size_t)n, &h), 0);
		r->out++;
		r->last_out = r->now;
	}
	assert_true(n == 0);
}

static void send_one(struct run *r, struct sender *s)
{
	uint8_t pkt[12 + 160];
	int16_t pcm[160];

	sig_voice(pcm, 160, 8000, 9000, s->n * 160);
	assert_int_equal(codec_encode(s->enc, pcm, pkt + 12, 160), 160);
	rtp_write_hdr(pkt, s->n == 0, 0, s->seq++, s->ts, s->ssrc);
	s->ts += 160;
	s->n++;
	assert_int_equal(xcode_push(r->x, pkt, sizeof(pkt), r->now), 0);
	pull_all(r);
}

/* Advance the clock to @until, sending a packet every PTIME while @talk. */
static void run_until(struct run *r, struct sender *s, uint64_t until, bool talk)
{
	uint64_t next_pkt = r->now;

	while (r->now < until) {
		if (talk && r->now >= next_pkt) {
			send_one(r, s);
			next_pkt += PTIME;
		}
		r->now++;
		if (r->now % TICK_MS == 0)
			pull_all(r);
	}
}

static void pause_case(const struct codec_desc *out_codec, unsigned pause_ms, enum resume how)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = out_codec, .in_pt = 0,
				  .out_pt = 9, .in_dtmf_pt = -1, .out_dtmf_pt = -1,
				  .complexity = -1, .resample_quality = -1 };
	struct codec_params pp = { .channels = 1 };
	struct sender s = { .ssrc = 0x1234, .ts = 4000, .seq = 65500 };
	struct run r = { .now = T0 };
	unsigned before, resumed_out;
	uint64_t resume_at, plc_before;
	struct xcode_stats st;

	assert_int_equal(codec_new(&codec_pcmu, &pp, &s.enc), 0);
	assert_int_equal(xcode_new(&c, &r.x), 0);
	run_until(&r, &s, T0 + 1000, true);
	assert_true(r.out >= 45);
	run_until(&r, &s, T0 + 1000 + pause_ms, false);
	before = r.out;
	switch (how) {
	case SAME_SEQ_TS:
		break;
	case TS_JUMP:
		s.ts += pause_ms * 8;
		break;
	case SEQ_TS_JUMP:
		s.ts += pause_ms * 8;
		s.seq += (uint16_t)(pause_ms / PTIME);
		break;
	case NEW_SSRC:
		s.ssrc = 0xbeef;
		s.seq = 17;
		s.ts = 0x80000000u;
		break;
	case RENUMBERED:
		s.ts += pause_ms * 8;
		s.seq = 65500;	/* where it started, 1 s of packets ago */
		break;
	}
	xcode_stats(r.x, &st);
	plc_before = st.plc_frames;
	resume_at = r.now;
	run_until(&r, &s, resume_at + 100, true);
	if (r.out == before)
		fail_msg("%s pause %u ms, %s: no output within 100 ms", out_codec->name,
			 pause_ms, resume_name[how]);
	resumed_out = r.out;
	run_until(&r, &s, resume_at + 1000, true);
	/* keeps flowing: about one frame per 20 ms for the remaining 900 ms */
	if (r.out - resumed_out < 40 || r.now - r.last_out > 60)
		fail_msg("%s pause %u ms, %s: %u frames in 900 ms after resuming",
			 out_codec->name, pause_ms, resume_name[how], r.out - resumed_out);
	xcode_stats(r.x, &st);
	if (st.plc_frames - plc_before > 3)
		fail_msg("%s pause %u ms, %s: %llu frames concealed after resuming",
			 out_codec->name, pause_ms, resume_name[how],
			 (unsigned long long)(st.plc_frames - plc_before));
	xcode_free(r.x);
	codec_free(s.enc);
}

static void all_resumes(const struct codec_desc *out_codec, unsigned pause_ms)
{
	pause_case(out_codec, pause_ms, SAME_SEQ_TS);
	pause_case(out_codec, pause_ms, TS_JUMP);
	pause_case(out_codec, pause_ms, SEQ_TS_JUMP);
	pause_case(out_codec, pause_ms, NEW_SSRC);
	pause_case(out_codec, pause_ms, RENUMBERED);
}

static void test_short_gap(void **s) { (void)s; all_resumes(&codec_g722, 300); }
/* No pause at all: the numbering restarts in mid-talk. */
static void test_renumbered_in_talk(void **s)
{
	(void)s;
	pause_case(&codec_g722, 0, RENUMBERED);
}
static void test_pause_1500(void **s) { (void)s; all_resumes(&codec_g722, 1500); }
static void test_pause_5000(void **s) { (void)s; all_resumes(&codec_g722, 5000); }
static void test_pause_opus(void **s) { (void)s; all_resumes(&codec_opus, 1500); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_gap),
		cmocka_unit_test(test_renumbered_in_talk),
		cmocka_unit_test(test_pause_1500),
		cmocka_unit_test(test_pause_5000),
		cmocka_unit_test(test_pause_opus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
