/*
 * dp_play.c: playback into a forwarded stream, worker side (dataplane.h,
 * struct dp_play). While an endpoint plays, each G.711/G.722 RTP packet it
 * receives leaves with its payload replaced by the next samples of the
 * media, encoded in the packet's own codec. When the sender sends nothing
 * for two packet times (silent, on hold; one lost packet is not yet
 * enough, so that a sender's jitter does not interleave the two), the worker's
 * timer (dp_xcode.c, dp_io_xcode_tick) makes the packets itself: the
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
#define GEN_DEFAULT	 160u  /* samples per generated packet before any was seen: 20 ms */
#define GEN_BURST	 4u    /* generated packets per tick at most (after a stall) */

struct dp_playing {
	struct dp_media *m;  /* NULL: played out, only the shift is left */
	uint64_t pos, total; /* in 8 kHz samples (= G.711/G.722 timestamp units) */
	uint8_t pt_kind[128];
	uint8_t gen_pt;	    /* payload type of generated packets, 0xff = none */
	struct codec *g722; /* encoder state across packets, when G.722 may come */
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
		pl->ts = (uint32_t)(now_us * 8u / 1000u) - src->transit;
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
		stream_init(pl, ep, now_us);
		/* a sender active right now is not taken over at once */
		pl->rx_us = DP_GET(ep->pub.last_ms) * 1000u;
	}
	pl->m = p->m; /* the command's reference */
	pl->pos = 0;
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
	w->n_play++;
	dp_xcode_timer_update(w);
	DP_PUT(ep->pub.play_pos, 0);
}

/* The next @len payload bytes of the media in codec @kind into @p; false
 * if this codec cannot be played (the payload stays as it is). */
static bool fill(struct dp_playing *pl, uint8_t kind, uint8_t *p, size_t len)
{
	const struct dp_media *m = pl->m;

	if (kind == DP_PT_G722) { /* payload bytes = 16 kHz samples / 2 */
		size_t n16 = len * 2u;
		if (!pl->g722 || len > G722_MAX_PAYLOAD)
			return false;
		for (size_t i = 0; i < n16; i++) {
			uint64_t at = pl->pos * 2u + i;
			pl->pcm16[i] = at < pl->total * 2u ? m->pcm16[at % (2u * m->n)] : 0;
		}
		return pl->g722->desc->encode(pl->g722, pl->pcm16, (unsigned)n16, p,
					      (unsigned)len) == (int)len;
	}
	if (kind != DP_PT_PCMU && kind != DP_PT_PCMA)
		return false;
	for (size_t i = 0; i < len; i++) {
		/* past the end of the last repeat: silence to the end of the frame */
		int16_t s = pl->pos + i < pl->total ? m->pcm[(pl->pos + i) % m->n] : 0;
		p[i] = kind == DP_PT_PCMU ? g711_ulaw_encode(s) : g711_alaw_encode(s);
	}
	return true;
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

static uint32_t elapsed_ts(uint64_t from_us, uint64_t to_us)
{
	return to_us > from_us ? (uint32_t)((to_us - from_us) * 8u / 1000u) : 0;
}

void dp_play_rtp(struct dp_worker *w, struct dp_endpoint *ep, uint8_t *buf, size_t len)
{
	struct dp_playing *pl = ep->play;
	struct rtp_info ri;

	if (rtp_parse(buf, len, &ri) < 0 || ri.pt > 127)
		return;
	if (pl->generating) {
		/* the sender is back after a generated stretch: continue it */
		pl->seq_off = (uint16_t)(pl->seq + 1u - ri.seq);
		pl->ts_off = pl->ts + elapsed_ts(pl->out_us, w->now_us) - ri.ts;
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
	uint8_t kind = pl->pt_kind[ri.pt];
	if (kind == DP_PT_PCMU || kind == DP_PT_PCMA || kind == DP_PT_G722)
		pl->samples = (uint32_t)ri.payload_len; /* 8 kHz timestamp units */
	if (!fill(pl, kind, buf + ri.hdr_len, ri.payload_len))
		return;
	advance(w, ep, ri.payload_len);
}

int dp_play_gen(struct dp_worker *w, struct dp_endpoint *ep, uint8_t *buf, size_t cap)
{
	struct dp_playing *pl = ep->play;
	uint64_t ptime_us = (uint64_t)pl->samples * 1000u / 8u;

	if (!pl->m || pl->gen_pt > 127 || !pl->samples || cap < RTP_HDR_MIN + pl->samples)
		return 0;
	if (!pl->generating) {
		/* the sender is quiet for two packet times: take over */
		if (pl->rx_us && w->now_us < pl->rx_us + 2u * ptime_us)
			return 0;
		pl->ts += pl->out_us ? elapsed_ts(pl->out_us, w->now_us) : 0;
		pl->seq++;
		pl->generating = true;
		rtp_write_hdr(buf, true, pl->gen_pt, pl->seq, pl->ts, pl->ssrc);
	} else {
		if (w->now_us < pl->out_us + ptime_us)
			return 0;
		pl->seq++;
		pl->ts += pl->samples;
		rtp_write_hdr(buf, false, pl->gen_pt, pl->seq, pl->ts, pl->ssrc);
	}
	/* paced by the packet time, not by the tick; a stall is not caught up
	 * beyond GEN_BURST packets (dp_io.c) */
	pl->out_us = pl->out_us && pl->out_us + ptime_us * GEN_BURST > w->now_us
			     ? pl->out_us + ptime_us
			     : w->now_us;
	if (!fill(pl, pl->pt_kind[pl->gen_pt], buf + RTP_HDR_MIN, pl->samples))
		return 0;
	advance(w, ep, pl->samples);
	return (int)(RTP_HDR_MIN + pl->samples);
}
