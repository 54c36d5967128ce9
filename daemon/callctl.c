/*
 * callctl.c: the call-control commands (see callctl.h).
 */
#include "daemon/callctl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codecs/tone.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"

#define DTMF_DEFAULT_DURATION 250 /* ms, rtpengine's defaults and limits */
#define DTMF_DEFAULT_PAUSE    100
#define DTMF_MIN_MS	      100
#define DTMF_MAX_MS	      5000
#define DTMF_ABSURD_MS	      60000 /* beyond this a value is an error, not clamped */
#define DTMF_DEFAULT_VOLUME   8	    /* -dBm0 */
#define DTMF_SECURITY_VOLUME  10    /* -dB, the tone modes of block DTMF */

void callctl_media_formats(struct call_media *cm, const struct sdp_media *m)
{
	cm->n_pt_kinds = 0;
	cm->has_event = false;
	cm->audio_pt = 0xff;
	cm->event_clock = 8000;
	for (unsigned f = 0; m->rtp && f < m->n_formats; f++) {
		const struct sdp_format *fm = &m->formats[f];
		struct sdp_str enc = sdp_format_encoding(fm);
		uint8_t kind = DP_PT_OTHER;

		if (fm->pt > 127)
			continue;
		if (sdp_str_ieq(enc, "PCMU"))
			kind = DP_PT_PCMU;
		else if (sdp_str_ieq(enc, "PCMA"))
			kind = DP_PT_PCMA;
		else if (sdp_str_ieq(enc, "G722"))
			kind = DP_PT_G722;
		else if (sdp_str_ieq(enc, "telephone-event")) {
			kind = DP_PT_EVENT;
			if (!cm->has_event) {
				cm->has_event = true;
				cm->event_pt = (uint8_t)fm->pt;
				cm->event_clock = fm->clock_rate ? fm->clock_rate : 8000;
			}
		}
		if (kind != DP_PT_OTHER && cm->n_pt_kinds < CALL_MAX_PT_KINDS) {
			cm->pt_kinds[cm->n_pt_kinds].pt = (uint8_t)fm->pt;
			cm->pt_kinds[cm->n_pt_kinds++].kind = kind;
		}
		if (kind >= DP_PT_PCMU && kind <= DP_PT_G722 && cm->audio_pt == 0xff)
			cm->audio_pt = (uint8_t)fm->pt;
	}
}

static bool is_audio(const struct call_media *m)
{
	return m->used && !strcasecmp(m->type, "audio");
}

/* What party @p's sending gets, call-wide and its own together. */
static void publish_party(struct call *c, struct call_party *p)
{
	struct dp_ctl_params cp;

	memset(&cp, 0, sizeof(cp));
	cp.flags = c->ctl | p->ctl;
	cp.dtmf = (p->ctl & DP_CTL_BLOCK_DTMF) ? p->ctl_dtmf : c->ctl_dtmf;
	for (unsigned i = 0; i < p->n_media; i++) {
		struct call_media *m = &p->media[i];

		if (!is_audio(m) || !m->rtp.ep)
			continue;
		memset(cp.pt_kind, DP_PT_OTHER, sizeof(cp.pt_kind));
		for (unsigned k = 0; k < m->n_pt_kinds; k++)
			cp.pt_kind[m->pt_kinds[k].pt] = m->pt_kinds[k].kind;
		cp.event_clock = m->event_clock;
		cp.audio_pt = m->audio_pt;
		if (dp_endpoint_ctl(m->rtp.ep, &cp))
			log_warn("callctl: call control not applied to one stream (out of memory)");
	}
}

void callctl_republish(struct call *c)
{
	for (unsigned i = 0; i < c->n_parties; i++)
		if (c->ctl || c->parties[i]->ctl)
			publish_party(c, c->parties[i]);
}

/* The party whose SDP gave @addr as a media address, as rtpengine's
 * `address` selection. -EINVAL if @addr is no address. */
static int party_by_address(struct call *c, const char *addr, struct call_party **out)
{
	struct in6_addr a6;
	struct in_addr a4;
	bool v6 = strchr(addr, ':') != NULL;

	if (v6 ? inet_pton(AF_INET6, addr, &a6) != 1 : inet_pton(AF_INET, addr, &a4) != 1)
		return -EINVAL;
	*out = NULL;
	for (unsigned k = 0; k < c->n_parties; k++) {
		struct call_party *p = c->parties[k];

		for (unsigned i = 0; i < p->n_media; i++) {
			const struct sockaddr_storage *r = &p->media[i].rtp.remote;

			if (!p->media[i].used)
				continue;
			if ((!v6 && r->ss_family == AF_INET &&
			     !memcmp(&((const struct sockaddr_in *)r)->sin_addr, &a4,
				     sizeof(a4))) ||
			    (v6 && r->ss_family == AF_INET6 &&
			     !memcmp(&((const struct sockaddr_in6 *)r)->sin6_addr, &a6,
				     sizeof(a6)))) {
				*out = p;
				return 0;
			}
		}
	}
	return 0;
}

/* The party a command names (NULL = the whole call), as rtpengine's
 * media_block_match: `all`, then `label`, then `address`, then `from-tag`. Block and
 * unblock (@from_needs_directional) take the from-tag only with `directional`;
 * silence and unsilence take it alone, as rtpengine does, and that is the only
 * way Kamailio's silence_media("directional") can say it (it sends the from-tag,
 * not the flag). A to-tag narrows a @flow_op to one media flow. */
static int select_party(struct call *c, const struct ng_request *req, bool from_needs_directional,
			bool flow_op, struct call_party **out, const char **err)
{
	*out = NULL;
	if (req->flags & NG_F_ALL)
		return 0;
	if (req->label) {
		*out = call_party_by_label(c, req->label);
		if (!*out) {
			*err = "No monologue matching the given label";
			return -EINVAL;
		}
	} else if (req->address) {
		if (party_by_address(c, req->address, out)) {
			*err = "Failed to parse network address";
			return -EINVAL;
		}
		if (!*out) {
			*err = "Failed to match address to any tag";
			return -EINVAL;
		}
	} else if (req->from_tag && (!from_needs_directional || (req->flags & NG_F_DIRECTIONAL))) {
		*out = call_party_find(c, req->from_tag);
		if (!*out) {
			*err = "From-tag given, but no such tag exists";
			return -EINVAL;
		}
	}
	if (*out && req->to_tag && flow_op) {
		struct call_party *to = call_party_find(c, req->to_tag);

		if (!to) {
			*err = "Media flow not found (to-tag not found)";
			return -EINVAL;
		}
		if ((*out)->peer != to) {
			*err = "Media flow not found (to-tag not subscribed)";
			return -EINVAL;
		}
	}
	return 0;
}

int callctl_select(struct call *c, const struct ng_request *req, struct call_party **out,
		   const char **err)
{
	return select_party(c, req, false, false, out, err);
}

/* "volume" of the tone modes: -dB, rtpengine's range 0..63 (a negative
 * value is the same level: rtpengine documents the volume in negative dB). */
static int tone_volume(const char *v, uint8_t *out, const char **err)
{
	char *end;
	long x;

	if (!v) {
		*out = DTMF_SECURITY_VOLUME;
		return 0;
	}
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end || errno || x < -63 || x > 63) {
		*err = "Invalid 'volume' specified";
		return -EINVAL;
	}
	*out = (uint8_t)(x < 0 ? -x : x);
	return 0;
}

/* "frequency"/"frequencies": comma-separated Hz, each 1..TONE_MAX_HZ. */
static int tone_freqs(const char *v, struct dp_dtmf_security *sec, const char **err)
{
	sec->n_freqs = 0;
	while (v && *v) {
		char *end;
		long f;

		errno = 0;
		f = strtol(v, &end, 10);
		if (end == v || errno || f < 1 || f > TONE_MAX_HZ || (*end && *end != ',')) {
			*err = "Invalid 'frequency' specified (1..4000 Hz)";
			return -EINVAL;
		}
		if (sec->n_freqs == DP_TONE_FREQS) {
			*err = "Too many frequencies specified";
			return -EINVAL;
		}
		sec->freqs[sec->n_freqs++] = (uint16_t)f;
		v = *end ? end + 1 : end;
	}
	return 0;
}

static int dtmf_code(const char *v, uint8_t *out, const char **err);

/* A DTMF-security mode name; "off" is DP_DTMF_PASS. -1 when unknown. */
static int mode_of(const char *s)
{
	static const struct {
		const char *name;
		uint8_t mode;
	} modes[] = {
		{ "drop", DP_DTMF_DROP },  { "silence", DP_DTMF_SILENCE },
		{ "tone", DP_DTMF_TONE },  { "zero", DP_DTMF_ZERO },
		{ "DTMF", DP_DTMF_DIGIT }, { "random", DP_DTMF_RANDOM },
		{ "off", DP_DTMF_PASS },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcasecmp(s, modes[i].name))
			return modes[i].mode;
	return -1;
}

/* Trigger digits ("*9#", "A1") into event codes; bounded. */
static int trigger_digits(const char *v, uint8_t *out, uint8_t *n, const char *what,
			  const char **err)
{
	static const char digits[] = "0123456789*#ABCD";
	static char buf[64];

	*n = 0;
	for (; v && *v; v++) {
		const char *p = strchr(digits, toupper((unsigned char)*v));

		if (!p || !*p || *n == DP_DTMF_TRIGGER_MAX) {
			snprintf(buf, sizeof(buf), "Invalid '%s' specified (up to %u of 0-9*#A-D)",
				 what, DP_DTMF_TRIGGER_MAX);
			*err = buf;
			return -EINVAL;
		}
		out[(*n)++] = (uint8_t)(p - digits);
	}
	return 0;
}

/* A bounded decimal key; @def when absent. */
static int bounded(const char *v, long max, long def, long *out, const char *msg, const char **err)
{
	char *end;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	*out = strtol(v, &end, 10);
	if (end == v || *end || errno || *out < 0 || *out > max) {
		*err = msg;
		return -EINVAL;
	}
	return 0;
}

/* The trigger keys of block DTMF (rtpengine: without DTMF-security-trigger(-end)
 * the mode they switch to is "off"). */
static int dtmf_triggers(const struct ng_request *req, struct dp_dtmf_security *sec,
			 const char **err)
{
	int m;
	long x;

	if (trigger_digits(req->trigger, sec->trigger, &sec->trigger_len, "trigger", err) ||
	    trigger_digits(req->trigger_end, sec->end, &sec->end_len, "trigger-end", err))
		return -EINVAL;
	sec->mode_trigger = sec->mode_end = DP_DTMF_PASS;
	if (req->dtmf_security_trigger) {
		if ((m = mode_of(req->dtmf_security_trigger)) < 0) {
			*err = "Unknown DTMF-security-trigger mode";
			return -EINVAL;
		}
		sec->mode_trigger = (uint8_t)m;
	}
	if (req->dtmf_security_trigger_end) {
		if ((m = mode_of(req->dtmf_security_trigger_end)) < 0) {
			*err = "Unknown DTMF-security-trigger-end mode";
			return -EINVAL;
		}
		sec->mode_end = (uint8_t)m;
	}
	if (bounded(req->trigger_end_time, 86400000L, 0, &x, "Invalid 'trigger-end-time' specified",
		    err))
		return -EINVAL;
	sec->end_ms = (uint32_t)x;
	if (bounded(req->trigger_end_digits, 1000L, 0, &x, "Invalid 'trigger-end-digits' specified",
		    err))
		return -EINVAL;
	sec->end_digits = (uint16_t)x;
	if ((sec->mode_trigger == DP_DTMF_DIGIT || sec->mode_end == DP_DTMF_DIGIT) && !req->digit) {
		*err = "DTMF-security=DTMF needs 'digit' or 'code'";
		return -EINVAL;
	}
	return 0;
}

/* block DTMF's DTMF-security mode and the keys that go with it. 1 for "off"
 * without a trigger (blocking ends, as rtpengine). */
static int dtmf_security(const struct ng_request *req, struct dp_dtmf_security *sec,
			 const char **err)
{
	bool trig = req->trigger && *req->trigger;
	int m;

	memset(sec, 0, sizeof(*sec));
	/* rtpengine: with a trigger the mode before it defaults to "off" */
	m = req->dtmf_security ? mode_of(req->dtmf_security) : trig ? DP_DTMF_PASS : DP_DTMF_DROP;
	if (m < 0) {
		*err = "Unknown DTMF-security mode";
		return -EINVAL;
	}
	sec->mode = (uint8_t)m;
	if (tone_volume(req->volume, &sec->volume, err) || tone_freqs(req->frequencies, sec, err))
		return -EINVAL;
	if (trig && dtmf_triggers(req, sec, err))
		return -EINVAL;
	if (sec->mode == DP_DTMF_DIGIT && !req->digit) {
		*err = "DTMF-security=DTMF needs 'digit' or 'code'";
		return -EINVAL;
	}
	if (req->digit && dtmf_code(req->digit, &sec->digit, err))
		return -EINVAL;
	if (sec->mode == DP_DTMF_PASS && !trig)
		return 1;
	return 0;
}

static void set_ctl(struct call *c, struct call_party *p, uint32_t bit, bool on, bool all,
		    const struct dp_dtmf_security *sec)
{
	if (p) {
		p->ctl = on ? p->ctl | bit : p->ctl & ~bit;
		if (bit == DP_CTL_BLOCK_DTMF && on)
			p->ctl_dtmf = *sec;
	} else {
		c->ctl = on ? c->ctl | bit : c->ctl & ~bit;
		if (bit == DP_CTL_BLOCK_DTMF && on)
			c->ctl_dtmf = *sec;
		if (!on && all)
			for (unsigned i = 0; i < c->n_parties; i++)
				c->parties[i]->ctl &= ~bit;
	}
}

static void publish_all(struct call *c)
{
	for (unsigned i = 0; i < c->n_parties; i++)
		publish_party(c, c->parties[i]);
}

void callctl_drop_traffic(struct call *c, bool on)
{
	c->ctl = on ? c->ctl | DP_CTL_DROP_ALL : c->ctl & ~(uint32_t)DP_CTL_DROP_ALL;
	publish_all(c);
}

/* A millisecond value of play DTMF: default when absent, clamped into
 * rtpengine's limits (with a warning) when merely out of range, an error
 * when absurd. */
static int dtmf_ms(const char *v, const char *name, long def, long *out, const char **err,
		   const char **warning)
{
	char *end;
	long x;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end || errno || x < 0 || x > DTMF_ABSURD_MS) {
		*err = !strcmp(name, "duration") ? "Invalid 'duration' specified"
						 : "Invalid 'pause' specified";
		return -EINVAL;
	}
	if (x == 0)
		x = def;
	if (x < DTMF_MIN_MS || x > DTMF_MAX_MS) {
		*warning = !strcmp(name, "duration") ? "duration clamped to 100..5000 ms"
						     : "pause clamped to 100..5000 ms";
		x = x < DTMF_MIN_MS ? DTMF_MIN_MS : DTMF_MAX_MS;
	}
	*out = x;
	return 0;
}

static int dtmf_code(const char *v, uint8_t *out, const char **err)
{
	static const char digits[] = "0123456789*#ABCD";
	char *end;
	long x;

	if (!v) {
		*err = "No 'code' or 'digit' in message";
		return -EINVAL;
	}
	if (strlen(v) == 1 && !isdigit((unsigned char)v[0])) {
		const char *p = strchr(digits, toupper((unsigned char)v[0]));

		if (!p || !*p) {
			*err = "Out of range 'code' specified";
			return -EINVAL;
		}
		*out = (uint8_t)(p - digits);
		return 0;
	}
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end || errno || x < 0 || x > 15) {
		*err = "Out of range 'code' specified";
		return -EINVAL;
	}
	*out = (uint8_t)x;
	return 0;
}

/* How DTMF reaches the receiver of @m (what party @m's owner sends): RFC 4733
 * events where both sides negotiated telephone-event and the stream is
 * forwarded; otherwise the digit's tones in the sender's own G.711/G.722
 * audio (on a transcoded stream before the transcoder, which carries them
 * into the other codec). DP_DTMF_INBAND, an event PT, or -1 when neither. */
static int dtmf_way(const struct call_media *m, const struct call_media *pm)
{
	if (!m->xcode && pm->has_event && m->has_event)
		return pm->event_pt;
	if (m->audio_pt != 0xff)
		return DP_DTMF_INBAND;
	return -1;
}

static int play_dtmf(struct call *c, struct call_party *const *sel, unsigned n_sel,
		     const struct ng_request *req, uint64_t now_ms, const char **err,
		     const char **warning)
{
	struct dp_dtmf_play ev = { 0 };
	long duration, pause, volume = DTMF_DEFAULT_VOLUME;
	uint8_t code;
	unsigned done = 0;

	if (dtmf_code(req->digit, &code, err) ||
	    dtmf_ms(req->duration, "duration", DTMF_DEFAULT_DURATION, &duration, err, warning) ||
	    dtmf_ms(req->pause, "pause", DTMF_DEFAULT_PAUSE, &pause, err, warning))
		return -EINVAL;
	if (req->volume) {
		char *end;

		errno = 0;
		volume = strtol(req->volume, &end, 10);
		if (end == req->volume || *end || errno || volume < -63 || volume > 63) {
			*err = "Invalid 'volume' specified";
			return -EINVAL;
		}
		if (volume < 0) /* positive values mean negative dB, as rtpengine */
			volume = -volume;
	}
	ev.event = code;
	ev.volume = (uint8_t)volume;
	ev.duration = (uint16_t)duration;
	ev.pause = (uint16_t)pause;
	for (unsigned k = 0; k < c->n_parties; k++) {
		struct call_party *p = c->parties[k];
		bool chosen = !n_sel;

		for (unsigned j = 0; j < n_sel; j++)
			chosen |= sel[j] == p;
		if (!chosen)
			continue;
		for (unsigned i = 0; i < p->n_media; i++) {
			struct call_media *m = &p->media[i];
			struct call_media *pm = p->peer && i < p->peer->n_media ? &p->peer->media[i]
										: NULL;

			if (!is_audio(m) || !m->rtp.ep || !pm)
				continue;
			int way = dtmf_way(m, pm);
			if (way < 0) {
				*err = "Neither telephone-event nor an audio codec for in-band "
				       "DTMF "
				       "(G.711, G.722) is negotiated for this leg";
				return -EINVAL;
			}
			uint64_t start = m->dtmf_busy_until_ms > now_ms ? m->dtmf_busy_until_ms
									: now_ms;
			uint64_t until = start + (uint64_t)duration + (uint64_t)pause;

			if (until - now_ms > CALLCTL_DTMF_BACKLOG_MS) {
				*err = "Too many DTMF events queued";
				return -EINVAL;
			}
			ev.pt = (uint8_t)way;
			ev.audio_pt = m->audio_pt;
			ev.audio_kind = DP_PT_OTHER;
			for (unsigned k2 = 0; k2 < m->n_pt_kinds; k2++)
				if (m->pt_kinds[k2].pt == m->audio_pt)
					ev.audio_kind = m->pt_kinds[k2].kind;
			if (dp_endpoint_dtmf(m->rtp.ep, &ev, until + 1000)) {
				*err = "Out of memory";
				return -ENOMEM;
			}
			m->dtmf_busy_until_ms = until;
			done++;
		}
	}
	if (!done) {
		*err = "Monologue has no media capable of DTMF injection";
		return -EINVAL;
	}
	return 0;
}

/* "from-tags": each party named (unknown tags are skipped, as rtpengine
 * does); an error when none is known. */
static int select_from_tags(struct call *c, const struct ng_request *req, struct call_party **sel,
			    unsigned *n_sel, const char **err)
{
	*n_sel = 0;
	for (unsigned i = 0; i < req->n_from_tags; i++) {
		struct call_party *p = call_party_find(c, req->from_tags[i]);
		bool dup = false;

		for (unsigned j = 0; p && j < *n_sel; j++)
			dup |= sel[j] == p;
		if (p && !dup && *n_sel < CALL_MAX_PARTIES)
			sel[(*n_sel)++] = p;
	}
	if (!*n_sel) {
		*err = "No medias found (no monologues matched)";
		return -EINVAL;
	}
	return 0;
}

int callctl_command(struct calls *cs, const struct ng_request *req, uint64_t now_ms,
		    const char **err, const char **warning)
{
	struct call_party *sel[CALL_MAX_PARTIES];
	unsigned n_sel = 0;
	struct call *c;
	struct dp_dtmf_security sec = { 0 };
	bool play = req->cmd == NG_CMD_PLAY_DTMF;
	bool blocking = req->cmd == NG_CMD_BLOCK_MEDIA || req->cmd == NG_CMD_UNBLOCK_MEDIA ||
			req->cmd == NG_CMD_BLOCK_DTMF || req->cmd == NG_CMD_UNBLOCK_DTMF;
	bool all = req->flags & NG_F_ALL;
	uint32_t bit;
	bool on;

	if (!req->call_id) {
		*err = "No call-id in message";
		return -EINVAL;
	}
	c = call_find(cs, req->call_id);
	if (!c) {
		*err = "Unknown call-ID";
		return -EINVAL;
	}
	/* one party (label, address, from-tag), else the from-tags list, else
	 * the whole call */
	if (select_party(c, req, blocking, !play, &sel[0], err))
		return -EINVAL;
	if (sel[0])
		n_sel = 1;
	else if (req->n_from_tags && !all && select_from_tags(c, req, sel, &n_sel, err))
		return -EINVAL;
	switch (req->cmd) {
	case NG_CMD_BLOCK_MEDIA:
	case NG_CMD_UNBLOCK_MEDIA:
		bit = DP_CTL_BLOCK_MEDIA, on = req->cmd == NG_CMD_BLOCK_MEDIA;
		break;
	case NG_CMD_SILENCE_MEDIA:
	case NG_CMD_UNSILENCE_MEDIA:
		bit = DP_CTL_SILENCE_MEDIA, on = req->cmd == NG_CMD_SILENCE_MEDIA;
		break;
	case NG_CMD_BLOCK_DTMF: {
		int r = dtmf_security(req, &sec, err);

		if (r < 0)
			return r;
		bit = DP_CTL_BLOCK_DTMF, on = r == 0, all = false;
		break;
	}
	case NG_CMD_UNBLOCK_DTMF:
		bit = DP_CTL_BLOCK_DTMF, on = false;
		break;
	case NG_CMD_PLAY_DTMF:
		if (!n_sel && !all) {
			*err = "No participant party specified";
			return -EINVAL;
		}
		return play_dtmf(c, sel, n_sel, req, now_ms, err, warning);
	default:
		*err = "Unknown command";
		return -EINVAL;
	}
	if (!n_sel)
		set_ctl(c, NULL, bit, on, all, &sec);
	for (unsigned i = 0; i < n_sel; i++)
		set_ctl(c, sel[i], bit, on, all, &sec);
	publish_all(c);
	return 0;
}
