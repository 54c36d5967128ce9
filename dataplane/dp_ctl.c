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
 * Play DTMF in-band (pt DP_DTMF_INBAND: no telephone-event on both sides, or
 * a transcoded stream): the payload of the party's G.711/G.722 packets is
 * replaced by the digit's two tones (codecs/tone.h) for the duration, the
 * header untouched, then the pause as above.
 *
 * Block DTMF with DP_DTMF_SILENCE (or DP_DTMF_TONE): each telephone-event
 * packet becomes one audio frame of silence (or of a sine, a new frequency of
 * the list per event) in the stream's last audio codec (G.711, G.722),
 * timestamped where the event's duration says it ends, so the frames of one
 * event follow each other; repeated packets of an event (same duration, end
 * retransmissions) are dropped. Without a known G.711/G.722 codec the event
 * packets are dropped. DP_DTMF_ZERO / DIGIT / RANDOM rewrite the event's
 * digit and volume in place. With triggers (dp_dtmf_security.trigger) the
 * mode changes as the party's own event digits match them (event_mode).
 * DP_CTL_DROP_ALL (drop-traffic) drops every RTP packet.
 *
 * Silence media: G.711 and G.722 payloads are overwritten with their silence
 * in place; on a transcoded stream the transcoder's decoder output is muted
 * (codecs/transcode.h xcode_set_silence), so any input codec works and the
 * encoder sends its own silence. On a forwarded stream, other codecs have no
 * silence frame here: their packets are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "codecs/codec.h"
#include "codecs/dtmf.h"
#include "codecs/g711.h"
#include "codecs/tone.h"
#include "codecs/transcode.h"
#include "dataplane/dp_endpoint.h"
#include "lib/rtp.h"

#define END_REPEATS	3u
#define SILENCE_MAX	1024u /* payload bytes of one silence frame at most */
#define PCMU_SILENCE	0xffu
#define PCMA_SILENCE	0xd5u
/* G.722: the smallest quantiser step in both sub-bands (low band code 0x3f,
 * high band 0x3); a decoder, from any state, settles on a DC level below
 * -60 dBFS within a frame. An encoder fed zeros does not give a constant
 * byte (its predictor hunts), so no encoder output is used here. */
#define G722_SILENCE	0xffu
#define DEFAULT_CLOCK	8000u
#define TONE_DEFAULT_HZ 400u /* rtpengine's DTMF-security=tone default */
#define G722_CHUNK	80u  /* bytes of one 10 ms G.722 frame at 64 kbit/s */

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
	/* DTMF silence / tone: the event last turned into audio */
	bool sil_have;
	uint32_t sil_ts, sil_dur;
	/* tones: DTMF-security=tone and in-band play DTMF; G.722 needs an
	 * encoder (made when the command arrives, never per packet) */
	struct tone sec_tone, play_tone;
	unsigned freq_next;
	struct codec *g722;
	/* DTMF-security zero / DTMF / random: the event sent for the one
	 * received with timestamp sub_ts */
	bool sub_have;
	uint32_t sub_ts;
	uint8_t sub_event;
	uint32_t rnd;
	/* triggers: 0 waiting for `trigger`, 1 triggered, 2 ended; the last
	 * digits seen; the mode in force for the event with timestamp ev_ts */
	uint8_t trig_state;
	uint8_t hist[DP_DTMF_TRIGGER_MAX];
	unsigned n_hist, digits_since;
	uint32_t trig_ts;
	bool ev_have;
	uint32_t ev_seen_ts;
	uint8_t ev_mode;
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

/* A G.722 encoder for tones when the party may send G.722. Worker side, at
 * command time: the packet path only uses it. Without memory, tones in
 * G.722 become silence. */
static void want_g722(struct dp_ctl *c)
{
	struct codec_params cp = { .channels = 1, .ptime_ms = 10, .complexity = -1 };
	bool any = false;

	for (unsigned i = 0; i < 128 && !any; i++)
		any = c->p.pt_kind[i] == DP_PT_G722;
	for (unsigned i = 0; i < c->qn && !any; i++)
		any = c->q[(c->qh + i) % DP_DTMF_QUEUE].audio_kind == DP_PT_G722;
	if (any && !c->g722 && codec_new(&codec_g722, &cp, &c->g722))
		c->g722 = NULL;
}

void dp_ctl_apply(struct dp_endpoint *ep, const struct dp_ctl_params *p)
{
	struct dp_ctl *c = p->flags ? ctl_get(ep) : ep->ctl;

	if (ep->xcode)
		xcode_set_silence(ep->xcode, (p->flags & DP_CTL_SILENCE_MEDIA) != 0);
	if (!c)
		return;
	if (memcmp(&c->p.dtmf, &p->dtmf, sizeof(p->dtmf))) {
		c->freq_next = 0;  /* a new tone list starts at its first frequency */
		c->trig_state = 0; /* new triggers start from the beginning */
		c->n_hist = 0;
		c->ev_have = false;
	}
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
	else
		want_g722(c);
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
	want_g722(c);
}

void dp_ctl_free(struct dp_endpoint *ep)
{
	if (ep->ctl && ep->ctl->g722)
		codec_free(ep->ctl->g722);
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

/* @n payload bytes of tone @t in codec @kind: G.711 one byte per sample at
 * 8000 Hz, G.722 in 10 ms frames (16000 Hz PCM); G.722 without an encoder,
 * or not in whole frames, gets its silence byte. Bounded: works in chunks
 * of one G.722 frame, no allocation. */
static void write_tone(struct dp_ctl *c, struct tone *t, uint8_t kind, uint8_t *out, size_t n)
{
	int16_t pcm[2 * G722_CHUNK];

	if (kind == DP_PT_G722) {
		for (size_t i = 0; i < n; i += G722_CHUNK) {
			if (!c->g722 || n % G722_CHUNK) {
				memset(out + i, 0xff, n - i);
				return;
			}
			tone_fill(t, pcm, 2 * G722_CHUNK);
			if (codec_encode(c->g722, pcm, out + i, G722_CHUNK) != (int)G722_CHUNK) {
				memset(out + i, 0xff, n - i);
				return;
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i += G722_CHUNK) {
		size_t k = n - i < G722_CHUNK ? n - i : G722_CHUNK;

		tone_fill(t, pcm, (unsigned)k);
		for (size_t j = 0; j < k; j++)
			out[i + j] = kind == DP_PT_PCMU ? g711_ulaw_encode(pcm[j])
							: g711_alaw_encode(pcm[j]);
	}
}

static unsigned pcm_rate(uint8_t kind)
{
	return kind == DP_PT_G722 ? 16000u : 8000u;
}

/* Start the next queued event at the packet @ri, if one is due. */
static bool next_event(struct dp_ctl *c, const struct rtp_info *ri, uint8_t kind)
{
	if (!c->qn || (c->resume_set && (int32_t)(ri->ts - c->resume_ts) < 0))
		return false;
	c->cur = c->q[c->qh];
	c->qh = (c->qh + 1u) % DP_DTMF_QUEUE;
	c->qn--;
	c->playing = true;
	c->first = true;
	c->ends = 0;
	c->ev_ts = ri->ts;
	if (c->cur.pt == DP_DTMF_INBAND) {
		unsigned f[2];

		if (!tone_dtmf_freqs(c->cur.event, f))
			f[0] = f[1] = TONE_DEFAULT_HZ;
		tone_init(&c->play_tone, f, 2, c->cur.volume,
			  pcm_rate(kind == DP_PT_OTHER ? c->cur.audio_kind : kind));
		/* G.711 and G.722 have an 8000 Hz RTP clock */
		c->ev_dur = (uint32_t)c->cur.duration * (DEFAULT_CLOCK / 1000u);
	} else {
		uint64_t full = (uint64_t)c->cur.duration * clock_of(c) / 1000u;

		c->ev_dur = full > 0xffffu ? 0xffffu : (uint32_t)full; /* one event, no segments */
	}
	return true;
}

/* In-band play DTMF: the audio packet @buf carries the digit's tones
 * instead of the party's voice, header untouched. */
static bool play_inband(struct dp_endpoint *ep, struct dp_ctl *c, uint8_t *buf,
			const struct rtp_info *ri, uint8_t kind)
{
	if (kind < DP_PT_PCMU || kind > DP_PT_G722)
		return false; /* not audio we can write: passes as it is */
	write_tone(c, &c->play_tone, kind, buf + ri->hdr_len, ri->payload_len);
	if ((uint64_t)(ri->ts - c->ev_ts) + c->step >= c->ev_dur) {
		c->playing = false;
		c->resume_set = true;
		c->resume_ts = ri->ts + c->step +
			       (uint32_t)((uint64_t)c->cur.pause * DEFAULT_CLOCK / 1000u);
		DP_ADD(ep->pub.dtmf_played, 1);
	}
	return true;
}

/* The next event packet in place of the audio packet @buf, if one is due. */
static bool play(struct dp_endpoint *ep, struct dp_ctl *c, uint8_t *buf, size_t *len,
		 const struct rtp_info *ri, uint8_t kind)
{
	uint32_t clock = clock_of(c), dur;
	bool end;

	if (!c->playing && !next_event(c, ri, kind))
		return false;
	if (c->cur.pt == DP_DTMF_INBAND) {
		if (kind == DP_PT_OTHER && ri->pt == c->cur.audio_pt)
			kind = c->cur.audio_kind; /* no other call control told us */
		return play_inband(ep, c, buf, ri, kind);
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

/* A telephone-event packet under DP_DTMF_SILENCE or DP_DTMF_TONE (@mode):
 * one frame of silent (or tone) audio, or false (drop). */
static bool event_to_audio(struct dp_ctl *c, uint8_t mode, uint8_t *buf, size_t *len,
			   const struct rtp_info *ri)
{
	uint32_t dur, ts;
	size_t n = c->step < SILENCE_MAX ? c->step : SILENCE_MAX;

	if (!c->audio_kind || ri->payload_len < DTMF_PAYLOAD_LEN)
		return false;
	const uint8_t *pl = buf + ri->hdr_len;
	dur = (uint32_t)pl[2] << 8 | pl[3];
	if (c->sil_have && c->sil_ts == ri->ts && dur <= c->sil_dur)
		return false; /* a repeat: its frame went out already */
	if (mode == DP_DTMF_TONE && (!c->sil_have || c->sil_ts != ri->ts)) {
		/* a new event: the next frequency of the list, its phase from 0 */
		unsigned f = c->p.dtmf.n_freqs ? c->p.dtmf.freqs[c->freq_next++ % c->p.dtmf.n_freqs]
					       : TONE_DEFAULT_HZ;

		tone_init(&c->sec_tone, &f, 1, c->p.dtmf.volume, pcm_rate(c->audio_kind));
	}
	c->sil_have = true;
	c->sil_ts = ri->ts;
	c->sil_dur = dur;
	ts = dur >= c->step ? ri->ts + dur - c->step : ri->ts;
	/* G.711 and G.722 both carry one byte per timestamp unit at 8000 Hz */
	rtp_write_hdr(buf, false, c->audio_pt, ri->seq, ts, ri->ssrc);
	if (mode == DP_DTMF_TONE)
		write_tone(c, &c->sec_tone, c->audio_kind, buf + RTP_HDR_MIN, n);
	else
		memset(buf + RTP_HDR_MIN, silence_byte(c->audio_kind), n);
	*len = RTP_HDR_MIN + n;
	return true;
}

/* xorshift32: DTMF-security=random needs no more than "not guessable from
 * the digit sent". */
static uint32_t rnd_next(struct dp_ctl *c)
{
	uint32_t x = c->rnd ? c->rnd : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return c->rnd = x;
}

/* DP_DTMF_ZERO / DIGIT / RANDOM: the event packet carries another digit
 * (the same one for every packet of one event) at the configured volume. */
static bool event_rewrite(struct dp_ctl *c, uint8_t mode, uint8_t *buf, const struct rtp_info *ri)
{
	uint8_t *pl = buf + ri->hdr_len;

	if (ri->payload_len < DTMF_PAYLOAD_LEN)
		return false;
	if (!c->rnd) /* seeded by the stream itself: differs per call */
		c->rnd = (ri->ssrc ^ (ri->ts * 2654435761u)) | 1u;
	if (!c->sub_have || c->sub_ts != ri->ts) {
		c->sub_have = true;
		c->sub_ts = ri->ts;
		if (mode == DP_DTMF_ZERO) {
			c->sub_event = 0;
		} else if (mode == DP_DTMF_DIGIT) {
			c->sub_event = c->p.dtmf.digit;
		} else { /* another digit than the one received */
			uint8_t e = (uint8_t)(rnd_next(c) % 15u);

			c->sub_event = pl[0] <= 15 && e >= pl[0] ? (uint8_t)(e + 1u) : e;
		}
	}
	pl[0] = c->sub_event;
	pl[1] = (uint8_t)((pl[1] & 0x80u) | (c->p.dtmf.volume & 0x3fu));
	return true;
}

/* A telephone-event packet while DTMF is blocked: what the mode makes of
 * it; false = drop. */
static bool event_blocked(struct dp_ctl *c, uint8_t mode, uint8_t *buf, size_t *len,
			  const struct rtp_info *ri)
{
	switch (mode) {
	case DP_DTMF_SILENCE:
	case DP_DTMF_TONE:
		return event_to_audio(c, mode, buf, len, ri);
	case DP_DTMF_ZERO:
	case DP_DTMF_DIGIT:
	case DP_DTMF_RANDOM:
		return event_rewrite(c, mode, buf, ri);
	default:
		return false;
	}
}

/* The last digits seen end with @t[0..n). */
static bool digits_end_with(const struct dp_ctl *c, const uint8_t *t, unsigned n)
{
	return n && c->n_hist >= n && !memcmp(c->hist + c->n_hist - n, t, n);
}

/* A new event (digit @d, timestamp @ts) for the triggers: the trigger
 * starts its mode, then its end (digits, count or time) the end mode. */
static void trigger_digit(struct dp_ctl *c, uint8_t d, uint32_t ts)
{
	const struct dp_dtmf_security *s = &c->p.dtmf;

	if (c->n_hist == DP_DTMF_TRIGGER_MAX) {
		memmove(c->hist, c->hist + 1, DP_DTMF_TRIGGER_MAX - 1);
		c->n_hist--;
	}
	c->hist[c->n_hist++] = d;
	if (c->trig_state == 0 && digits_end_with(c, s->trigger, s->trigger_len)) {
		c->trig_state = 1;
		c->trig_ts = ts;
		c->digits_since = 0;
		c->n_hist = 0; /* the end trigger counts from here */
	} else if (c->trig_state == 1) {
		c->digits_since++;
		if (digits_end_with(c, s->end, s->end_len) ||
		    (s->end_digits && c->digits_since >= s->end_digits))
			c->trig_state = 2;
	}
}

/* The mode for the telephone-event packet @ri: without triggers the one
 * set; with them, the one in force when its event began (a trigger's last
 * digit itself is judged by the mode before it, as rtpengine switches after
 * it), counting the event towards the triggers once. */
static uint8_t event_mode(struct dp_ctl *c, const uint8_t *buf, const struct rtp_info *ri)
{
	const struct dp_dtmf_security *s = &c->p.dtmf;

	if (!s->trigger_len)
		return s->mode;
	if (c->ev_have && c->ev_seen_ts == ri->ts)
		return c->ev_mode;
	if (c->trig_state == 1 && s->end_ms &&
	    (uint64_t)(uint32_t)(ri->ts - c->trig_ts) >= (uint64_t)s->end_ms * clock_of(c) / 1000u)
		c->trig_state = 2;
	c->ev_have = true;
	c->ev_seen_ts = ri->ts;
	c->ev_mode = c->trig_state == 0	  ? s->mode
		     : c->trig_state == 1 ? s->mode_trigger
					  : s->mode_end;
	if (ri->payload_len >= DTMF_PAYLOAD_LEN && buf[ri->hdr_len] <= 15)
		trigger_digit(c, buf[ri->hdr_len], ri->ts);
	return c->ev_mode;
}

bool dp_ctl_rtp(struct dp_endpoint *ep, uint8_t *buf, size_t *len)
{
	struct dp_ctl *c = ep->ctl;
	struct rtp_info ri;

	if (c->p.flags & DP_CTL_DROP_ALL) { /* drop-traffic: media and events alike */
		DP_ADD(ep->pub.ctl_blocked, 1);
		return false;
	}
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
		uint8_t mode = event_mode(c, buf, &ri);
		if (mode == DP_DTMF_PASS)
			return true;
		DP_ADD(ep->pub.dtmf_blocked, 1);
		return event_blocked(c, mode, buf, len, &ri);
	}
	track_audio(c, &ri, kind);
	if ((c->playing || c->qn) && play(ep, c, buf, len, &ri, kind))
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
