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

struct dp_endpoint;

enum dp_flags {
	DP_STRICT_SOURCE = 1u << 0,   /* drop anything not from the remote (learned or SDP) */
	DP_ASYMMETRIC = 1u << 1,      /* never latch: always send to the SDP address */
	DP_RTCP_MUX = 1u << 2,	      /* this socket carries RTP and RTCP (RFC 5761) */
	DP_RTCP = 1u << 3,	      /* this is a plain RTCP socket */
	DP_DISABLED = 1u << 4,	      /* drop everything (port 0 media, hold with no peer) */
	DP_TRUST_ADDRESS = 1u << 5,   /* the SDP address is right: latch only if it never sends */
	DP_TRANSCODE = 1u << 7,	      /* RTP goes through params.xcode
					 * (never offloaded to the kernel) */
	DP_FORWARD_PT_ONLY = 1u << 8, /* forward only RTP whose payload type is in
					 * params.forward_pt (the destination never
					 * offered the others) */
	DP_NO_OFFLOAD = 1u << 9,      /* stay in user space (a TOS the kernel path
					 * would not set) */
	DP_MEDIA_HANDOVER = 1u << 10, /* a new source replaces a confirmed one
					 * at any time (dataplane/latch.h) */
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
	uint8_t forward_pt[16]; /* with DP_FORWARD_PT_ONLY: bitmap of payload types
						 * the far side can receive as they are */
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
};

struct dp_totals {
	uint64_t packets, bytes, forwarded, dropped, errors;
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
};

enum dp_dtmf_mode {
	DP_DTMF_DROP = 0,    /* telephone-event packets are dropped */
	DP_DTMF_SILENCE = 1, /* ... replaced by one silent audio frame each */
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
	uint32_t flags;	      /* enum dp_ctl_flags */
	uint8_t dtmf_mode;    /* enum dp_dtmf_mode, with DP_CTL_BLOCK_DTMF */
	uint8_t pt_kind[128]; /* enum dp_pt_kind per payload type */
	uint32_t event_clock; /* telephone-event clock (play DTMF), 0 = 8000 */
	/* DP_DTMF_SILENCE: the audio payload type to use until the party's
	 * audio shows which one it sends; pt_kind[] must be G.711/G.722 there,
	 * else (or 0xff) events are dropped until then */
	uint8_t audio_pt;
};

/* One DTMF event to play into the RTP the endpoint receives (RFC 4733). */
struct dp_dtmf_play {
	uint8_t event;	   /* 0..15 */
	uint8_t volume;	   /* -dBm0, 0..63 */
	uint8_t pt;	   /* telephone-event payload type of the stream */
	uint16_t duration; /* ms */
	uint16_t pause;	   /* ms of audio after it, before the next event */
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
 * the copying. A recorded endpoint stays out of the kernel fast path
 * (dp_offload.c) until the copying ends. */
struct dp_rec_tap {
	uint32_t id;
	uint8_t leg;
	struct sockaddr_storage local;
};
int dp_endpoint_rec(struct dp_endpoint *ep, const struct dp_rec_tap *tap)
	__attribute__((warn_unused_result));

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

/* Play @m into the RTP @ep receives, in place of its audio: each G.711 or
 * G.722 packet's payload becomes the next samples of @m (encoded in the
 * packet's own codec, by pt_kind[]); header, sequence and timestamp stay the
 * sender's, so the receiver sees one continuous stream, paced by the
 * sender's packets. Other payload types pass as they are. After @total
 * samples (repeats included) the sender's audio passes again. */
struct dp_play {
	struct dp_media *m; /* NULL: stop playing */
	uint64_t total;
	uint8_t pt_kind[128]; /* enum dp_pt_kind */
};
/* Start (a reference of p->m is taken) or stop playing on @ep; it stays out
 * of the kernel path until CLOCK_MONOTONIC ms @until_ms. 0, -EINVAL, -ENOMEM. */
int dp_endpoint_play(struct dp_endpoint *ep, const struct dp_play *p, uint64_t until_ms)
	__attribute__((warn_unused_result));
/* Samples of the current (or last) playback sent so far (any thread). */
uint64_t dp_endpoint_play_pos(const struct dp_endpoint *ep);

/* Sum over all workers (including packets for endpoints already released). */
void dp_totals(struct dp_totals *out);
/* Wait until every worker has applied all the
 * commands queued before this call (new/set/release). Control thread or
 * tests. 0 or -errno. */
int dp_sync(void);

#endif
