/*
 * dp_ctl.c: call control on the RTP a party sends, worker side (see
 * dataplane.h, struct dp_ctl_params): block media, silence media, block
 * DTMF (drop, or one silent audio frame per event packet) and play DTMF.
 *
 * Hot path (docs/architecture.md): an endpoint without call control has
 * ep->ctl == NULL and costs the packet path one pointer test. With it, each
 * RTP packet is judged here: no allocation, no lock, no log.
 *
 * Play DTMF (RFC 4733): the party's own audio packets are rewritten into
 * telephone-event packets while an event plays. Each rewritten packet keeps
 * the stream's SSRC and its own sequence number, and the event carries the
 * timestamp of the first audio packet it replaced, so the receiver sees one
 * continuous stream (no sequence gap to close, nothing to renumber after the
 * event); the receiver gets no audio during the event, as RFC 4733 2.5.1.1
 * expects of a sender. Durations count the stream's timestamps; the end
 * packet goes out three times (RFC 4733 2.5.1.4), each on a packet of its
 * own. Then the audio passes for `pause` before the next event starts. The
 * stream's packets pace the events: a party that sends nothing (silence
 * suppression, hold) delays them until it sends again.
 *
 * Block DTMF with DP_DTMF_SILENCE: each telephone-event packet becomes one
 * audio frame of silence in the stream's last audio codec (G.711, G.722),
 * timestamped where the event's duration says it ends, so the frames of one
 * event follow each other; repeated packets of an event (same duration, end
 * retransmissions) are dropped. Without a known G.711/G.722 codec the event
 * packets are dropped.
 *
 * Silence media: G.711 and G.722 payloads are overwritten with their silence
 * in place; on a transcoded stream the transcoder's decoder output is muted
 * (codecs/transcode.h xcode_set_silence), so any input codec works and the
 * encoder sends its own silence. On a forwarded stream, other codecs have no
 * silence frame here: their packets are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "codecs/dtmf.h"
#include "codecs/transcode.h"
#include "dataplane/dp_endpoint.h"
#include "lib/rtp.h"

#define END_REPEATS   3u
#define SILENCE_MAX   1024u /* payload bytes of one silence frame at most */
#define PCMU_SILENCE  0xffu
#define PCMA_SILENCE  0xd5u
/* G.722: the smallest quantiser step in both sub-bands (low band code 0x3f,
 * high band 0x3); a decoder, from any state, settles on a DC level below
 * -60 dBFS within a frame. An encoder fed zeros does not give a constant
 * byte (its predictor hunts), so no encoder output is used here. */
#define G722_SILENCE  0xffu
#define DEFAULT_CLOCK 8000u

struct dp_ctl {
	struct dp_ctl_params p;
	/* play DTMF: the queue and the event playing */
	struct dp_dtmf_play q[DP_DTMF_QUEUE];
	unsigned qh, qn;
	bool playing, first;
	struct dp_dtmf_play cur;
	unsigned ends;	 /* end packets sent */
	uint32_t ev_ts;	 /* timestamp of the event */
	uint32_t ev_dur; /* its full duration, timestamp units */
	uint32_t sent_dur;
	bool resume_set;
	uint32_t resume_ts; /* audio passes until here (the pause) */
	/* the party's audio */
	bool have_audio, have_last;
	uint8_t audio_pt, audio_kind; /* kind 0 = none known */
	uint16_t last_seq;
	uint32_t last_ts, step; /* timestamp units per packet */
	/* DTMF silence: the event last turned into audio */
	bool sil_have;
	uint32_t sil_ts, sil_dur;
};

static uint32_t clock_of(const struct dp_ctl *c)
{
	return c->p.event_clock ? c->p.event_clock : DEFAULT_CLOCK;
}

static struct dp_ctl *ctl_get(struct dp_endpoint *ep)
{
	if (!ep->ctl) {
		ep->ctl = calloc(1, sizeof(*ep->ctl));
		if (ep->ctl)
			ep->ctl->step = DEFAULT_CLOCK / 50u;
	}
	return ep->ctl;
}

static bool idle(const struct dp_ctl *c)
{
	return !c->p.flags && !c->qn && !c->playing;
}

void dp_ctl_apply(struct dp_endpoint *ep, const struct dp_ctl_params *p)
{
	struct dp_ctl *c = p->flags ? ctl_get(ep) : ep->ctl;

	if (ep->xcode)
		xcode_set_silence(ep->xcode, (p->flags & DP_CTL_SILENCE_MEDIA) != 0);
	if (!c)
		return;
	bool clock_changed = c->p.event_clock != p->event_clock;
	c->p = *p;
	if (!c->have_audio && p->audio_pt < 128 && p->pt_kind[p->audio_pt] >= DP_PT_PCMU &&
	    p->pt_kind[p->audio_pt] <= DP_PT_G722) {
		c->audio_pt = p->audio_pt; /* until the party's own audio says otherwise */
		c->audio_kind = p->pt_kind[p->audio_pt];
	}
	if (clock_changed || !c->have_last)
		c->step = clock_of(c) / 50u;
	if (idle(c))
		dp_ctl_free(ep);
}

void dp_ctl_refresh(struct dp_endpoint *ep)
{
	if (ep->xcode)
		xcode_set_silence(ep->xcode, (ep->ctl->p.flags & DP_CTL_SILENCE_MEDIA) != 0);
}

void dp_ctl_dtmf(struct dp_endpoint *ep, const struct dp_dtmf_play *ev)
{
	struct dp_ctl *c = ctl_get(ep);

	if (!c || c->qn == DP_DTMF_QUEUE) {
		DP_ADD(ep->pub.dtmf_refused, 1);
		return;
	}
	c->q[(c->qh + c->qn) % DP_DTMF_QUEUE] = *ev;
	c->qn++;
}

void dp_ctl_free(struct dp_endpoint *ep)
{
	free(ep->ctl);
	ep->ctl = NULL;
}

void dp_ctl_batch_end(struct dp_endpoint *ep)
{
	if (idle(ep->ctl))
		dp_ctl_free(ep);
}

/* Learn the party's audio codec and packet interval from @ri. */
static void track_audio(struct dp_ctl *c, const struct rtp_info *ri, uint8_t kind)
{
	if (kind >= DP_PT_PCMU && kind <= DP_PT_G722) {
		c->have_audio = true;
		c->audio_pt = ri->pt;
		c->audio_kind = kind;
	}
	if (c->have_last && (uint16_t)(c->last_seq + 1u) == ri->seq) {
		uint32_t d = ri->ts - c->last_ts;

		if (d > 0 && d <= clock_of(c) / 5u) /* up to 200 ms per packet */
			c->step = d;
	}
	c->have_last = true;
	c->last_seq = ri->seq;
	c->last_ts = ri->ts;
}

static void write_event(uint8_t *buf, bool marker, uint8_t pt, uint32_t ts, uint8_t event, bool end,
			uint8_t volume, uint32_t dur)
{
	/* sequence number (bytes 2-3) and SSRC (8-11) stay the packet's */
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80u : 0u) | (pt & 0x7fu));
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[12] = event;
	buf[13] = (uint8_t)((end ? 0x80u : 0u) | (volume & 0x3fu));
	buf[14] = (uint8_t)(dur >> 8);
	buf[15] = (uint8_t)dur;
}

/* The next event packet in place of the audio packet @buf, if one is due. */
static bool play(struct dp_endpoint *ep, struct dp_ctl *c, uint8_t *buf, size_t *len,
		 const struct rtp_info *ri)
{
	uint32_t clock = clock_of(c), dur;
	bool end;

	if (!c->playing) {
		if (!c->qn || (c->resume_set && (int32_t)(ri->ts - c->resume_ts) < 0))
			return false;
		c->cur = c->q[c->qh];
		c->qh = (c->qh + 1u) % DP_DTMF_QUEUE;
		c->qn--;
		c->playing = true;
		c->first = true;
		c->ends = 0;
		c->ev_ts = ri->ts;
		uint64_t full = (uint64_t)c->cur.duration * clock / 1000u;
		c->ev_dur = full > 0xffffu ? 0xffffu : (uint32_t)full; /* one event, no segments */
	}
	if (c->ends == 0) {
		uint64_t d = (uint64_t)(ri->ts - c->ev_ts) + c->step;

		end = d >= c->ev_dur;
		dur = end ? c->ev_dur : (uint32_t)d;
		c->sent_dur = dur;
	} else {
		end = true;
		dur = c->sent_dur;
	}
	write_event(buf, c->first, c->cur.pt, c->ev_ts, c->cur.event, end, c->cur.volume, dur);
	*len = RTP_HDR_MIN + DTMF_PAYLOAD_LEN;
	c->first = false;
	if (end && ++c->ends == END_REPEATS) {
		c->playing = false;
		c->resume_set = true;
		c->resume_ts = ri->ts + c->step +
			       (uint32_t)((uint64_t)c->cur.pause * clock / 1000u);
		DP_ADD(ep->pub.dtmf_played, 1);
	}
	return true;
}

static uint8_t silence_byte(uint8_t kind)
{
	switch (kind) {
	case DP_PT_PCMU:
		return PCMU_SILENCE;
	case DP_PT_PCMA:
		return PCMA_SILENCE;
	default:
		return G722_SILENCE;
	}
}

/* A telephone-event packet under DP_DTMF_SILENCE: one frame of silent
 * audio, or false (drop). */
static bool event_to_silence(struct dp_ctl *c, uint8_t *buf, size_t *len, const struct rtp_info *ri)
{
	uint32_t dur, ts;
	size_t n = c->step < SILENCE_MAX ? c->step : SILENCE_MAX;

	if (!c->audio_kind || ri->payload_len < DTMF_PAYLOAD_LEN)
		return false;
	const uint8_t *pl = buf + ri->hdr_len;
	dur = (uint32_t)pl[2] << 8 | pl[3];
	if (c->sil_have && c->sil_ts == ri->ts && dur <= c->sil_dur)
		return false; /* a repeat: its frame went out already */
	c->sil_have = true;
	c->sil_ts = ri->ts;
	c->sil_dur = dur;
	ts = dur >= c->step ? ri->ts + dur - c->step : ri->ts;
	/* G.711 and G.722 both carry one byte per timestamp unit at 8000 Hz */
	rtp_write_hdr(buf, false, c->audio_pt, ri->seq, ts, ri->ssrc);
	memset(buf + RTP_HDR_MIN, silence_byte(c->audio_kind), n);
	*len = RTP_HDR_MIN + n;
	return true;
}

bool dp_ctl_rtp(struct dp_endpoint *ep, uint8_t *buf, size_t *len)
{
	struct dp_ctl *c = ep->ctl;
	struct rtp_info ri;

	if (rtp_parse(buf, *len, &ri) < 0)
		return true; /* not RTP: the packet path judges it as before */
	uint8_t kind = c->p.pt_kind[ri.pt & 0x7fu];

	if (kind == DP_PT_EVENT) {
		if (c->playing) {
			DP_ADD(ep->pub.dtmf_blocked, 1);
			return false; /* the party's own events would cut into ours */
		}
		if (!(c->p.flags & DP_CTL_BLOCK_DTMF))
			return true;
		DP_ADD(ep->pub.dtmf_blocked, 1);
		return c->p.dtmf_mode == DP_DTMF_SILENCE && event_to_silence(c, buf, len, &ri);
	}
	track_audio(c, &ri, kind);
	if ((c->playing || c->qn) && play(ep, c, buf, len, &ri))
		return true;
	if (c->p.flags & DP_CTL_BLOCK_MEDIA) {
		DP_ADD(ep->pub.ctl_blocked, 1);
		return false;
	}
	if (c->p.flags & DP_CTL_SILENCE_MEDIA) {
		DP_ADD(ep->pub.ctl_silenced, 1);
		if (kind >= DP_PT_PCMU && kind <= DP_PT_G722)
			memset(buf + ri.hdr_len, silence_byte(kind), ri.payload_len);
		else if (!ep->xcode)
			return false; /* no silence frame for this codec */
	}
	return true;
}

void dp_endpoint_ctl_stats(const struct dp_endpoint *ep, struct dp_ctl_stats *out)
{
	out->blocked = DP_GET(ep->pub.ctl_blocked);
	out->silenced = DP_GET(ep->pub.ctl_silenced);
	out->dtmf_blocked = DP_GET(ep->pub.dtmf_blocked);
	out->dtmf_played = DP_GET(ep->pub.dtmf_played);
	out->dtmf_refused = DP_GET(ep->pub.dtmf_refused);
}
