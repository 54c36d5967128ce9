/*
 * dp_srtp.c: the worker's side of SRTP (srtp/sr_stream.h). An endpoint
 * facing an SRTP party holds one sr_stream: what it receives is decrypted
 * before anything else looks at it (latching included: an unauthenticated
 * packet must not teach the relay where the party is), what leaves through
 * it is encrypted last. A packet that fails is dropped here and counted on
 * the endpoint; it never reaches a forward slot.
 *
 * The stream is created and rekeyed when the control thread publishes the
 * endpoint's parameters (one allocation per key change, none per packet);
 * keys equal to the current ones leave the contexts alone, so rollover
 * counters survive a re-INVITE that keeps them.
 *
 * A party offered SRTP is keyless until the answer agrees on its keys: what
 * it sends and what would go to it meanwhile is dropped and counted apart
 * (srtp_awaiting_keys), since it is the expected start of a call (a callee
 * that sends media as soon as it answers, before the proxy has passed the
 * answer on), not a packet libsrtp refused (srtp_errors). STUN that reaches
 * an SRTP endpoint without ICE is not SRTP at all: see dp_srtp_in.
 */
#include "dataplane/dp_endpoint.h"

#include "lib/log.h"
#include "stun/stun.h"

void dp_srtp_free(struct dp_endpoint *ep)
{
	sr_stream_free(ep->srtp);
	ep->srtp = NULL;
	ep->srtp_awaiting = false;
}

void dp_srtp_set(struct dp_endpoint *ep, const struct sr_keys *k)
{
	if (k->suite == SR_SUITE_NONE && !(ep->flags & DP_SRTP_PARTY)) {
		dp_srtp_free(ep);
		return;
	}
	if (ep->srtp && sr_keys_equal(sr_stream_keys(ep->srtp), k))
		return;
	if (k->suite == SR_SUITE_NONE) { /* SRTP, keys still to come */
		if (ep->srtp)
			sr_stream_clear(ep->srtp);
		else
			ep->srtp = sr_stream_new();
		if (!ep->srtp)
			ep->flags |= DP_DISABLED;
		ep->srtp_awaiting = ep->srtp != NULL;
		return;
	}
	ep->srtp_awaiting = false; /* keyed: a failure from now on is an error */
	if (!ep->srtp)
		ep->srtp = sr_stream_new();
	/* Without a stream (no memory) or with a failed rekey the endpoint
	 * still has ep->srtp set or gets a keyless one: every packet fails
	 * and is dropped, never passed in clear. */
	if (!ep->srtp) {
		log_warn("dataplane: no memory for SRTP contexts on fd %d: media dropped", ep->fd);
		DP_ADD(ep->pub.srtp_errors, 1);
		ep->flags |= DP_DISABLED;
		return;
	}
	if (sr_stream_rekey(ep->srtp, k))
		log_warn("dataplane: SRTP keys refused by libsrtp on fd %d: media dropped", ep->fd);
}

void dp_srtp_prefetch(const struct dp_endpoint *ep)
{
	const struct dp_endpoint *out = ep->fwd_rtp;

	if (ep->srtp)
		sr_prefetch(ep->srtp, false);
	if (out && out->srtp)
		sr_prefetch(out->srtp, true);
}

bool dp_srtp_in(struct dp_endpoint *ep, uint8_t *buf, size_t *len, bool rtcp)
{
	/* RFC 7983: a first byte of 0..3 is STUN, never SRTP. A party that
	 * does no ICE with the relay (no DP_ICE, which takes STUN earlier) may
	 * still send binding requests: Linphone sends two to each of the
	 * relay's ports when its stream starts, to open NAT pinholes. They are
	 * not SRTP that failed: dropped without libsrtp and counted by the
	 * caller with the other drops ("dropped other"). */
	if (stun_demux(buf[0]) == DEMUX_STUN)
		return false;
	switch (sr_unprotect(ep->srtp, buf, len, rtcp)) {
	case SR_OK:
		return true;
	case SR_AUTH_FAIL:
		DP_ADD(ep->pub.srtp_auth_failed, 1);
		return false;
	case SR_REPLAY:
		DP_ADD(ep->pub.srtp_replayed, 1);
		return false;
	default:
		if (ep->srtp_awaiting)
			DP_ADD(ep->pub.srtp_awaiting_keys, 1);
		else
			DP_ADD(ep->pub.srtp_errors, 1);
		return false;
	}
}

bool dp_srtp_out(struct dp_endpoint *out, uint8_t *buf, size_t *len, size_t cap, bool rtcp)
{
	if (sr_protect(out->srtp, buf, len, cap, rtcp) == SR_OK)
		return true;
	if (out->srtp_awaiting)
		DP_ADD(out->pub.srtp_awaiting_keys, 1);
	else
		DP_ADD(out->pub.srtp_errors, 1);
	return false;
}

void dp_srtp_set_rocs(struct dp_endpoint *ep, const struct dp_srtp_roc *r, unsigned n)
{
	for (unsigned i = 0; ep->srtp && i < n; i++) {
		if (sr_stream_set_roc(ep->srtp, r[i].tx, r[i].ssrc, r[i].roc))
			log_warn("dataplane: SRTP rollover counter of SSRC %08x not set on fd %d",
				 r[i].ssrc, ep->fd);
		/* SRTCP continues after the old process's last index, or the
		 * party's replay protection drops what is sent from here */
		if (r[i].srtcp_index &&
		    sr_stream_set_srtcp_index(ep->srtp, r[i].tx, r[i].ssrc, r[i].srtcp_index))
			log_warn("dataplane: SRTCP index %u of SSRC %08x not set on fd %d",
				 r[i].srtcp_index, r[i].ssrc, ep->fd);
	}
}

unsigned dp_srtp_get_rocs(const struct dp_endpoint *ep, struct dp_srtp_roc *out, unsigned max)
{
	struct sr_roc r[SR_MAX_SSRC];
	unsigned n = 0;

	for (int tx = 0; ep->srtp && tx < 2; tx++) {
		unsigned k = sr_stream_get_rocs(ep->srtp, tx, r, SR_MAX_SSRC);
		for (unsigned i = 0; i < k && n < max; i++)
			out[n++] = (struct dp_srtp_roc){ .tx = tx,
							 .ssrc = r[i].ssrc,
							 .roc = r[i].roc,
							 .srtcp_index = r[i].srtcp_index };
	}
	return n;
}
