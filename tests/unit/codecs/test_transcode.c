/*
 * test_transcode.c: the transcoding pipeline end to end, on a simulated
 * network and clock.
 *
 *   voice 8 kHz -> PCMU RTP -> [net: jitter, reorder, dups, loss] -> xcode A
 *   (PCMU -> X) -> xcode B (X -> PCMU) -> decoded by the test, placed by RTP
 *   timestamp, compared with the input (per 100 ms segment, best delay).
 *
 * The data-plane contract is exercised as the worker will drive it: pull
 * after every push, and from a 10 ms timer. Also: DTMF carried across with a
 * renumbered PT and re-timed, dropped when the far side has no
 * telephone-event, and an output SSRC/sequence/timestamp space that does not
 * follow the input's (SSRC change, sequence jump).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codecs/codec.h"
#include "codecs/g711.h"
#include "codecs/resample.h"
#include "codecs/transcode.h"
#include "lib/rtp.h"
#include "tests/unit/codecs/signal.h"

#define SECS 4
#define RATE 8000
#define NSAMP (SECS * RATE)
#define MAXPKT (SECS * 50 * 2 + 64)
#define PT_IN 0
#define PT_X 96
#define DTMF_IN 101
#define DTMF_X 100

struct pkt {
	uint64_t t;
	uint16_t len;
	uint8_t data[1500];
};

struct net {
	unsigned loss_pct, dup_pct, jitter_ms;
	unsigned dtmf_at_ms;	/* 0 = none: else a '5' of 200 ms starting here */
	uint32_t ssrc_change_at;	/* packet index, 0 = none */
};

/* Output packets of one stage, as they left it. */
struct capture {
	struct pkt *p;
	unsigned n;
};

static int16_t input[NSAMP], output[NSAMP + RATE];
static struct pkt sent[MAXPKT], mid[MAXPKT * 2], fin[MAXPKT * 2];

static int by_time(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

static void add_dtmf(unsigned *n, uint64_t t, uint32_t ts, uint16_t seq, uint16_t dur, bool end,
		     uint32_t ssrc)
{
	struct pkt *p = &sent[(*n)++];

	rtp_write_hdr(p->data, dur == 160, DTMF_IN, seq, ts, ssrc);
	p->data[12] = 5;
	p->data[13] = (uint8_t)((end ? 0x80 : 0) | 10);
	p->data[14] = (uint8_t)(dur >> 8);
	p->data[15] = (uint8_t)dur;
	p->len = 16;
	p->t = t;
}

/* Build the impaired packet stream in arrival order. */
static unsigned make_stream(const struct net *net)
{
	struct codec *enc;
	struct codec_params cp = { .channels = 1 };
	unsigned n = 0;
	uint16_t seq = 1000;
	uint32_t ssrc = 0xAAAA0001;

	assert_int_equal(codec_new(&codec_pcmu, &cp, &enc), 0);
	sig_voice(input, NSAMP, RATE, 12000, 0);
	srand(42);
	for (unsigned i = 0; i < NSAMP / 160; i++, seq++) {
		uint64_t t = i * 20ull + (net->jitter_ms ? (unsigned)rand() % net->jitter_ms : 0);
		struct pkt *p;

		if (net->ssrc_change_at && i == net->ssrc_change_at) {
			ssrc = 0xBBBB0002;
			seq += 20000;
		}
		if (net->dtmf_at_ms && i * 20 >= net->dtmf_at_ms && i * 20 < net->dtmf_at_ms + 200) {
			unsigned k = (i * 20 - net->dtmf_at_ms) / 20;
			uint32_t ets = net->dtmf_at_ms * 8;

			add_dtmf(&n, t, ets, seq++, (uint16_t)(160 * (k + 1)), false, ssrc);
			if (k == 9)
				for (int e = 0; e < 3; e++)
					add_dtmf(&n, t + 1, ets, seq++, 1600, true, ssrc);
		}
		if ((unsigned)rand() % 100 < net->loss_pct)
			continue;
		p = &sent[n++];
		rtp_write_hdr(p->data, i == 0, PT_IN, seq, i * 160u + 0x10000, ssrc);
		assert_int_equal(codec_encode(enc, input + i * 160, p->data + 12, 160), 160);
		p->len = 172;
		p->t = t;
		if ((unsigned)rand() % 100 < net->dup_pct) {
			sent[n] = *p;
			sent[n++].t = t + 1 + (unsigned)rand() % 5;
		}
	}
	codec_free(enc);
	qsort(sent, n, sizeof(sent[0]), by_time);
	return n;
}

static void drain(struct xcode *x, uint64_t now, struct capture *out)
{
	int len;

	while ((len = xcode_pull(x, now, out->p[out->n].data, sizeof(out->p[0].data))) > 0) {
		out->p[out->n].len = (uint16_t)len;
		out->p[out->n].t = now;
		out->n++;
	}
	assert_true(len == 0);
}

/* Run both stages on a 1 ms clock. */
static void run_pipeline(struct xcode *a, struct xcode *b, unsigned n_in, struct capture *ca,
			 struct capture *cb)
{
	unsigned next = 0, fed_b = 0;

	for (uint64_t now = 0; now < SECS * 1000 + 600; now++) {
		while (next < n_in && sent[next].t <= now) {
			xcode_push(a, sent[next].data, sent[next].len, now);
			next++;
			drain(a, now, ca);
		}
		if (now % 10 == 0)
			drain(a, now, ca);
		while (fed_b < ca->n) {
			xcode_push(b, ca->p[fed_b].data, ca->p[fed_b].len, now);
			fed_b++;
			drain(b, now, cb);
		}
		if (now % 10 == 0)
			drain(b, now, cb);
	}
}

/* Every output packet: our PT(s), one SSRC, sequence +1 each, timestamps
 * in whole frames. */
static void check_stream(const struct capture *c, uint8_t pt, int dtmf_pt, uint32_t frame_ts)
{
	struct rtp_info h, first;

	assert_true(c->n > 0);
	assert_int_equal(rtp_parse(c->p[0].data, c->p[0].len, &first), 0);
	assert_true(first.marker);
	for (unsigned i = 1; i < c->n; i++) {
		assert_int_equal(rtp_parse(c->p[i].data, c->p[i].len, &h), 0);
		assert_int_equal(h.ssrc, first.ssrc);
		assert_int_equal(h.seq, (uint16_t)(first.seq + i));
		assert_true(h.pt == pt || (dtmf_pt >= 0 && h.pt == dtmf_pt));
		if (h.pt == pt)
			assert_int_equal((h.ts - first.ts) % frame_ts, 0);
	}
}

/* Decode the final PCMU packets into output[] by timestamp. */
static unsigned place_output(const struct capture *c)
{
	struct rtp_info h;
	uint32_t ts0 = 0;
	unsigned end = 0;

	memset(output, 0, sizeof(output));
	for (unsigned i = 0; i < c->n; i++) {
		uint32_t off;

		assert_int_equal(rtp_parse(c->p[i].data, c->p[i].len, &h), 0);
		if (h.pt != PT_IN)
			continue;
		if (!end)
			ts0 = h.ts;
		off = h.ts - ts0;
		if (off + h.payload_len > NSAMP + RATE)
			break;
		for (size_t k = 0; k < h.payload_len; k++)
			output[off + k] = g711_ulaw_decode(c->p[i].data[h.hdr_len + k]);
		end = off + (unsigned)h.payload_len;
	}
	return end;
}


struct seg_quality {
	double corr, segsnr;
};

/* Mean over 100 ms segments (skipping the first 200 ms) of the best
 * correlation and of the SNR at that alignment (clamped to [-10, 40] dB, as
 * segmental SNR is). */
static struct seg_quality segmented(unsigned got)
{
	struct seg_quality r = { 0 };
	unsigned nseg = 0;

	for (unsigned s0 = 1600; s0 + 800 + 2400 <= got && s0 + 800 <= NSAMP; s0 += 800) {
		struct quality best = { 0 };

		for (unsigned lag = 0; lag <= 2400; lag++) {
			struct quality q = quality_window(input + s0, output + s0, 800, lag);

			if (q.corr > best.corr)
				best = q;
		}
		r.corr += best.corr;
		r.segsnr += best.snr_db < -10 ? -10 : best.snr_db > 40 ? 40 : best.snr_db;
		nseg++;
	}
	assert_true(nseg > 10);
	r.corr /= nseg;
	r.segsnr /= nseg;
	return r;
}

static struct capture cap_a = { mid, 0 }, cap_b = { fin, 0 };

static struct seg_quality run_case(const struct codec_desc *x, const struct net *net,
				   struct xcode_stats *sa, struct xcode_stats *sb)
{
	struct xcode_config ca = { .in_codec = &codec_pcmu, .out_codec = x, .in_pt = PT_IN,
				   .out_pt = PT_X, .in_dtmf_pt = DTMF_IN, .out_dtmf_pt = DTMF_X,
				   .complexity = -1, .resample_quality = -1 };
	struct xcode_config cb = { .in_codec = x, .out_codec = &codec_pcmu, .in_pt = PT_X,
				   .out_pt = PT_IN, .in_dtmf_pt = DTMF_X, .out_dtmf_pt = DTMF_IN,
				   .complexity = -1, .resample_quality = -1 };
	struct xcode *a, *b;
	unsigned n = make_stream(net), got;
	struct seg_quality q;

	assert_int_equal(xcode_new(&ca, &a), 0);
	assert_int_equal(xcode_new(&cb, &b), 0);
	cap_a.n = cap_b.n = 0;
	run_pipeline(a, b, n, &cap_a, &cap_b);
	check_stream(&cap_a, PT_X, DTMF_X, x->clock_rate / 50);
	check_stream(&cap_b, PT_IN, DTMF_IN, 160);
	xcode_stats(a, sa);
	xcode_stats(b, sb);
	got = place_output(&cap_b);
	q = segmented(got);
	print_message("PCMU->%s->PCMU loss %u%% dup %u%% jitter %u ms: corr %.3f segSNR %.1f dB; "
		      "A: in %llu out %llu plc %llu fec %llu late/dup %llu jb target %u; B: plc %llu\n",
		      x->name, net->loss_pct, net->dup_pct, net->jitter_ms, q.corr, q.segsnr,
		      (unsigned long long)sa->in_packets, (unsigned long long)sa->out_packets,
		      (unsigned long long)sa->plc_frames, (unsigned long long)sa->fec_frames,
		      (unsigned long long)sa->in_dropped, sa->jb.target,
		      (unsigned long long)sb->plc_frames);
	xcode_free(a);
	xcode_free(b);
	return q;
}

/* The same chain without the relay: PCMU -> decode -> resample -> X ->
 * resample -> PCMU, frame by frame through the codec API and two resamplers.
 * What the pipeline should match on a clean network. */
static struct seg_quality direct_reference(const struct codec_desc *x)
{
	struct codec_params p8 = { .channels = 1 }, px = { .channels = 1, .complexity = -1,
							    .pcm_rate = 8000 };
	struct codec *u, *c;
	struct resampler *up, *down;
	int16_t a[CODEC_MAX_FRAME_SAMPLES], b[CODEC_MAX_FRAME_SAMPLES];
	uint8_t pay[CODEC_MAX_PAYLOAD];
	unsigned out = 0, fifo = 0;
	static int16_t xin[NSAMP * 6];

	assert_int_equal(codec_new(&codec_pcmu, &p8, &u), 0);
	assert_int_equal(codec_new(x, &px, &c), 0);
	assert_int_equal(resample_new(1, 8000, c->pcm_rate, RESAMPLE_DEFAULT_QUALITY, &up), 0);
	assert_int_equal(resample_new(1, c->pcm_rate, 8000, RESAMPLE_DEFAULT_QUALITY, &down), 0);
	memset(output, 0, sizeof(output));
	sig_voice(input, NSAMP, RATE, 12000, 0);
	for (unsigned i = 0; i + 160 <= NSAMP; i += 160) {
		int n = codec_encode(u, input + i, pay, sizeof(pay));

		codec_decode(u, pay, (size_t)n, a, 160);
		fifo += (unsigned)resample_run(up, a, 160, xin + fifo, CODEC_MAX_FRAME_SAMPLES);
	}
	for (unsigned i = 0; i + c->frame_samples <= fifo; i += c->frame_samples) {
		int n = codec_encode(c, xin + i, pay, sizeof(pay));

		n = codec_decode(c, pay, (size_t)n, a, CODEC_MAX_FRAME_SAMPLES);
		n = resample_run(down, a, (unsigned)n, b, CODEC_MAX_FRAME_SAMPLES);
		for (int k = 0; k < n && out < NSAMP + RATE; k++)
			output[out++] = g711_ulaw_decode(g711_ulaw_encode(b[k]));
	}
	resample_free(up);
	resample_free(down);
	codec_free(c);
	codec_free(u);
	return segmented(out);
}

struct qcase {
	const struct codec_desc *x;
	double clean_corr, clean_snr, bad_corr;
};

static const struct net clean = { 0 };
static const struct net rough = { .loss_pct = 5, .dup_pct = 3, .jitter_ms = 45 };

static void quality_case(const struct qcase *k)
{
	struct xcode_stats sa, sb;
	struct seg_quality ref = direct_reference(k->x);
	struct seg_quality q = run_case(k->x, &clean, &sa, &sb);

	print_message("direct round trip through %s: corr %.3f segSNR %.1f dB\n", k->x->name,
		      ref.corr, ref.segsnr);

	/* On a clean network the relay is as good as the codecs themselves. */
	assert_true(q.corr >= ref.corr - 0.02);
	assert_true(q.segsnr >= ref.segsnr - 0.7);
	assert_true(q.corr >= k->clean_corr);
	assert_true(q.segsnr >= k->clean_snr);
	/* Nothing concealed but the 200 ms tail after the sender stopped. */
	assert_true(sa.plc_frames <= 11 && sb.plc_frames <= 11);
	assert_true(sa.out_packets >= SECS * 50 && sa.out_packets <= SECS * 50 + 11);

	q = run_case(k->x, &rough, &sa, &sb);
	assert_true(q.corr >= k->bad_corr);
	assert_true(sa.plc_frames + sa.fec_frames > 0);	/* losses were concealed */
	assert_true(sa.in_dropped > 0);			/* duplicates were dropped */
	assert_true(sa.jb.target > 1);			/* the buffer grew with jitter */
	/* Every frame of time got a packet out, give or take the buffering. */
	assert_true(sa.out_packets + 10 >= SECS * 50);
}

/* Absolute floors sit under what each codec measured here on this signal
 * (waveform correlation is low for the model-based codecs by nature). */
static void test_g722(void **s) { (void)s; quality_case(&(struct qcase){ &codec_g722, 0.99, 33, 0.9 }); }
static void test_g729(void **s) { (void)s; quality_case(&(struct qcase){ &codec_g729, 0.5, 0.3, 0.45 }); }
static void test_opus(void **s) { (void)s; quality_case(&(struct qcase){ &codec_opus, 0.7, 3, 0.6 }); }
static void test_pcma(void **s) { (void)s; quality_case(&(struct qcase){ &codec_pcma, 0.99, 34, 0.9 }); }

/* DTMF: an event in the middle of the call comes out on the other side's
 * telephone-event PT, at its clock, in the output's timestamp space. */
static void test_dtmf_across(void **state)
{
	struct net net = { .dtmf_at_ms = 1000 };
	struct xcode_stats sa, sb;
	struct rtp_info h, prev_audio = { 0 };
	unsigned events = 0, markers = 0, ends = 0;
	uint32_t ets = 0;

	(void)state;
	run_case(&codec_opus, &net, &sa, &sb);
	assert_int_equal(sa.dtmf_in, 13);
	assert_int_equal(sa.dtmf_out, 13);
	/* The events' sequence numbers were not taken for lost audio. */
	assert_true(sa.plc_frames <= 11);
	for (unsigned i = 0; i < cap_a.n; i++) {
		assert_int_equal(rtp_parse(cap_a.p[i].data, cap_a.p[i].len, &h), 0);
		if (h.pt != DTMF_X) {
			prev_audio = h;
			continue;
		}
		if (!events++) {
			ets = h.ts;
			/* The event starts at the audio frame current then. */
			assert_true(h.ts - prev_audio.ts <= 2 * 960);
		}
		const uint8_t *ev = cap_a.p[i].data + h.hdr_len;

		assert_int_equal(h.ts, ets);
		assert_int_equal(h.payload_len, 4);
		assert_int_equal(ev[0], 5);
		markers += h.marker;
		ends += (ev[1] & 0x80) != 0;
		/* 8 kHz durations scaled to 48 kHz */
		assert_int_equal((ev[2] << 8 | ev[3]) % 960, 0);
	}
	assert_int_equal(events, 13);
	assert_int_equal(markers, 1);
	assert_int_equal(ends, 3);
	/* And back to 8 kHz on the way home. */
	assert_int_equal(sb.dtmf_out, 13);
}

/* Only one side has telephone-event: events are dropped (counted), the audio
 * goes on untouched. */
static void test_dtmf_one_sided(void **state)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = &codec_g722,
				  .in_pt = 0, .out_pt = 9, .in_dtmf_pt = DTMF_IN,
				  .out_dtmf_pt = -1, .complexity = -1, .resample_quality = -1 };
	struct net net = { .dtmf_at_ms = 500 };
	struct xcode *x;
	struct xcode_stats st;
	struct rtp_info h;
	unsigned n = make_stream(&net);

	(void)state;
	assert_int_equal(xcode_new(&c, &x), 0);
	cap_a.n = 0;
	for (unsigned i = 0; i < n; i++) {
		xcode_push(x, sent[i].data, sent[i].len, sent[i].t);
		drain(x, sent[i].t, &cap_a);
	}
	xcode_stats(x, &st);
	assert_int_equal(st.dtmf_in, 13);
	assert_int_equal(st.dtmf_out, 0);
	for (unsigned i = 0; i < cap_a.n; i++) {
		assert_int_equal(rtp_parse(cap_a.p[i].data, cap_a.p[i].len, &h), 0);
		assert_int_equal(h.pt, 9);
		assert_int_equal(h.payload_len, 160);	/* G.722 20 ms */
	}
	assert_true(cap_a.n >= SECS * 50 - 2);
	xcode_free(x);
}

/* The sender changes SSRC and jumps its sequence: our output keeps its own
 * SSRC, sequence and timestamps (check_stream), and no audio is lost. */
static void test_own_rtp_space(void **state)
{
	struct net net = { .ssrc_change_at = 100 };
	struct xcode_stats sa, sb;
	struct seg_quality q;

	(void)state;
	q = run_case(&codec_g722, &net, &sa, &sb);
	assert_int_equal(sa.jb.resets, 1);
	assert_true(q.corr > 0.98);
	assert_true(sa.out_ssrc != 0xAAAA0001 && sa.out_ssrc != 0xBBBB0002);
}

/* Garbage and foreign payload types are dropped without output. */
static void test_hostile_input(void **state)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = &codec_opus,
				  .in_pt = 0, .out_pt = 111, .in_dtmf_pt = -1,
				  .out_dtmf_pt = -1, .complexity = -1, .resample_quality = -1 };
	struct xcode *x;
	struct xcode_stats st;
	uint8_t pkt[200] = { 0x80, 8 }, out[1500];

	(void)state;
	assert_int_equal(xcode_new(&c, &x), 0);
	assert_int_equal(xcode_push(x, pkt, 5, 0), -EINVAL);
	assert_int_equal(xcode_push(x, pkt, sizeof(pkt), 0), -EINVAL);	/* PT 8 */
	pkt[1] = 0;
	assert_int_equal(xcode_push(x, pkt, 12, 0), -EINVAL);		/* empty */
	pkt[0] = 0x8F;
	assert_int_equal(xcode_push(x, pkt, 40, 0), -EINVAL);		/* CSRCs past end */
	assert_int_equal(xcode_pull(x, 100, out, sizeof(out)), 0);
	assert_int_equal(xcode_next_due(x), 0);
	pkt[0] = 0x80;
	pkt[3] = 1;	/* seq 0 was taken by the foreign packets above */
	assert_int_equal(xcode_push(x, pkt, 172, 1000), 0);
	assert_int_equal(xcode_next_due(x), 1000);
	assert_int_equal(xcode_pull(x, 1000, out, 20), -ENOBUFS);
	assert_true(xcode_pull(x, 1000, out, sizeof(out)) > 12);
	xcode_stats(x, &st);
	assert_int_equal(st.in_dropped, 4);
	assert_int_equal(st.out_packets, 1);
	xcode_free(x);
	c.in_codec = NULL;
	assert_int_equal(xcode_new(&c, &x), -EINVAL);
}

/* On a steady path each packet's frame leaves on the pull right after its
 * push: the transcoder itself adds no buffering (only the codecs' own delay). */
static void test_no_added_frame_delay(void **state)
{
	const struct codec_desc *xs[] = { &codec_g722, &codec_opus, &codec_g729, &codec_pcma };
	uint8_t pkt[172] = { 0 }, out[1500];
	int16_t pcm[160];
	struct codec *u;
	struct codec_params pp = { .channels = 1 };

	(void)state;
	assert_int_equal(codec_new(&codec_pcmu, &pp, &u), 0);
	for (unsigned k = 0; k < 4; k++) {
		struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = xs[k], .in_pt = 0,
					  .out_pt = 96, .in_dtmf_pt = -1, .out_dtmf_pt = -1,
					  .complexity = -1, .resample_quality = -1 };
		struct xcode *x;

		assert_int_equal(xcode_new(&c, &x), 0);
		for (unsigned i = 0; i < 50; i++) {
			uint64_t now = 5000 + i * 20ull;
			unsigned got = 0;

			sig_voice(pcm, 160, 8000, 9000, i * 160);
			rtp_write_hdr(pkt, i == 0, 0, (uint16_t)(7 + i), i * 160, 0x55);
			assert_int_equal(codec_encode(u, pcm, pkt + 12, 160), 160);
			assert_int_equal(xcode_push(x, pkt, sizeof(pkt), now), 0);
			while (xcode_pull(x, now, out, sizeof(out)) > 0)
				got++;
			if (got != 1)
				fail_msg("%s: packet %u gave %u frames at once", xs[k]->name, i, got);
			assert_int_equal(xcode_next_due(x), now + 20);
		}
		xcode_free(x);
	}
	codec_free(u);
}

/* The worker held off for 500 ms while the sender went on: the backlog arrives
 * in one go. It leaves at once, in order, with consecutive timestamps (no jump,
 * no concealment), and afterwards every packet again leaves on its own push:
 * the stall added no lasting delay. A sender that really paused for as long
 * is skipped over instead (one timestamp jump, nothing concealed). */
static void test_stall_backlog_bursts(void **state)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = &codec_g722,
				  .in_pt = 0, .out_pt = 9, .in_dtmf_pt = -1,
				  .out_dtmf_pt = -1, .complexity = -1, .resample_quality = -1 };
	uint8_t pkt[172] = { 0 }, out[1500];
	struct xcode *x;
	struct xcode_stats st;
	struct rtp_info h;
	uint32_t ts = 0;
	bool have_ts = false;
	unsigned i = 0;
	int n;

	(void)state;
	assert_int_equal(xcode_new(&c, &x), 0);
	/* 1 s steady; packets 50..75 (the stall's 500 ms and the one due at its
	 * end) pushed together at its end; then 1 s steady again */
	while (i < 126) {
		unsigned last = i == 50 ? 75 : i, got = 0;
		uint64_t now = 1000 + last * 20ull;

		for (; i <= last; i++) {
			rtp_write_hdr(pkt, i == 0, 0, (uint16_t)i, i * 160, 0x99);
			assert_int_equal(xcode_push(x, pkt, sizeof(pkt), now), 0);
		}
		while ((n = xcode_pull(x, now, out, sizeof(out))) > 0) {
			assert_int_equal(rtp_parse(out, (size_t)n, &h), 0);
			if (have_ts)
				assert_int_equal(h.ts - ts, 160);	/* G.722: 8000 Hz clock */
			ts = h.ts;
			have_ts = true;
			got++;
		}
		if (got != (last == 75 ? 26u : 1u))
			fail_msg("packet %u: %u frames at once", last, got);
	}
	xcode_stats(x, &st);
	assert_int_equal(st.plc_frames, 0);
	assert_true(st.jb.depth <= 1);

	/* the sender itself pauses 500 ms: one jump of 500 ms, marked */
	uint64_t now = 1000 + i * 20ull + 500;
	rtp_write_hdr(pkt, true, 0, (uint16_t)i, i * 160 + 4000, 0x99);
	assert_int_equal(xcode_push(x, pkt, sizeof(pkt), now), 0);
	unsigned got = 0;
	while ((n = xcode_pull(x, now, out, sizeof(out))) > 0) {
		assert_int_equal(rtp_parse(out, (size_t)n, &h), 0);
		got++;
	}
	assert_int_equal(got, 1);
	assert_true(h.marker);
	assert_true(h.ts - ts >= 160 * 25 && h.ts - ts <= 160 * 27);
	xcode_stats(x, &st);
	assert_true(st.plc_frames <= 10);	/* at most MAX_STALL_MS of underrun concealment */
	xcode_free(x);
}

/* Sender reports describe our output: our SSRC, its packet/octet counts and
 * the output timestamp at the report's instant. */
static void test_sender_report(void **state)
{
	struct xcode_config c = { .in_codec = &codec_pcmu, .out_codec = &codec_g722,
				  .in_pt = 0, .out_pt = 9, .in_dtmf_pt = -1,
				  .out_dtmf_pt = -1, .complexity = -1, .resample_quality = -1 };
	struct xcode *x;
	struct xcode_stats st;
	uint8_t pkt[172] = { 0 }, out[1500], sr[128];
	uint32_t last_ts = 0;
	uint64_t now = 0;
	int n;

	(void)state;
	assert_int_equal(xcode_new(&c, &x), 0);
	assert_int_equal(xcode_rtcp_pull(x, 0, 0, sr, sizeof(sr)), 0);	/* nothing sent yet */
	for (unsigned i = 0; i < 150; i++) {
		now = 1000 + i * 20ull;
		rtp_write_hdr(pkt, i == 0, 0, (uint16_t)i, i * 160, 0x77);
		xcode_push(x, pkt, sizeof(pkt), now);
		while ((n = xcode_pull(x, now, out, sizeof(out))) > 0) {
			struct rtp_info h;

			assert_int_equal(rtp_parse(out, (size_t)n, &h), 0);
			last_ts = h.ts;
		}
		if (now < 3400) {	/* the first report comes 2.5 s after output starts */
			n = xcode_rtcp_pull(x, now, 0, sr, sizeof(sr));
			assert_true(n == 0 || now >= 3500);
		}
	}
	assert_int_equal(xcode_rtcp_pull(x, now, 0x0102030405060708ull, sr, 20), -ENOBUFS);
	n = xcode_rtcp_pull(x, now, 0x0102030405060708ull, sr, sizeof(sr));
	assert_int_equal(n, 48);
	xcode_stats(x, &st);
	assert_int_equal(sr[0], 0x80);
	assert_int_equal(sr[1], 200);
	assert_int_equal(sr[3], 6);
	assert_int_equal((uint32_t)(sr[4] << 24 | sr[5] << 16 | sr[6] << 8 | sr[7]), st.out_ssrc);
	assert_memory_equal(sr + 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	/* the frame just sent was sampled now: the report's timestamp is its own */
	assert_int_equal((uint32_t)(sr[16] << 24 | sr[17] << 16 | sr[18] << 8 | sr[19]), last_ts);
	assert_int_equal((uint32_t)(sr[20] << 24 | sr[21] << 16 | sr[22] << 8 | sr[23]),
			 (uint32_t)st.out_packets);
	assert_int_equal((uint32_t)(sr[24] << 24 | sr[25] << 16 | sr[26] << 8 | sr[27]),
			 (uint32_t)st.out_packets * 160);
	assert_int_equal(sr[29], 202);					/* SDES */
	assert_memory_equal(sr + 38, "rtprelay", 8);			/* CNAME */
	assert_int_equal(xcode_rtcp_pull(x, now + 20, 0, sr, sizeof(sr)), 0);	/* 5 s apart */
	assert_int_equal(xcode_rtcp_pull(x, now + 5000, 0, sr, sizeof(sr)), 48);
	xcode_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g722),
		cmocka_unit_test(test_g729),
		cmocka_unit_test(test_opus),
		cmocka_unit_test(test_pcma),
		cmocka_unit_test(test_dtmf_across),
		cmocka_unit_test(test_dtmf_one_sided),
		cmocka_unit_test(test_own_rtp_space),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_sender_report),
		cmocka_unit_test(test_no_added_frame_delay),
		cmocka_unit_test(test_stall_backlog_bursts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
