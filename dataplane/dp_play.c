/*
 * dp_play.c: playback into a forwarded stream, worker side (dataplane.h,
 * struct dp_play). While an endpoint plays, each G.711 RTP packet it
 * receives leaves with its payload replaced by the next samples of the
 * media, encoded in the packet's own codec; the header (SSRC, sequence,
 * timestamp, marker) is the sender's, so the receiver sees one continuous
 * stream before, during and after the playback, paced by the sender's
 * packets (a sender that sends nothing delays the playback, as for play
 * DTMF). Telephone-events and other payload types pass unchanged.
 *
 * Hot path: an endpoint that plays nothing has ep->play == NULL (one
 * pointer test); while playing, one table lookup and one encode per sample,
 * no allocation (the state is allocated when the command is applied).
 */
#include <stdlib.h>
#include <string.h>

#include "codecs/codec.h"
#include "codecs/g711.h"
#include "dataplane/dp_endpoint.h"
#include "lib/rtp.h"

#define G722_MAX_PAYLOAD 1280u /* 160 ms; longer G.722 packets pass unchanged */

struct dp_playing {
	struct dp_media *m;
	uint64_t pos, total; /* in 8 kHz samples (= G.711/G.722 timestamp units) */
	uint8_t pt_kind[128];
	struct codec *g722; /* encoder state across packets, when G.722 may come */
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

void dp_play_free(struct dp_endpoint *ep)
{
	if (!ep->play)
		return;
	dp_media_unref(ep->play->m);
	if (ep->play->g722)
		codec_free(ep->play->g722);
	free(ep->play);
	ep->play = NULL;
}

void dp_play_apply(struct dp_endpoint *ep, const struct dp_play *p)
{
	dp_play_free(ep);
	if (!p->m)
		return;
	if (!p->m->n || !p->total || !(ep->play = calloc(1, sizeof(*ep->play)))) {
		dp_media_unref(p->m);
		return;
	}
	ep->play->m = p->m; /* the command's reference */
	ep->play->total = p->total;
	memcpy(ep->play->pt_kind, p->pt_kind, sizeof(ep->play->pt_kind));
	for (unsigned i = 0; i < 128; i++) {
		struct codec_params cp = { .channels = 1, .complexity = -1 };
		if (p->pt_kind[i] != DP_PT_G722)
			continue;
		/* allocated here, with the command, never per packet; without
		 * memory G.722 packets pass unchanged */
		if (codec_new(&codec_g722, &cp, &ep->play->g722))
			ep->play->g722 = NULL;
		break;
	}
	DP_PUT(ep->pub.play_pos, 0);
}

void dp_play_rtp(struct dp_endpoint *ep, uint8_t *buf, size_t len)
{
	struct dp_playing *pl = ep->play;
	struct rtp_info ri;

	if (rtp_parse(buf, len, &ri) < 0 || ri.pt > 127)
		return;
	uint8_t kind = pl->pt_kind[ri.pt];
	uint8_t *p = buf + ri.hdr_len;
	const struct dp_media *m = pl->m;
	if (kind == DP_PT_G722) { /* payload bytes = 16 kHz samples / 2 */
		size_t n16 = ri.payload_len * 2u;
		if (!pl->g722 || ri.payload_len > G722_MAX_PAYLOAD)
			return;
		for (size_t i = 0; i < n16; i++) {
			uint64_t at = pl->pos * 2u + i;
			pl->pcm16[i] = at < pl->total * 2u ? m->pcm16[at % (2u * m->n)] : 0;
		}
		if (pl->g722->desc->encode(pl->g722, pl->pcm16, (unsigned)n16, p, ri.payload_len) !=
		    (int)ri.payload_len)
			return;
	} else if (kind != DP_PT_PCMU && kind != DP_PT_PCMA) {
		return;
	}
	for (size_t i = 0; kind != DP_PT_G722 && i < ri.payload_len; i++) {
		/* past the end of the last repeat: silence to the end of the frame */
		int16_t s = pl->pos + i < pl->total ? m->pcm[(pl->pos + i) % m->n] : 0;
		p[i] = kind == DP_PT_PCMU ? g711_ulaw_encode(s) : g711_alaw_encode(s);
	}
	pl->pos += ri.payload_len;
	DP_PUT(ep->pub.play_pos, pl->pos < pl->total ? pl->pos : pl->total);
	if (pl->pos >= pl->total) /* done: the sender's audio passes again */
		dp_play_free(ep);
}
