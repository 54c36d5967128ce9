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

const char *ngf_quote(struct arena *a, const struct ng_request *req, const char *s, size_t len)
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
	ngf_warn(a, req, "%s '%s' is accepted but not implemented", what,
		 ngf_quote(a, req, s, len));
}

/* Arena copy of a value that names something (call-id, tag, label, interface,
 * address); NULL (with a warning) for empty values and for values with control
 * bytes, which no SIP token has and which would otherwise reach logs verbatim. */
const char *ngf_text(struct arena *a, struct ng_request *req, const char *what, const char *v,
		     size_t len)
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
	} else if (norm_eq(v, len, "force-relay")) {
		req->ice = NG_ICE_FORCE_RELAY; /* daemon/ice.c: own candidates typ relay */
	} else if (norm_eq(v, len, "optional")) {
		req->ice = NG_ICE_OPTIONAL;
	} else if (norm_eq(v, len, "trickle")) {
		req->flags |= NG_F_TRICKLE_ICE; /* rtpengine: the same as trickle-ICE */
	} else if (norm_eq(v, len, "lite-forward") || norm_eq(v, len, "lite-backward") ||
		   norm_eq(v, len, "lite-both")) {
		/* rtprelay is an ICE-lite agent towards every ICE party anyway */
	} else if (norm_eq(v, len, "lite-off") || norm_eq(v, len, "ice2")) {
		not_implemented(a, req, "ICE", v, len);
	} else {
		ngf_warn(a, req, "unknown ICE value '%s' ignored", ngf_quote(a, req, v, len));
	}
}

/* The secure ones: RTP/SAVP[F] is offered SDES-SRTP (daemon/sdes.c) and,
 * unless DTLS=off, DTLS-SRTP too (the answer picks one);
 * UDP/TLS/RTP/SAVP[F] is DTLS-SRTP (daemon/dtls_media.c). */
static const struct {
	const char *name; /* canonical (lower case) */
	enum ng_transport tp;
} transports[] = {
	{ "rtp/avp", NG_TP_RTP_AVP },
	{ "rtp/avpf", NG_TP_RTP_AVPF },
	{ "rtp/savp", NG_TP_RTP_SAVP },
	{ "rtp/savpf", NG_TP_RTP_SAVPF },
	{ "udp/tls/rtp/savp", NG_TP_UDP_TLS_RTP_SAVP },
	{ "udp/tls/rtp/savpf", NG_TP_UDP_TLS_RTP_SAVPF },
};

/* Returns false if @v names no transport (the caller decides whether to warn). */
static bool set_transport(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		if (!norm_eq(v, len, transports[i].name))
			continue;
		req->transport = transports[i].tp;
		return true;
	}
	if (norm_eq(v, len, "accept")) {
		not_implemented(a, req, "transport protocol", v, len);
		return true;
	}
	return false;
}

static void set_address_family(struct arena *a, struct ng_request *req, const char *v, size_t len)
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

void ngf_bundle(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} tab[] = {
		{ "accept", NG_BUNDLE_ACCEPT },
		{ "offer", NG_BUNDLE_OFFER },
		{ "reject", NG_BUNDLE_REJECT },
		/* as rtpengine: require implies offer, strict implies both */
		{ "require", NG_BUNDLE_OFFER | NG_BUNDLE_REQUIRE },
		{ "strict", NG_BUNDLE_OFFER | NG_BUNDLE_REQUIRE | NG_BUNDLE_STRICT },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (norm_eq(v, len, tab[i].name)) {
			req->bundle |= tab[i].bit;
			return;
		}
	}
	ngf_warn(a, req, "unknown bundle value '%s' ignored", ngf_quote(a, req, v, len));
}

static bool off_value(const char *v, size_t len);

/* A suite name for SDES no-/only-: kept as given (daemon/sdes.c knows the
 * suites); bounded in count. */
static void sdes_suite(struct arena *a, struct ng_request *req, const char **list, unsigned *n,
		       const char *v, size_t len)
{
	const char *t = ngf_text(a, req, "SDES suite", v, len);

	if (!t)
		return;
	if (*n >= NG_MAX_SDES_SUITES) {
		ngf_warn(a, req, "too many SDES suites, '%s' ignored", ngf_quote(a, req, v, len));
		return;
	}
	list[(*n)++] = t;
}

void ngf_sdes(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	static const struct {
		const char *name;
		uint32_t set, clear;
	} params[] = {
		{ "unencrypted-srtp", NG_SDES_UNENCRYPTED_SRTP, 0 },
		{ "unencrypted-srtcp", NG_SDES_UNENCRYPTED_SRTCP, 0 },
		{ "unauthenticated-srtp", NG_SDES_UNAUTHENTICATED_SRTP, 0 },
		{ "encrypted-srtp", 0, NG_SDES_UNENCRYPTED_SRTP },
		{ "encrypted-srtcp", 0, NG_SDES_UNENCRYPTED_SRTCP },
		{ "authenticated-srtp", 0, NG_SDES_UNAUTHENTICATED_SRTP },
	};
	struct ng_sdes *sd = &req->sdes;

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (norm_eq(v, len, params[i].name)) {
			sd->set = (sd->set | params[i].set) & ~params[i].clear;
			sd->clear = (sd->clear | params[i].clear) & ~params[i].set;
			return;
		}
	}
	if (off_value(v, len))
		sd->off = true;
	else if (norm_eq(v, len, "nonew"))
		sd->nonew = true;
	else if (norm_eq(v, len, "pad"))
		sd->pad = true;
	else if (norm_eq(v, len, "lifetime"))
		sd->lifetime = true;
	else if (norm_eq(v, len, "static"))
		sd->is_static = true;
	else if (norm_eq(v, len, "prefer"))
		sd->prefer = true; /* SDES over DTLS when an offer has both */
	else if (norm_prefix(v, len, "no-"))
		sdes_suite(a, req, sd->no, &sd->n_no, v + 3, len - 3);
	else if (norm_prefix(v, len, "only-"))
		sdes_suite(a, req, sd->only, &sd->n_only, v + 5, len - 5);
	else if (norm_prefix(v, len, "order:") || norm_prefix(v, len, "offerer-pref:"))
		not_implemented(a, req, "SDES", v, len);
	else
		ngf_warn(a, req, "unknown SDES value '%s' ignored", ngf_quote(a, req, v, len));
}

void ngf_dtls(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	if (off_value(v, len))
		req->dtls = NG_DTLS_OFF;
	else if (norm_eq(v, len, "passive"))
		req->dtls = NG_DTLS_PASSIVE;
	else if (norm_eq(v, len, "active"))
		req->dtls = NG_DTLS_ACTIVE;
	else
		ngf_warn(a, req, "unknown DTLS value '%s' ignored", ngf_quote(a, req, v, len));
}

static void set_dtls_fp(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	static const char *const names[] = { "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (norm_eq(v, len, names[i])) {
			req->dtls_fp = i + 1;
			return;
		}
	}
	ngf_warn(a, req, "unknown DTLS-fingerprint hash '%s' ignored", ngf_quote(a, req, v, len));
}

void ngf_osrtp(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	if (norm_eq(v, len, "offer") || norm_eq(v, len, "offer-rfc"))
		req->osrtp |= NG_OSRTP_OFFER;
	else if (norm_eq(v, len, "accept") || norm_eq(v, len, "accept-rfc"))
		req->osrtp |= NG_OSRTP_ACCEPT;
	else if (norm_eq(v, len, "offer-legacy") || norm_eq(v, len, "accept-legacy"))
		not_implemented(a, req, "OSRTP", v, len);
	else
		ngf_warn(a, req, "unknown OSRTP value '%s' ignored", ngf_quote(a, req, v, len));
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

static void warn_unimplemented_value(struct arena *a, struct ng_request *req, const char *name,
				     const char *v, size_t len)
{
	ngf_warn(a, req, "'%s=%s' is accepted but not implemented", name,
		 ngf_quote(a, req, v, len));
}

/* "codec-<op>" (or "codec": {"<op>": ...}) that ngf_known lists as not
 * implemented: warned. False if the table does not know it either. */
static bool codec_unimplemented(struct arena *a, struct ng_request *req, const char *op,
				const char *v, size_t len)
{
	char name[NGF_MAX_NAME + 1];
	const struct ngf_known *k;
	int n = snprintf(name, sizeof(name), "codec-%s", op);

	if (n < 0 || (size_t)n >= sizeof(name))
		return false;
	k = ngf_lookup(name, (size_t)n, NGF_KEY | NGF_PREFIX);
	if (!k || k->support == NGF_IMPLEMENTED)
		return false;
	if (k->support == NGF_NOT_IMPLEMENTED)
		warn_unimplemented_value(a, req, k->name, v, len);
	return true;
}

bool ngf_codec(struct arena *a, struct ng_request *req, const char *op, const char *v, size_t len)
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
	else if (!strcmp(op, "set"))
		list = c->set, n = &c->n_set;
	else if (!strcmp(op, "consume"))
		list = c->consume, n = &c->n_consume;
	else if (!strcmp(op, "ignore"))
		list = c->ignore, n = &c->n_ignore;
	else
		return codec_unimplemented(a, req, op, v, len);
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

static bool off_value(const char *v, size_t len)
{
	return norm_eq(v, len, "off") || norm_eq(v, len, "no") || norm_eq(v, len, "disable") ||
	       norm_eq(v, len, "none");
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
	if (!strcmp(nkey, "to-label"))
		return &req->to_label;
	if (!strcmp(nkey, "interface"))
		return &req->interface;
	if (!strcmp(nkey, "media-address"))
		return &req->media_address;
	if (!strcmp(nkey, "dtmf-security"))
		return &req->dtmf_security;
	if (!strcmp(nkey, "digit") || !strcmp(nkey, "code"))
		return &req->digit;
	if (!strcmp(nkey, "duration"))
		return &req->duration;
	if (!strcmp(nkey, "volume"))
		return &req->volume;
	if (!strcmp(nkey, "pause"))
		return &req->pause;
	if (!strcmp(nkey, "address"))
		return &req->address;
	if (!strcmp(nkey, "trigger"))
		return &req->trigger;
	if (!strcmp(nkey, "trigger-end") || !strcmp(nkey, "end-trigger"))
		return &req->trigger_end;
	if (!strcmp(nkey, "dtmf-security-trigger"))
		return &req->dtmf_security_trigger;
	if (!strcmp(nkey, "dtmf-security-trigger-end"))
		return &req->dtmf_security_trigger_end;
	if (!strcmp(nkey, "trigger-end-time"))
		return &req->trigger_end_time;
	if (!strcmp(nkey, "trigger-end-digits"))
		return &req->trigger_end_digits;
	if (!strcmp(nkey, "file"))
		return &req->file;
	if (!strcmp(nkey, "repeat-times"))
		return &req->repeat_times;
	if (!strcmp(nkey, "repeat-duration"))
		return &req->repeat_duration;
	if (!strcmp(nkey, "start-pos"))
		return &req->start_pos;
	return NULL;
}

static void set_received_from(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	const char *t = ngf_text(a, req, "received-from", v, len);

	if (!t)
		return;
	req->received_from_addr = t;
	req->received_from_family = memchr(v, ':', len) ? "IP6" : "IP4";
}

static bool numeric_key(struct arena *a, struct ng_request *req, const char *nkey, const char *v,
			size_t len)
{
	int64_t x;

	if (!strcmp(nkey, "delete-delay")) {
		if (parse_num(v, len, 0, 86400 * 365, &x))
			req->delete_delay = x;
		else
			ngf_warn(a, req, "invalid delete-delay '%s' ignored",
				 ngf_quote(a, req, v, len));
		return true;
	}
	if (!strcmp(nkey, "limit")) {
		if (parse_num(v, len, 0, INT32_MAX, &x))
			req->limit = x;
		else
			ngf_warn(a, req, "invalid limit '%s' ignored", ngf_quote(a, req, v, len));
		return true;
	}
	if (!strcmp(nkey, "sip-code")) {
		if (parse_num(v, len, 100, 699, &x))
			req->sip_code = x;
		else
			ngf_warn(a, req, "invalid SIP code '%s' ignored",
				 ngf_quote(a, req, v, len));
		return true;
	}
	if (!strcmp(nkey, "ptime")) {
		if (parse_num(v, len, 1, 1000, &x))
			req->codec.ptime = (unsigned)x;
		else
			ngf_warn(a, req, "invalid ptime '%s' ignored", ngf_quote(a, req, v, len));
		return true;
	}
	if (!strcmp(nkey, "ptime-reverse")) {
		if (parse_num(v, len, 1, 1000, &x))
			req->codec.ptime_reverse = (unsigned)x;
		else
			ngf_warn(a, req, "invalid ptime-reverse '%s' ignored",
				 ngf_quote(a, req, v, len));
		return true;
	}
	return false;
}

void ngf_t38(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	if (len)
		req->refuse = arena_printf(a, "T.38 is not supported (T.38=%s): no T.38 gateway",
					   ngf_quote(a, req, v, len));
	if (!req->refuse || !len)
		req->refuse = "T.38 is not supported: no T.38 gateway";
}

void ngf_frequency(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	const char *t = ngf_text(a, req, "frequency", v, len);

	if (!t)
		return;
	if (req->frequencies && strlen(req->frequencies) + len > 256) {
		ngf_warn(a, req, "too many frequencies, '%s' ignored", ngf_quote(a, req, v, len));
		return;
	}
	req->frequencies = req->frequencies ? arena_printf(a, "%s,%s", req->frequencies, t) : t;
}

void ngf_from_tag(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	const char *t = ngf_text(a, req, "from-tags", v, len);

	if (!t)
		return;
	if (req->n_from_tags >= NG_MAX_FROM_TAGS) {
		ngf_warn(a, req, "more than %d from-tags, '%s' ignored", NG_MAX_FROM_TAGS,
			 ngf_quote(a, req, v, len));
		return;
	}
	req->from_tags[req->n_from_tags++] = t;
}

/* "TOS": rtpengine's meaning of its integer (see ng_request.tos). */
static void set_tos(struct arena *a, struct ng_request *req, const char *v, size_t len)
{
	bool neg = len > 0 && v[0] == '-';
	int64_t x;

	if (!parse_num(v + neg, len - neg, 0, 999999999999, &x)) {
		ngf_warn(a, req, "invalid TOS '%s' ignored", ngf_quote(a, req, v, len));
		return;
	}
	req->tos = neg && x > 0 ? NG_TOS_KEEP : x >= 256 ? NG_TOS_DEFAULT : (int)x;
}

/* An implemented key into @req; false if nothing here handles @nkey (then
 * ngf_known promises what the code does not keep: the table test fails). */
static bool apply_key(struct arena *a, struct ng_request *req, const char *nkey, const char *val,
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
	} else if (!strcmp(nkey, "bundle")) {
		ngf_bundle(a, req, val, vlen);
	} else if (!strcmp(nkey, "sdes")) {
		ngf_sdes(a, req, val, vlen);
	} else if (!strcmp(nkey, "osrtp")) {
		ngf_osrtp(a, req, val, vlen);
	} else if (!strcmp(nkey, "dtls") || !strcmp(nkey, "dtls-reverse")) {
		ngf_dtls(a, req, val, vlen);
	} else if (!strcmp(nkey, "dtls-fingerprint")) {
		set_dtls_fp(a, req, val, vlen);
	} else if (!strcmp(nkey, "replace")) {
		ngf_replace(a, req, val, vlen);
	} else if (!strcmp(nkey, "received-from")) {
		set_received_from(a, req, val, vlen);
	} else if (!strcmp(nkey, "transcode")) {
		ngf_codec(a, req, "transcode", val, vlen);
	} else if (!strcmp(nkey, "t.38") || !strcmp(nkey, "t38")) {
		if (!off_value(val, vlen))
			ngf_t38(a, req, val, vlen);
	} else if (!strcmp(nkey, "tos")) {
		set_tos(a, req, val, vlen);
	} else if (!strcmp(nkey, "frequency") || !strcmp(nkey, "frequencies")) {
		ngf_frequency(a, req, val, vlen);
	} else if (!strcmp(nkey, "drop-traffic")) {
		if (norm_eq(val, vlen, "stop"))
			req->drop_traffic = -1;
		else if (norm_eq(val, vlen, "start") && req->drop_traffic == 0)
			req->drop_traffic = 1;
		else if (!norm_eq(val, vlen, "start"))
			ngf_warn(a, req, "unknown drop-traffic value '%s' ignored",
				 ngf_quote(a, req, val, vlen));
	} else if (!strcmp(nkey, "from-tags")) {
		ngf_from_tag(a, req, val, vlen);
	} else if (!strcmp(nkey, "generate-rtcp")) {
		if (norm_eq(val, vlen, "on") || norm_eq(val, vlen, "yes"))
			req->flags |= NG_F_GENERATE_RTCP;
		else if (off_value(val, vlen))
			req->generate_rtcp_off = true;
		else
			ngf_warn(a, req, "unknown generate-RTCP value '%s' ignored",
				 ngf_quote(a, req, val, vlen));
	} else if (!strncmp(nkey, "codec-", 6) && ngf_codec(a, req, nkey + 6, val, vlen)) {
		/* "codec-strip=PCMA" */
	} else if (!strcmp(nkey, "record-call")) {
		req->record_call = off_value(val, vlen) ? -1 : 1;
	} else if (!strcmp(nkey, "recording-file") || !strcmp(nkey, "output-destination")) {
		req->recording_file = arena_strndup(a, val, vlen);
		req->recording_file_len = req->recording_file ? vlen : 0;
	} else if (!strcmp(nkey, "recording-dir") || !strcmp(nkey, "recording-path")) {
		req->recording_dir = arena_strndup(a, val, vlen);
		req->recording_dir_len = req->recording_dir ? vlen : 0;
	} else if (!strcmp(nkey, "recording-pattern")) {
		req->recording_pattern = arena_strndup(a, val, vlen);
		req->recording_pattern_len = req->recording_pattern ? vlen : 0;
	} else if (!strcmp(nkey, "metadata")) {
		req->metadata = arena_strndup(a, val, vlen);
	} else if (!strcmp(nkey, "blob") || !strcmp(nkey, "blob64")) {
		/* media bytes: may hold NULs, so the length is kept */
		req->blob = arena_strndup(a, val, vlen);
		req->blob_len = req->blob ? vlen : 0;
		req->blob64 = nkey[4] == '6';
	} else if (!strcmp(nkey, "db-id")) {
		req->refuse = "db-id is not supported: rtprelay has no media database";
	} else if (!strcmp(nkey, "all")) {
		if (norm_eq(val, vlen, "all"))
			req->flags |= NG_F_ALL;
		else if (!norm_eq(val, vlen, "none"))
			not_implemented(a, req, "all", val, vlen);
	} else if (!numeric_key(a, req, nkey, val, vlen)) {
		return false;
	}
	return true;
}

/* Key @nkey (normalized) with a value, given as @form. */
static bool key_value(struct arena *a, struct ng_request *req, const char *nkey, const char *val,
		      size_t vlen, unsigned form)
{
	const struct ngf_known *k = ngf_lookup(nkey, strlen(nkey), form);

	if (!k)
		return false;
	switch (k->support) {
	case NGF_IMPLEMENTED:
	case NGF_REFUSED:
		return apply_key(a, req, k->name, val, vlen);
	case NGF_DEFAULT:
		return true;
	case NGF_NOT_IMPLEMENTED:
		if (!off_value(val, vlen)) /* "SDES=off", "record-call=no": what we do anyway */
			warn_unimplemented_value(a, req, k->name, val, vlen);
		return true;
	}
	return false;
}

bool ngf_key_value(struct arena *a, struct ng_request *req, const char *nkey, const char *val,
		   size_t vlen)
{
	return key_value(a, req, nkey, val, vlen, NGF_DICT);
}

#define IMPL(name, forms, bit, sample, where)                    \
	{                                                        \
		name, forms, NGF_IMPLEMENTED, bit, sample, where \
	}
#define DFLT(name, forms, where)                         \
	{                                                \
		name, forms, NGF_DEFAULT, 0, NULL, where \
	}
/* REFUSE(name, forms, sample, "why"): a request that asks for it is refused
 * (apply_key / apply_flag set req->refuse). */
#define REFUSE(name, forms, sample, why)                 \
	{                                                \
		name, forms, NGF_REFUSED, 0, sample, why \
	}
/* NOPE(name, forms, "why not") names the reason in @where (the README's
 * compatibility table shows it); without one @where is "" and the table says so. */
#define NOPE(name, forms, ...)                                            \
	{                                                                 \
		name, forms, NGF_NOT_IMPLEMENTED, 0, NULL, "" __VA_ARGS__ \
	}

const struct ngf_known ngf_known[] = {
	/* the call, the parties, the body */
	IMPL("call-id", NGF_KEY, 0, "\"c-1\"", "daemon/commands.c: every call command"),
	IMPL("from-tag", NGF_KEY, 0, "\"f-1\"",
	     "daemon/offer.c pick_parties, commands.c delete_scope"),
	IMPL("to-tag", NGF_KEY, 0, "\"t-1\"",
	     "daemon/offer.c pick_parties, commands.c delete_scope"),
	IMPL("via-branch", NGF_KEY, 0, "\"z9hG4bK-1\"",
	     "daemon/fork.c: one callee party per branch (offer, answer), commands.c "
	     "delete_scope: that branch only"),
	IMPL("sip-code", NGF_KEY, 0, "\"200\"",
	     "daemon/fork.c: an answer from a final reply (>= 200) releases the other branches"),
	IMPL("to-label", NGF_KEY, 0, "\"callee\"",
	     "daemon/commands.c select_labels: the to-tag party of delete/query by label"),
	IMPL("label", NGF_KEY, 0, "\"caller\"",
	     "daemon/offer.c: party label, query output; commands.c select_labels: the "
	     "from-tag party of delete/query by label"),
	IMPL("from-label", NGF_KEY, 0, "\"caller\"", "as label"),
	IMPL("set-label", NGF_KEY, 0, "\"caller\"", "as label"),
	IMPL("sdp", NGF_KEY, 0, "\"v=0\"", "daemon/offer.c offer_answer"),
	IMPL("flags", NGF_DICT, 0, "[\"strict-source\"]",
	     "control/ngrequest.c: each element is a flag"),
	IMPL("codec", NGF_DICT, 0, "{\"strip\":[\"PCMA\"]}", "control/ngrequest.c codec_dict"),
	IMPL("supports", NGF_DICT, 0, "[\"load limit\"]",
	     "daemon/commands.c: a refusal by an admission limit is `result: load limit`"),
	/* addresses, interfaces, media */
	IMPL("interface", NGF_KEY, 0, "\"pub\"", "daemon/offer.c media_setup"),
	IMPL("direction", NGF_KEY, 0, "\"pub\"", "daemon/offer.c media_setup"),
	IMPL("internal", NGF_FLAG, 0, NULL, "direction=internal"),
	IMPL("external", NGF_FLAG, 0, NULL, "direction=external"),
	IMPL("address-family", NGF_KEY | NGF_PREFIX, 0, "\"IP6\"", "daemon/offer.c media_setup"),
	IMPL("media-address", NGF_KEY, 0, "\"192.0.2.1\"",
	     "daemon/offer.c media_rewrite, build_sdp"),
	IMPL("received-from", NGF_KEY, 0, "\"192.0.2.2\"",
	     "daemon/offer.c sender_addr (sip-source-address)"),
	IMPL("trust-address", NGF_FLAG, NG_F_TRUST_ADDRESS, NULL,
	     "daemon/offer.c flags_to_dp, latch.c"),
	IMPL("sip-source-address", NGF_FLAG, NG_F_SIP_SOURCE_ADDRESS, NULL,
	     "daemon/offer.c sender_addr"),
	IMPL("ice", NGF_KEY | NGF_PREFIX, 0, "\"remove\"",
	     "daemon/ice.c ice_decide (remove, force, default, optional as force; force-relay: "
	     "as force with rtprelay's candidates typ relay)"),
	IMPL("transport-protocol", NGF_KEY | NGF_PREFIX, 0, "\"RTP/AVPF\"",
	     "daemon/offer.c media_rewrite"),
	IMPL("rtcp-mux", NGF_KEY | NGF_PREFIX, 0, "\"demux\"", "daemon/offer.c mux_decide"),
	IMPL("bundle", NGF_KEY, 0, "\"offer\"",
	     "daemon/bundle.c: accept (default), offer, require (a=bundle-only, shared port), "
	     "strict (bundle-only with port 0), reject; a port-0 bundle-only section received is "
	     "accepted into its group; an answerer without BUNDLE gets each section at its own "
	     "address from the shared port (dataplane/dp_bundle.c)"),
	IMPL("replace", NGF_KEY | NGF_PREFIX, 0, "\"origin\"", "daemon/offer.c build_sdp"),
	IMPL("full-rtcp-attribute", NGF_FLAG, NG_F_FULL_RTCP_ATTRIBUTE, NULL,
	     "daemon/offer.c media_rewrite"),
	IMPL("no-rtcp-attribute", NGF_FLAG, NG_F_NO_RTCP_ATTRIBUTE, NULL,
	     "daemon/offer.c media_rewrite"),
	IMPL("loop-protect", NGF_FLAG, NG_F_LOOP_PROTECT, NULL,
	     "daemon/offer.c offer_answer, media_rewrite"),
	/* latching */
	IMPL("asymmetric", NGF_FLAG, NG_F_ASYMMETRIC, NULL, "daemon/offer.c flags_to_dp, latch.c"),
	IMPL("strict-source", NGF_FLAG, NG_F_STRICT_SOURCE, NULL,
	     "daemon/offer.c flags_to_dp, latch.c"),
	DFLT("symmetric", NGF_FLAG,
	     "dataplane/latch.c latch_packet: media goes back to where it comes from unless "
	     "asymmetric"),
	DFLT("port-latching", NGF_FLAG,
	     "daemon/offer.c media_setup: a re-offer keeps the local ports whatever the remote "
	     "port "
	     "(only a change of interface or address family rebinds)"),
	IMPL("no-port-latching", NGF_FLAG, NG_F_NO_PORT_LATCHING, NULL,
	     "daemon/offer.c media_setup: new local ports for an offerer whose SDP address "
	     "or port changed"),
	NOPE("force-relay", NGF_FLAG, "rtpproxy's flag: rtprelay always relays"),
	NOPE("force", NGF_FLAG,
	     "rtpproxy's flag (relay even through another proxy's mark): rtprelay always relays"),
	IMPL("media-handover", NGF_FLAG, NG_F_MEDIA_HANDOVER, NULL,
	     "daemon/offer.c flags_to_dp, dataplane/latch.c: a new source replaces a "
	     "confirmed one"),
	NOPE("endpoint-learning", NGF_KEY | NGF_PREFIX,
	     "one learning algorithm (dataplane/latch.h): strict-source, asymmetric and "
	     "media-handover tune it"),
	/* codecs */
	IMPL("transcode", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("codec-strip", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("codec-offer", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("codec-transcode", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("codec-mask", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("codec-accept", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("codec-except", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"", "daemon/codec_negotiate.c"),
	IMPL("always-transcode", NGF_FLAG, 0, NULL,
	     "codec-accept=all (rtpengine: its legacy synonym; a codec both sides share "
	     "is still forwarded: force-transcoding decodes it too)"),
	IMPL("force-transcoding", NGF_FLAG, 0, NULL,
	     "daemon/codec_negotiate.c codecneg_answer: a shared codec is decoded and "
	     "encoded again each way"),
	IMPL("ptime", NGF_KEY, 0, "\"30\"", "daemon/offer.c media_rewrite, codecneg.c"),
	IMPL("codec-set", NGF_KEY | NGF_PREFIX, 0, "\"opus/48000/2/32000\"",
	     "daemon/codec_negotiate.c codec_set (encoder options when transcoding)"),
	IMPL("codec-consume", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"",
	     "daemon/codec_negotiate.c codecneg_offer, offer.c codec_filter"),
	IMPL("codec-ignore", NGF_KEY | NGF_PREFIX, 0, "\"PCMA\"",
	     "daemon/codec_negotiate.c codecneg_offer"),
	IMPL("single-codec", NGF_FLAG, NG_F_SINGLE_CODEC, NULL, "daemon/offer.c single_codec"),
	NOPE("reuse-codecs", NGF_FLAG,
	     "a re-offer negotiates afresh; single-codec keeps the answer to one codec"),
	NOPE("no-codec-renegotiation", NGF_FLAG,
	     "a re-offer negotiates afresh; single-codec keeps the answer to one codec"),
	NOPE("allow-transcoding", NGF_FLAG,
	     "only for subscribe answer / publish, which rtprelay does not have"),
	IMPL("ptime-reverse", NGF_KEY, 0, "\"30\"",
	     "daemon/offer.c media_rewrite, codec_negotiate.c bridge"),
	/* delete, list */
	IMPL("all", NGF_FLAG, NG_F_ALL, NULL, "daemon/commands.c cmd_delete: the whole call"),
	IMPL("all", NGF_KEY, 0, "\"all\"", "as the flag all"),
	IMPL("fatal", NGF_FLAG, NG_F_FATAL, NULL,
	     "daemon/commands.c cmd_delete: unknown call is an error"),
	IMPL("delete-delay", NGF_KEY, 0, "\"5\"", "daemon/commands.c cmd_delete"),
	IMPL("limit", NGF_KEY, 0, "\"7\"", "daemon/commands.c cmd_list"),
	IMPL("no-redis-update", NGF_FLAG, NG_F_NO_REDIS_UPDATE, NULL,
	     "daemon/commands.c: the command's change is not written to Redis (daemon/repl.h)"),
	/* Kamailio's rtpengine module acts on these itself */
	DFLT("force-answer", NGF_FLAG, "Kamailio's rtpengine module: nothing for the relay to do"),
	/* features rtprelay does not have */
	/* recording (daemon/callrec.c) */
	IMPL("record-call", NGF_FLAG, NG_F_RECORD_CALL, NULL,
	     "daemon/callrec.c: offer/answer start recording the call"),
	IMPL("record-call", NGF_KEY, 0, "\"yes\"",
	     "daemon/callrec.c: yes/on starts recording, no/off stops it"),
	IMPL("recording-file", NGF_KEY, 0, "\"a/b\"",
	     "daemon/callrec.c: base name of the files, inside recording-dir"),
	IMPL("output-destination", NGF_KEY, 0, "\"a/b\"", "as recording-file"),
	IMPL("recording-dir", NGF_KEY, 0, "\"sub\"",
	     "daemon/callrec.c: directory of the files, inside recording-dir"),
	IMPL("recording-path", NGF_KEY, 0, "\"sub\"", "as recording-dir"),
	IMPL("recording-pattern", NGF_KEY, 0, "\"%c-%r\"",
	     "daemon/callrec.c: file name pattern (%c %r %Y %m %d %H %M %S)"),
	IMPL("metadata", NGF_KEY, 0, "\"k:v\"",
	     "daemon/callrec.c: text in the recording's JSON metadata"),
	IMPL("pause", NGF_FLAG, NG_F_PAUSE, NULL,
	     "daemon/callrec.c: stop recording pauses instead"),
	/* playback (daemon/playmedia.c) */
	IMPL("file", NGF_KEY, 0, "\"hello.wav\"",
	     "daemon/playmedia.c play media: a file inside media-dir"),
	IMPL("repeat-times", NGF_KEY, 0, "\"3\"", "daemon/playmedia.c play media (1..1000)"),
	IMPL("repeat-duration", NGF_KEY, 0, "\"10000\"",
	     "daemon/playmedia.c play media (ms, at most a day)"),
	IMPL("moh", NGF_DICT, 0, "{\"file\":\"moh.wav\"}",
	     "daemon/moh.c: music on hold from a file inside media-dir or a blob (file, "
	     "blob, blob64, mode sendonly/sendrecv/reflect, connection zero); db-id is "
	     "refused (no media database)"),
	IMPL("blob", NGF_KEY, 0, "\"RIFF\"",
	     "daemon/playmedia.c play media: the media file's bytes (at most 200 KiB)"),
	IMPL("blob64", NGF_KEY, 0, "\"UklGRg==\"", "as blob, base64"),
	IMPL("start-pos", NGF_KEY, 0, "\"500\"",
	     "daemon/playmedia.c play media: ms into the media to start from"),
	REFUSE("db-id", NGF_KEY, "\"42\"",
	       "no media database: play media with db-id is refused (moh's db-id too)"),
	NOPE("discard-recording", NGF_FLAG, "a recording is kept once started"),
	NOPE("exclude-recording", NGF_FLAG, "every party of a recorded call is recorded"),
	NOPE("skip-recording-db", NGF_FLAG, "no recording database"),
	IMPL("sdes", NGF_KEY | NGF_PREFIX, 0, "\"no-AES_CM_128_HMAC_SHA1_32\"",
	     "daemon/sdes.c (off, no-, only-, nonew, pad, lifetime, static, prefer, "
	     "[un]encrypted_srtp/srtcp, [un]authenticated_srtp)"),
	IMPL("osrtp", NGF_KEY | NGF_PREFIX, 0, "\"offer\"",
	     "daemon/sdes.c: RFC 8643 offer, accept (legacy forms not implemented)"),
	IMPL("pad-crypto", NGF_FLAG, 0, NULL, "daemon/sdes.c: as SDES-pad"),
	DFLT("recrypt", NGF_FLAG,
	     "daemon/sdes.c: SRTP is always decrypted and re-encrypted (never passed through)"),
	IMPL("dtls", NGF_KEY | NGF_PREFIX, 0, "\"passive\"",
	     "daemon/dtls_media.c: off/no/disable; passive/active: the role answering an actpass "
	     "offerer (offers always say actpass, the answer picks: dtls/dtls_role.h)"),
	IMPL("dtls-reverse", NGF_KEY | NGF_PREFIX, 0, "\"passive\"",
	     "as DTLS (rtpengine parses both the same way)"),
	IMPL("dtls-fingerprint", NGF_KEY | NGF_PREFIX, 0, "\"sha-1\"",
	     "daemon/dtls_media.c: the hash of rtprelay's a=fingerprint"),
	/* refused, never pretended: an offer asking for the T.38 gateway is an error */
	REFUSE("t38", NGF_FLAG | NGF_KEY | NGF_PREFIX, "\"decode\"",
	       "no T.38 gateway: the offer is refused (control/ngrequest.c validate)"),
	REFUSE("t.38", NGF_FLAG | NGF_KEY | NGF_PREFIX, "\"decode\"",
	       "no T.38 gateway: the offer is refused (control/ngrequest.c validate)"),
	IMPL("from-tags", NGF_KEY | NGF_PREFIX, 0, "\"A\"",
	     "daemon/callctl.c: call control on each party named"),
	IMPL("tos", NGF_KEY, 0, "\"184\"", "daemon/media_tos.c (IP_TOS / IPV6_TCLASS)"),
	NOPE("media-echo", NGF_KEY, "no media echo / blackhole modes"),
	NOPE("ice-lite", NGF_KEY, "rtprelay is always an ICE-lite agent towards ICE parties"),
	IMPL("trickle-ice", NGF_FLAG, NG_F_TRICKLE_ICE, NULL,
	     "daemon/ice.c ice_rewrite (a=ice-options:trickle)"),
	IMPL("reject-ice", NGF_FLAG, NG_F_REJECT_ICE, NULL,
	     "daemon/ice.c ice_note_sender: no ICE in the answer to this offer"),
	IMPL("webrtc", NGF_FLAG, 0, NULL,
	     "ICE=force trickle-ICE rtcp-mux-offer rtcp-mux-require no-rtcp-attribute "
	     "SDES-off generate-mid transport-protocol=UDP/TLS/RTP/SAVPF (DTLS-SRTP) "
	     "bundle=require (bundle offer + a=bundle-only, daemon/bundle.c)"),
	IMPL("generate-mid", NGF_FLAG, NG_F_GENERATE_MID, NULL, "daemon/offer.c media_rewrite"),
	IMPL("original-sendrecv", NGF_FLAG, NG_F_ORIGINAL_SENDRECV, NULL,
	     "daemon/offer.c media_rewrite: direction attributes as received"),
	NOPE("strip-extmap", NGF_FLAG, "a=extmap attributes pass unchanged"),
	NOPE("unidirectional", NGF_FLAG,
	     "one-way streams go to the kernel path by the same rules as two-way ones"),
	DFLT("reset", NGF_FLAG,
	     "nothing is learned from an answer: every offer decides ICE and SRTP keying "
	     "(SDES, DTLS) from its own flags, which is what reset restores"),
	NOPE("pierce-nat", NGF_FLAG, "no NAT piercing packets are sent"),
	NOPE("nat-wait", NGF_FLAG, "no NAT piercing packets are sent"),
	NOPE("debug", NGF_FLAG, "no per-call log level: the daemon's log-level applies"),
	NOPE("debugging", NGF_FLAG, "no per-call log level: the daemon's log-level applies"),
	NOPE("early-media", NGF_FLAG, "no audio player"),
	NOPE("inactive", NGF_FLAG, "only for subscribe request, which rtprelay does not have"),
	NOPE("rtcp-mirror", NGF_FLAG, "only for subscribe request, which rtprelay does not have"),
	IMPL("generate-rtcp", NGF_FLAG, NG_F_GENERATE_RTCP, NULL,
	     "daemon/offer.c call_dp_flags, dataplane/dp_rtcp.c: RTCP consumed, the relay's "
	     "own reports sent"),
	IMPL("generate-rtcp", NGF_KEY, 0, "\"on\"", "as the flag generate-RTCP"),
	NOPE("block-short", NGF_FLAG, "short packets are forwarded as received"),
	NOPE("block-short-packets", NGF_FLAG, "short packets are forwarded as received"),
	IMPL("drop-traffic", NGF_KEY, 0, "\"start\"",
	     "daemon/offer.c offer_answer, callctl.c callctl_drop_traffic: all RTP of the call "
	     "dropped (start) or not (stop)"),
	NOPE("delay-buffer", NGF_KEY, "no delay buffer: media is never held back on purpose"),
	NOPE("audio-player", NGF_KEY, "no audio player"),
	NOPE("xmlrpc-callback", NGF_KEY, "no XMLRPC timeout callbacks (b2b-url)"),
	DFLT("inject-dtmf", NGF_FLAG,
	     "daemon/callctl.c: play DTMF works on every call without it: RFC 4733 events, "
	     "or in-band tones in G.711/G.722 (before the transcoder on a transcoded leg)"),
	NOPE("detect-dtmf", NGF_FLAG, "no in-band DTMF detection"),
	IMPL("dtmf-security", NGF_KEY | NGF_PREFIX, 0, "\"silence\"",
	     "daemon/callctl.c block DTMF: drop, silence, tone, zero, DTMF, random, off"),
	NOPE("dtmf-delay", NGF_KEY, "no DTMF delay buffer"),
	NOPE("dtmf-log-dest", NGF_KEY, "no DTMF logging"),
	IMPL("dtmf-security-trigger", NGF_KEY, 0, "\"drop\"",
	     "daemon/callctl.c block DTMF: the mode once `trigger` was seen"),
	IMPL("dtmf-security-trigger-end", NGF_KEY, 0, "\"silence\"",
	     "daemon/callctl.c block DTMF: the mode once the trigger ended"),
	IMPL("trigger", NGF_KEY, 0, "\"*9\"",
	     "daemon/callctl.c, dataplane/dp_ctl.c: RFC 4733 digits that start "
	     "DTMF-security-trigger"),
	IMPL("trigger-end", NGF_KEY, 0, "\"#\"",
	     "daemon/callctl.c, dataplane/dp_ctl.c: digits that start "
	     "DTMF-security-trigger-end"),
	IMPL("end-trigger", NGF_KEY, 0, "\"#\"", "as trigger-end"),
	IMPL("trigger-end-time", NGF_KEY, 0, "\"5000\"",
	     "daemon/callctl.c, dataplane/dp_ctl.c: the trigger's mode ends after this "
	     "long (the stream's clock)"),
	IMPL("trigger-end-digits", NGF_KEY, 0, "\"4\"",
	     "daemon/callctl.c, dataplane/dp_ctl.c: the trigger's mode ends after this "
	     "many digits"),
	IMPL("frequency", NGF_KEY, 0, "\"400\"", "daemon/callctl.c block DTMF, DTMF-security=tone"),
	IMPL("frequencies", NGF_KEY, 0, "\"400,800\"",
	     "daemon/callctl.c block DTMF, DTMF-security=tone"),
	IMPL("volume", NGF_KEY, 0, "\"10\"",
	     "daemon/callctl.c play DTMF; block DTMF: tone, zero, DTMF, random"),
	IMPL("digit", NGF_KEY, 0, "\"5\"",
	     "daemon/callctl.c play DTMF; block DTMF: DTMF-security=DTMF"),
	IMPL("code", NGF_KEY, 0, "\"5\"", "as digit"),
	IMPL("duration", NGF_KEY, 0, "\"300\"", "daemon/callctl.c play DTMF"),
	IMPL("pause", NGF_KEY, 0, "\"150\"", "daemon/callctl.c play DTMF"),
	IMPL("address", NGF_KEY, 0, "\"192.0.2.7\"",
	     "daemon/callctl.c: the party with this SDP media address"),
	IMPL("directional", NGF_FLAG, NG_F_DIRECTIONAL, NULL,
	     "daemon/callctl.c: block/unblock honour the from-tag (silence takes it alone)"),
};
const size_t ngf_n_known = sizeof(ngf_known) / sizeof(ngf_known[0]);

#undef IMPL
#undef DFLT
#undef NOPE
#undef REFUSE

const struct ngf_known *ngf_lookup(const char *s, size_t len, unsigned form)
{
	for (size_t i = 0; i < ngf_n_known; i++)
		if ((ngf_known[i].forms & form) && norm_eq(s, len, ngf_known[i].name))
			return &ngf_known[i];
	return NULL;
}

/* An implemented flag without a bit of its own. */
/* rtpengine's WebRTC: an alias for what a WebRTC party needs, the same set
 * as rtpengine's (its WebRTC template: transport-protocol=UDP/TLS/RTP/SAVPF
 * ICE=force trickle-ICE rtcp-mux=[offer require] no-rtcp-attribute SDES=off
 * generate-mid bundle=[require]); bundle=require implies offer, as ngf_bundle
 * reads it. */
static void set_webrtc(struct ng_request *req)
{
	req->bundle |= NG_BUNDLE_OFFER | NG_BUNDLE_REQUIRE;
	req->sdes.off = true;
	req->ice = NG_ICE_FORCE;
	req->flags |= NG_F_TRICKLE_ICE | NG_F_NO_RTCP_ATTRIBUTE | NG_F_GENERATE_MID;
	req->rtcp_mux |= NG_MUX_OFFER | NG_MUX_REQUIRE;
	req->transport = NG_TP_UDP_TLS_RTP_SAVPF;
}

static void apply_flag(struct arena *a, struct ng_request *req, const char *name)
{
	if (!strcmp(name, "pad-crypto"))
		req->sdes.pad = true; /* rtpengine: legacy alias of SDES-pad */
	else if (!strcmp(name, "always-transcode"))
		ngf_codec(a, req, "accept", "all", 3); /* rtpengine: codec-accept=all */
	else if (!strcmp(name, "force-transcoding"))
		req->codec.force_transcoding = true;
	else if (!strcmp(name, "t.38") || !strcmp(name, "t38"))
		ngf_t38(a, req, "", 0);
	else if (!strcmp(name, "internal") || !strcmp(name, "external"))
		ngf_direction(a, req, name, strlen(name)); /* rtpengine: direction=internal */
	else if (!strcmp(name, "webrtc"))
		set_webrtc(req);
}

static bool plain_flag(struct arena *a, struct ng_request *req, const char *s, size_t len)
{
	const struct ngf_known *k = ngf_lookup(s, len, NGF_FLAG);

	if (!k)
		return false;
	switch (k->support) {
	case NGF_IMPLEMENTED:
	case NGF_REFUSED:
		req->flags |= k->bit;
		if (!k->bit)
			apply_flag(a, req, k->name);
		break;
	case NGF_DEFAULT:
		break;
	case NGF_NOT_IMPLEMENTED:
		ngf_warn(a, req, "flag '%s' is accepted but not implemented", k->name);
		break;
	}
	return true;
}

/* "key-value" (Kamailio's spelling of key=value: "ICE-remove", "codec-strip-PCMA",
 * "SDES-off"): the longest key that may be written so. */
static bool prefixed_flag(struct arena *a, struct ng_request *req, const char *s, size_t len)
{
	const struct ngf_known *best = NULL;
	size_t bl = 0;

	for (size_t i = 0; i < ngf_n_known; i++) {
		const struct ngf_known *k = &ngf_known[i];
		size_t nl = strlen(k->name);

		if ((k->forms & NGF_PREFIX) && nl > bl && len > nl + 1 && canon(s[nl]) == '-' &&
		    norm_prefix(s, nl + 1, k->name))
			best = k, bl = nl;
	}
	return best && key_value(a, req, best->name, s + bl + 1, len - bl - 1, NGF_PREFIX);
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
		if (key_value(a, req, nkey, eq + 1, len - kl - 1, NGF_KV))
			return;
	} else if (!eq && prefixed_flag(a, req, s, len)) {
		return;
	}
	ngf_warn(a, req, "unknown flag '%s' ignored", ngf_quote(a, req, s, len));
}
