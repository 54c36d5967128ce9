/*
 * call.h: calls, parties and media: the control thread's view of who talks to
 * whom through which local sockets.
 *
 * A call (keyed by call-id) holds parties. A party is one SIP endpoint, named by
 * its tag (from-tag of an offer, to-tag of an answer; the callee's party is
 * untagged until the answer arrives). Forks (daemon/fork.h): an offer per
 * via-branch gives each branch a callee party of its own, whose peer is the
 * caller; the caller's peer is the branch that signalled last. Answers with
 * further to-tags for an offer without via-branch add tags to that same party,
 * since every fork received the same offer and sends to the same ports. A
 * party's media i holds the RTP/RTCP
 * sockets the relay advertised TO that party (the party sends there), the
 * party's own address from its SDP, and the dataplane endpoints. Packets from
 * party X's media i leave through X's peer's media i sockets.
 *
 * Memory: each call is one malloc for the struct plus one per party, bounded
 * by CALL_MAX_PARTIES and SDP_MAX_MEDIA. Control thread only.
 */
#ifndef RTPRELAY_CALL_H
#define RTPRELAY_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/stream_ref.h"
#include "dataplane/dataplane.h"
#include "sdp/sdp.h"

#define CALL_MAX_PARTIES    8
#define CALL_MAX_PT_KINDS   16	/* call control's payload types per media */
#define CALL_MAX_TAGS	    8	/* to-tags of one party (forks) */
#define CALL_TAG_MAX	    256 /* bytes of a tag, call-id, via-branch, label */
#define CALL_MAX_REC_CODECS 6	/* codecs per media the recorder decodes */

struct codec_desc;
struct dp_endpoint;
struct sdes_state;
struct iface;
struct media_ice;
struct ifaces;
struct rtprelay_config;

struct call_stream {
	struct dp_endpoint *ep;		/* NULL when not bound */
	uint16_t port;			/* local port */
	struct sockaddr_storage remote; /* party's address from SDP (port 0 = unknown) */
};

struct call_media {
	bool used;
	unsigned index; /* 1-based, as in rtpengine's query */
	char type[16];	/* audio/video/... */
	char proto[32]; /* as this party sees it */
	bool disabled;	/* port 0 in this party's SDP */
	/* from this party's SDP: it will send nothing here (inactive, recvonly,
	 * c= 0.0.0.0 hold, port 0) / wants to receive nothing (inactive,
	 * sendonly, c= 0.0.0.0, port 0); both false until its SDP is seen */
	bool no_send, no_recv;
	bool rtcp_mux;		/* this party multiplexes RTCP on the RTP port */
	bool mux_offered;	/* this party offered rtcp-mux (and we may accept) */
	bool mux_accept;	/* rtcp-mux=accept given with that offer */
	unsigned ptime_reverse; /* ptime-reverse given with this party's offer, 0 = none */
	struct iface *ifc;	/* where this party's sockets live */
	uint16_t pair;		/* allocated RTP port, RTCP = +1; 0 = none */
	struct call_stream rtp, rtcp;
	uint32_t dp_flags; /* strict-source & co from the party's command */
	uint8_t pts[16];   /* payload types in this party's SDP (bitmap) */
	/* the first formats of this party's SDP as "NAME/CLOCK", blank
	 * separated, for the status page (daemon/status.c); truncated */
	char codec_names[48];
	bool pts_any; /* a format that is not an RTP payload type */
	/* codec negotiation state (kept on the offerer's media,
	 * daemon/codec_negotiate.h) and the transcoder for RTP received from
	 * this party (owned by the data plane once published) */
	struct codecneg *codecs;
	struct xcode *xcode;
	/* call control (daemon/callctl.h): the payload types of this party's
	 * SDP that call control acts on (G.711, G.722, telephone-event; the
	 * rest, and any past CALL_MAX_PT_KINDS, are DP_PT_OTHER), its
	 * telephone-event payload type (if has_event) and clock, and when the
	 * DTMF events queued for it should be over (CLOCK_MONOTONIC ms) */
	struct {
		uint8_t pt, kind; /* enum dp_pt_kind */
	} pt_kinds[CALL_MAX_PT_KINDS];
	uint8_t n_pt_kinds;
	bool has_event;
	uint8_t event_pt;
	uint8_t audio_pt; /* first G.711/G.722 format, 0xff = none */
	uint32_t event_clock;
	uint64_t dtmf_busy_until_ms;
	struct media_ice *ice; /* ICE towards this party, NULL = never (daemon/ice.h) */
	/* SDES-SRTP towards this party (daemon/sdes.h), NULL = never had any */
	struct sdes_state *sdes;
	/* this party offered a=crypto beside a=fingerprint and SDES-prefer
	 * picked the a=crypto: DTLS (daemon/dtls_media.c) stays out; set by
	 * daemon/sdes.c on each offer from the party */
	bool sdes_preferred;
	/* recording (daemon/callrec.h): the codecs of this party's SDP the
	 * recorder decodes, by payload type */
	struct {
		const struct codec_desc *desc;
		uint8_t pt;
	} rec_codecs[CALL_MAX_REC_CODECS];
	uint8_t n_rec_codecs;
	/* DTLS-SRTP towards this party (daemon/dtls_media.h), NULL = never */
	struct media_dtls *dtls;
	/* the a=mid of this party's last SDP ("" = none): an answer to its
	 * offer that has none carries it back (RFC 8843; WebRTC peers match
	 * the answer's sections by it) */
	char mid[33];
	/* this party's last SDP put this media in an a=group:BUNDLE (RFC 9143):
	 * the answer to it may name the group (daemon/bundle.h) */
	bool bundled;
	/* BUNDLE demultiplexing (daemon/bundle.h): from this party's last SDP,
	 * the id of its MID header extension (0 = none) and its a=ssrc values;
	 * rtprelay's bundle towards this party: index + 1 of the media whose
	 * socket carries this one (its own index + 1 for that media), 0 = none */
	uint8_t mid_ext;
	uint8_t n_ssrcs;
	uint32_t ssrcs[DP_BUNDLE_SSRCS - 2];
	uint8_t bundle_lead;
	/* Redis active/standby (daemon/stream_ref.h): the reference point of
	 * the transcoder's output and the SRTP counters of the RTP socket, as
	 * last sampled from the worker and written into the record; a
	 * standby's restored transcoder holds its output until the takeover
	 * continues it (out_pending) */
	struct stream_ref out_ref;
	bool out_pending;
	uint64_t sample_wall_ms; /* the sample last read */
	struct dp_srtp_roc rocs[DP_SRTP_ROCS];
	uint8_t n_rocs;
	/* rtprelay offered this party the bundle with bundle=require or strict:
	 * later offers write a=bundle-only on its sections but the first, and an
	 * answer that accepts one outside a BUNDLE group takes it as from a
	 * party without BUNDLE (daemon/bundle.h) */
	bool bundle_only;
	/* the party answered this bundled media outside the bundle (RFC 9143
	 * 7.3.3, a party without BUNDLE): it is sent from the bundle's socket to
	 * its own address, and its packets are told apart by their source
	 * (daemon/bundle.h, DP_BUNDLE_SPLIT) */
	bool bundle_split;
};

struct call_party {
	char *tags[CALL_MAX_TAGS]; /* [0] = main tag; empty = untagged */
	unsigned n_tags;
	char *label;
	char *via_branch; /* the branch a callee party was offered on */
	struct call_party *peer;
	time_t created;
	struct call_media media[SDP_MAX_MEDIA];
	unsigned n_media;
	/* replace=SDP-version: the o= version of the SDP this party was last
	 * sent, and that SDP (malloc'd), to tell whether the next one changed */
	bool has_sdp_version;
	uint64_t sdp_version;
	char *last_sdp;
	size_t last_sdp_len;
	/* call control on what this party sends (enum dp_ctl_flags, mode) */
	uint32_t ctl;
	struct dp_dtmf_security ctl_dtmf;
	/* music on hold this party advertised (daemon/moh.c): the resolved
	 * file (malloc'd, NULL = none) or the decoded blob (a reference, NULL =
	 * none), sendrecv towards the held party, c=0.0.0.0 towards it while
	 * held (connection zero), and whether its peer hears it now (the
	 * party whose moh plays: itself, or with mode reflect its peer) */
	char *moh_file;
	struct dp_media *moh_media;
	bool moh_sendrecv, moh_zero, moh_playing;
	bool moh_reflect; /* its holds play the music its peer advertised */
};

struct call {
	char *call_id;
	struct call_party *parties[CALL_MAX_PARTIES];
	unsigned n_parties;
	unsigned worker;	     /* dataplane worker of every stream of the call */
	time_t created, last_signal; /* wall clock, for query */
	uint32_t created_us;	     /* microseconds within the second of created */
	uint64_t created_ms, last_signal_ms, last_media_ms;
	uint64_t delete_at_ms; /* scheduled delete (delete-delay), 0 = none */
	bool answered;
	/* "TOS" given for the call (daemon/media_tos.h); unset: IFACE_MEDIA_TOS */
	bool tos_set;
	uint8_t tos;
	/* generate-RTCP given in an offer or answer: for both sides, from then
	 * on until one says generate-RTCP=off (dataplane/dp_rtcp.c) */
	bool generate_rtcp;
	/* call control for every party (enum dp_ctl_flags, mode) */
	uint32_t ctl;
	struct dp_dtmf_security ctl_dtmf;
	/* recording (daemon/callrec.h): recorder session, 0 = not recorded;
	 * paused; the files' base path; the last metadata text given */
	uint32_t rec_id;
	bool rec_paused;
	char *rec_base;
	/* restored from the record of a recorded call (call_snapshot.h): the
	 * recording goes on in a file of its own (callrec_continue), rec_base
	 * naming the old one */
	bool rec_continue;
	char *rec_metadata;
	/* Redis replication (daemon/repl.h): hash and length of the snapshot
	 * last queued for Redis, 0 = none */
	uint64_t repl_hash;
	time_t repl_updated;	  /* wall clock of that, 0 = never */
	struct call *hnext;	  /* hash chain */
	struct call *prev, *next; /* list of all calls */
};

/* What the released streams of one interface carried (counters that keep
 * growing after a call ends; daemon/metrics.c adds the live ones). */
struct call_iface_totals {
	uint64_t packets, bytes, errors, forwarded, dropped;
};

struct call_totals {
	uint64_t created, deleted, timed_out, offers, answers, deletes, errors;
	uint64_t rtp_packets, rtp_bytes, rtp_errors, rtcp_packets, rtcp_bytes, rtcp_errors;
	/* how calls ended (timed_out counts all three timeouts) */
	uint64_t rejected; /* refused at max-sessions (rtpengine counts only those) */
	uint64_t timeout, silent_timeout, final_timeout;
	uint64_t regular_end; /* delete command, or its delete-delay elapsing */
	uint64_t forced_end;  /* anything else: a failed offer/answer, shutdown */
	uint64_t duration_ms; /* summed over the deleted calls */
	/* per media of a deleted call, both directions together: no RTP
	 * either way / RTP one way only */
	uint64_t zeroway_streams, oneway_streams;
	/* per interface (index into ifaces.v), and packets lost (RFC 3550) and
	 * RTP packets of transcoded media, of released streams */
	struct call_iface_totals iface[CFG_MAX_IFACES];
	uint64_t rtp_lost, xcode_packets;
	/* SRTP/SRTCP packets dropped (never forwarded), of released streams */
	uint64_t srtp_auth_failed, srtp_replayed, srtp_errors, srtp_awaiting_keys;
};

/* The call table and everything calls need. */
struct calls {
	struct call **buckets;
	unsigned n_buckets;
	struct call *head; /* all calls, newest first */
	unsigned count;
	struct ifaces *ifs;
	const struct rtprelay_config *cfg;
	const struct admission *adm; /* load/CPU/bandwidth readings; NULL = none */
	struct call_totals totals;   /* including deleted calls */
	/* told each call's call-id as it is destroyed (daemon/repl.c: the
	 * record's deletion); NULL = nobody */
	void (*on_destroy)(void *arg, const char *call_id);
	void *on_destroy_arg;
};

int calls_init(struct calls *cs, const struct rtprelay_config *cfg, struct ifaces *ifs);
/* Delete every call (shutdown). */
void calls_free(struct calls *cs, uint64_t now_ms);

struct call *call_find(struct calls *cs, const char *call_id);
/* New empty call; NULL with *err set when an admission limit refuses it
 * (daemon/admission.h) or on ENOMEM. */
struct call *call_create(struct calls *cs, const char *call_id, uint64_t now_ms, const char **err);
/* How a call ended, for the totals. */
enum call_end {
	CALL_END_REGULAR,
	CALL_END_FORCED,
	CALL_END_TIMEOUT,
	CALL_END_SILENT,
	CALL_END_FINAL
};
/* Release every socket and free the call. @why is logged. */
void call_destroy(struct calls *cs, struct call *c, uint64_t now_ms, const char *why);
/* call_destroy, counting @end in the totals first. */
void call_end(struct calls *cs, struct call *c, uint64_t now_ms, enum call_end end,
	      const char *why);

struct call_party *call_party_find(struct call *c, const char *tag);
/* The party labelled @label (given with its offer/answer); NULL if none. */
struct call_party *call_party_by_label(struct call *c, const char *label);
struct call_party *call_party_new(struct call *c, const char *tag);
/* Remove a party (its sockets) from the call; the call stays. */
void call_party_remove(struct calls *cs, struct call *c, struct call_party *p, uint64_t now_ms);
bool call_party_has_tag(const struct call_party *p, const char *tag);
int call_party_add_tag(struct call_party *p, const char *tag);
void call_party_drop_tag(struct call_party *p, const char *tag);
const char *call_party_tag(const struct call_party *p); /* main tag or "" */

/* Release one media's sockets (the caller re-points forwarders first). */
void call_media_release(struct calls *cs, struct call *c, struct call_media *m, uint64_t now_ms);

/* Periodic: timeouts, `final-timeout` and scheduled deletes. Logs each
 * deletion with its reason. A stream (what one party sends on one media) is
 * expected to carry media unless the party does not send there or its peer
 * does not want to receive (inactive, sendonly/recvonly the other way, c=
 * 0.0.0.0 hold, port 0). A call with expected streams goes when none of them
 * received a packet (or the call a signal) for `timeout`; a call without any
 * (everything on hold) when none of its streams did for `silent-timeout`. */
void calls_tick(struct calls *cs, uint64_t now_ms);

/* Media currently transcoded over all calls: one per m= line whose RTP goes
 * through a transcoder (both directions of a bridge count once). */
unsigned calls_transcoded_media(const struct calls *cs);

/* Copy a string into a malloc'd one bounded to CALL_TAG_MAX; NULL on ENOMEM. */
char *call_strdup(const char *s);

#endif
