/*
 * dp_endpoint.h: the data plane's private structures and the calls between
 * its files: dataplane.c (the control-thread API) starts and stops workers
 * (worker.c: threads, commands), which run the packet path (dp_io.c); the
 * published counters are written by the worker and read by anyone
 * (dp_pub.c). Calls go one way, in that order. Not for the rest of the
 * relay: its face is dataplane/dataplane.h.
 *
 * Ownership: a struct dp_endpoint is allocated by the control thread in
 * dp_endpoint_new and freed by its worker on DP_CMD_RELEASE. Everything under
 * "worker-private" is touched only by that worker; "published" fields are
 * written by the worker alone (relaxed atomic stores) and read by anyone.
 */
#ifndef RTPRELAY_DP_ENDPOINT_H
#define RTPRELAY_DP_ENDPOINT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/dataplane.h"
#include "dataplane/dp_queue.h"
#include "dataplane/dp_rawsend.h"
#include "dataplane/latch.h"
#include "lib/rtp.h"

/* Single-writer counters: a plain load + store, no locked instruction. */
#define DP_ADD(field, v)                                                                  \
	atomic_store_explicit(&(field),                                                   \
			      atomic_load_explicit(&(field), memory_order_relaxed) + (v), \
			      memory_order_relaxed)
#define DP_PUT(field, v) atomic_store_explicit(&(field), (v), memory_order_relaxed)
#define DP_GET(field)	 atomic_load_explicit(&(field), memory_order_relaxed)

struct dp_pub {
	_Atomic uint64_t packets, bytes, errors, forwarded, dropped_source, dropped_other;
	_Atomic uint64_t last_ms, last_wall;
	_Atomic uint32_t ssrc;
	_Atomic uint64_t rtp_received, base_seq, ext_max; /* A.3 inputs */
	_Atomic uint32_t jitter16, clock_rate;		  /* A.8, ts units * 16 */
	/* remote address under a sequence count (odd = being written) */
	_Atomic uint32_t remote_seq;
	_Atomic uint64_t remote_words[4];
	_Atomic bool latched;
	/* RTCP: the round trip between the relay and this endpoint's remote,
	 * from its last report block (LSR/DLSR) on an SR the relay forwarded
	 * to it; microseconds, 0 = none measured yet */
	_Atomic int64_t rtt_leg_us;
	/* call control (dataplane/dp_ctl.c) */
	_Atomic uint64_t ctl_blocked, ctl_silenced, dtmf_blocked, dtmf_played, dtmf_refused;
	/* ICE (dataplane/dp_ice.c) */
	_Atomic uint64_t ice_checks, ice_bad, ice_last_ms;
	_Atomic uint64_t ice_nominated_ms; /* the last valid USE-CANDIDATE check */
	_Atomic bool ice_nominated;
	/* SRTP (dataplane/dp_srtp.c); awaiting_keys: dropped while the party's
	 * keys were still to come (SRTP offered, not yet answered) */
	_Atomic uint64_t srtp_auth_failed, srtp_replayed, srtp_errors, srtp_awaiting_keys;
	_Atomic uint64_t rec_copied, rec_dropped; /* recording ring */
	_Atomic uint64_t play_pos;		  /* playback: samples sent */
	_Atomic bool play_held; /* dp_play.c keeps state (a shift): user space only */
	/* DTLS (dataplane/dp_dtls.c) */
	_Atomic uint64_t dtls_queued, dtls_bad, dtls_wrong_src, dtls_limited;
	_Atomic uint64_t bundle_unknown; /* DP_BUNDLE (dataplane/dp_bundle.c) */
};

struct dp_ice;

struct dp_offload;

#define DP_SR_KEEP 4u /* SRs remembered per endpoint (dp_io.c rtcp_note) */

struct dp_endpoint {
	/* immutable after dp_endpoint_new */
	int fd;
	unsigned worker;
	struct dp_cmd *release; /* preallocated: release cannot fail */

	/* control-thread only: kernel offload state (dp_offload.c) */
	struct dp_offload *off;

	/* worker-private */
	struct dp_endpoint *prev, *next; /* the worker's list */
	bool registered;		 /* fd is in the worker's epoll */
	bool dead;			 /* released: skip, reap after the batch */
	struct sockaddr_in local;	 /* for raw sends; port 0 = not usable */
	struct dp_endpoint *zombie_next;
	uint32_t flags;
	struct dp_endpoint *fwd_rtp, *fwd_rtcp;
	uint32_t clock_rate; /* from params, 0 = by payload type */
	struct latch latch;
	struct rtp_source src;
	uint8_t forward_pt[16]; /* with DP_FORWARD_PT_ONLY */
	struct xcode *xcode;	/* see dataplane/dp_xcode.h */
	/* the worker's list of transcoders the tick visits (dp_xcode.h) */
	struct dp_endpoint *xt_prev, *xt_next;
	uint8_t xtick; /* enum dp_xtick */
	/* the last SRs received here (middle 32 bits of their NTP time, worker
	 * arrival time), for the round trip of the reports that answer them */
	uint32_t sr_mid[DP_SR_KEEP];
	uint64_t sr_at_us[DP_SR_KEEP];
	unsigned sr_next;
	struct dp_ctl *ctl; /* call control, NULL = none (dataplane/dp_ctl.c) */
	struct dp_ice *ice; /* ICE credentials with DP_ICE, else NULL (dataplane/dp_ice.c) */
	/* the same ICE party's socket of the other address family (NULL =
	 * none) and the worker's nomination count when a check nominated this
	 * socket last: media to the party leaves from the later (dp_ice_out) */
	struct dp_endpoint *ice_twin;
	uint64_t ice_nom_seq;
	struct dp_playing *play; /* playback, NULL = none (dataplane/dp_play.c) */
	struct sr_stream *srtp;	 /* SRTP towards this party, NULL = plain (dp_srtp.c) */
	bool srtp_awaiting;	 /* srtp is keyless because the keys are still to come */
	/* generate-RTCP (dataplane/dp_rtcp.c), with DP_GEN_RTCP */
	struct dp_gen_rtcp {
		uint64_t packets, octets;      /* RTP received here and sent on */
		uint32_t last_ts;	       /* the last one's RTP timestamp ... */
		uint64_t last_us;	       /* ... and arrival */
		uint32_t rate;		       /* its clock */
		struct rtp_source_prior prior; /* reports on the RTP received here */
		uint64_t next_ms;	       /* the next report from here is due */
	} gen;
	/* recording (dp_endpoint_rec): session id, 0 = not recorded */
	uint32_t rec_id;
	uint8_t rec_leg;
	union dp_addr rec_local;
	uint64_t dtls_id;		/* with DP_DTLS (dp_dtls.c) */
	uint32_t dtls_tokens;		/* the stream's DTLS rate budget ... */
	uint64_t dtls_fill_ms;		/* ... last refilled then */
	struct dp_bundle *bundle;	/* with DP_BUNDLE (dp_bundle.c), else NULL */
	struct dp_endpoint *bundle_via; /* with DP_BUNDLED: the bundle's socket */

	/* published */
	struct dp_pub pub;
	/* written by the worker, read by the control thread, both under
	 * dp_sample.c's lock */
	struct dp_stream_sample sample;
};

/* Per-worker packet slots: one receive buffer each, reused for the send. */
#define DP_BATCH 64u   /* recvmmsg per socket */
#define DP_SLOTS 256u  /* packets held before a forced flush */
#define DP_BUF	 2048u /* a packet larger than this is dropped */

struct dp_slot {
	struct dp_endpoint *in;	 /* received here (counters) */
	struct dp_endpoint *out; /* send out of this socket */
	union dp_addr src;	 /* recvmmsg source */
	union dp_addr dst;	 /* copy of out's remote at receive time */
	struct iovec iov;
	struct iovec raw_iov[2]; /* dp_rawsend: header, then buf */
	uint8_t raw_hdr[DP_RAW_HDR];
	uint8_t buf[DP_BUF];
};

struct dp_worker_totals {
	_Atomic uint64_t packets, bytes, forwarded, dropped, errors;
	/* transcoding timer expirations handled, transcoders pulled by them */
	_Atomic uint64_t xcode_ticks, xcode_visits;
};

/* The socket media for @out's party leaves from: @out, or its ICE twin when
 * the party's last nomination came there (a pointer test for other
 * streams). */
static inline struct dp_endpoint *dp_ice_out(struct dp_endpoint *out)
{
	if (out && out->ice_twin && out->ice_twin->ice_nom_seq > out->ice_nom_seq)
		return out->ice_twin;
	return out;
}

struct dp_worker {
	uint64_t ice_nom_seq; /* nominations seen (dp_endpoint.ice_nom_seq) */
	unsigned index;
	int epfd;
	pthread_t thread;
	struct dp_queue q;
	struct dp_endpoint *eps;     /* list of registered endpoints */
	struct dp_endpoint *zombies; /* released during this iteration */
	struct dp_cmd *syncs;	     /* DP_CMD_SYNC to answer after the reap */
	int rawfd;		     /* dp_rawsend socket, -1 = per-socket sends */
	/* packet path */
	uint64_t now_ms, now_us, wall_off_ms;
	unsigned used;		 /* slots holding a packet to send */
	struct dp_slot *slots;	 /* DP_SLOTS */
	struct mmsghdr *rx, *tx; /* DP_SLOTS each */
	struct dp_worker_totals tot;
	/* transcoding timer (dataplane/dp_xcode.c) */
	bool xcode_timer;
	int xcode_tfd;
	unsigned n_xcode;
	uint8_t xcode_mode;	     /* enum dp_xtimer: how the timer is armed */
	uint64_t xcode_at;	     /* DP_XTIMER_ONCE: when (ms, worker clock) */
	struct dp_endpoint *xt_head; /* transcoders the tick visits */
	unsigned n_gen_rtcp;	     /* endpoints with DP_GEN_RTCP: they need the timer too */
	unsigned n_play;	     /* endpoints playing media (dp_play.c): the timer too */
};

/* dp_io.c: receive one batch from @ep's socket into the worker's slots and
 * judge every packet (latching, stats, forwarding target). Flushes first if
 * the slots are full. */
void dp_io_receive(struct dp_worker *w, struct dp_endpoint *ep);
/* Send every held packet, one sendmmsg per run of packets sharing a socket. */
void dp_io_flush(struct dp_worker *w);
/* The worker's transcoding timer fired: move what every transcoder of the
 * worker has due into slots (sent by the next dp_io_flush). */
void dp_io_xcode_tick(struct dp_worker *w);
/* Allocate and wire the worker's slots and message headers and open the raw
 * send socket; 0 or -ENOMEM. dp_io_fini releases them (safe after a failed
 * init). Only dp_io.c reads or writes the slots. */
int dp_io_init(struct dp_worker *w);
void dp_io_fini(struct dp_worker *w);

/* dp_ctl.c (worker side of the call control): apply DP_CMD_CTL/DP_CMD_DTMF;
 * free @ep's state (release). */
void dp_ctl_apply(struct dp_endpoint *ep, const struct dp_ctl_params *p);
void dp_ctl_dtmf(struct dp_endpoint *ep, const struct dp_dtmf_play *ev);
void dp_ctl_free(struct dp_endpoint *ep);
/* @ep got another transcoder: it gets the call control too. */
void dp_ctl_refresh(struct dp_endpoint *ep);
/* After a received batch on @ep (ep->ctl set): free the state once nothing
 * is active any more, so the packet path is back to one pointer test. */
void dp_ctl_batch_end(struct dp_endpoint *ep);
/* One RTP packet received on @ep, which has call control (ep->ctl): may
 * rewrite it in place (*len changes). False = drop it. */
bool dp_ctl_rtp(struct dp_endpoint *ep, uint8_t *buf, size_t *len);

struct dp_slot;
/* dp_ice.c (worker side): take DP_ICE's credentials from new params, or free
 * them without DP_ICE; changed credentials (an ICE restart) drop the
 * nomination. 0 or -ENOMEM (then ICE is off on @ep until the next params). */
int dp_ice_apply(struct dp_endpoint *ep, const struct dp_endpoint_params *p);
void dp_ice_free(struct dp_endpoint *ep);
/* A STUN datagram (RFC 7983 first byte 0..3) of @len bytes in @s, received
 * on @ep (DP_ICE): a valid binding request is answered in place (s->out and
 * s->dst set, true); anything else is dropped and counted (false). With
 * DP_ICE_LATCH a valid USE-CANDIDATE moves the remote to the sender
 * (*remote_changed set). */
bool dp_ice_stun(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
		 bool *remote_changed);
/* dp_srtp.c (worker side of SRTP): apply an endpoint's keys; suite NONE is
 * plain again, or with DP_SRTP_PARTY in ep->flags a keyless stream that
 * refuses everything. Free them on release. */
void dp_srtp_set(struct dp_endpoint *ep, const struct sr_keys *k);
void dp_srtp_free(struct dp_endpoint *ep);
/* Rollover counters (a takeover): set by the worker, read while it is held. */
void dp_srtp_set_rocs(struct dp_endpoint *ep, const struct dp_srtp_roc *r, unsigned n);
unsigned dp_srtp_get_rocs(const struct dp_endpoint *ep, struct dp_srtp_roc *out, unsigned max);
/* Before a receive on @ep (DP_SRTP): ask the caches for the SRTP state its
 * packets will need, ep's own and that of where they go, so it arrives
 * during the system call instead of one miss after another in libsrtp. */
void dp_srtp_prefetch(const struct dp_endpoint *ep);
/* Decrypt a packet received on @ep (ep->srtp set) in place. False: drop it
 * (counted on @ep). */
bool dp_srtp_in(struct dp_endpoint *ep, uint8_t *buf, size_t *len, bool rtcp);
/* Encrypt a packet leaving through @out (out->srtp set) in place, in a
 * buffer of @cap bytes. False: drop it (counted on @out). */
bool dp_srtp_out(struct dp_endpoint *out, uint8_t *buf, size_t *len, size_t cap, bool rtcp);
/* dp_rtcp.c (generate-RTCP): count one RTP packet received on @ep (rate:
 * its clock); and the report due from @ep's side towards its peer, written
 * into @buf (its length, 0 = none due). */
void dp_rtcp_count(struct dp_endpoint *ep, const struct rtp_info *ri, uint32_t rate,
		   uint64_t now_us);
int dp_rtcp_report(struct dp_endpoint *ep, uint64_t now_ms, uint64_t now_us, uint64_t ntp,
		   uint8_t *buf, size_t cap);
/* The report block a report from @ep's side carries: what the relay
 * received from the peer party (ep->fwd_rtp's statistics, LSR/DLSR from the
 * SRs it sent to ep->fwd_rtcp). False = none yet. */
bool dp_rtcp_block(struct dp_endpoint *ep, uint64_t now_us, struct rtcp_report_block *rb);
/* dp_play.c: apply DP_CMD_PLAY (takes over the command's reference); free
 * @ep's playback (release); one RTP packet received on @ep while it has a
 * playback state (ep->play): rewritten in place (*len changes for Opus,
 * within @cap); the timer:
 * the packet due while the sender is quiet into @buf, its length or 0. */
void dp_play_apply(struct dp_worker *w, struct dp_endpoint *ep, const struct dp_play *p,
		   uint64_t now_us);
void dp_play_free(struct dp_worker *w, struct dp_endpoint *ep);
void dp_play_rtp(struct dp_worker *w, struct dp_endpoint *ep, uint8_t *buf, size_t *len,
		 size_t cap);
int dp_play_gen(struct dp_worker *w, struct dp_endpoint *ep, uint8_t *buf, size_t cap);

/* dp_rec.c: copy one accepted packet of a recorded endpoint (ep->rec_id)
 * into the worker's recording ring; a full ring costs the copy only. */
void dp_rec_copy(struct dp_worker *w, struct dp_endpoint *ep, const struct dp_slot *s, size_t len,
		 bool rtcp);

/* dp_dtls.c (worker side): a DTLS datagram (RFC 7983 first byte 20..63)
 * of @len bytes in @s received on @ep (DP_DTLS): checked and queued for the
 * control thread, or dropped and counted. Never forwarded. */
void dp_dtls_rx(struct dp_worker *w, struct dp_endpoint *ep, const struct dp_slot *s, size_t len);
/* New params: the id, and a full budget for a new association. */
void dp_dtls_apply(struct dp_endpoint *ep, const struct dp_endpoint_params *p, uint64_t now_ms);

/* dp_bundle.c (worker side of BUNDLE): take DP_BUNDLE's media table and
 * DP_BUNDLED's socket from new params (or free them without); 0 or -ENOMEM
 * (then the bundle is off on @ep until the next params). */
int dp_bundle_apply(struct dp_endpoint *ep, const struct dp_endpoint_params *p);
void dp_bundle_free(struct dp_endpoint *ep);
/* @gone is being released: no bundle of worker @w refers to it any more. */
void dp_bundle_forget(struct dp_worker *w, const struct dp_endpoint *gone);
/* The endpoint of the media a packet received on the bundle socket @ep
 * (DP_BUNDLE, decrypted) belongs to; NULL = none claims it (drop). May
 * learn the packet's SSRC for its media. @src: the packet's source, when
 * media of the bundle were answered outside it (DP_BUNDLE_SPLIT: the
 * source names the media first), else NULL. */
struct dp_endpoint *dp_bundle_pick(struct dp_endpoint *ep, const uint8_t *buf, size_t len,
				   bool rtcp, const union dp_addr *src);

/* dp_sample.c: take @ep's output stream sample (DP_CMD_SAMPLE) / read the
 * last one (any thread) / continue @ep's held transcoder (DP_CMD_XSEEK). */
struct dp_xseek;
void dp_sample_take(struct dp_worker *w, struct dp_endpoint *ep);
bool dp_sample_read(const struct dp_endpoint *ep, struct dp_stream_sample *out);
void dp_sample_seek(struct dp_endpoint *ep, const struct dp_xseek *s);

/* dp_pub.c: publish ep's current remote (after a latch change or params
 * change; owning worker only). */
void dp_pub_remote(struct dp_endpoint *ep);
/* dp_pub.c: user space's counters and remote of @ep as published by its
 * worker, without the kernel fast path's share (any thread). */
void dp_pub_read(const struct dp_endpoint *ep, struct dp_stats *out);

/* worker.c: set up worker @w (index @index: epoll set, command queue, slots)
 * and start its thread. 0, or -errno with nothing left to free. */
int dp_worker_start(struct dp_worker *w, unsigned index);
/* worker.c: after a DP_CMD_STOP was queued to @w, join its thread, apply
 * what was queued after its last drain and free everything it owned
 * (endpoints included). */
void dp_worker_join(struct dp_worker *w);

#endif
