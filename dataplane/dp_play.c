/*
 * dp_play.c: playback into a forwarded stream, worker side (dataplane.h,
 * struct dp_play). While an endpoint plays, each G.711/G.722/G.729/Opus RTP
 * packet it receives leaves with its payload replaced by the next samples of
 * the media, encoded in the packet's own codec (G.722, G.729 and Opus through
 * an encoder of codecs/ per stream, made when the command is applied, so its
 * state runs on from packet to packet; an Opus payload may change length).
 * On a transcoded stream the played packets are what the transcoder gets
 * (in its input codec), so its output carries the media in the leg's codec.
 * When the sender sends nothing for two packet times (silent, on hold; one
 * lost packet is not yet enough, so that a sender's jitter does not
 * interleave the two), the worker's timer (dp_xcode.c, dp_io_xcode_tick)
 * makes the packets itself (into the transcoder on a transcoded stream): the
 * sender's SSRC, the sequence number after the last one sent and the
 * timestamp advanced by the time elapsed, a packet time apart, marker set
 * on the first of a stretch. The receiver sees one continuous stream.
 *
 * When the sender's packets come again after a generated stretch, their
 * sequence numbers and timestamps are shifted (and their SSRC set to the
 * stream's) so they continue where the generated ones ended; that shift
 * stays for the endpoint's life, also after the playback (the state then
 * holds no media; the stream stays in user space, daemon/playmedia.c).
 * Telephone-events and other payload types pass with the shift only.
 *
 * Hot path: an endpoint that never played has ep->play == NULL (one
 * pointer test); while playing, one table lookup and one encode per sample,
 * no allocation (the state is allocated when the command is applied).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "codecs/codec.h"
#include "codecs/g711.h"
#include "dataplane/dp_endpoint.h"
#include "dataplane/dp_xcode.h"
#include "lib/rtp.h"

#define G722_MAX_PAYLOAD 1280u /* 160 ms; longer G.722 packets pass unchanged */
#define G729_FRAME_BYTES 10u
#define G729_FRAME	 80u   /* samples, 10 ms */
#define OPUS_MAX_OUT	 1275u /* one Opus frame at most (RFC 6716 3.2.1) */
#define OPUS_CLOCK	 48000u
#define GEN_DEFAULT	 160u /* samples per generated packet before any was seen: 20 ms */
#define GEN_BURST	 4u   /* generated packets per tick at most (after a stall) */

struct dp_playing {
	struct dp_media *m;  /* NULL: played out, only the shift is left */
	uint64_t pos, total; /* in 8 kHz samples (= G.711/G.722 timestamp units) */
	uint8_t pt_kind[128];
	uint8_t gen_pt;	    /* payload type of generated packets, 0xff = none */
	struct codec *g722; /* encoder state across packets, when G.722 may come */
	/* G.729/Opus encoders (struct dp_play enc[]), enc_of[pt] = index + 1 */
	struct codec *enc[DP_PLAY_CODECS];
	uint8_t enc_of[128];
	uint32_t clock; /* RTP clock of the stream's audio (Opus 48000, else 8000) */
	/* the stream as the receiver sees it: the last packet sent out */
	uint32_t ssrc, ts;
	uint16_t seq;
	uint32_t sender_ssrc; /* the sender's own, as last seen */
	uint64_t out_us;      /* when; 0 = none yet */
	uint32_t samples;     /* packet time in timestamp units (the sender's) */
	uint64_t rx_us;	      /* the sender's last packet arrived then */
	bool generating;      /* the last packet sent out was generated */
	uint16_t seq_off;     /* added to the sender's sequence numbers ... */
	uint32_t ts_off;      /* ... and timestamps */
	int16_t pcm16[G722_MAX_PAYLOAD * 2];
};

struct dp_media *dp_media_new(uint32_t n)
{
	struct dp_media *m = malloc(sizeof(*m) + (size_t)n * 3u * sizeof(int16_t));

	if (!m)
		return NULL;
	atomic_init(&m->refs, 1);
	m->n = n;
	m->pcm16 = m->pcm + n;
	return m;
}

void dp_media_ref(struct dp_media *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void dp_media_unref(struct dp_media *m)
{
	if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
		free(m);
}

void dp_play_free(struct dp_worker *w, struct dp_endpoint *ep)
{
	if (!ep->play)
		return;
	if (ep->play->m) {
		dp_media_unref(ep->play->m);
		w->n_play--;
		dp_xcode_timer_update(w);
	}
	if (ep->play->g722)
		codec_free(ep->play->g722);
	for (unsigned i = 0; i < DP_PLAY_CODECS; i++)
		if (ep->play->enc[i])
			codec_free(ep->play->enc[i]);
	free(ep->play);
	ep->play = NULL;
	DP_PUT(ep->pub.play_held, false); /* the kernel may take the stream again */
}

/* The media is played out (or stopped): the state stays for its shift. */
static void play_end(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_playing *pl = ep->play;

	if (!pl->m)
		return;
	dp_media_unref(pl->m);
	pl->m = NULL;
	w->n_play--;
	dp_xcode_timer_update(w);
	if (!pl->seq_off && !pl->ts_off && !pl->generating)
		dp_play_free(w, ep); /* nothing to shift: the sender's packets pass as they are */
}

/* Where the stream the receiver sees stands before anything was played:
 * the sender's SSRC and highest sequence number, its timestamp now (arrival
 * clock minus the last relative transit, RFC 3550 A.8), else random. */
static void stream_init(struct dp_playing *pl, const struct dp_endpoint *ep, uint64_t now_us)
{
	const struct rtp_source *src = &ep->src;

	if (src->valid && src->have_transit) {
		pl->ssrc = src->ssrc;
		pl->sender_ssrc = src->ssrc;
		pl->seq = src->max_seq;
		pl->ts = (uint32_t)(now_us * pl->clock / 1000000u) - src->transit;
		pl->out_us = now_us;
		return;
	}
	uint32_t r[3] = { 0 };
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r[0] = (uint32_t)now_us, r[1] = (uint32_t)(now_us >> 7), r[2] = 0x5eed;
	pl->ssrc = r[0];
	pl->seq = (uint16_t)r[1];
	pl->ts = r[2];
	pl->out_us = 0;
}

/* One G.729 or Opus encoder per payload type of @p->enc (kept across
 * commands for the same payload type and codec): allocated here, with the
 * command, never per packet. Opus runs at 16 kHz from the media's 16 kHz
 * copy (its RTP clock stays 48 kHz); without memory such packets pass. */
static void make_encoders(struct dp_playing *pl, const struct dp_play *p)
{
	struct codec *old[DP_PLAY_CODECS];
	uint8_t old_of[128];

	memcpy(old, pl->enc, sizeof(old));
	memcpy(old_of, pl->enc_of, sizeof(old_of));
	memset(pl->enc, 0, sizeof(pl->enc));
	memset(pl->enc_of, 0, sizeof(pl->enc_of));
	for (unsigned i = 0; i < p->n_enc && i < DP_PLAY_CODECS; i++) {
		const struct codec_desc *d = p->enc[i].desc;
		uint8_t pt = p->enc[i].pt;
		struct codec_params cp = { .channels = 1,
					   .complexity = p->opus_complexity,
					   .ptime_ms = 20 };

		if (pt > 127 || !d)
			continue;
		if (old_of[pt] && old[old_of[pt] - 1] && old[old_of[pt] - 1]->desc == d) {
			pl->enc[i] = old[old_of[pt] - 1];
			old[old_of[pt] - 1] = NULL;
		} else {
			if (d == &codec_opus)
				cp.pcm_rate = 16000;
			if (codec_new(d, &cp, &pl->enc[i]))
				pl->enc[i] = NULL;
		}
		if (pl->enc[i])
			pl->enc_of[pt] = (uint8_t)(i + 1);
	}
	for (unsigned i = 0; i < DP_PLAY_CODECS; i++)
		if (old[i])
			codec_free(old[i]);
	if (p->gen_pt < 128 && pl->enc_of[p->gen_pt] &&
	    pl->enc[pl->enc_of[p->gen_pt] - 1]->desc == &codec_opus)
		pl->clock = OPUS_CLOCK;
}

void dp_play_apply(struct dp_worker *w, struct dp_endpoint *ep, const struct dp_play *p,
		   uint64_t now_us)
{
	struct dp_playing *pl = ep->play;

	if (pl)
		play_end(w, ep);
	pl = ep->play;
	if (!p->m)
		return;
	if (!p->m->n || !p->total) {
		dp_media_unref(p->m);
		return;
	}
	if (!pl) {
		pl = calloc(1, sizeof(*pl));
		if (!pl) {
			dp_media_unref(p->m);
			return;
		}
		ep->play = pl;
		DP_PUT(ep->pub.play_held, true);
		pl->samples = GEN_DEFAULT;
		pl->clock = ep->clock_rate ? ep->clock_rate : 8000u;
		stream_init(pl, ep, now_us);
		/* a sender active right now is not taken over at once */
		pl->rx_us = DP_GET(ep->pub.last_ms) * 1000u;
	}
	pl->m = p->m; /* the command's reference */
	pl->pos = p->start < p->total ? p->start : p->total;
	pl->total = p->total;
	pl->gen_pt = p->gen_pt;
	memcpy(pl->pt_kind, p->pt_kind, sizeof(pl->pt_kind));
	for (unsigned i = 0; i < 128 && !pl->g722; i++) {
		struct codec_params cp = { .channels = 1, .complexity = -1 };
		if (p->pt_kind[i] != DP_PT_G722)
			continue;
		/* allocated here, with the command, never per packet; without
		 * memory G.722 packets pass unchanged */
		if (codec_new(&codec_g722, &cp, &pl->g722))
			pl->g722 = NULL;
		break;
	}
	make_encoders(pl, p);
	w->n_play++;
	dp_xcode_timer_update(w);
	DP_PUT(ep->pub.play_pos, pl->pos);
}

/* The media's next @n samples from pl->pos (8 kHz, or 16 kHz when @wide)
 * into the scratch buffer; past the end of the last repeat: silence. */
static const int16_t *media_pcm(struct dp_playing *pl, bool wide, size_t n)
{
	const struct dp_media *m = pl->m;
	uint64_t end = wide ? pl->total * 2u : pl->total, len = wide ? 2u * m->n : m->n;
	uint64_t at = wide ? pl->pos * 2u : pl->pos;
	const int16_t *src = wide ? m->pcm16 : m->pcm;

	for (size_t i = 0; i < n; i++, at++)
		pl->pcm16[i] = at < end ? src[at % len] : 0;
	return pl->pcm16;
}

/* An Opus packet's duration in 48 kHz samples from its TOC byte (and frame
 * count byte; RFC 6716 3.1), 0 when malformed. */
static uint32_t opus_duration(const uint8_t *p, size_t len)
{
	static const uint16_t silk[4] = { 480, 960, 1920, 2880 };
	static const uint16_t celt[4] = { 120, 240, 480, 960 };
	unsigned config, frames;
	uint32_t frame;

	if (len < 1)
		return 0;
	config = p[0] >> 3;
	frame = config < 12 ? silk[config & 3] : config < 16 ? silk[config & 1] : celt[config & 3];
	switch (p[0] & 3) {
	case 0:
		frames = 1;
		break;
	case 3:
		if (len < 2)
			return 0;
		frames = p[1] & 0x3f;
		break;
	default:
		frames = 2;
	}
	return frames * frame <= 5760u ? frames * frame : 0;
}

/* The next media samples for one payload of payload type @pt (which has
 * @len bytes now) written into @p (room for @cap bytes); @gen: a packet made
 * from nothing, of @gen 8 kHz samples (then @len is not read). Returns the
 * new payload length and the 8 kHz media samples it carries in *@samples,
 * or -1 if this payload cannot be played (it stays as it is). */
static int fill(struct dp_playing *pl, uint8_t pt, uint8_t *p, size_t len, size_t cap, uint32_t gen,
		uint32_t *samples)
{
	uint8_t kind = pl->pt_kind[pt];

	if (gen)
		len = gen;
	if (kind == DP_PT_G722) { /* payload bytes = 16 kHz samples / 2 */
		size_t n16 = len * 2u;
		if (!pl->g722 || len > G722_MAX_PAYLOAD || len > cap)
			return -1;
		media_pcm(pl, true, n16);
		*samples = (uint32_t)len;
		return pl->g722->desc->encode(pl->g722, pl->pcm16, (unsigned)n16, p,
					      (unsigned)len) == (int)len
			       ? (int)len
			       : -1;
	}
	if (kind == DP_PT_PCMU || kind == DP_PT_PCMA) {
		if (len > cap || len > G722_MAX_PAYLOAD * 2u)
			return -1;
		media_pcm(pl, false, len);
		for (size_t i = 0; i < len; i++)
			p[i] = kind == DP_PT_PCMU ? g711_ulaw_encode(pl->pcm16[i])
						  : g711_alaw_encode(pl->pcm16[i]);
		*samples = (uint32_t)len;
		return (int)len;
	}
	if (!pl->enc_of[pt])
		return -1;
	struct codec *c = pl->enc[pl->enc_of[pt] - 1];
	if (c->desc == &codec_g729) {
		/* 10 bytes per 10 ms frame; a SID-only packet stands for one */
		size_t frames = gen ? gen / G729_FRAME : len / G729_FRAME_BYTES;
		if (!frames)
			frames = 1;
		if (frames * G729_FRAME > G722_MAX_PAYLOAD * 2u || frames * G729_FRAME_BYTES > cap)
			return -1;
		media_pcm(pl, false, frames * G729_FRAME);
		int n = c->desc->encode(c, pl->pcm16, (unsigned)(frames * G729_FRAME), p, cap);
		if (n <= 0)
			return -1;
		*samples = (uint32_t)(frames * G729_FRAME);
		return n;
	}
	/* Opus: one frame as long as the packet it replaces (2.5..60 ms) */
	uint32_t d48 = gen ? gen * (OPUS_CLOCK / 8000u) : opus_duration(p, len);
	if (d48 == 0 || d48 > 2880u || (d48 % 120u) || (d48 > 960u && d48 % 960u) ||
	    cap < OPUS_MAX_OUT)
		return -1;
	media_pcm(pl, true, d48 / 3u);
	int n = c->desc->encode(c, pl->pcm16, d48 / 3u, p, OPUS_MAX_OUT);
	if (n <= 0)
		return -1;
	*samples = d48 / 6u;
	return n;
}

/* @len samples of the media went out: advance, end when played out. */
static void advance(struct dp_worker *w, struct dp_endpoint *ep, size_t len)
{
	struct dp_playing *pl = ep->play;

	pl->pos += len;
	DP_PUT(ep->pub.play_pos, pl->pos < pl->total ? pl->pos : pl->total);
	if (pl->pos >= pl->total) /* done: the sender's audio passes again */
		play_end(w, ep);
}

/* Timestamp units of @clock from @from_us to @to_us. */
static uint32_t elapsed_ts(uint64_t from_us, uint64_t to_us, uint32_t clock)
{
	return to_us > from_us ? (uint32_t)((to_us - from_us) * clock / 1000000u) : 0;
}

/* Timestamp units per 8 kHz media sample of payload type @pt's codec. */
static uint32_t ts_mul(const struct dp_playing *pl, uint8_t pt)
{
	return pl->enc_of[pt] && pl->enc[pl->enc_of[pt] - 1]->desc == &codec_opus
		       ? OPUS_CLOCK / 8000u
		       : 1u;
}

void dp_play_rtp(struct dp_worker *w, struct dp_endpoint *ep, uint8_t *buf, size_t *lenp,
		 size_t cap)
{
	struct dp_playing *pl = ep->play;
	struct rtp_info ri;

	if (rtp_parse(buf, *lenp, &ri) < 0 || ri.pt > 127)
		return;
	if (pl->generating) {
		/* the sender is back after a generated stretch: continue it */
		pl->seq_off = (uint16_t)(pl->seq + 1u - ri.seq);
		pl->ts_off = pl->ts + elapsed_ts(pl->out_us, w->now_us, pl->clock) - ri.ts;
		pl->generating = false;
		pl->sender_ssrc = ri.ssrc;
	} else if (!pl->out_us || ri.ssrc != pl->sender_ssrc) {
		/* the first packet seen, or the sender started a new stream:
		 * the receiver sees the sender's own from here */
		pl->ssrc = ri.ssrc;
		pl->sender_ssrc = ri.ssrc;
		pl->seq_off = 0;
		pl->ts_off = 0;
	}
	pl->seq = (uint16_t)(ri.seq + pl->seq_off);
	pl->ts = ri.ts + pl->ts_off;
	pl->out_us = w->now_us;
	pl->rx_us = w->now_us;
	if (pl->seq_off || pl->ts_off || ri.ssrc != pl->ssrc) {
		/* only the three fields: CSRCs, extension and padding stay */
		buf[2] = (uint8_t)(pl->seq >> 8);
		buf[3] = (uint8_t)pl->seq;
		for (unsigned b = 0; b < 4; b++) {
			buf[4 + b] = (uint8_t)(pl->ts >> (24 - 8 * b));
			buf[8 + b] = (uint8_t)(pl->ssrc >> (24 - 8 * b));
		}
	}
	if (!pl->m)
		return;
	uint32_t samples;
	int n = fill(pl, ri.pt, buf + ri.hdr_len, ri.payload_len, cap - ri.hdr_len, 0, &samples);
	if (n < 0)
		return;
	if ((size_t)n != ri.payload_len || ri.hdr_len + ri.payload_len != *lenp) {
		/* a new length (Opus): any padding goes, the payload ends the packet */
		buf[0] &= (uint8_t)~0x20u;
		*lenp = ri.hdr_len + (size_t)n;
	}
	pl->samples = samples; /* the sender's packet time, for generated packets */
	pl->clock = ts_mul(pl, ri.pt) * 8000u;
	advance(w, ep, samples);
}

int dp_play_gen(struct dp_worker *w, struct dp_endpoint *ep, uint8_t *buf, size_t cap)
{
	struct dp_playing *pl = ep->play;
	uint64_t ptime_us = (uint64_t)pl->samples * 1000u / 8u;
	uint32_t samples;
	bool first = !pl->generating;

	if (!pl->m || pl->gen_pt > 127 || !pl->samples || cap < RTP_HDR_MIN + OPUS_MAX_OUT)
		return 0;
	if (first) {
		/* the sender is quiet for two packet times: take over */
		if (pl->rx_us && w->now_us < pl->rx_us + 2u * ptime_us)
			return 0;
	} else if (w->now_us < pl->out_us + ptime_us) {
		return 0;
	}
	int n = fill(pl, pl->gen_pt, buf + RTP_HDR_MIN, 0, cap - RTP_HDR_MIN, pl->samples,
		     &samples);
	if (n < 0)
		return 0;
	pl->seq++;
	if (first) {
		pl->clock = ts_mul(pl, pl->gen_pt) * 8000u;
		pl->ts += pl->out_us ? elapsed_ts(pl->out_us, w->now_us, pl->clock) : 0;
		pl->generating = true;
	} else {
		pl->ts += samples * ts_mul(pl, pl->gen_pt);
	}
	rtp_write_hdr(buf, first, pl->gen_pt, pl->seq, pl->ts, pl->ssrc);
	/* paced by the packet time, not by the tick; a stall is not caught up
	 * beyond GEN_BURST packets (dp_io.c) */
	pl->out_us = pl->out_us && pl->out_us + ptime_us * GEN_BURST > w->now_us
			     ? pl->out_us + ptime_us
			     : w->now_us;
	advance(w, ep, samples);
	return (int)(RTP_HDR_MIN + (size_t)n);
}
