/*
 * dataplane.h: the user-space packet relay, as the control thread sees it.
 *
 * An endpoint is one local UDP socket that the relay advertised to one party
 * (its "remote"). A packet received on endpoint E comes from E's party and is
 * forwarded out of E's forward endpoint F (the socket advertised to the other
 * party) to F's remote. Latching learns E's remote from the packets E receives.
 *
 * Threads: the control thread creates endpoints, publishes parameters and
 * releases them; N workers own the sockets and do the I/O. All endpoints of a
 * call must be placed on the same worker (dp_worker_for_key). Changes travel
 * through that worker's FIFO queue, so a release after a params change that
 * stops referencing it is always safe. Workers never take a lock per packet;
 * counters are single-writer (the owning worker) and read with relaxed atomics.
 */
#ifndef RTPRELAY_DATAPLANE_H
#define RTPRELAY_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "srtp/sr_stream.h"

struct dp_endpoint;

enum dp_flags {
	DP_STRICT_SOURCE = 1u << 0,   /* drop anything not from the remote (learned or SDP) */
	DP_ASYMMETRIC = 1u << 1,      /* never latch: always send to the SDP address */
	DP_RTCP_MUX = 1u << 2,	      /* this socket carries RTP and RTCP (RFC 5761) */
	DP_RTCP = 1u << 3,	      /* this is a plain RTCP socket */
	DP_DISABLED = 1u << 4,	      /* drop everything (port 0 media, hold with no peer) */
	DP_TRUST_ADDRESS = 1u << 5,   /* the SDP address is right: latch only if it never sends */
	DP_BUNDLE_SPLIT = 1u << 6,    /* BUNDLE towards a party that answered
					 * without it (RFC 9143 7.3.3): on a
					 * DP_BUNDLED endpoint, its party has an
					 * address of its own, latched on this
					 * endpoint, where what goes to it is sent
					 * (from the bundle's socket); on the
					 * DP_BUNDLE socket, a packet's source names
					 * its media before anything else
					 * (dataplane/dp_bundle.c) */
	DP_TRANSCODE = 1u << 7,	      /* RTP goes through params.xcode, or
					 * without one through the ice_twin's
					 * (an ICE socket of the second family)
					 * (never offloaded to the kernel) */
	DP_FORWARD_PT_ONLY = 1u << 8, /* forward only RTP whose payload type is in
					 * params.forward_pt (the destination never
					 * offered the others) */
	DP_NO_OFFLOAD = 1u << 9,      /* stay in user space (a TOS the kernel path
					 * would not set) */
	DP_MEDIA_HANDOVER = 1u << 10, /* a new source replaces a confirmed one
					 * at any time (dataplane/latch.h) */
	DP_ICE = 1u << 11,	      /* ICE-lite responder on this socket
					 * (params.ice, dataplane/dp_ice.c); never offloaded */
	DP_ICE_LATCH = 1u << 12,      /* with DP_ICE: the remote is the nominated
					 * pair (USE-CANDIDATE), never learned from media */
	DP_SRTP = 1u << 13,	      /* this endpoint or the one it forwards into
					 * speaks SRTP: user space only (eBPF has no
					 * AES or HMAC-SHA1) */
	DP_SRTP_PARTY = 1u << 14,     /* this endpoint's party speaks SRTP: until
					 * it has keys (params.srtp or
					 * dp_endpoint_srtp) nothing it sends is
					 * accepted and nothing is sent to it */
	DP_GEN_RTCP = 1u << 15,	      /* generate-RTCP: RTCP received here is
					 * consumed, the relay sends its own
					 * reports (dataplane/dp_rtcp.c) */
	DP_DTLS = 1u << 16,	      /* DTLS-SRTP on this socket: DTLS records
					 * (first byte 20..63, RFC 7983) go to the
					 * control thread (dataplane/dp_dtls.c) */
	DP_BUNDLE = 1u << 17,	      /* this socket carries a BUNDLE group (RFC
					 * 9143): what it receives is demultiplexed
					 * to the endpoint of its media by MID, SSRC
					 * or payload type (params.bundle,
					 * dataplane/dp_bundle.c); never offloaded */
	DP_BUNDLED = 1u << 18,	      /* a bundled media's endpoint: it receives
					 * what the bundle's socket hands it, and
					 * what is sent to it leaves that socket
					 * (params.bundle_via) to that socket's
					 * remote, encrypted with its SRTP */
};

/* BUNDLE on one socket (RFC 8843 9.2): the media sharing it, each with its
 * a=mid, payload types and the a=ssrc values of the party's SDP. */
#define DP_BUNDLE_MAX	4u  /* media per bundle */
#define DP_BUNDLE_SSRCS 8u  /* SSRCs per media, signalled and learned */
#define DP_MID_MAX	32u /* bytes of an a=mid value */
struct dp_bundle_media {
	struct dp_endpoint *ep;	  /* the media's endpoint (this socket's own for its media) */
	char mid[DP_MID_MAX + 1]; /* "" = none */
	uint8_t pts[16];	  /* payload types of the media (bitmap) */
	uint32_t ssrc[DP_BUNDLE_SSRCS - 2]; /* a=ssrc of the party's SDP */
	uint8_t n_ssrc;
	bool split; /* the party answered it outside the bundle: its own
		     * address (the endpoint's remote) tells its packets apart */
	/* in a bundle with media answered outside it, the media's RTCP
	 * endpoint when its party does not multiplex RTCP: RTCP from that
	 * endpoint's remote (the party's RTP port + 1) is its; else NULL */
	struct dp_endpoint *rtcp_ep;
};
struct dp_bundle_params {
	uint8_t n;	 /* media in m[] */
	uint8_t mid_ext; /* RTP header extension id of the MID (RFC 8843 15.1), 0 = none */
	struct dp_bundle_media m[DP_BUNDLE_MAX];
};

/* ICE credentials of one socket (RFC 8445 short-term: USERNAME of a check is
 * "<ufrag>:<remote_ufrag>", MESSAGE-INTEGRITY keyed with pwd). */
#define DP_ICE_CRED_MAX 256
struct dp_ice_params {
	char ufrag[32], pwd[64];		/* rtprelay's, towards this party */
	char remote_ufrag[DP_ICE_CRED_MAX + 1]; /* the party's; "" = not known yet */
};

struct dp_endpoint_params {
	struct sockaddr_storage sdp_remote; /* party's address from SDP (port 0 = unknown) */
	uint32_t flags;			    /* enum dp_flags */
	struct dp_endpoint *fwd_rtp;	    /* send RTP received here out of this one */
	struct dp_endpoint *fwd_rtcp;	    /* send RTCP received here out of this one */
	uint32_t learn_window_ms;	    /* latching allowed this long from now */
	uint8_t allowed_pt[16];		    /* bitmap of RTP payload types the SDP allows;
						 * all zero = any */
	/* RTP clock rate for the jitter figure;
	 * 0 = from the static payload type, else 8000. */
	uint32_t clock_rate;
	/* Transcoder for RTP received here
	 * (codecs/transcode.h), NULL = forward as is. Ownership passes to
	 * the data plane: the worker frees it when a later dp_endpoint_set
	 * names another one (or none) and on release (dataplane/dp_xcode.h). */
	struct xcode *xcode;
	uint8_t forward_pt[16];	  /* with DP_FORWARD_PT_ONLY: bitmap of payload types
						 * the far side can receive as they are */
	struct dp_ice_params ice; /* with DP_ICE */
	/* SRTP towards this endpoint's party (srtp/sr_stream.h): packets
	 * received here are decrypted with srtp.remote, packets sent out of
	 * here encrypted with srtp.local. suite NONE = plain. Keys equal to
	 * the endpoint's current ones keep its contexts (rollover counters);
	 * a direction whose key changed is rekeyed alone. */
	struct sr_keys srtp;
	/* with DP_DTLS: the owner's name for this socket's DTLS association,
	 * given back with every datagram (dp_dtls_drain); nonzero */
	uint64_t dtls_id;
	/* with DP_BUNDLE: the media this socket carries (their endpoints on
	 * the same worker); with DP_BUNDLED: the endpoint whose socket does */
	struct dp_bundle_params bundle;
	struct dp_endpoint *bundle_via;
	/* with DP_ICE: the same party's socket of the other address family
	 * (same worker); media forwarded into either leaves from the one the
	 * party's last nomination came to. NULL = none */
	struct dp_endpoint *ice_twin;
};

/* learn_window_ms == 0 means this default. */
#define DP_LEARN_WINDOW_DEFAULT_MS 10000u

struct dp_stats {
	uint64_t packets, bytes, errors; /* received and accepted */
	uint64_t forwarded;		 /* sent on */
	uint64_t dropped_source;	 /* not from the remote (strict/bleed) */
	uint64_t dropped_other;		 /* malformed, disabled, no forward */
	uint64_t last_packet_ms;   /* CLOCK_MONOTONIC ms of the last accepted packet, 0 = never */
	uint64_t last_packet_wall; /* unix time (s) of the same */
	uint32_t ssrc;		   /* last seen SSRC */
	uint64_t expected, lost;   /* RFC 3550 A.3 */
	double jitter_ms;	   /* RFC 3550 A.8, in ms */
	int64_t rtt_leg_us;	   /* relay <-> this remote, from RTCP; 0 = unknown */
	struct sockaddr_storage remote; /* current remote (learned or SDP) */
	bool latched;
	/* SRTP (dataplane/dp_srtp.c): packets dropped because they failed
	 * authentication, were replays, or libsrtp refused them otherwise
	 * (either direction); and those dropped (either direction) while the
	 * party's keys were still to come: SRTP offered, the answer that
	 * agrees on the keys not yet seen (DP_SRTP_PARTY without keys) */
	uint64_t srtp_auth_failed, srtp_replayed, srtp_errors, srtp_awaiting_keys;
	/* DP_BUNDLE: packets no media of the bundle claimed (an unknown MID,
	 * or an SSRC and payload type no media has), dropped; in dropped_other
	 * too */
	uint64_t bundle_unknown;
};

/* ICE on an endpoint (any thread; all zero without DP_ICE). */
struct dp_ice_stats {
	uint64_t checks;       /* binding requests answered (consent checks included) */
	uint64_t bad;	       /* dropped: bad USERNAME, MESSAGE-INTEGRITY or FINGERPRINT */
	uint64_t last_ms;      /* CLOCK_MONOTONIC ms of the last answered check, 0 = never */
	bool nominated;	       /* a USE-CANDIDATE check arrived under the current credentials */
	uint64_t nominated_ms; /* CLOCK_MONOTONIC ms of the last one, 0 = never */
};
void dp_endpoint_ice_stats(const struct dp_endpoint *ep, struct dp_ice_stats *out);

/* DTLS on an endpoint (dataplane/dp_dtls.c). A worker never runs a
 * handshake: it checks a DTLS datagram's source (the address the stream may
 * latch to: its current remote, which is the ICE-nominated pair with
 * DP_ICE_LATCH, else the SDP or latched address), charges the stream's rate
 * budget (DP_DTLS_RATE per second, burst DP_DTLS_BURST) and copies the
 * datagram into a bounded queue (DP_DTLS_QUEUE) the control thread drains.
 * What the handshake produces leaves the same socket (dp_endpoint_send). */
#define DP_DTLS_MAX   1500u /* larger datagrams are dropped (counted bad) */
#define DP_DTLS_QUEUE 256u  /* datagrams waiting for the control thread */
#define DP_DTLS_RATE  20u   /* datagrams per second and stream ... */
#define DP_DTLS_BURST 40u   /* ... after a burst of this many */
struct dp_dtls_stats {
	uint64_t queued;    /* handed to the control thread */
	uint64_t bad;	    /* not a well-formed DTLS record sequence (or too long) */
	uint64_t wrong_src; /* from an address the stream may not latch to */
	uint64_t limited;   /* over the stream's rate budget, or the queue was full */
};
void dp_endpoint_dtls_stats(const struct dp_endpoint *ep, struct dp_dtls_stats *out);
/* One queued datagram (control thread). */
struct dp_dtls_datagram {
	uint64_t id; /* dp_endpoint_params.dtls_id of the receiving socket */
	struct sockaddr_storage src;
	size_t len;
	uint8_t buf[DP_DTLS_MAX];
};
/* An eventfd that is readable while datagrams wait (for the control loop). */
int dp_dtls_fd(void);
/* Take up to @max waiting datagrams into @out (clears the eventfd first);
 * the number taken. Control thread. */
unsigned dp_dtls_drain(struct dp_dtls_datagram *out, unsigned max);
/* Send @len bytes out of @ep's socket to @ep's current remote (latched,
 * nominated or SDP); -ENOTCONN without one, else 0 or -errno. Control
 * thread, before dp_endpoint_release (UDP sends need no lock). */
int dp_endpoint_send(struct dp_endpoint *ep, const void *buf, size_t len);

struct dp_totals {
	uint64_t packets, bytes, forwarded, dropped, errors;
	/* transcoding timer ticks and the transcoders they pulled (an idle
	 * transcoder is never pulled: dataplane/dp_xcode.h) */
	uint64_t xcode_ticks, xcode_visits;
};

/* Start @nthreads workers (0 = one per online CPU). 0 or -errno. */
int dp_start(unsigned nthreads) __attribute__((warn_unused_result));
/* Stop and join the workers; releases whatever endpoints are left. */
void dp_stop(void);
unsigned dp_num_workers(void);
/* Worker index for a call (hash of its call-id). */
unsigned dp_worker_for_key(const char *key);

/* Take ownership of bound UDP socket @fd (non-blocking); it will be served by
 * worker @worker. Starts DP_DISABLED until the first dp_endpoint_set. */
struct dp_endpoint *dp_endpoint_new(int fd, unsigned worker);
/* Publish new parameters (copied). Resets the latching window. 0, or -EINVAL,
 * -EXDEV (a forward endpoint lives on another worker), -ENOMEM: then the
 * endpoint keeps its old parameters and @p->xcode stays the caller's. */
int dp_endpoint_set(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
	__attribute__((warn_unused_result));
/* The same for @n endpoints at once (eps[i] gets ps[i]), all or nothing: on
 * an error none of them changed. */
int dp_endpoints_set(struct dp_endpoint *const *eps, const struct dp_endpoint_params *ps,
		     unsigned n) __attribute__((warn_unused_result));
/* Rekey @ep's SRTP alone, e.g. once a DTLS-SRTP handshake on its port has
 * exported keys (RFC 5764), without republishing its other parameters.
 * Same rules as dp_endpoint_params.srtp (a direction whose key did not
 * change keeps its context). The keys only take effect where the params
 * carry DP_SRTP (on @ep and on the endpoints forwarding into it); a keying
 * still pending is published with DP_SRTP | DP_SRTP_PARTY and suite NONE,
 * which drops the party's media until the keys arrive.
 * 0, -EINVAL (keys libsrtp cannot use) or -ENOMEM. */
int dp_endpoint_srtp(struct dp_endpoint *ep, const struct sr_keys *k)
	__attribute__((warn_unused_result));
/* A call restored from a snapshot (daemon/call_snapshot.h): @ep's remote
 * is @remote, confirmed, as if latching had learned it (after the
 * dp_endpoint_set that configured it); with DP_ICE, media to the party
 * leaves from the socket adopted last of a pair of ICE twins. 0, -EINVAL or
 * -ENOMEM. */
int dp_endpoint_adopt(struct dp_endpoint *ep, const struct sockaddr_storage *remote)
	__attribute__((warn_unused_result));
/* Set the IP TOS (IPv4) / traffic class (IPv6) of what leaves @ep's socket,
 * 0..255. 0 or -errno. Control thread, any time before dp_endpoint_release. */
int dp_endpoint_set_tos(struct dp_endpoint *ep, int tos);
/* Snapshot of the counters; callable from the control thread at any time
 * before dp_endpoint_release. */
void dp_endpoint_stats(const struct dp_endpoint *ep, struct dp_stats *out);
/* Give the endpoint back: the worker closes the fd and frees it. The caller
 * must not use @ep afterwards. */
void dp_endpoint_release(struct dp_endpoint *ep);
/* Call control on the RTP a party sends (block/silence media, block DTMF,
 * play DTMF; daemon/callctl.c). Kept apart from dp_endpoint_params: a
 * re-offer changes the forwarding, not what the operator asked for. An
 * endpoint with any control active leaves the kernel fast path
 * (dataplane/dp_offload.c) and goes back once all are off. */
enum dp_ctl_flags {
	DP_CTL_BLOCK_MEDIA = 1u << 0,	/* drop RTP that is not telephone-event */
	DP_CTL_SILENCE_MEDIA = 1u << 1, /* audio payload replaced by silence */
	DP_CTL_BLOCK_DTMF = 1u << 2,	/* telephone-event per dtmf_mode */
	DP_CTL_DROP_ALL = 1u << 3,	/* drop-traffic: every RTP packet dropped */
};

/* rtpengine's DTMF-security modes for telephone-event packets. */
enum dp_dtmf_mode {
	DP_DTMF_DROP = 0,    /* telephone-event packets are dropped */
	DP_DTMF_SILENCE = 1, /* ... replaced by one silent audio frame each */
	DP_DTMF_TONE,	     /* ... by one audio frame of a plain tone each */
	DP_DTMF_ZERO,	     /* the event becomes digit 0 */
	DP_DTMF_DIGIT,	     /* the event becomes dp_dtmf_security.digit */
	DP_DTMF_RANDOM,	     /* each event becomes another, random digit */
	DP_DTMF_PASS,	     /* events pass ("off", where a trigger may change it) */
};

#define DP_TONE_FREQS	    8
#define DP_DTMF_TRIGGER_MAX 16

/* What block DTMF does to telephone-event packets. */
struct dp_dtmf_security {
	uint8_t mode;		       /* enum dp_dtmf_mode */
	uint8_t digit;		       /* DP_DTMF_DIGIT: the event sent instead, 0..15 */
	uint8_t volume;		       /* DP_DTMF_TONE: -dBm0; the rewritten events' volume */
	uint8_t n_freqs;	       /* DP_DTMF_TONE: 0 = 400 Hz */
	uint16_t freqs[DP_TONE_FREQS]; /* Hz, one per event, in turn */
	/* rtpengine's triggers: the digits (event codes 0..15) of `trigger`
	 * switch to mode_trigger; then `trigger-end`'s digits, end_digits more
	 * digits or end_ms of the stream's time switch to mode_end (once) */
	uint8_t trigger[DP_DTMF_TRIGGER_MAX], trigger_len;
	uint8_t end[DP_DTMF_TRIGGER_MAX], end_len;
	uint8_t mode_trigger, mode_end; /* enum dp_dtmf_mode */
	uint16_t end_digits;		/* 0 = no limit */
	uint32_t end_ms;		/* 0 = no limit */
};

/* What a payload type received on the endpoint carries (pt_kind[]). */
enum dp_pt_kind {
	DP_PT_OTHER = 0,
	DP_PT_PCMU,
	DP_PT_PCMA,
	DP_PT_G722,
	DP_PT_EVENT, /* telephone-event (RFC 4733) */
};

struct dp_ctl_params {
	uint32_t flags;		      /* enum dp_ctl_flags */
	struct dp_dtmf_security dtmf; /* with DP_CTL_BLOCK_DTMF */
	uint8_t pt_kind[128];	      /* enum dp_pt_kind per payload type */
	uint32_t event_clock;	      /* telephone-event clock (play DTMF), 0 = 8000 */
	/* DP_DTMF_SILENCE: the audio payload type to use until the party's
	 * audio shows which one it sends; pt_kind[] must be G.711/G.722 there,
	 * else (or 0xff) events are dropped until then */
	uint8_t audio_pt;
};

/* One DTMF event to play into the RTP the endpoint receives: RFC 4733
 * events, or (pt DP_DTMF_INBAND) the digit's two tones in the party's own
 * G.711/G.722 audio. */
#define DP_DTMF_INBAND 0xffu
struct dp_dtmf_play {
	uint8_t event;	   /* 0..15 */
	uint8_t volume;	   /* -dBm0, 0..63 */
	uint8_t pt;	   /* telephone-event payload type of the stream, or DP_DTMF_INBAND */
	uint16_t duration; /* ms */
	uint16_t pause;	   /* ms of audio after it, before the next event */
	/* DP_DTMF_INBAND: the party's audio payload type and its enum
	 * dp_pt_kind (G.711/G.722), for a stream without other call control */
	uint8_t audio_pt, audio_kind;
};

/* Events a worker holds per endpoint; more are dropped and counted
 * (dtmf_refused); callers bound what they queue below this. */
#define DP_DTMF_QUEUE 64u

/* Replace @ep's call control (copied). 0, -EINVAL or -ENOMEM. */
int dp_endpoint_ctl(struct dp_endpoint *ep, const struct dp_ctl_params *p)
	__attribute__((warn_unused_result));
/* Queue one DTMF event on @ep. The endpoint stays out of the kernel until
 * CLOCK_MONOTONIC ms @until_ms (when the caller expects the events queued so
 * far to be over). 0, -EINVAL or -ENOMEM. */
int dp_endpoint_dtmf(struct dp_endpoint *ep, const struct dp_dtmf_play *ev, uint64_t until_ms)
	__attribute__((warn_unused_result));
/* Counters of the call control on @ep (any thread). */
struct dp_ctl_stats {
	uint64_t blocked, silenced, dtmf_blocked, dtmf_played, dtmf_refused;
};
void dp_endpoint_ctl_stats(const struct dp_endpoint *ep, struct dp_ctl_stats *out);

/* Recording (recording/recorder.h): packets @ep receives from its party are
 * copied into its worker's recording ring, stamped with session @id and
 * leg @leg; @local is the socket's address for the pcap frames. id 0 ends
 * the copying. A kernel-forwarded endpoint stays in the kernel, which
 * copies its packets (dp_krec.h); without the kernel's recording ring it
 * stays out of the kernel fast path (dp_offload.c) until the copying ends. */
struct dp_rec_tap {
	uint32_t id;
	uint8_t leg;
	struct sockaddr_storage local;
};
int dp_endpoint_rec(struct dp_endpoint *ep, const struct dp_rec_tap *tap)
	__attribute__((warn_unused_result));
/* Recorded kernel streams (dataplane/dp_krec.h): the copies the eBPF program
 * handed to the recorder and those its ring had no room for, since start
 * (0, 0 without kernel recording). Control thread. */
void dp_kernel_rec_counters(uint64_t *copied, uint64_t *dropped);

/* Playback (daemon/playmedia.c): the media as mono PCM at 8 kHz (G.711)
 * and 16 kHz (G.722), shared read-only by the control thread's cache and the
 * workers that play it, freed with its last reference (atomic count). */
struct dp_media {
	_Atomic uint32_t refs;
	uint32_t n;	/* samples at 8 kHz */
	int16_t *pcm16; /* 2 * n samples at 16 kHz, after pcm */
	int16_t pcm[];
};
/* @n samples (and 2 * @n at 16 kHz), one reference; NULL on ENOMEM. */
struct dp_media *dp_media_new(uint32_t n);
void dp_media_ref(struct dp_media *m);
void dp_media_unref(struct dp_media *m);

/* Play @m into the RTP @ep receives, in place of its audio: each G.711,
 * G.722, G.729 or Opus packet's payload becomes the next samples of @m
 * (encoded in the packet's own codec, by pt_kind[] and enc[]); while the sender sends nothing the
 * worker makes the packets (gen_pt) in the sender's SSRC, sequence and
 * timestamp space, and shifts the sender's later packets to continue them
 * (dataplane/dp_play.c). Other payload types pass. After @total samples
 * (repeats included) the sender's audio passes again. */
#define DP_PLAY_CODECS 4 /* payload types played through an encoder of codecs/ */
struct codec_desc;
struct dp_play {
	struct dp_media *m; /* NULL: stop playing */
	uint64_t total;
	uint64_t start;	      /* samples (8 kHz) of the media skipped first: start-pos */
	uint8_t gen_pt;	      /* payload type of the packets made while the sender is quiet */
	uint8_t pt_kind[128]; /* enum dp_pt_kind */
	/* G.729 and Opus payload types: the worker makes one encoder of each
	 * when the command is applied (dataplane/dp_play.c) */
	struct {
		uint8_t pt;
		const struct codec_desc *desc;
	} enc[DP_PLAY_CODECS];
	uint8_t n_enc;
	int8_t opus_complexity; /* the Opus encoder's 0..10, < 0 = libopus' default */
};
/* Start (a reference of p->m is taken) or stop playing on @ep; it stays out
 * of the kernel path until CLOCK_MONOTONIC ms @until_ms. 0, -EINVAL, -ENOMEM. */
int dp_endpoint_play(struct dp_endpoint *ep, const struct dp_play *p, uint64_t until_ms)
	__attribute__((warn_unused_result));
/* Samples of the current (or last) playback sent so far (any thread). */
uint64_t dp_endpoint_play_pos(const struct dp_endpoint *ep);

/* Sum over all workers (including packets for endpoints already released). */
void dp_totals(struct dp_totals *out);
/* The kernel fast path's share of dp_totals. */
void dp_kernel_totals(struct dp_totals *out);
/* Is @ep's stream in the kernel fast path now? Control thread. */
bool dp_endpoint_in_kernel(const struct dp_endpoint *ep);
/* CPU time worker @i has used so far (its thread's CPU clock, read from
 * outside: the worker does nothing for it). 0 or -errno. */
int dp_worker_cpu_ns(unsigned i, uint64_t *ns);
/* Takeover (daemon/takeover.h): every worker stops reading its sockets
 * once it has applied the commands queued before this call, and waits;
 * packets meanwhile wait in the kernel's socket buffers. Returns once all
 * are held: 0, or -ENOMEM (then none is held). Published counters and
 * remotes stay readable. Control thread. */
int dp_pause(void) __attribute__((warn_unused_result));
/* Let held workers go on. */
void dp_resume(void);
/* SRTP rollover counters and last SRTCP indexes of an endpoint's SSRCs
 * (srtp/sr_stream.h), so a stream continues in another process with the
 * same packet indexes. */
#define DP_SRTP_ROCS (2 * SR_MAX_SSRC)
struct dp_srtp_roc {
	bool tx; /* what rtprelay encrypts towards the party; else what it decrypts */
	uint32_t ssrc, roc;
	uint32_t srtcp_index; /* 0 = none (no SRTCP yet, or an older record) */
};
/* @ep's counters, at most @max; only while the data plane is held
 * (dp_pause: the worker owns them otherwise), else 0. Control thread. */
unsigned dp_endpoint_srtp_rocs(const struct dp_endpoint *ep, struct dp_srtp_roc *out, unsigned max);
/* Where the output stream of @ep's transcoder is (codecs/transcode.h
 * xcode_out_state), so it continues in another process: true with the
 * values set when @ep transcodes and the data plane is held (dp_pause),
 * else false. Control thread. */
bool dp_endpoint_xcode_out(const struct dp_endpoint *ep, uint32_t *ssrc, uint16_t *seq,
			   uint32_t *ts);
/* Set them on @ep (after the dp_endpoint_set that keyed it). 0, -EINVAL
 * or -ENOMEM. */
int dp_endpoint_srtp_set_rocs(struct dp_endpoint *ep, const struct dp_srtp_roc *r, unsigned n)
	__attribute__((warn_unused_result));
/* Where an endpoint's output stream is, as its worker saw it at one
 * instant, for a Redis active that cannot hold its workers to snapshot a
 * call (daemon/stream_ref.h; the data plane keeps running). The control
 * thread asks (dp_endpoint_sample_request: one command, no packet-path
 * work) and reads the answer later (dp_endpoint_sample_read). */
struct dp_stream_sample {
	uint64_t wall_ms; /* CLOCK_REALTIME ms when the worker took it; 0 = none yet */
	bool xcode;	  /* @ep transcodes: ssrc, seq (next), ts (next) are set */
	uint32_t ssrc, ts;
	uint16_t seq;
	/* the SRTP rollover counter the forward socket encrypted the last
	 * packet of ssrc with (absent: nothing of it encrypted yet) */
	bool have_roc;
	uint32_t roc;
	/* @ep's own SRTP counters (dp_endpoint_srtp_rocs) */
	struct dp_srtp_roc rocs[DP_SRTP_ROCS];
	unsigned n_rocs;
};
/* Ask @ep's worker for a new sample. 0, -EINVAL or -ENOMEM (then the last
 * sample stays the last). Control thread. */
int dp_endpoint_sample_request(struct dp_endpoint *ep);
/* The last sample @ep's worker took; false if none yet. Control thread. */
bool dp_endpoint_sample_read(const struct dp_endpoint *ep, struct dp_stream_sample *out);
/* A transcoder made with out_hold (codecs/transcode.h): continue its output
 * at @seq/@ts (xcode_out_seek) and, with @set_roc, give its SSRC the SRTP
 * rollover counter @roc on the forward socket first. 0, -EINVAL, -ENOMEM. */
int dp_endpoint_xcode_seek(struct dp_endpoint *ep, uint16_t seq, uint32_t ts, bool set_roc,
			   uint32_t roc) __attribute__((warn_unused_result));
/* @ep's socket, still owned by the data plane (a takeover passes it on). */
int dp_endpoint_fd(const struct dp_endpoint *ep);
/* Wait until every worker has applied all the
 * commands queued before this call (new/set/release). Control thread or
 * tests. 0 or -errno. */
int dp_sync(void);

#endif
