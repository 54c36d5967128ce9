/*
 * ngrequest.h: a decoded ng dictionary turned into a typed, validated request.
 *
 * Flag spellings are normalised the way rtpengine accepts them: "strict-source",
 * "strict source", "strict_source" are one flag (case-insensitive); Kamailio-style
 * "key-value" flags ("codec-strip-PCMA", "replace-origin", "rtcp-mux-demux",
 * "transport-protocol-RTP/AVPF", "ICE-remove", "direction=...", ...) are folded into
 * the same fields as the dictionary keys. Unknown flags are not errors: they are
 * listed in @warnings so the reply can say "accepted, not implemented".
 * All strings point into the message arena.
 */
#ifndef RTPRELAY_NGREQUEST_H
#define RTPRELAY_NGREQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/ngdict.h"

enum ng_command {
	NG_CMD_PING,
	NG_CMD_OFFER,
	NG_CMD_ANSWER,
	NG_CMD_DELETE,
	NG_CMD_QUERY,
	NG_CMD_LIST,
	NG_CMD_STATISTICS,
	/* call control (daemon/callctl.c) */
	NG_CMD_BLOCK_MEDIA,
	NG_CMD_UNBLOCK_MEDIA,
	NG_CMD_SILENCE_MEDIA,
	NG_CMD_UNSILENCE_MEDIA,
	NG_CMD_BLOCK_DTMF,
	NG_CMD_UNBLOCK_DTMF,
	NG_CMD_PLAY_DTMF,
	/* recording (daemon/callrec.c) */
	NG_CMD_START_RECORDING,
	NG_CMD_STOP_RECORDING,
	NG_CMD_PAUSE_RECORDING,
	/* playback (daemon/playmedia.c) */
	NG_CMD_PLAY_MEDIA,
	NG_CMD_STOP_MEDIA,
	/* rtprelay's operator commands (rtprelay-ctl; daemon/operate.h), not
	 * rtpengine's */
	NG_CMD_DRAIN,
	NG_CMD_RELOAD,
};
#define NG_CMD_LAST NG_CMD_STOP_MEDIA

/* flags: bits, one per implemented flag (control/ngflags.c ngf_known) */
enum ng_flag {
	NG_F_TRUST_ADDRESS = 1u << 0,
	NG_F_ASYMMETRIC = 1u << 2,
	NG_F_STRICT_SOURCE = 1u << 4,
	NG_F_LOOP_PROTECT = 1u << 5,
	NG_F_SIP_SOURCE_ADDRESS = 1u << 6,
	NG_F_FULL_RTCP_ATTRIBUTE = 1u << 7,
	NG_F_NO_RTCP_ATTRIBUTE = 1u << 8,
	NG_F_SINGLE_CODEC = 1u << 9,	   /* answer: only the first codec (plus its events/CN) */
	NG_F_ALL = 1u << 12,		   /* delete: the whole call, whatever the tags */
	NG_F_FATAL = 1u << 13,		   /* delete: unknown call or tag is an error */
	NG_F_MEDIA_HANDOVER = 1u << 14,	   /* latching follows a new source at any time */
	NG_F_NO_PORT_LATCHING = 1u << 15,  /* new local ports when the remote changes */
	NG_F_ORIGINAL_SENDRECV = 1u << 20, /* direction attributes exactly as received */
	NG_F_GENERATE_MID = 1u << 21,	   /* a=mid on every media that has none */
	NG_F_DIRECTIONAL = 1u << 22,	   /* block/silence: honour the from-tag */
	NG_F_GENERATE_RTCP = 1u << 23,	   /* RTCP consumed, the relay sends its own */
	NG_F_RECORD_CALL = 1u << 24,	   /* offer/answer: record the call */
	NG_F_PAUSE = 1u << 25,		   /* stop recording: pause instead */
	NG_F_TRICKLE_ICE = 1u << 28,	   /* rtprelay's ICE lines say a=ice-options:trickle */
	NG_F_REJECT_ICE = 1u << 29,	   /* offer: the offerer's ICE is refused in the answer */
	NG_F_NO_REDIS_UPDATE = 1u << 30,   /* this command's change is not written to Redis */
};

/* replace: bits */
enum ng_replace {
	NG_R_ORIGIN = 1u << 0,
	NG_R_SESSION_CONNECTION = 1u << 1,
	NG_R_SESSION_NAME = 1u << 2,
	NG_R_SDP_VERSION = 1u << 3,
	NG_R_ZERO_ADDRESS = 1u << 4,
	NG_R_USERNAME = 1u << 5,
	NG_R_ORIGIN_FULL = 1u << 6,
};

enum ng_ice {
	NG_ICE_DEFAULT = 0,
	NG_ICE_REMOVE,
	NG_ICE_FORCE,
	NG_ICE_FORCE_RELAY,
	NG_ICE_OPTIONAL
};

/* rtcp-mux: bits (several may be given) */
enum ng_rtcp_mux {
	NG_MUX_OFFER = 1u << 0,
	NG_MUX_REQUIRE = 1u << 1,
	NG_MUX_DEMUX = 1u << 2,
	NG_MUX_ACCEPT = 1u << 3,
	NG_MUX_REJECT = 1u << 4,
};

/* bundle (RFC 9143): bits (several may be given) */
enum ng_bundle {
	NG_BUNDLE_ACCEPT = 1u << 0,  /* a bundled offer is answered bundled (the default) */
	NG_BUNDLE_OFFER = 1u << 1,   /* the offer rtprelay writes is bundled */
	NG_BUNDLE_REQUIRE = 1u << 2, /* offer + a=bundle-only on the bundled sections
				      * but the first, on the bundle's port (kept in
				      * later offers to the party) */
	NG_BUNDLE_REJECT = 1u << 3,  /* never bundled: one port per section */
	NG_BUNDLE_STRICT = 1u << 4,  /* require + port 0 on those sections (RFC 9143
				      * bundle-only), this offer only */
};

enum ng_transport {
	NG_TP_UNCHANGED = 0, /* keep what the SDP says */
	NG_TP_RTP_AVP,
	NG_TP_RTP_AVPF,
	NG_TP_RTP_SAVP, /* SDES-SRTP (daemon/sdes.c); UDP/TLS ones DTLS-SRTP */
	NG_TP_RTP_SAVPF,
	NG_TP_UDP_TLS_RTP_SAVP,
	NG_TP_UDP_TLS_RTP_SAVPF,
};

/* DTLS (rtpengine's "DTLS" / "DTLS-reverse" key) */
enum ng_dtls {
	NG_DTLS_DEFAULT = 0, /* offer actpass, answer active */
	NG_DTLS_OFF,	     /* off, no, disable: no DTLS-SRTP */
	NG_DTLS_PASSIVE,     /* take the passive (server) role */
	NG_DTLS_ACTIVE,	     /* take the active (client) role */
};

enum ng_addr_family {
	NG_AF_UNCHANGED = 0,
	NG_AF_IP4,
	NG_AF_IP6
};

#define NG_MAX_CODEC_ITEMS 32
#define NG_MAX_SDES_SUITES 16

/* SDES (rtpengine's "SDES" list and SDES-* flags): the session parameters
 * to set and to clear on what rtprelay offers, the suites to leave out or
 * to keep alone (names as given; daemon/sdes.c matches them). */
enum ng_sdes_param {
	NG_SDES_UNENCRYPTED_SRTP = 1u << 0,
	NG_SDES_UNENCRYPTED_SRTCP = 1u << 1,
	NG_SDES_UNAUTHENTICATED_SRTP = 1u << 2,
};

struct ng_sdes {
	bool off;	     /* offer no SDES */
	bool nonew;	     /* add no suite the offerer did not offer */
	bool pad;	     /* base64 with '=' padding (also "pad crypto") */
	bool lifetime;	     /* add |2^31 to each key */
	bool is_static;	     /* keep the negotiated suite on a re-INVITE */
	bool prefer;	     /* an offerer with both a=crypto and a=fingerprint gets SDES */
	uint32_t set, clear; /* enum ng_sdes_param */
	const char *no[NG_MAX_SDES_SUITES];
	unsigned n_no;
	const char *only[NG_MAX_SDES_SUITES];
	unsigned n_only;
};

/* OSRTP (RFC 8643 best-effort SRTP): bits */
enum ng_osrtp {
	NG_OSRTP_OFFER = 1u << 0,  /* offer SDES on a plain RTP/AVP offer */
	NG_OSRTP_ACCEPT = 1u << 1, /* answer an OSRTP offerer with SRTP anyway */
};
#define NG_MAX_WARNINGS	 16
#define NG_MAX_FROM_TAGS 16

struct ng_codec_ops {
	/* Each list holds codec names as given ("PCMA", "opus/48000/2", "all",
	 * "full"); ptime 0 = unchanged. */
	const char *strip[NG_MAX_CODEC_ITEMS];
	unsigned n_strip;
	const char *offer[NG_MAX_CODEC_ITEMS];
	unsigned n_offer;
	const char *transcode[NG_MAX_CODEC_ITEMS];
	unsigned n_transcode;
	const char *mask[NG_MAX_CODEC_ITEMS];
	unsigned n_mask;
	const char *accept[NG_MAX_CODEC_ITEMS];
	unsigned n_accept;
	const char *except[NG_MAX_CODEC_ITEMS];
	unsigned n_except;
	/* "opus/48000/2/32000", "opus/48000/2///maxaveragebitrate=12000":
	 * encoder options for a codec rtprelay transcodes to */
	const char *set[NG_MAX_CODEC_ITEMS];
	unsigned n_set;
	const char *consume[NG_MAX_CODEC_ITEMS]; /* as mask, and negotiates codecs */
	unsigned n_consume;
	const char *ignore[NG_MAX_CODEC_ITEMS]; /* offered codecs treated as not offered */
	unsigned n_ignore;
	unsigned ptime;		/* "ptime" key or codec.ptime, ms */
	unsigned ptime_reverse; /* offer: ptime towards the offerer, in the answer, ms */
	/* "force transcoding": decode and encode again even where both sides
	 * share the codec (answer) */
	bool force_transcoding;
};

struct ng_request {
	enum ng_command cmd;
	const char *call_id;  /* required for offer/answer/delete/query */
	const char *from_tag; /* required for offer/answer */
	const char *to_tag;   /* required for answer */
	const char *via_branch;
	const char *sdp; /* offer/answer: required */
	size_t sdp_len;
	const char *received_from_family; /* "IP4"/"IP6" from received-from, or NULL */
	const char *received_from_addr;	  /* the proxy-seen source address of the SIP */
	const char *media_address;
	const char *direction[2]; /* interface names, NULL = default */
	const char *label;
	const char *to_label;  /* selects the to-tag party by its label */
	const char *interface; /* "interface" key (rtpengine: same as direction) */
	uint32_t flags;	       /* enum ng_flag */
	uint32_t replace;      /* enum ng_replace */
	uint32_t rtcp_mux;     /* enum ng_rtcp_mux */
	uint32_t bundle;       /* enum ng_bundle */
	enum ng_ice ice;
	enum ng_transport transport;
	enum ng_addr_family address_family;
	struct ng_codec_ops codec;
	struct ng_sdes sdes;
	uint32_t osrtp; /* enum ng_osrtp */
	enum ng_dtls dtls;
	/* DTLS-fingerprint: 0 = default (sha-256), else 1 + enum dtls_hash
	 * (sha-1, sha-224, sha-256, sha-384, sha-512 in that order) */
	unsigned dtls_fp;
	int64_t delete_delay; /* -1 = not given */
	/* Flags/keys accepted but not acted on: one human-readable text each,
	 * e.g. "flag 'record-call' is accepted but not implemented". */
	const char *warnings[NG_MAX_WARNINGS];
	unsigned n_warnings;
	int64_t limit; /* list: "limit" (most call-ids to return), -1 = not given */
	/* "supports": ["load limit"]: a refusal by an admission limit is answered
	 * `result: load limit` instead of an error */
	bool supports_load_limit;
	/* offer: a requested feature rtprelay refuses rather than pretend to
	 * carry out (a T.38 gateway): the reply's error-reason */
	const char *refuse;
	/* "TOS": 0..255 set on the call's media sockets, NG_TOS_KEEP leave as
	 * it is, NG_TOS_DEFAULT (key absent, or 256 and above) the default */
	int tos;
	int64_t sip_code; /* "SIP code" of the reply an answer came from, -1 = not given */
	/* call control (daemon/callctl.c validates them): as given */
	const char *dtmf_security, *digit, *duration, *volume, *pause;
	const char *address; /* a party's SDP media address selects it */
	/* block DTMF, DTMF-security=tone: "400,800" as given (a list joined) */
	const char *frequencies;
	/* "from-tags": several parties selected at once (call control) */
	const char *from_tags[NG_MAX_FROM_TAGS];
	unsigned n_from_tags;
	/* "drop-traffic": 1 start (drop all RTP of the call), -1 stop (wins
	 * when both are given), 0 not given */
	int drop_traffic;
	/* block DTMF's triggers (daemon/callctl.c validates them): as given */
	const char *trigger, *trigger_end, *dtmf_security_trigger, *dtmf_security_trigger_end;
	const char *trigger_end_time, *trigger_end_digits;
	/* "generate-RTCP": "off": the call's reports end (on: NG_F_GENERATE_RTCP) */
	bool generate_rtcp_off;
	/* recording (daemon/callrec.c): "record call" key: 1 on, -1 off, 0 not
	 * given (the flag record-call sets NG_F_RECORD_CALL); where the files
	 * go and the metadata text, as given */
	int record_call;
	const char *recording_file, *recording_dir, *recording_pattern, *metadata;
	size_t recording_file_len, recording_dir_len, recording_pattern_len;
	/* play media (daemon/playmedia.c validates them): as given */
	const char *file, *repeat_times, *repeat_duration, *start_pos;
	/* the media itself (blob: bytes, blob64: base64 text), NULL = none */
	const char *blob;
	size_t blob_len;
	bool blob64;
	/* music on hold (daemon/moh.c validates them): the "moh" dictionary of
	 * an offer or answer, as given; moh_source names a source rtprelay has
	 * not (db-id), NULL = none; moh_blob its blob (moh_blob64: base64) */
	bool moh;
	const char *moh_file, *moh_mode, *moh_connection, *moh_source;
	const char *moh_blob;
	size_t moh_blob_len;
	bool moh_blob64;
};

#define NG_TOS_KEEP    (-1)
#define NG_TOS_DEFAULT 256

/* Validate @dict and fill @req. Returns 0, or -EINVAL with *err set to the
 * error-reason for the reply (e.g. "Unknown command", "No call-id in message",
 * "No SDP body in message"). Command names are matched case-insensitively. */
int ng_request_parse(struct arena *a, const struct ng_node *dict, struct ng_request *req,
		     const char **err) __attribute__((warn_unused_result));

const char *ng_command_name(enum ng_command cmd);

#endif
