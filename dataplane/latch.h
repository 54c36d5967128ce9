/*
 * latch.h: which source an endpoint accepts, and where its party really is.
 *
 * Symmetric RTP (NAT traversal) learns a party's address from the packets it
 * sends; done naively that is "RTP bleed" (whoever sprays first or last gets
 * the media). The rules here (docs/architecture.md, Security):
 *  - learning only before a deadline (a window after offer/answer/re-offer);
 *  - only from packets that look like this stream: RTP version 2, a payload
 *    type the SDP allows, LATCH_MIN_PACKETS in sequence from one SSRC (on an
 *    RTCP socket: valid RTCP with one sender SSRC);
 *  - the SDP address wins over any other source, at any time;
 *  - a confirmed source (it sent to us) is not replaced while it keeps
 *    sending (silent for LATCH_IDLE_MS = gone); with media-handover
 *    (DP_MEDIA_HANDOVER) this one rule is off: once the remote is confirmed,
 *    a new source that passes the other rules replaces it, during the
 *    window or after it (the party moved without signalling);
 *  - strict-source drops everything not from the current remote;
 *  - asymmetric never latches; trust-address latches only if the SDP address
 *    never sent anything;
 *  - an ICE stream (DP_ICE_LATCH) never learns from media: its remote is the
 *    SDP address until a check with valid credentials nominates a pair
 *    (latch_nominate), then that pair's address; everything else is dropped.
 * Pure logic: the caller passes the time; single-threaded (owning worker).
 */
#ifndef RTPRELAY_LATCH_H
#define RTPRELAY_LATCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LATCH_MIN_PACKETS 3u
#define LATCH_IDLE_MS	  1000u

/* A UDP address small enough to copy per packet, usable as msg_name. */
union dp_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* Copy a sockaddr_storage (AF_INET/AF_INET6) into @a; 0 if unknown (family
 * other, or port 0). Returns the sockaddr length or 0. */
socklen_t dp_addr_from(union dp_addr *a, const struct sockaddr_storage *ss);
/* Same host and port; an IPv4-mapped IPv6 address equals its IPv4 form. */
bool dp_addr_eq(const union dp_addr *a, const union dp_addr *b);
static inline socklen_t dp_addr_len(const union dp_addr *a)
{
	return a->sa.sa_family == AF_INET6  ? sizeof(a->v6)
	       : a->sa.sa_family == AF_INET ? sizeof(a->v4)
					    : 0;
}

enum latch_kind {
	LATCH_RTP,
	LATCH_RTCP
};

struct latch {
	union dp_addr sdp;	 /* from SDP; family 0 = unknown */
	union dp_addr remote;	 /* current destination; family 0 = none */
	uint64_t deadline_ms;	 /* learning allowed while now < deadline */
	uint64_t remote_seen_ms; /* last packet from remote, 0 = never (unconfirmed) */
	bool latched;		 /* remote was learned (differs from SDP) */
	bool sdp_spoke;		 /* the SDP address itself sent something */
	/* learning candidate */
	union dp_addr cand;
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	uint8_t cand_count;
	/* configuration */
	uint32_t flags; /* enum dp_flags */
	uint8_t allowed_pt[16];
	enum latch_kind kind;
};

/* New parameters (offer/answer/re-offer): a changed SDP address resets the
 * remote to it; an unchanged one keeps what was learned. Opens the window
 * until @deadline_ms. */
void latch_configure(struct latch *l, const union dp_addr *sdp, uint32_t flags,
		     const uint8_t allowed_pt[16], enum latch_kind kind, uint64_t deadline_ms);

enum latch_verdict {
	LATCH_ACCEPT,  /* from the remote (or a tolerated source): forward */
	LATCH_LEARNED, /* accepted, and the remote changed to this source */
	LATCH_DROP,    /* not from the remote: drop, count as source drop */
};

/* ICE nominated the pair whose remote end is @src (the check's credentials
 * were verified by the caller): it becomes the remote. True if it changed,
 * or was the SDP address until now (a nominated remote is published as
 * latched). */
bool latch_nominate(struct latch *l, const union dp_addr *src, uint64_t now_ms);

/* Judge one packet from @src at @now_ms. May change l->remote. */
enum latch_verdict latch_packet(struct latch *l, const union dp_addr *src, const uint8_t *buf,
				size_t len, uint64_t now_ms);

#endif
