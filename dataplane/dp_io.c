/*
 * dp_io.c: the packet path. One recvmmsg per ready socket, one sendmmsg per
 * run of packets leaving through the same socket; transcoded streams push
 * what they receive into their transcoder and pull its output into the same
 * slots (codecs/transcode.h, dataplane/dp_xcode.h).
 *
 * Owns the worker's packet slots, their message headers and the raw send
 * socket (dp_io_init/dp_io_fini): no other file reads or writes a slot, so
 * "w->used slots are held, flush before taking one past DP_SLOTS" is kept
 * here alone.
 *
 * Budget (docs/architecture.md, Hot path): apart from dp_io_init/dp_io_fini, no malloc,
 * lock, log or clock read here; the worker loop reads the clock once per
 * epoll wake-up (its now_ms is also the transcoders' clock). A packet lives
 * in one fixed slot from receive to send; the send reuses the receive
 * buffer, so nothing is copied but the 16/28-byte destination address.
 *
 * Counters: per endpoint and per worker, single writer (this worker),
 * published once per received batch with relaxed atomic stores.
 */
#include "dataplane/dp_endpoint.h"
#include "dataplane/dp_xcode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecs/transcode.h"
#include "stun/stun.h"

int dp_io_init(struct dp_worker *w)
{
	w->rawfd = -1;
	w->slots = calloc(DP_SLOTS, sizeof(*w->slots));
	w->rx = calloc(DP_SLOTS, sizeof(*w->rx));
	w->tx = calloc(DP_SLOTS, sizeof(*w->tx));
	if (!w->slots || !w->rx || !w->tx) {
		dp_io_fini(w);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < DP_SLOTS; i++) {
		struct dp_slot *s = &w->slots[i];
		s->iov.iov_base = s->buf;
		s->iov.iov_len = DP_BUF;
		w->rx[i].msg_hdr.msg_name = &s->src;
		w->rx[i].msg_hdr.msg_iov = &s->iov;
		w->rx[i].msg_hdr.msg_iovlen = 1;
		s->raw_iov[0].iov_base = s->raw_hdr;
		s->raw_iov[0].iov_len = DP_RAW_HDR;
		s->raw_iov[1].iov_base = s->buf;
	}
	w->rawfd = dp_raw_open();
	return 0;
}

void dp_io_fini(struct dp_worker *w)
{
	if (w->rawfd >= 0)
		close(w->rawfd);
	w->rawfd = -1;
	free(w->slots);
	free(w->rx);
	free(w->tx);
	w->slots = NULL;
	w->rx = w->tx = NULL;
}

static void publish_rtp_stats(struct dp_endpoint *ep)
{
	const struct rtp_source *s = &ep->src;

	DP_PUT(ep->pub.ssrc, s->ssrc);
	DP_PUT(ep->pub.rtp_received, s->received);
	DP_PUT(ep->pub.base_seq, s->probation ? 0 : s->base_seq);
	DP_PUT(ep->pub.ext_max, s->probation ? 0 : (uint64_t)rtp_source_ext_max(s) + 1);
	DP_PUT(ep->pub.jitter16, s->jitter);
}

/* RTP statistics of one accepted packet (not RTCP). */
static void account_rtp(struct dp_worker *w, struct dp_endpoint *ep, const uint8_t *buf, size_t len)
{
	struct rtp_info ri;

	if (rtp_parse(buf, len, &ri) < 0)
		return;
	uint32_t rate = ep->clock_rate;
	if (!rate)
		rate = rtp_static_clock_rate(ri.pt);
	if (!rate)
		rate = 8000;
	if (rate != DP_GET(ep->pub.clock_rate))
		DP_PUT(ep->pub.clock_rate, rate);
	/* Arrival in timestamp units; only differences matter (A.8). */
	uint32_t arrival = (uint32_t)(w->now_us * rate / 1000000u);
	rtp_source_update(&ep->src, &ri, arrival);
	if (ep->flags & DP_GEN_RTCP) /* generate-RTCP: the SR's counts, dp_rtcp.c */
		dp_rtcp_count(ep, &ri, rate, w->now_us);
}

/* Round trip from RTCP (RFC 3550 6.4.1): an SR received here is remembered;
 * a report block received here whose LSR names an SR the peer endpoint
 * received (and the relay forwarded to this remote) gives the round trip
 * between the relay and this remote: arrival - SR arrival - DLSR. Only
 * RTCP packets come here, and the work is bounded (one compound walk, a
 * look at DP_SR_KEEP entries). */
static void rtcp_note(const struct dp_worker *w, struct dp_endpoint *ep, const uint8_t *buf,
		      size_t len)
{
	struct rtcp_reports r;

	if (rtcp_parse_reports(buf, len, &r) < 0)
		return;
	if (r.has_sr) {
		ep->sr_mid[ep->sr_next] = r.sr_ntp_mid;
		ep->sr_at_us[ep->sr_next] = w->now_us;
		ep->sr_next = (ep->sr_next + 1) % DP_SR_KEEP;
	}
	const struct dp_endpoint *peer = ep->fwd_rtcp ? ep->fwd_rtcp : ep->fwd_rtp;
	if (!r.has_block || !r.block.lsr || !peer)
		return;
	for (unsigned i = 0; i < DP_SR_KEEP; i++) {
		if (peer->sr_mid[i] != r.block.lsr || !peer->sr_at_us[i])
			continue;
		/* DLSR is in 1/65536 s */
		int64_t dlsr_us = (int64_t)(((uint64_t)r.block.dlsr * 1000000u) >> 16);
		int64_t rtt = (int64_t)(w->now_us - peer->sr_at_us[i]) - dlsr_us;
		/* a report older than its SR's arrival, or a minute late, is not a
		 * round trip */
		if (rtt >= 0 && rtt < 60 * 1000000LL)
			DP_PUT(ep->pub.rtt_leg_us, rtt ? rtt : 1);
		return;
	}
}

/* Where what goes to @to is sent when it leaves @out's socket: @out's
 * remote, or the own address of a bundled media whose party answered it
 * outside the bundle (DP_BUNDLE_SPLIT, dataplane/dp_bundle.c). A flag test
 * for other streams. */
static inline const union dp_addr *dest(const struct dp_endpoint *to, const struct dp_endpoint *out)
{
	return to && (to->flags & DP_BUNDLE_SPLIT) ? &to->latch.remote : &out->latch.remote;
}

/* @out exists, is enabled and knows where @to's party is. */
static bool can_send(const struct dp_endpoint *to, const struct dp_endpoint *out)
{
	return out && !(out->flags & DP_DISABLED) && dest(to, out)->sa.sa_family;
}

/* The endpoint whose socket sends what goes to @out: a bundled media
 * (DP_BUNDLED) leaves the bundle's socket, to its remote, encrypted with
 * its SRTP (dataplane/dp_bundle.c); then the address family the party last
 * nominated (dp_ice_out). A flag test and a pointer test for other streams. */
static struct dp_endpoint *sender(struct dp_endpoint *out)
{
	if (out && (out->flags & DP_BUNDLED))
		out = (out->flags & DP_DISABLED) ? NULL : out->bundle_via;
	return dp_ice_out(out);
}

/* Which socket a packet received on @ep leaves from, NULL = drop. */
static struct dp_endpoint *route(const struct dp_endpoint *ep, bool rtcp)
{
	struct dp_endpoint *to = rtcp && ep->fwd_rtcp ? ep->fwd_rtcp : ep->fwd_rtp;
	struct dp_endpoint *out = sender(to);

	return can_send(to, out) ? out : NULL;
}

struct batch_count {
	uint64_t packets, bytes, dropped_source, dropped_other;
	bool rtp, remote_changed;
};

/* RTP the far side can take as is: a full fixed header with a payload type
 * in forward_pt. */
static bool pt_forwardable(const struct dp_endpoint *ep, const uint8_t *buf, size_t len)
{
	if (len < 12)
		return false;
	unsigned pt = buf[1] & 0x7fu;

	return ep->forward_pt[pt >> 3] & (1u << (pt & 7));
}

static void judge_media(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
			bool rtcp, struct batch_count *bc);
static void judge_bundled(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s,
			  size_t len, bool rtcp, struct batch_count *bc);
static void judge_split(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
			bool rtcp, struct batch_count *bc);
static void publish_batch(struct dp_worker *w, struct dp_endpoint *ep,
			  const struct batch_count *bc);

/* The transcoder RTP received on @ep goes into: its own, or on an ICE
 * socket of the second address family (DP_TRANSCODE without one), its
 * twin's, so that media from either family is transcoded alike
 * (docs/architecture.md, ICE). */
static inline struct xcode *xcode_of(const struct dp_endpoint *ep)
{
	if (ep->xcode)
		return ep->xcode;
	if ((ep->flags & DP_TRANSCODE) && ep->ice_twin)
		return ep->ice_twin->xcode;
	return NULL;
}

/* Judge one received packet; fills s->out (NULL = drop). */
static void judge(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
		  int mflags, struct batch_count *bc)
{
	s->out = NULL;
	if ((mflags & MSG_TRUNC) || len == 0 || (ep->flags & DP_DISABLED)) {
		bc->dropped_other++;
		return;
	}
	/* ICE (RFC 7983 demultiplexing): STUN goes to the responder before
	 * anything looks at it as media; one flag test for other streams */
	if ((ep->flags & DP_ICE) && stun_demux(s->buf[0]) == DEMUX_STUN) {
		if (!dp_ice_stun(w, ep, s, len, &bc->remote_changed))
			bc->dropped_other++;
		return;
	}
	/* DTLS (RFC 7983: 20..63) goes to the control thread (dp_dtls.c),
	 * never into media; one flag test for other streams */
	if ((ep->flags & DP_DTLS) && s->buf[0] >= 20 && s->buf[0] <= 63) {
		dp_dtls_rx(w, ep, s, len);
		return;
	}
	bool rtcp = (ep->flags & DP_RTCP) ||
		    ((ep->flags & DP_RTCP_MUX) && rtp_is_rtcp(s->buf, len));
	/* SRTP (dp_srtp.c): authenticated and decrypted before latching or
	 * anything else reads it; a failure is dropped and counted there */
	if ((ep->flags & DP_SRTP) && ep->srtp && !dp_srtp_in(ep, s->buf, &len, rtcp)) {
		bc->dropped_other++;
		return;
	}
	/* a bundle some of whose media the party answered outside it: the
	 * source names the media, whose own latch judges it (dp_bundle.c);
	 * one flag test for other streams */
	if (ep->flags & DP_BUNDLE_SPLIT) {
		judge_split(w, ep, s, len, rtcp, bc);
		return;
	}
	enum latch_verdict v = latch_packet(&ep->latch, &s->src, s->buf, len, w->now_ms);
	if (v == LATCH_DROP) {
		bc->dropped_source++;
		return;
	}
	if (v == LATCH_LEARNED)
		bc->remote_changed = true;
	if (ep->flags & DP_BUNDLE) /* the media it belongs to judges it */
		judge_bundled(w, ep, s, len, rtcp, bc);
	else
		judge_media(w, ep, s, len, rtcp, bc);
}

/* The rest of judge() for a packet of @ep's media: counted, recorded,
 * call control, transcoder or forwarding. */
static void judge_media(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
			bool rtcp, struct batch_count *bc)
{
	bc->packets++;
	bc->bytes += len;
	if (ep->rec_id) /* recorded: a copy as received (dp_rec.c) */
		dp_rec_copy(w, ep, s, len, rtcp);
	if (!rtcp) {
		account_rtp(w, ep, s->buf, len);
		bc->rtp = true;
		if (ep->ctl && !dp_ctl_rtp(ep, s->buf, &len)) { /* call control, dp_ctl.c */
			bc->dropped_other++;
			return;
		}
		if (ep->play) /* playback replaces the audio (dp_play.c) */
			dp_play_rtp(w, ep, s->buf, &len, DP_BUF);
		if (ep->xcode || (ep->flags & DP_TRANSCODE)) {
			/* the transcoder's output is sent instead; none (a
			 * second-family socket whose twin went) drops it */
			struct xcode *x = xcode_of(ep);
			if (x)
				xcode_push(x, s->buf, len, w->now_ms);
			else
				bc->dropped_other++;
			return;
		}
		if ((ep->flags & DP_FORWARD_PT_ONLY) && !pt_forwardable(ep, s->buf, len)) {
			bc->dropped_other++;
			return;
		}
	} else if (ep->flags & (DP_TRANSCODE | DP_GEN_RTCP)) {
		/* on a transcoded stream, and with generate-RTCP, the relay sends
		 * its own reports; an SR received still times their LSR/DLSR */
		if (ep->flags & DP_GEN_RTCP)
			rtcp_note(w, ep, s->buf, len);
		return;
	} else {
		rtcp_note(w, ep, s->buf, len);
	}
	struct dp_endpoint *out = route(ep, rtcp);
	if (!out) {
		bc->dropped_other++;
		return;
	}
	if ((ep->flags & DP_SRTP) && out->srtp && !dp_srtp_out(out, s->buf, &len, DP_BUF, rtcp)) {
		bc->dropped_other++;
		return;
	}
	s->out = out;
	s->dst = *dest(rtcp && ep->fwd_rtcp ? ep->fwd_rtcp : ep->fwd_rtp, out);
	s->iov.iov_len = len;
}

/* A packet on a bundle socket (DP_BUNDLE), decrypted and from its remote:
 * judged by the media it belongs to (dp_bundle.c), whose counters it
 * feeds; one no media claims is dropped and counted. */
static void judge_bundled(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s,
			  size_t len, bool rtcp, struct batch_count *bc)
{
	struct dp_endpoint *m = dp_bundle_pick(ep, s->buf, len, rtcp, NULL);
	struct batch_count mbc = { 0 };

	if (!m) {
		bc->dropped_other++;
		DP_ADD(ep->pub.bundle_unknown, 1);
		return;
	}
	if (m == ep) {
		judge_media(w, ep, s, len, rtcp, bc);
		return;
	}
	s->in = m;
	judge_media(w, m, s, len, rtcp, &mbc);
	publish_batch(w, m, &mbc);
	if (m->ctl)
		dp_ctl_batch_end(m);
}

/* A packet on a bundle socket with media its party answered outside the
 * bundle (DP_BUNDLE_SPLIT), decrypted: its source (then MID, SSRC, payload
 * type) names the media (dp_bundle.c); a media answered outside the bundle
 * latches its party's own address, the others the bundle socket's; then
 * that media judges it as in judge_bundled. */
static void judge_split(struct dp_worker *w, struct dp_endpoint *ep, struct dp_slot *s, size_t len,
			bool rtcp, struct batch_count *bc)
{
	struct dp_endpoint *m = dp_bundle_pick(ep, s->buf, len, rtcp, &s->src);
	struct batch_count mbc = { 0 };

	if (!m) {
		bc->dropped_other++;
		DP_ADD(ep->pub.bundle_unknown, 1);
		return;
	}
	bool own = m != ep && (m->flags & DP_BUNDLE_SPLIT);
	struct batch_count *c = m == ep ? bc : &mbc;
	enum latch_verdict v = latch_packet(own ? &m->latch : &ep->latch, &s->src, s->buf, len,
					    w->now_ms);

	if (v == LATCH_LEARNED)
		(own ? &mbc : bc)->remote_changed = true;
	if (v == LATCH_DROP) {
		c->dropped_source++;
	} else {
		if (m != ep)
			s->in = m;
		judge_media(w, m, s, len, rtcp, c);
	}
	if (m == ep)
		return;
	publish_batch(w, m, &mbc);
	if (m->ctl)
		dp_ctl_batch_end(m);
}

static void publish_batch(struct dp_worker *w, struct dp_endpoint *ep, const struct batch_count *bc)
{
	if (bc->packets) {
		DP_ADD(ep->pub.packets, bc->packets);
		DP_ADD(ep->pub.bytes, bc->bytes);
		DP_PUT(ep->pub.last_ms, w->now_ms);
		DP_PUT(ep->pub.last_wall, (w->now_ms + w->wall_off_ms) / 1000u);
		DP_ADD(w->tot.packets, bc->packets);
		DP_ADD(w->tot.bytes, bc->bytes);
	}
	if (bc->dropped_source)
		DP_ADD(ep->pub.dropped_source, bc->dropped_source);
	if (bc->dropped_other)
		DP_ADD(ep->pub.dropped_other, bc->dropped_other);
	if (bc->dropped_source + bc->dropped_other)
		DP_ADD(w->tot.dropped, bc->dropped_source + bc->dropped_other);
	if (bc->rtp)
		publish_rtp_stats(ep);
	if (bc->remote_changed)
		dp_pub_remote(ep);
}

/* Transcoded streams (dataplane/dp_xcode.h): what a transcoder produces
 * takes a slot like a received packet and leaves with the same flush. */

/* The worker's wall clock in NTP format (RFC 3550 §4). */
static uint64_t ntp_now(const struct dp_worker *w)
{
	uint64_t ms = w->now_ms + w->wall_off_ms;

	return ((ms / 1000u + 2208988800u) << 32) | (((ms % 1000u) << 32) / 1000u);
}

/* The next free slot: sends what is held first when all are taken. */
static struct dp_slot *free_slot(struct dp_worker *w)
{
	if (w->used == DP_SLOTS)
		dp_io_flush(w);
	return &w->slots[w->used];
}

/* Hold the @len bytes produced into @s for sending out of @out (encrypted
 * first when @out speaks SRTP; a failure leaves the slot free). */
static void hold(struct dp_worker *w, struct dp_slot *s, struct dp_endpoint *in,
		 struct dp_endpoint *to, struct dp_endpoint *out, size_t len, bool rtcp)
{
	if (out->srtp && !dp_srtp_out(out, s->buf, &len, DP_BUF, rtcp))
		return;
	s->in = in;
	s->out = out;
	s->dst = *dest(to, out);
	s->iov.iov_len = len;
	w->used++;
}

/* A sender report for the transcoded stream when one is due, out of the
 * forward RTCP socket (the peer's RTCP or, muxed, RTP socket). */
static void send_report(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_endpoint *out = sender(ep->fwd_rtcp);
	struct dp_slot *s;
	int n;

	if (!can_send(ep->fwd_rtcp, out))
		return;
	s = free_slot(w);
	if (ep->flags & DP_GEN_RTCP) { /* with a report block, dp_rtcp.c */
		struct rtcp_report_block rb;
		bool has = dp_rtcp_block(ep, w->now_us, &rb);

		n = xcode_rtcp_pull_block(ep->xcode, w->now_ms, ntp_now(w), has ? &rb : NULL,
					  s->buf, DP_BUF);
	} else {
		n = xcode_rtcp_pull(ep->xcode, w->now_ms, ntp_now(w), s->buf, DP_BUF);
	}
	if (n > 0)
		hold(w, s, ep, ep->fwd_rtcp, out, (size_t)n, true);
}

/* generate-RTCP on a forwarded stream: @ep's report when one is due, out
 * of the forward RTCP socket. */
static void gen_report(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_endpoint *out = sender(ep->fwd_rtcp);
	struct dp_slot *s;
	int n;

	if (!can_send(ep->fwd_rtcp, out))
		return;
	s = free_slot(w);
	n = dp_rtcp_report(ep, w->now_ms, w->now_us, ntp_now(w), s->buf, DP_BUF);
	if (n > 0)
		hold(w, s, ep, ep->fwd_rtcp, out, (size_t)n, true);
}

/* Move whatever @ep's transcoder has due into slots. */
static void xcode_drain(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_endpoint *out = sender(ep->fwd_rtp);
	bool sendable = can_send(ep->fwd_rtp, out);

	send_report(w, ep);
	for (;;) {
		struct dp_slot *s = free_slot(w);
		int n = xcode_pull(ep->xcode, w->now_ms, s->buf, DP_BUF);

		if (n <= 0)
			return;
		if (sendable) /* else the clock runs on; nobody to send to yet */
			hold(w, s, ep, ep->fwd_rtp, out, (size_t)n, false);
	}
}

/* Playback while the sender is quiet (dp_play.c): what is due leaves out
 * of the forward RTP socket like a forwarded packet (SRTP there too). */
static void play_drain(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_endpoint *out = sender(ep->fwd_rtp);

	for (unsigned i = 0; i < 4 && ep->play; i++) {
		struct dp_slot *s = free_slot(w);
		int n = dp_play_gen(w, ep, s->buf, DP_BUF);

		if (n <= 0)
			return;
		if (can_send(ep->fwd_rtp, out) && !(ep->flags & DP_DISABLED))
			hold(w, s, ep, ep->fwd_rtp, out, (size_t)n, false);
	}
}

/* Playback into a transcoded stream while the sender is quiet: the made
 * packets (in the transcoder's input codec) go to the transcoder, whose
 * output then carries them like the sender's. */
static void play_feed(struct dp_worker *w, struct dp_endpoint *ep)
{
	for (unsigned i = 0; i < 4 && ep->play; i++) {
		struct dp_slot *s = free_slot(w); /* scratch: not taken */
		int n = dp_play_gen(w, ep, s->buf, DP_BUF);

		if (n <= 0)
			return;
		xcode_push(ep->xcode, s->buf, (size_t)n, w->now_ms);
	}
}

void dp_io_xcode_tick(struct dp_worker *w)
{
	bool periodic = w->n_play + w->n_gen_rtcp > 0;
	uint64_t at = 0, visits = 0;

	DP_ADD(w->tot.xcode_ticks, 1);
	/* Playback and generate-RTCP on forwarded streams: every endpoint. */
	for (struct dp_endpoint *ep = periodic ? w->eps : NULL; ep; ep = ep->next) {
		if (ep->dead)
			continue;
		if (ep->play && !ep->xcode)
			play_drain(w, ep);
		else if (ep->play) {
			play_feed(w, ep);
			dp_xcode_wake(w, ep);
		}
		if (!ep->xcode && (ep->flags & (DP_GEN_RTCP | DP_RTCP)) == DP_GEN_RTCP)
			gen_report(w, ep);
	}
	/* Transcoders: only those with something pending (dp_xcode.h). */
	for (struct dp_endpoint *ep = w->xt_head, *next; ep; ep = next) {
		next = ep->xt_next;
		if (ep->xtick == DP_XTICK_WAIT) {
			uint64_t wake = xcode_next_wake(ep->xcode);

			if (wake != XCODE_WAKE_RUNNING && wake > w->now_ms) {
				at = at && at < wake ? at : wake;
				continue; /* its report is not due yet */
			}
		}
		xcode_drain(w, ep);
		visits++;
		dp_xcode_note(w, ep);
		if (ep->xtick == DP_XTICK_RUN)
			periodic = true;
		else if (ep->xtick == DP_XTICK_WAIT) {
			uint64_t wake = xcode_next_wake(ep->xcode);

			at = at && at < wake ? at : wake;
		}
	}
	if (visits)
		DP_ADD(w->tot.xcode_visits, visits);
	dp_xcode_timer_set(w, periodic, at);
}

void dp_io_receive(struct dp_worker *w, struct dp_endpoint *ep)
{
	if (w->used + DP_BATCH > DP_SLOTS)
		dp_io_flush(w);

	struct mmsghdr *m = w->rx + w->used;
	for (unsigned i = 0; i < DP_BATCH; i++) {
		m[i].msg_hdr.msg_namelen = sizeof(union dp_addr);
		m[i].msg_hdr.msg_flags = 0;
		w->slots[w->used + i].iov.iov_len = DP_BUF;
	}
	if (ep->flags & DP_SRTP)
		dp_srtp_prefetch(ep);
	int n;
	do
		n = recvmmsg(ep->fd, m, DP_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return; /* EAGAIN (spurious wake-up) or a pending socket error */

	struct batch_count bc = { 0 };
	for (int i = 0; i < n; i++) {
		struct dp_slot *s = &w->slots[w->used + i];
		s->in = ep;
		judge(w, ep, s, m[i].msg_len, m[i].msg_hdr.msg_flags, &bc);
	}
	w->used += (unsigned)n;
	publish_batch(w, ep, &bc);
	if (ep->ctl)
		dp_ctl_batch_end(ep);
	if (ep->xcode) {
		xcode_drain(w, ep);
		dp_xcode_wake(w, ep); /* the tick pulls it from now on */
	} else if (xcode_of(ep)) {    /* what the twin's transcoder made of this batch */
		xcode_drain(w, ep->ice_twin);
		dp_xcode_wake(w, ep->ice_twin);
	}
}

/* sendmmsg @k messages on @fd; counts forwarded/errors on each packet's
 * receiving endpoint. A message that fails is skipped, the rest still go. */
static void send_run(struct dp_worker *w, int fd, struct mmsghdr *tx, struct dp_slot **ts,
		     unsigned k)
{
	unsigned done = 0;
	uint64_t ok = 0, bad = 0;

	while (done < k) {
		int r = sendmmsg(fd, tx + done, k - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			DP_ADD(ts[done]->in->pub.errors, 1);
			bad++;
			done++;
			continue;
		}
		for (int i = 0; i < r; i++)
			DP_ADD(ts[done + i]->in->pub.forwarded, 1);
		ok += (unsigned)r;
		done += (unsigned)r;
	}
	if (ok)
		DP_ADD(w->tot.forwarded, ok);
	if (bad)
		DP_ADD(w->tot.errors, bad);
}

/* One sendmmsg on the raw socket for every IPv4 packet whose out endpoint
 * has a concrete local address (dp_rawsend.h); those slots are then marked
 * sent (out = NULL) so the per-socket pass skips them. */
static void flush_raw(struct dp_worker *w, struct dp_slot **ts)
{
	unsigned k = 0;

	for (unsigned i = 0; i < w->used; i++) {
		struct dp_slot *s = &w->slots[i];
		if (!s->out || !s->out->local.sin_port || s->dst.sa.sa_family != AF_INET)
			continue;
		dp_raw_header(s->raw_hdr, &s->out->local, &s->dst.v4, s->buf, s->iov.iov_len);
		s->raw_iov[1].iov_len = s->iov.iov_len;
		struct msghdr *h = &w->tx[k].msg_hdr;
		h->msg_name = &s->dst;
		h->msg_namelen = sizeof(s->dst.v4);
		h->msg_iov = s->raw_iov;
		h->msg_iovlen = 2;
		ts[k++] = s;
	}
	if (!k)
		return;
	send_run(w, w->rawfd, w->tx, ts, k);
	for (unsigned i = 0; i < k; i++)
		ts[i]->out = NULL;
}

void dp_io_flush(struct dp_worker *w)
{
	struct dp_slot *ts[DP_SLOTS];
	unsigned i = 0;

	if (w->rawfd >= 0)
		flush_raw(w, ts);

	while (i < w->used) {
		struct dp_slot *s = &w->slots[i];
		if (!s->out) {
			i++;
			continue;
		}
		/* A run: consecutive slots leaving via the same socket (order
		 * per destination is preserved; dropped slots are skipped). */
		int fd = s->out->fd;
		unsigned k = 0;
		for (; i < w->used; i++) {
			s = &w->slots[i];
			if (!s->out)
				continue;
			if (s->out->fd != fd)
				break;
			struct msghdr *h = &w->tx[k].msg_hdr;
			h->msg_name = &s->dst;
			h->msg_namelen = dp_addr_len(&s->dst);
			h->msg_iov = &s->iov;
			h->msg_iovlen = 1;
			ts[k++] = s;
		}
		send_run(w, fd, w->tx, ts, k);
	}
	w->used = 0;
}
