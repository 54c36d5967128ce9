/*
 * ngflags.c: one flag or one key=value of an ng request into struct ng_request.
 *
 * rtpengine matches flag and key names case-insensitively with '-', '_' and ' '
 * interchangeable, and Kamailio folds dictionary keys into flag strings
 * ("ICE=remove", "codec-strip-PCMA", "replace-origin", "RTP/AVPF"). Every name
 * is compared in that canonical form (ngf_normalize); values that name things
 * (codecs, interfaces, addresses) keep their original case. Anything we parse
 * but do not act on becomes a warning, never an error: a proxy config written
 * for rtpengine must keep working.
 */
#include "control/ngflags.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char canon(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	if (c == '_' || c == ' ')
		return '-';
	return c;
}

void ngf_normalize(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = canon(src[i]);
	dst[len] = '\0';
}

/* @s[0..len) equals the canonical name @name under normalisation. */
static bool norm_eq(const char *s, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len && name[i]; i++)
		if (canon(s[i]) != name[i])
			return false;
	return i == len && name[i] == '\0';
}

/* @s starts with canonical @prefix (and has something after it). */
static bool norm_prefix(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (len <= pl)
		return false;
	for (size_t i = 0; i < pl; i++)
		if (canon(s[i]) != prefix[i])
			return false;
	return true;
}

const char *ngf_quote(struct arena *a, const struct ng_request *req, const char *s,
		      size_t len)
{
	size_t n = len > 64 ? 64 : len;
	char *q;

	if (req->n_warnings >= NG_MAX_WARNINGS - 1)
		return "";
	q = arena_alloc(a, n + 4);
	if (!q)
		return "?";
	for (size_t i = 0; i < n; i++)
		q[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'') ? s[i] : '?';
	if (n < len)
		memcpy(q + n, "...", 3);
	return q;
}

void ngf_warn(struct arena *a, struct ng_request *req, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (req->n_warnings >= NG_MAX_WARNINGS)
		return;
	if (req->n_warnings == NG_MAX_WARNINGS - 1) {
		req->warnings[req->n_warnings++] = "further warnings omitted";
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	req->warnings[req->n_warnings] = arena_strndup(a, buf, (size_t)n);
	if (req->warnings[req->n_warnings])
		req->n_warnings++;
}

static void not_implemented(struct arena *a, struct ng_request *req, const char *what,
			    const char *s, size_t len)
{
	ngf_warn(a, req, "%s '%s' is accepted but not implemented", what, ngf_quote(a, req, s, len));
}

/* Arena copy of a value that names something (call-id, tag, label, interface,
 * address); NULL (with a warning) for empty values and for values with control
 * bytes, which no SIP token has and which would otherwise reach logs verbatim. */
const char *ngf_text(struct arena *a, struct ng_request *req, const char *what,
		     const char *v, size_t len)
{
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			ngf_warn(a, req, "%s contains control characters, ignored", what);
			return NULL;
		}
	}
	return arena_strndup(a, v, len);
}

static void set_ice(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	if (norm_eq(v, len, "remove")) {
		req->ice = NG_ICE_REMOVE;
	} else if (norm_eq(v, len, "default")) {
		req->ice = NG_ICE_DEFAULT;
	} else if (norm_eq(v, len, "force")) {
		req->ice = NG_ICE_FORCE;
		not_implemented(a, req, "ICE", v, len);
	} else if (norm_eq(v, len, "force-relay")) {
		req->ice = NG_ICE_FORCE_RELAY;
		not_implemented(a, req, "ICE", v, len);
	} else if (norm_eq(v, len, "optional")) {
		not_implemented(a, req, "ICE", v, len);
	} else {
		ngf_warn(a, req, "unknown ICE value '%s' ignored", ngf_quote(a, req, v, len));
	}
}

static const struct {
	const char *name;	/* canonical (lower case) */
	enum ng_transport tp;
	bool srtp;
} transports[] = {
	{ "rtp/avp", NG_TP_RTP_AVP, false },
	{ "rtp/avpf", NG_TP_RTP_AVPF, false },
	{ "rtp/savp", NG_TP_RTP_SAVP, true },
	{ "rtp/savpf", NG_TP_RTP_SAVPF, true },
	{ "udp/tls/rtp/savp", NG_TP_UDP_TLS_RTP_SAVP, true },
	{ "udp/tls/rtp/savpf", NG_TP_UDP_TLS_RTP_SAVPF, true },
};

/* Returns false if @v names no transport (the caller decides whether to warn). */
static bool set_transport(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		if (!norm_eq(v, len, transports[i].name))
			continue;
		req->transport = transports[i].tp;
		if (transports[i].srtp)
			not_implemented(a, req, "transport protocol", v, len);
		return true;
	}
	if (norm_eq(v, len, "accept")) {
		not_implemented(a, req, "transport protocol", v, len);
		return true;
	}
	return false;
}

static void set_address_family(struct arena *a, struct ng_request *req, const char *v,
			       size_t len)
{
	if (norm_eq(v, len, "ip4"))
		req->address_family = NG_AF_IP4;
	else if (norm_eq(v, len, "ip6"))
		req->address_family = NG_AF_IP6;
	else
		ngf_warn(a, req, "unknown address family '%s' ignored", ngf_quote(a, req, v, len));
}

void ngf_replace(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} tab[] = {
		{ "origin", NG_R_ORIGIN },
		{ "session-connection", NG_R_SESSION_CONNECTION },
		{ "session-name", NG_R_SESSION_NAME },
		{ "sdp-version", NG_R_SDP_VERSION },
		{ "zero-address", NG_R_ZERO_ADDRESS },
		{ "username", NG_R_USERNAME },
		{ "origin-full", NG_R_ORIGIN_FULL },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (norm_eq(v, len, tab[i].name)) {
			req->replace |= tab[i].bit;
			return;
		}
	}
	if (norm_eq(v, len, "force-increment-sdp-ver"))
		not_implemented(a, req, "replace", v, len);
	else
		ngf_warn(a, req, "unknown replace value '%s' ignored", ngf_quote(a, req, v, len));
}

void ngf_rtcp_mux(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} tab[] = {
		{ "offer", NG_MUX_OFFER },   { "require", NG_MUX_REQUIRE },
		{ "demux", NG_MUX_DEMUX },   { "accept", NG_MUX_ACCEPT },
		{ "reject", NG_MUX_REJECT },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (norm_eq(v, len, tab[i].name)) {
			req->rtcp_mux |= tab[i].bit;
			return;
		}
	}
	ngf_warn(a, req, "unknown rtcp-mux value '%s' ignored", ngf_quote(a, req, v, len));
}

void ngf_direction(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	const char *t = ngf_text(a, req, "direction", v, len);

	if (!t)
		return;
	if (!req->direction[0])
		req->direction[0] = t;
	else if (!req->direction[1])
		req->direction[1] = t;
	else
		ngf_warn(a, req, "more than two directions given, '%s' ignored",
			 ngf_quote(a, req, v, len));
}

bool ngf_codec(struct arena *a, struct ng_request *req, const char *op, const char *v,
	       size_t len)
{
	struct ng_codec_ops *c = &req->codec;
	const char **list;
	unsigned *n;
	const char *t;

	if (!strcmp(op, "strip"))
		list = c->strip, n = &c->n_strip;
	else if (!strcmp(op, "offer"))
		list = c->offer, n = &c->n_offer;
	else if (!strcmp(op, "transcode"))
		list = c->transcode, n = &c->n_transcode;
	else if (!strcmp(op, "mask"))
		list = c->mask, n = &c->n_mask;
	else if (!strcmp(op, "accept"))
		list = c->accept, n = &c->n_accept;
	else if (!strcmp(op, "except"))
		list = c->except, n = &c->n_except;
	else if (!strcmp(op, "set") || !strcmp(op, "consume") || !strcmp(op, "ignore")) {
		ngf_warn(a, req, "codec option '%s' is accepted but not implemented", op);
		return true;
	} else
		return false;
	t = ngf_text(a, req, "codec name", v, len);
	if (!t)
		return true;
	if (*n >= NG_MAX_CODEC_ITEMS) {
		ngf_warn(a, req, "too many codecs for '%s', '%s' ignored", op,
			 ngf_quote(a, req, v, len));
		return true;
	}
	list[(*n)++] = t;
	return true;
}

/* Non-negative decimal in [min, max]; false otherwise. */
static bool parse_num(const char *v, size_t len, int64_t min, int64_t max, int64_t *out)
{
	int64_t x = 0;

	if (len == 0 || len > 12)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (v[i] - '0');
	}
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

/* Keys for features we do not have: warn (quietly accept "off"-like values). */
static const char *const unimplemented_keys[] = {
	"to-label", "t38", "t.38", "tos", "metadata", "media-echo", "endpoint-learning",
	"dtmf-security", "dtmf-delay", "dtmf-log-dest", "dtmf-security-trigger",
	"dtmf-security-trigger-end", "generate-rtcp", "ptime-reverse", "xmlrpc-callback",
	"delay-buffer", "audio-player", "ice-lite", "drop-traffic", "output-destination",
	"trigger", "trigger-end", "end-trigger", "trigger-end-time", "trigger-end-digits",
	"frequency", "frequencies", "volume", "digit", "code", "dtls-reverse",
	"dtls-fingerprint", "from-tags", "sdes", "osrtp", "dtls", "record-call",
};

static bool off_value(const char *v, size_t len)
{
	return norm_eq(v, len, "off") || norm_eq(v, len, "no") || norm_eq(v, len, "disable") ||
	       norm_eq(v, len, "none");
}

static bool key_unimplemented(struct arena *a, struct ng_request *req, const char *nkey,
			      const char *v, size_t len)
{
	for (size_t i = 0; i < sizeof(unimplemented_keys) / sizeof(unimplemented_keys[0]); i++) {
		if (strcmp(nkey, unimplemented_keys[i]))
			continue;
		if (off_value(v, len))
			return true;	/* "SDES=off", "record-call=no": what we do anyway */
		if (!strcmp(nkey, "record-call"))
			req->flags |= NG_F_RECORD_CALL;
		ngf_warn(a, req, "'%s=%s' is accepted but not implemented", nkey,
			 ngf_quote(a, req, v, len));
		return true;
	}
	return false;
}

/* The identifying and naming keys: stored as text. */
static const char **text_slot(struct ng_request *req, const char *nkey)
{
	if (!strcmp(nkey, "call-id"))
		return &req->call_id;
	if (!strcmp(nkey, "from-tag"))
		return &req->from_tag;
	if (!strcmp(nkey, "to-tag"))
		return &req->to_tag;
	if (!strcmp(nkey, "via-branch"))
		return &req->via_branch;
	if (!strcmp(nkey, "label") || !strcmp(nkey, "from-label") || !strcmp(nkey, "set-label"))
		return &req->label;
	if (!strcmp(nkey, "interface"))
		return &req->interface;
	if (!strcmp(nkey, "media-address"))
		return &req->media_address;
	return NULL;
}

static void set_received_from(struct arena *a, struct ng_request *req, const char *v,
			      size_t len)
{
	const char *t = ngf_text(a, req, "received-from", v, len);

	if (!t)
		return;
	req->received_from_addr = t;
	req->received_from_family = memchr(v, ':', len) ? "IP6" : "IP4";
}

static bool numeric_key(struct arena *a, struct ng_request *req, const char *nkey,
			const char *v, size_t len)
{
	int64_t x;

	if (!strcmp(nkey, "delete-delay")) {
		if (parse_num(v, len, 0, 86400 * 365, &x))
			req->delete_delay = x;
		else
			ngf_warn(a, req, "invalid delete-delay '%s' ignored", ngf_quote(a, req, v, len));
		return true;
	}
	if (!strcmp(nkey, "limit")) {
		if (parse_num(v, len, 0, INT32_MAX, &x))
			req->limit = x;
		else
			ngf_warn(a, req, "invalid limit '%s' ignored", ngf_quote(a, req, v, len));
		return true;
	}
	if (!strcmp(nkey, "ptime")) {
		if (parse_num(v, len, 1, 1000, &x))
			req->codec.ptime = (unsigned)x;
		else
			ngf_warn(a, req, "invalid ptime '%s' ignored", ngf_quote(a, req, v, len));
		return true;
	}
	return false;
}

bool ngf_key_value(struct arena *a, struct ng_request *req, const char *nkey, const char *val,
		   size_t vlen)
{
	const char **slot = text_slot(req, nkey);

	if (slot) {
		const char *t = ngf_text(a, req, nkey, val, vlen);

		if (t)
			*slot = t;
		return true;
	}
	if (!strcmp(nkey, "sdp")) {
		req->sdp = arena_strndup(a, val, vlen);
		req->sdp_len = req->sdp ? vlen : 0;
	} else if (!strcmp(nkey, "ice")) {
		set_ice(a, req, val, vlen);
	} else if (!strcmp(nkey, "transport-protocol")) {
		if (!set_transport(a, req, val, vlen))
			ngf_warn(a, req, "unknown transport protocol '%s' ignored",
				 ngf_quote(a, req, val, vlen));
	} else if (!strcmp(nkey, "address-family")) {
		set_address_family(a, req, val, vlen);
	} else if (!strcmp(nkey, "direction")) {
		ngf_direction(a, req, val, vlen);
	} else if (!strcmp(nkey, "rtcp-mux")) {
		ngf_rtcp_mux(a, req, val, vlen);
	} else if (!strcmp(nkey, "replace")) {
		ngf_replace(a, req, val, vlen);
	} else if (!strcmp(nkey, "received-from")) {
		set_received_from(a, req, val, vlen);
	} else if (!strcmp(nkey, "transcode")) {
		ngf_codec(a, req, "transcode", val, vlen);
	} else if (!strncmp(nkey, "codec-", 6) && ngf_codec(a, req, nkey + 6, val, vlen)) {
		/* "codec-strip=PCMA" */
	} else if (!strcmp(nkey, "all")) {
		if (norm_eq(val, vlen, "all"))
			req->flags |= NG_F_ALL;
		else if (!norm_eq(val, vlen, "none"))
			not_implemented(a, req, "all", val, vlen);
	} else if (!numeric_key(a, req, nkey, val, vlen) &&
		   !key_unimplemented(a, req, nkey, val, vlen)) {
		return false;
	}
	return true;
}

/* Plain flags: a bit, and a note when we accept it without acting on it. */
static const struct {
	const char *name;
	uint32_t bit;
	bool unimplemented;
} plain_flags[] = {
	{ "trust-address", NG_F_TRUST_ADDRESS, false },
	{ "symmetric", NG_F_SYMMETRIC, false },
	{ "asymmetric", NG_F_ASYMMETRIC, false },
	{ "port-latching", NG_F_PORT_LATCHING, false },
	{ "no-port-latching", NG_F_NO_PORT_LATCHING, true },
	{ "strict-source", NG_F_STRICT_SOURCE, false },
	{ "loop-protect", NG_F_LOOP_PROTECT, false },
	{ "sip-source-address", NG_F_SIP_SOURCE_ADDRESS, false },
	{ "full-rtcp-attribute", NG_F_FULL_RTCP_ATTRIBUTE, false },
	{ "no-rtcp-attribute", NG_F_NO_RTCP_ATTRIBUTE, false },
	{ "force-relay", NG_F_FORCE_RELAY, false },
	{ "force", NG_F_FORCE_RELAY, false },	/* rtpproxy legacy; rtpengine ignores it */
	{ "media-handover", NG_F_MEDIA_HANDOVER, true },
	{ "record-call", NG_F_RECORD_CALL, true },
	{ "all", NG_F_ALL, false },
	{ "fatal", NG_F_FATAL, false },
	{ "generate-mid", NG_F_GENERATE_MID, true },
	{ "original-sendrecv", NG_F_ORIGINAL_SENDRECV, true },
	/* Kamailio module flags it handles itself; harmless if they reach us. */
	{ "no-redis-update", 0, false },
	{ "force-answer", 0, false },
	{ "unidirectional", 0, true },
	{ "reset", 0, true },
	{ "single-codec", 0, true },
	{ "reuse-codecs", 0, true },
	{ "no-codec-renegotiation", 0, true },
	{ "trickle-ice", 0, true },
	{ "reject-ice", 0, true },
	{ "pierce-nat", 0, true },
	{ "nat-wait", 0, true },
	{ "debug", 0, true },
	{ "debugging", 0, true },
	{ "inject-dtmf", 0, true },
	{ "detect-dtmf", 0, true },
	{ "early-media", 0, true },
	{ "strip-extmap", 0, true },
	{ "pad-crypto", 0, true },
	{ "allow-transcoding", 0, true },
	{ "block-short", 0, true },
	{ "block-short-packets", 0, true },
	{ "generate-rtcp", 0, true },
	{ "discard-recording", 0, true },
	{ "exclude-recording", 0, true },
	{ "inactive", 0, true },
	{ "rtcp-mirror", 0, true },
};

static bool plain_flag(struct arena *a, struct ng_request *req, const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(plain_flags) / sizeof(plain_flags[0]); i++) {
		if (!norm_eq(s, len, plain_flags[i].name))
			continue;
		req->flags |= plain_flags[i].bit;
		if (plain_flags[i].unimplemented)
			not_implemented(a, req, "flag", plain_flags[i].name,
					strlen(plain_flags[i].name));
		return true;
	}
	if (norm_eq(s, len, "always-transcode")) {
		ngf_codec(a, req, "accept", "all", 3);	/* rtpengine: codec-accept=all */
		return true;
	}
	if (norm_eq(s, len, "internal") || norm_eq(s, len, "external")) {
		ngf_direction(a, req, s, len);	/* rtpengine: direction=internal */
		return true;
	}
	return false;
}

/* Prefixed values whose feature we lack: fine when switched off. */
static const char *const unimplemented_prefixes[] = {
	"sdes-", "osrtp-", "dtls-", "t38-", "t.38-", "from-tags-", "endpoint-learning-",
	"dtmf-security-",
};

static bool prefixed_flag(struct arena *a, struct ng_request *req, const char *s, size_t len)
{
	char op[16];
	size_t i;

	if (norm_prefix(s, len, "codec-")) {
		/* codec-<op>-<codec>: op has no '-', the codec name may have ("telephone-event") */
		for (i = 6; i < len && canon(s[i]) != '-' && i - 6 < sizeof(op) - 1; i++)
			op[i - 6] = canon(s[i]);
		op[i - 6] = '\0';
		if (i + 1 < len && canon(s[i]) == '-' &&
		    ngf_codec(a, req, op, s + i + 1, len - i - 1))
			return true;
		return false;
	}
	if (norm_prefix(s, len, "transcode-"))
		return ngf_codec(a, req, "transcode", s + 10, len - 10);
	if (norm_prefix(s, len, "replace-")) {
		ngf_replace(a, req, s + 8, len - 8);
		return true;
	}
	if (norm_prefix(s, len, "rtcp-mux-")) {
		ngf_rtcp_mux(a, req, s + 9, len - 9);
		return true;
	}
	if (norm_prefix(s, len, "transport-protocol-")) {
		if (!set_transport(a, req, s + 19, len - 19))
			ngf_warn(a, req, "unknown transport protocol '%s' ignored",
				 ngf_quote(a, req, s + 19, len - 19));
		return true;
	}
	if (norm_prefix(s, len, "address-family-")) {
		set_address_family(a, req, s + 15, len - 15);
		return true;
	}
	if (norm_prefix(s, len, "ice-")) {
		set_ice(a, req, s + 4, len - 4);
		return true;
	}
	for (i = 0; i < sizeof(unimplemented_prefixes) / sizeof(unimplemented_prefixes[0]); i++) {
		size_t pl = strlen(unimplemented_prefixes[i]);

		if (!norm_prefix(s, len, unimplemented_prefixes[i]))
			continue;
		if (!off_value(s + pl, len - pl))
			not_implemented(a, req, "flag", s, len);
		return true;
	}
	return false;
}

void ngf_flag(struct arena *a, struct ng_request *req, const char *s, size_t len)
{
	const char *eq;

	if (len == 0)
		return;
	if (memchr(s, '\0', len)) {
		ngf_warn(a, req, "flag with a NUL byte ignored");
		return;
	}
	if (plain_flag(a, req, s, len) || set_transport(a, req, s, len))
		return;
	eq = memchr(s, '=', len);
	if (eq && (size_t)(eq - s) <= NGF_MAX_NAME) {
		char nkey[NGF_MAX_NAME + 1];
		size_t kl = (size_t)(eq - s);

		ngf_normalize(nkey, s, kl);
		if (ngf_key_value(a, req, nkey, eq + 1, len - kl - 1))
			return;
	} else if (!eq && prefixed_flag(a, req, s, len)) {
		return;
	}
	ngf_warn(a, req, "unknown flag '%s' ignored", ngf_quote(a, req, s, len));
}
