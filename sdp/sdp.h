/*
 * sdp.h: SDP (RFC 8866) parser into a structured form, and a rewriter that
 * rewrites only what the relay owns (c=, m= port/proto/formats, a=rtcp,
 * a=rtcp-mux, ICE lines, o=/s= on request, codec lines on request) and keeps
 * every other line byte for byte, in order, with its original line ending.
 *
 * Input is hostile: every count is bounded (SDP_MAX_*); the parser never reads
 * past @len and never recurses. Everything parsed or written lives in an arena.
 */
#ifndef RTPRELAY_SDP_H
#define RTPRELAY_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/arena.h"
#include "sdp/sdp_ice.h"

#define SDP_MAX_LEN	(64 * 1024)
#define SDP_MAX_LINES	1024
#define SDP_MAX_MEDIA	16
#define SDP_MAX_FORMATS 32
#define SDP_MAX_ADDR	64 /* text address incl. NUL (also fits FQDNs we refuse) */

struct sdp_str {
	const char *s; /* points into the original SDP text */
	size_t len;
};

struct sdp_conn {
	bool present;
	int family;		 /* AF_INET / AF_INET6 */
	char addr[SDP_MAX_ADDR]; /* as written */
	bool zero;		 /* 0.0.0.0 or :: (hold, old style) */
};

enum sdp_dir {
	SDP_DIR_NONE = 0, /* not given */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

struct sdp_format {
	unsigned pt;		 /* payload type from the m= line */
	struct sdp_str encoding; /* from a=rtpmap ("PCMU"), empty if none */
	unsigned clock_rate;	 /* a=rtpmap clock, or the static default */
	unsigned channels;	 /* 1 unless given */
	struct sdp_str fmtp;	 /* a=fmtp parameters, empty if none */
	/* additions (sdp): */
	struct sdp_str token; /* the format as written in m= ("0", "t38") */
};

/* sdp_format.pt of a non-RTP format token ("t38", "webrtc-datachannel", "*"). */
#define SDP_PT_NONE 0xffffu

struct sdp_media {
	struct sdp_str type;  /* "audio", "video", ... */
	uint16_t port;	      /* 0 = disabled stream */
	unsigned num_ports;   /* m=audio 5000/2 -> 2, default 1 */
	struct sdp_str proto; /* "RTP/AVP", ... */
	struct sdp_format formats[SDP_MAX_FORMATS];
	unsigned n_formats;
	struct sdp_conn conn; /* media-level c= */
	bool has_rtcp_attr;   /* a=rtcp present */
	uint16_t rtcp_port;
	struct sdp_conn rtcp_conn; /* address in a=rtcp, if given */
	bool rtcp_mux;		   /* a=rtcp-mux */
	enum sdp_dir dir;
	/* any a=ice-* / a=candidate (a=crypto / a=fingerprint) in this media
	 * section, or at session level: those apply to every media */
	bool has_ice;
	bool has_crypto;
	struct sdp_ice ice;	      /* the ICE attributes of this section (sdp_ice.h) */
	unsigned ptime;		      /* a=ptime, 0 if absent */
	unsigned first_line, n_lines; /* lines of this media section in sdp_session.lines */
	/* additions (sdp): */
	bool rtp; /* proto is an RTP profile: formats are payload types */
};

struct sdp_session {
	const char *text; /* the original text */
	size_t len;
	struct sdp_str *lines; /* every line including its terminator */
	unsigned n_lines;
	struct sdp_str origin_user, origin_sess_id, origin_version;
	struct sdp_conn origin_addr; /* o= address */
	struct sdp_str session_name;
	struct sdp_conn conn; /* session-level c= */
	enum sdp_dir dir;     /* session-level direction */
	struct sdp_media media[SDP_MAX_MEDIA];
	unsigned n_media;
	/* additions (sdp): */
	bool lf_only;	    /* input lines end in "\n" (else "\r\n") */
	bool has_ice;	    /* session-level a=ice-* */
	struct sdp_ice ice; /* session-level ICE attributes (a=ice-lite lives here) */
	bool has_crypto;    /* session-level a=fingerprint / a=crypto */
};

/* Parse @text. Returns 0 or -EINVAL (malformed: *err says why, e.g.
 * "line 3: m= line without port"), -E2BIG (over a limit). */
int sdp_parse(struct arena *a, const char *text, size_t len, struct sdp_session *out,
	      const char **err) __attribute__((warn_unused_result));

/* Effective connection address of a media: its own c= or the session's. Never
 * NULL; check ->present (a port-0 media often has neither). */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, const struct sdp_media *m);

/* @s equals the literal @lit, ignoring case (encoding names, RFC 4855). */
static inline bool sdp_str_ieq(struct sdp_str s, const char *lit)
{
	return s.len == strlen(lit) && strncasecmp(s.s, lit, s.len) == 0;
}

/* Encoding name of a format: its a=rtpmap name, or for a static payload type
 * without rtpmap the RFC 3551 name ("PCMU" for 0). Empty when unknown. */
struct sdp_str sdp_format_encoding(const struct sdp_format *f);

/* rtprelay's own ICE lines for one media section (written after the peer's
 * were removed: set remove_ice too). */
struct sdp_ice_out {
	const char *ufrag, *pwd; /* ice-chars, RFC 8839 lengths */
	const struct sdp_candidate *cands;
	unsigned n_cands;
	bool trickle;		/* a=ice-options:trickle */
	bool end_of_candidates; /* a=end-of-candidates */
};

/* What the relay wants written for one media section. */
struct sdp_media_rewrite {
	bool keep;	     /* false: copy this media section unchanged */
	const char *addr;    /* advertised address (media-level c= is set to it) */
	int family;	     /* AF_INET / AF_INET6 of addr */
	uint16_t port;	     /* RTP port; 0 disables (m= port 0) */
	uint16_t rtcp_port;  /* written in a=rtcp unless no_rtcp_attr */
	bool rtcp_mux;	     /* write a=rtcp-mux (and a=rtcp with the RTP port) */
	bool no_rtcp_attr;   /* write no a=rtcp */
	bool full_rtcp_attr; /* a=rtcp:PORT IN IP4 ADDR instead of a=rtcp:PORT */
	bool remove_ice;     /* drop a=ice-ufrag/pwd/options/candidate/... */
	/* a 0.0.0.0 c= is not hold here (an ICE party's "no candidate yet",
	 * RFC 8839 4.2.1.1, e.g. a bundled section): addr replaces it even
	 * with rw->zero_address */
	bool replace_zero;
	/* drop a=ssrc and a=ssrc-group: the receiver gets this media from the
	 * relay's transcoder under the relay's own SSRC, and a browser that is
	 * told the sender's SSRC plays that (silent) stream instead */
	bool drop_ssrc;
	const char *proto; /* replace the m= protocol of RTP media, NULL = keep */
	/* Replace the m= format list and its a=rtpmap/a=fmtp lines; NULL = keep.
	 * Formats with an empty encoding get no rtpmap line (static types). */
	const struct sdp_format *formats;
	unsigned n_formats;
	unsigned ptime;		       /* write/replace a=ptime, 0 = keep */
	enum sdp_dir dir;	       /* replace direction, SDP_DIR_NONE = keep */
	const char *extra_attr;	       /* one more "a=..." line (no line end) appended to
					 * the section, e.g. the loop-protect marker */
	const char *mid;	       /* write "a=mid:<mid>" (generate-mid), NULL = none */
	const struct sdp_ice_out *ice; /* rtprelay's ICE lines, NULL = none */
	/* SRTP keying (daemon/sdes.c): drop the section's a=crypto lines and
	 * write these n_crypto "a=crypto:..." lines (no line end) instead */
	bool replace_crypto;
	const char *const *crypto;
	unsigned n_crypto;
	/* DTLS-SRTP (daemon/dtls_media.c): drop the section's a=fingerprint,
	 * a=setup and a=tls-id lines and write these n_dtls "a=..." lines (no
	 * line end) instead */
	bool replace_dtls;
	const char *const *dtls;
	unsigned n_dtls;
	/* BUNDLE (RFC 9143 6): the input's a=bundle-only lines never pass a
	 * rewritten section; write one when set. zero_port: the m= line says
	 * port 0 while the section is otherwise written in full (a bundle-only
	 * section of an offer, whose transport is its BUNDLE group's) */
	bool bundle_only;
	bool zero_port;
};

struct sdp_rewrite {
	struct sdp_media_rewrite media[SDP_MAX_MEDIA]; /* index = media index */
	const char *session_addr; /* session-level c= (when present) set to this */
	int session_family;
	const char *origin_addr; /* replace o= address (replace-origin), NULL = keep */
	int origin_family;
	const char *session_name; /* replace s=, NULL = keep */
	bool bump_version;	  /* o= version + 1 (SDP-version) */
	uint64_t set_version;	  /* when nonzero or version_given: o= version */
	bool version_given;	  /* set_version holds the version, 0 included */
	bool zero_address;	  /* keep a 0.0.0.0 c= as is (replace=zero-address: false) */
	const char *session_attr; /* one more "a=..." line (no line end) at the end of
				   * the session section, e.g. the loop-protect mark */
	bool ice_lite;		  /* write a session-level a=ice-lite */
	bool drop_dtls;		  /* drop session-level a=fingerprint/setup/tls-id */
	bool drop_bundle;	  /* drop session-level a=group:BUNDLE lines */
	const char *bundle_attr;  /* one "a=group:BUNDLE ..." line (no line end) to
				   * write in the session section, NULL = none */
};

/* Write the rewritten SDP into the arena. Returns 0 with *out and *out_len set
 * (*out is NUL-terminated), -ENOMEM, -EINVAL (an address that is not an IP literal
 * of its family, text with CR/LF, a bad format) or -E2BIG (too many formats).
 * Line endings follow the input's (CRLF default for new lines). */
int sdp_rewrite(struct arena *a, const struct sdp_session *s, const struct sdp_rewrite *rw,
		char **out, size_t *out_len) __attribute__((warn_unused_result));

#endif
