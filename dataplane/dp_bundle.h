/*
 * dp_bundle.h: demultiplexing a BUNDLE socket (RFC 9143, RFC 8843 9.2),
 * the table and its pure lookup (no endpoint is touched here: the worker
 * side is dp_bundle.c, the fuzz target drives this alone).
 *
 * A received RTP packet belongs to the media whose a=mid its MID header
 * extension names (RFC 8843 15.1; a MID no media has is dropped, never
 * guessed), else to the media that has its SSRC (from the party's a=ssrc
 * lines, or learned), else to the one media whose payload types include
 * its payload type. A MID or a unique payload type teaches the SSRC to that
 * media (bounded: signalled SSRCs stay, learned ones replace each other).
 * An RTCP packet belongs to the media that has its sender SSRC, else to the
 * media whose party is sent the SSRC its first report block is about.
 * Anything else belongs to none.
 *
 * When the party answered some media outside the bundle (RFC 9143 7.3.3,
 * a party without BUNDLE: each section at an address of its own, while
 * rtprelay keeps the one shared port), the packet's source names the media
 * first (dp_bundle_split_demux): the one media whose party address is the
 * source; several at that address (equal sources) or none (a source not
 * known yet, a NAT) are told apart by the rules above, and a media named
 * so that is not at an address equal to the source belongs to none.
 */
#ifndef RTPRELAY_DP_BUNDLE_H
#define RTPRELAY_DP_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dataplane.h"

struct dp_bundle {
	uint8_t n, mid_ext;
	struct dp_bundle_entry {
		struct dp_endpoint *ep;
		char mid[DP_MID_MAX + 1];
		uint8_t mid_len;
		uint8_t pts[16];
		uint32_t ssrc[DP_BUNDLE_SSRCS];
		uint8_t n_ssrc;		     /* slots used */
		uint8_t n_sdp;		     /* of which signalled, at the front */
		uint8_t next;		     /* the learned slot replaced next */
		bool split;		     /* answered outside the bundle: own address */
		struct dp_endpoint *rtcp_ep; /* its RTCP endpoint (not muxed), or NULL */
	} m[DP_BUNDLE_MAX];
};

/* The table for @p (n bounded by DP_BUNDLE_MAX, strings by DP_MID_MAX). */
void dp_bundle_init(struct dp_bundle *b, const struct dp_endpoint_params *p);
/* The index of the media a packet of @len bytes belongs to, -1 = none.
 * @sent[i]: the SSRC media i's party is sent now (0 = none known), for
 * RTCP report blocks. Plain (decrypted) packets only. */
int dp_bundle_demux(struct dp_bundle *b, const uint8_t *buf, size_t len, bool rtcp,
		    const uint32_t sent[DP_BUNDLE_MAX]);
/* The same for a bundle with media answered outside it: @from has bit i
 * set when media i's party address equals the packet's source. */
int dp_bundle_split_demux(struct dp_bundle *b, unsigned from, const uint8_t *buf, size_t len,
			  bool rtcp, const uint32_t sent[DP_BUNDLE_MAX]);

#endif
