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

#include "dataplane/dataplane.h"
#include "lib/log.h"

#define DTMF_DEFAULT_DURATION 250 /* ms, rtpengine's defaults and limits */
#define DTMF_DEFAULT_PAUSE    100
#define DTMF_MIN_MS	      100
#define DTMF_MAX_MS	      5000
#define DTMF_ABSURD_MS	      60000 /* beyond this a value is an error, not clamped */
#define DTMF_DEFAULT_VOLUME   8	    /* -dBm0 */

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
	cp.dtmf_mode = (p->ctl & DP_CTL_BLOCK_DTMF) ? p->ctl_dtmf_mode : c->ctl_dtmf_mode;
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
 * media_block_match: `all`, then `label`, then `address`, then `from-tag` (block, unblock
 * and silence only with `directional`). */
static int select_party(struct call *c, const struct ng_request *req, bool directional_op,
			struct call_party **out, const char **err)
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
	} else if (req->from_tag && (!directional_op || (req->flags & NG_F_DIRECTIONAL))) {
		*out = call_party_find(c, req->from_tag);
		if (!*out) {
			*err = "From-tag given, but no such tag exists";
			return -EINVAL;
		}
	}
	if (*out && req->to_tag && directional_op) {
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
	return select_party(c, req, false, out, err);
}

static int dtmf_mode(const struct ng_request *req, uint8_t *mode, const char **err,
		     const char **warning)
{
	const char *s = req->dtmf_security;

	if (!s || !strcasecmp(s, "drop")) {
		*mode = DP_DTMF_DROP;
	} else if (!strcasecmp(s, "silence")) {
		*mode = DP_DTMF_SILENCE;
	} else if (!strcasecmp(s, "off")) {
		return 1; /* rtpengine: blocking off */
	} else if (!strcasecmp(s, "tone") || !strcasecmp(s, "zero") || !strcasecmp(s, "DTMF") ||
		   !strcasecmp(s, "random")) {
		static char buf[96];

		/* replacing events by other tones needs in-band generation */
		snprintf(buf, sizeof(buf), "DTMF-security mode '%s' is not supported", s);
		*err = buf;
		return -EINVAL;
	} else {
		*err = "Unknown DTMF-security mode";
		return -EINVAL;
	}
	(void)warning;
	return 0;
}

static void set_ctl(struct call *c, struct call_party *p, uint32_t bit, bool on, bool all,
		    uint8_t mode)
{
	if (p) {
		p->ctl = on ? p->ctl | bit : p->ctl & ~bit;
		if (bit == DP_CTL_BLOCK_DTMF && on)
			p->ctl_dtmf_mode = mode;
	} else {
		c->ctl = on ? c->ctl | bit : c->ctl & ~bit;
		if (bit == DP_CTL_BLOCK_DTMF && on)
			c->ctl_dtmf_mode = mode;
		if (!on && all)
			for (unsigned i = 0; i < c->n_parties; i++)
				c->parties[i]->ctl &= ~bit;
	}
	for (unsigned i = 0; i < c->n_parties; i++)
		publish_party(c, c->parties[i]);
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

static int play_dtmf(struct call *c, struct call_party *sel, const struct ng_request *req,
		     uint64_t now_ms, const char **err, const char **warning)
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

		if (sel && p != sel)
			continue;
		for (unsigned i = 0; i < p->n_media; i++) {
			struct call_media *m = &p->media[i];
			struct call_media *pm = p->peer && i < p->peer->n_media ? &p->peer->media[i]
										: NULL;

			if (!is_audio(m) || !m->rtp.ep || !pm)
				continue;
			if (m->xcode) {
				*err = "play DTMF into a transcoded stream is not supported";
				return -EINVAL;
			}
			if (!pm->has_event || !m->has_event) {
				*err = "telephone-event is not negotiated for this leg";
				return -EINVAL;
			}
			uint64_t start = m->dtmf_busy_until_ms > now_ms ? m->dtmf_busy_until_ms
									: now_ms;
			uint64_t until = start + (uint64_t)duration + (uint64_t)pause;

			if (until - now_ms > CALLCTL_DTMF_BACKLOG_MS) {
				*err = "Too many DTMF events queued";
				return -EINVAL;
			}
			ev.pt = pm->event_pt;
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

int callctl_command(struct calls *cs, const struct ng_request *req, uint64_t now_ms,
		    const char **err, const char **warning)
{
	struct call_party *sel;
	struct call *c;
	uint8_t mode = DP_DTMF_DROP;
	bool play = req->cmd == NG_CMD_PLAY_DTMF;

	if (!req->call_id) {
		*err = "No call-id in message";
		return -EINVAL;
	}
	c = call_find(cs, req->call_id);
	if (!c) {
		*err = "Unknown call-ID";
		return -EINVAL;
	}
	if (select_party(c, req, !play, &sel, err))
		return -EINVAL;
	switch (req->cmd) {
	case NG_CMD_BLOCK_MEDIA:
	case NG_CMD_UNBLOCK_MEDIA:
		set_ctl(c, sel, DP_CTL_BLOCK_MEDIA, req->cmd == NG_CMD_BLOCK_MEDIA,
			req->flags & NG_F_ALL, 0);
		return 0;
	case NG_CMD_SILENCE_MEDIA:
	case NG_CMD_UNSILENCE_MEDIA:
		set_ctl(c, sel, DP_CTL_SILENCE_MEDIA, req->cmd == NG_CMD_SILENCE_MEDIA,
			req->flags & NG_F_ALL, 0);
		return 0;
	case NG_CMD_BLOCK_DTMF: {
		int r = dtmf_mode(req, &mode, err, warning);

		if (r < 0)
			return r;
		set_ctl(c, sel, DP_CTL_BLOCK_DTMF, r == 0, false, mode);
		return 0;
	}
	case NG_CMD_UNBLOCK_DTMF:
		set_ctl(c, sel, DP_CTL_BLOCK_DTMF, false, req->flags & NG_F_ALL, 0);
		return 0;
	case NG_CMD_PLAY_DTMF:
		if (!sel && !(req->flags & NG_F_ALL)) {
			*err = "No participant party specified";
			return -EINVAL;
		}
		return play_dtmf(c, sel, req, now_ms, err, warning);
	default:
		*err = "Unknown command";
		return -EINVAL;
	}
}
