/*
 * transcode.c: the per-direction transcoding pipeline (see transcode.h).
 *
 * Invariants: fifo holds fifo_n samples per channel of PCM at the encoder's
 * rate and channel count, always less than one encoder frame after a pull
 * that sent a frame; out_ts is the RTP timestamp of the next frame and moves
 * on with wall time even while nothing is sent (RFC 3550 §5.1), and the first
 * packet after a gap carries the marker bit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "codecs/dtmf.h"
#include "codecs/resample.h"
#include "codecs/transcode.h"
#include "lib/rtp.h"

#define DTMF_QUEUE    8
#define FIFO_CAP      (2 * CODEC_MAX_FRAME_SAMPLES + 64) /* per channel */
#define MAX_BEHIND_MS 200 /* this far behind with nothing buffered: skip ahead */

struct dtmf_pkt {
	uint8_t payload[DTMF_PAYLOAD_LEN];
	uint32_t ts;
	bool marker;
};

struct xcode {
	struct xcode_config cfg;
	struct codec *dec, *enc;
	struct resampler *rs;
	struct jitter_buffer *jb;
	struct dtmf_relay dtmf;
	unsigned mix_ch;       /* channels through the resampler */
	unsigned out_frame_ts; /* RTP timestamp units per output frame */
	uint32_t ssrc, out_ts;
	uint16_t seq;
	bool marker_next;
	bool clock_running;
	bool silence; /* xcode_set_silence */
	bool hold;    /* cfg.out_hold until xcode_out_seek */
	uint64_t next_due, idle_since;
	uint64_t next_sr; /* ms, 0 = not before output starts */
	struct xcode_stats st;
	struct dtmf_pkt dq[DTMF_QUEUE];
	unsigned dq_head, dq_n;
	unsigned fifo_n;
	/* PCM work buffers (pcm_alloc): one block, allocated with the first
	 * audio packet, so that a transcoder that never gets media (most of a
	 * call's, e.g. every one on a standby) does not hold ~90 KB of them */
	int16_t *dec_buf;	   /* CODEC_MAX_FRAME_SAMPLES * CODEC_MAX_CHANNELS */
	int16_t *rs_buf;	   /* (CODEC_MAX_FRAME_SAMPLES + 64) * CODEC_MAX_CHANNELS */
	int16_t *fifo;		   /* FIFO_CAP * CODEC_MAX_CHANNELS */
	char fmtp[XCODE_FMTP_MAX]; /* cfg.out_fmtp's copy: the caller's is short-lived */
};

static uint32_t random32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)(uintptr_t)&v ^ 0x5bd1e995u;
	return v;
}

static int make_codecs(struct xcode *x, const struct xcode_config *c)
{
	struct codec_params dp = {
		.channels = c->in_channels,
		.ptime_ms = c->in_ptime,
		.pcm_rate = c->out_codec->pcm_rate,
		.complexity = -1,
	};
	struct codec_params ep = {
		.channels = c->out_channels,
		.ptime_ms = c->out_ptime,
		.fmtp = c->out_fmtp,
		.fmtp_len = c->out_fmtp_len,
		.complexity = c->complexity,
		.vad = c->vad,
	};
	int rc;

	/* A flexible-rate codec (Opus) runs at the other side's rate so that
	 * libopus resamples internally and we skip a resampler. */
	if (c->out_codec->flexible_rate && !c->in_codec->flexible_rate)
		dp.pcm_rate = 0;
	rc = codec_new(c->in_codec, &dp, &x->dec);
	if (rc < 0)
		return rc;
	ep.pcm_rate = x->dec->pcm_rate;
	rc = codec_new(c->out_codec, &ep, &x->enc);
	if (rc < 0)
		return rc;
	x->mix_ch = x->dec->channels < x->enc->channels ? x->dec->channels : x->enc->channels;
	return resample_new(x->mix_ch, x->dec->pcm_rate, x->enc->pcm_rate,
			    c->resample_quality >= 0 ? c->resample_quality
						     : RESAMPLE_DEFAULT_QUALITY,
			    &x->rs);
}

int xcode_new(const struct xcode_config *cfg, struct xcode **out)
{
	struct xcode *x;
	int rc;

	if (!cfg->in_codec || !cfg->out_codec || cfg->in_pt > 127 || cfg->out_pt > 127 ||
	    cfg->out_fmtp_len >= XCODE_FMTP_MAX)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->cfg = *cfg;
	if (cfg->out_fmtp_len)
		memcpy(x->fmtp, cfg->out_fmtp, cfg->out_fmtp_len);
	x->cfg.out_fmtp = x->fmtp;
	rc = make_codecs(x, cfg);
	if (rc < 0)
		goto err;
	rc = jb_new(cfg->in_codec->clock_rate, x->dec->ptime_ms, cfg->jb_min_ms, cfg->jb_max_ms,
		    &x->jb);
	if (rc < 0)
		goto err;
	dtmf_relay_init(&x->dtmf,
			cfg->in_dtmf_clock ? cfg->in_dtmf_clock : cfg->in_codec->clock_rate,
			cfg->out_dtmf_clock ? cfg->out_dtmf_clock : cfg->out_codec->clock_rate);
	x->out_frame_ts = cfg->out_codec->clock_rate / 1000 * x->enc->ptime_ms;
	x->ssrc = cfg->out_ssrc ? cfg->out_ssrc : random32();
	x->seq = cfg->out_continue ? cfg->out_seq : (uint16_t)random32();
	x->out_ts = cfg->out_continue ? cfg->out_ts : random32();
	x->marker_next = !cfg->out_continue;
	x->hold = cfg->out_hold;
	x->st.out_ssrc = x->ssrc;
	*out = x;
	return 0;
err:
	xcode_free(x);
	return rc;
}

void xcode_free(struct xcode *x)
{
	if (!x)
		return;
	free(x->dec_buf);
	jb_free(x->jb);
	resample_free(x->rs);
	codec_free(x->enc);
	codec_free(x->dec);
	free(x);
}

static void queue_dtmf(struct xcode *x, const struct rtp_info *h, const uint8_t *payload)
{
	struct dtmf_event ev;
	struct dtmf_pkt *d;
	uint32_t ts;
	bool marker;

	x->st.dtmf_in++;
	if (x->cfg.out_dtmf_pt < 0 || x->dq_n == DTMF_QUEUE)
		return; /* the other side cannot take events: dropped */
	if (dtmf_relay_map(&x->dtmf, h->ts, payload, h->payload_len, x->out_ts, &ev, &ts, &marker) <
	    0)
		return;
	d = &x->dq[(x->dq_head + x->dq_n) % DTMF_QUEUE];
	dtmf_write(d->payload, &ev);
	d->ts = ts;
	d->marker = marker;
	x->dq_n++;
}

/* The PCM work buffers, once: 0 or -ENOMEM. Only the audio path (which
 * starts the output clock) uses them. */
static int pcm_alloc(struct xcode *x)
{
	size_t dec = (size_t)CODEC_MAX_FRAME_SAMPLES * CODEC_MAX_CHANNELS,
	       rs = (size_t)(CODEC_MAX_FRAME_SAMPLES + 64) * CODEC_MAX_CHANNELS,
	       fifo = (size_t)FIFO_CAP * CODEC_MAX_CHANNELS;

	if (x->dec_buf)
		return 0;
	x->dec_buf = calloc(dec + rs + fifo, sizeof(int16_t));
	if (!x->dec_buf)
		return -ENOMEM;
	x->rs_buf = x->dec_buf + dec;
	x->fifo = x->rs_buf + rs;
	return 0;
}

int xcode_push(struct xcode *x, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
	struct rtp_info h;
	enum jb_put_result r;

	if (rtp_parse(pkt, len, &h) < 0)
		goto drop;
	x->st.in_packets++;
	if (h.pt != x->cfg.in_pt || h.payload_len == 0) {
		/* Events and other payloads (comfort noise) share the audio's
		 * sequence space: hold their place so that it is not taken
		 * for loss. */
		jb_put(x->jb, h.ssrc, h.seq, h.ts, h.pt, false, NULL, 0, now_ms);
		if (x->cfg.in_dtmf_pt >= 0 && h.pt == x->cfg.in_dtmf_pt) {
			queue_dtmf(x, &h, pkt + h.hdr_len);
			return 0;
		}
		x->st.in_dropped++;
		return -EINVAL;
	}
	if (pcm_alloc(x) < 0)
		goto drop; /* no memory for decoding: counted like a bad packet */
	r = jb_put(x->jb, h.ssrc, h.seq, h.ts, h.pt, h.marker, pkt + h.hdr_len, h.payload_len,
		   now_ms);
	if (r == JB_PUT_DUP || r == JB_PUT_LATE || r == JB_PUT_OVERSIZE)
		x->st.in_dropped++;
	if (!x->clock_running) {
		/* (Re)start the output clock at this arrival; the timestamps keep
		 * counting the time we were idle. */
		if (x->idle_since && now_ms > x->idle_since)
			x->out_ts += (uint32_t)((now_ms - x->idle_since) / x->enc->ptime_ms *
						x->out_frame_ts);
		x->clock_running = true;
		x->next_due = now_ms;
	}
	return 0;
drop:
	x->st.in_dropped++;
	return -EINVAL;
}

/* Decoded PCM (decoder rate/channels) -> mix -> resample -> FIFO. */
static void feed(struct xcode *x, int16_t *pcm, unsigned n)
{
	unsigned in_ch = x->dec->channels, out_ch = x->enc->channels, room;
	int r;

	if (x->silence)
		memset(pcm, 0, (size_t)n * in_ch * sizeof(*pcm));
	if (in_ch > x->mix_ch) /* stereo -> mono, in place */
		for (unsigned i = 0; i < n; i++)
			pcm[i] = (int16_t)(((int)pcm[2 * i] + pcm[2 * i + 1]) / 2);
	r = resample_run(x->rs, pcm, n, x->rs_buf, CODEC_MAX_FRAME_SAMPLES + 64);
	if (r <= 0)
		return;
	room = FIFO_CAP - x->fifo_n;
	if ((unsigned)r > room)
		r = (int)room;
	if (out_ch > x->mix_ch) { /* mono -> stereo */
		for (int i = 0; i < r; i++) {
			x->fifo[2 * (x->fifo_n + i)] = x->rs_buf[i];
			x->fifo[2 * (x->fifo_n + i) + 1] = x->rs_buf[i];
		}
	} else {
		memcpy(x->fifo + x->fifo_n * out_ch, x->rs_buf, (size_t)r * out_ch * 2);
	}
	x->fifo_n += (unsigned)r;
}

/* Samples at the decoder's rate to conceal @duration timestamp units, whole
 * 10 ms blocks (what every decoder's concealment accepts). */
static unsigned conceal_len(const struct xcode *x, uint32_t duration)
{
	unsigned block = x->dec->pcm_rate / 100;
	uint64_t n = (uint64_t)duration * x->dec->pcm_rate / x->cfg.in_codec->clock_rate;

	n -= n % block;
	if (n < block)
		n = block;
	if (n > CODEC_MAX_FRAME_SAMPLES)
		n = CODEC_MAX_FRAME_SAMPLES - CODEC_MAX_FRAME_SAMPLES % block;
	return (unsigned)n;
}

static void conceal(struct xcode *x, const struct jb_frame *f)
{
	unsigned n = conceal_len(x, f->duration);
	int r = -ENOTSUP;

	if (f->next && f->next_pt == x->cfg.in_pt)
		r = codec_fec(x->dec, f->next, f->next_len, x->dec_buf, n);
	if (r > 0) {
		x->st.fec_frames++;
	} else {
		r = codec_plc(x->dec, x->dec_buf, n);
		x->st.plc_frames++;
	}
	if (r > 0)
		feed(x, x->dec_buf, (unsigned)r);
}

/* Top the FIFO up to one output frame. Returns true when it holds one. */
static bool fill(struct xcode *x, uint64_t now_ms, bool conceal_underrun)
{
	struct jb_frame f;

	while (x->fifo_n < x->enc->frame_samples) {
		enum jb_get_result r = jb_get(x->jb, now_ms, conceal_underrun, &f);
		int n;

		if (r == JB_EMPTY)
			return false;
		if (r == JB_LOST) {
			conceal(x, &f);
			continue;
		}
		n = codec_decode(x->dec, f.data, f.len, x->dec_buf, CODEC_MAX_FRAME_SAMPLES);
		if (n < 0) {
			x->st.decode_errors++;
			conceal(x, &f);
			continue;
		}
		feed(x, x->dec_buf, (unsigned)n);
	}
	return true;
}

static int emit_dtmf(struct xcode *x, uint8_t *out, size_t cap)
{
	struct dtmf_pkt *d = &x->dq[x->dq_head];

	if (cap < RTP_HDR_MIN + DTMF_PAYLOAD_LEN)
		return -ENOBUFS;
	rtp_write_hdr(out, d->marker, (uint8_t)x->cfg.out_dtmf_pt, x->seq++, d->ts, x->ssrc);
	memcpy(out + RTP_HDR_MIN, d->payload, DTMF_PAYLOAD_LEN);
	x->dq_head = (x->dq_head + 1) % DTMF_QUEUE;
	x->dq_n--;
	x->st.dtmf_out++;
	x->st.out_packets++;
	x->st.out_bytes += RTP_HDR_MIN + DTMF_PAYLOAD_LEN;
	return RTP_HDR_MIN + DTMF_PAYLOAD_LEN;
}

/* Encode the FIFO's first frame as one RTP packet; 0 when the encoder chose
 * to send nothing (DTX). */
static int emit_frame(struct xcode *x, uint8_t *out, size_t cap)
{
	unsigned fs = x->enc->frame_samples, ch = x->enc->channels;
	uint32_t ts = x->out_ts;
	int n = codec_encode(x->enc, x->fifo, out + RTP_HDR_MIN, cap - RTP_HDR_MIN);

	x->fifo_n -= fs;
	memmove(x->fifo, x->fifo + fs * ch, (size_t)x->fifo_n * ch * sizeof(int16_t));
	x->out_ts += x->out_frame_ts;
	x->next_due += x->enc->ptime_ms;
	if (n <= 0) {
		x->marker_next = true;
		return n;
	}
	rtp_write_hdr(out, x->marker_next, x->cfg.out_pt, x->seq++, ts, x->ssrc);
	x->marker_next = false;
	x->st.out_packets++;
	x->st.out_bytes += (uint64_t)n + RTP_HDR_MIN;
	return n + RTP_HDR_MIN;
}

/* Pulled late (the worker was held off, or the sender paused). What the
 * jitter buffer holds goes out at once, in order, as a forwarding relay would
 * send its backlog after the same stall: the content keeps its delay and the
 * receiver's own buffer absorbs the burst. Only time for which nothing is
 * buffered is skipped (a timestamp jump, marked), so that a pause is not
 * replayed as concealment. */
static void catch_up(struct xcode *x, uint64_t now_ms)
{
	uint64_t behind = now_ms - x->next_due, have = jb_buffered_ms(x->jb), frames;

	if (behind <= have + MAX_BEHIND_MS)
		return;
	frames = (behind - have) / x->enc->ptime_ms;
	x->next_due += frames * x->enc->ptime_ms;
	x->out_ts += (uint32_t)(frames * x->out_frame_ts);
	x->marker_next = true;
}

int xcode_pull(struct xcode *x, uint64_t now_ms, uint8_t *out, size_t cap)
{
	if (x->hold)
		return 0;
	if (x->dq_n)
		return emit_dtmf(x, out, cap);
	if (cap < RTP_HDR_MIN + 64)
		return -ENOBUFS;
	while (x->clock_running && now_ms >= x->next_due) {
		bool late = now_ms >= x->next_due + x->enc->ptime_ms / 2;
		int n;

		catch_up(x, now_ms);
		if (!fill(x, now_ms, late)) {
			if (!late)
				return 0; /* give the packet half a frame more */
			if (x->fifo_n == 0) {
				/* Nothing to play: go quiet until the next push. */
				x->clock_running = false;
				x->idle_since = x->next_due;
				x->marker_next = true;
				return 0;
			}
			/* End of a talkspurt: pad the remainder with silence. */
			memset(x->fifo + x->fifo_n * x->enc->channels, 0,
			       (size_t)(x->enc->frame_samples - x->fifo_n) * x->enc->channels * 2);
			x->fifo_n = x->enc->frame_samples;
		}
		n = emit_frame(x, out, cap);
		if (n != 0)
			return n;
	}
	return 0;
}

#define CNAME "rtprelay"

int xcode_rtcp_pull(struct xcode *x, uint64_t now_ms, uint64_t ntp, uint8_t *out, size_t cap)
{
	return xcode_rtcp_pull_block(x, now_ms, ntp, NULL, out, cap);
}

int xcode_rtcp_pull_block(struct xcode *x, uint64_t now_ms, uint64_t ntp,
			  const struct rtcp_report_block *rb, uint8_t *out, size_t cap)
{
	uint32_t clock = x->cfg.out_codec->clock_rate;
	struct rtcp_sr sr = {
		.ssrc = x->ssrc,
		.ntp = ntp,
		.packets = (uint32_t)x->st.out_packets,
		.octets = (uint32_t)(x->st.out_bytes - x->st.out_packets * RTP_HDR_MIN),
	};
	int n;

	if (!x->st.out_packets)
		return 0;
	if (!x->next_sr)
		x->next_sr = now_ms + XCODE_SR_INTERVAL_MS / 2; /* first one soon */
	if (now_ms < x->next_sr)
		return 0;
	/* The output clock now: next frame's timestamp minus the time to it. */
	if (x->clock_running)
		sr.rtp_ts = x->out_ts - (uint32_t)((int64_t)(x->next_due - now_ms) * clock / 1000);
	else
		sr.rtp_ts = x->out_ts + (uint32_t)((now_ms - x->idle_since) * clock / 1000);
	n = rtcp_write_report(out, cap, &sr, rb, CNAME);
	if (n < 0)
		return n; /* no room: the report stays due */
	x->next_sr = now_ms + XCODE_SR_INTERVAL_MS;
	return n;
}

uint64_t xcode_next_due(const struct xcode *x)
{
	return x->clock_running ? x->next_due : 0;
}

uint64_t xcode_next_wake(const struct xcode *x)
{
	if (x->clock_running || x->dq_n)
		return XCODE_WAKE_RUNNING;
	if (!x->st.out_packets)
		return 0;		    /* no output yet: no report either */
	return x->next_sr ? x->next_sr : 1; /* 1: the first call schedules it */
}

void xcode_stats(const struct xcode *x, struct xcode_stats *out)
{
	*out = x->st;
	out->out_ts = x->out_ts;
	jb_get_stats(x->jb, &out->jb);
}

void xcode_set_silence(struct xcode *x, bool on)
{
	x->silence = on;
}

uint8_t xcode_in_pt(const struct xcode *x)
{
	return x->cfg.in_pt;
}

void xcode_config_of(const struct xcode *x, struct xcode_config *cfg)
{
	*cfg = x->cfg;
	cfg->out_continue = false;
	cfg->out_seq = 0;
	cfg->out_ts = 0;
	cfg->out_hold = false;
}

void xcode_out_state(const struct xcode *x, uint32_t *ssrc, uint16_t *seq, uint32_t *ts)
{
	*ssrc = x->ssrc;
	*seq = x->seq;
	*ts = x->out_ts;
}

void xcode_out_seek(struct xcode *x, uint16_t seq, uint32_t ts)
{
	x->seq = seq;
	x->out_ts = ts;
	x->marker_next = true;
	x->hold = false;
	if (!x->clock_running)
		x->idle_since = 0; /* the timestamp counts from @ts, not from before */
}
