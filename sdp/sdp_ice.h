/*
 * sdp_ice.h: the ICE attributes of SDP (RFC 8839): a=candidate parse and
 * print, and what a media section (or the session) says about ICE:
 * a=ice-ufrag, a=ice-pwd, a=ice-options, a=ice-lite, a=end-of-candidates and
 * the number of candidates. Hostile input: every field is bounded in length
 * and character set, numbers in range; anything else is an error with a
 * reason. Used by sdp.c (parsing) and daemon/ice.c (writing rtprelay's own).
 */
#ifndef RTPRELAY_SDP_ICE_H
#define RTPRELAY_SDP_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_ICE_MAX_ADDR       256 /* connection-address: IP literal or FQDN (mDNS) */
#define SDP_ICE_MAX_EXT	       16  /* extension name/value pairs per candidate */
#define SDP_ICE_MAX_CAND       64  /* a=candidate lines per media section */
/* a peer's ice-ufrag/ice-pwd: 1..256 visible characters. RFC 8839 asks for
 * ice-chars and at least 4/22 of them; shorter or other printable ones are
 * taken (they are only compared, never written back), control characters,
 * blanks and longer ones refused. rtprelay's own follow the RFC. */
#define SDP_ICE_CRED_MAX       256
#define SDP_ICE_FOUNDATION_MAX 32

struct sdp_candidate {
	char foundation[SDP_ICE_FOUNDATION_MAX + 1];
	unsigned component; /* 1..256 */
	char transport[16]; /* "UDP", "TCP", ... as written */
	uint32_t priority;  /* 1..2^31-1 */
	char addr[SDP_ICE_MAX_ADDR];
	uint16_t port;
	char type[16]; /* "host", "srflx", "prflx", "relay" or another token */
	bool has_raddr;
	char raddr[SDP_ICE_MAX_ADDR];
	bool has_rport;
	uint16_t rport;
	/* extensions ("generation 0", "tcptype active", ...) as written,
	 * checked to be name/value token pairs; not interpreted */
	const char *ext;
	size_t ext_len;
};

/* Parse the value of an a=candidate line (the text after "candidate:").
 * 0, or -EINVAL with *why set to a static reason. */
int sdp_candidate_parse(const char *s, size_t n, struct sdp_candidate *c, const char **why)
	__attribute__((warn_unused_result));

/* Print @c as an a=candidate value (without "a=candidate:") into buf.
 * Returns the length (NUL-terminated), or -ENOSPC / -EINVAL (a field the
 * parser would refuse). */
int sdp_candidate_print(const struct sdp_candidate *c, char *buf, size_t cap);

/* RFC 8445 5.1.2.1 priority: type preference, local preference, component. */
uint32_t sdp_candidate_priority(unsigned type_pref, unsigned local_pref, unsigned component);

/* What one media section, or the session, says about ICE. */
struct sdp_ice {
	const char *ufrag, *pwd; /* point into the SDP text; NULL = absent */
	size_t ufrag_len, pwd_len;
	bool lite;		/* a=ice-lite (session level) */
	bool end_of_candidates; /* a=end-of-candidates */
	bool trickle;		/* "trickle" in a=ice-options */
	unsigned n_candidates;
	unsigned families; /* SDP_ICE_FAM_* of the a=candidate addresses */
};

/* The address families a section's candidates name (sdp_ice.families): an
 * IPv4 or IPv6 literal, or a name (an mDNS .local one, say) that may stand
 * for either. */
#define SDP_ICE_FAM_V4	 1u
#define SDP_ICE_FAM_V6	 2u
#define SDP_ICE_FAM_NAME 4u

/* The SDP_ICE_FAM_* bit of candidate address @addr. */
unsigned sdp_candidate_family(const char *addr);

/* One ICE attribute line: @name/@name_len is the attribute name, @val its
 * value (text after ':'). Reads it into @ice; 0, or -EINVAL / -E2BIG with
 * *why. Attributes other than the ones above are accepted and ignored. */
int sdp_ice_attr(struct sdp_ice *ice, const char *name, size_t name_len, const char *val,
		 size_t val_len, const char **why) __attribute__((warn_unused_result));

/* ice-char (RFC 8839): ALPHA / DIGIT / "+" / "/" */
bool sdp_ice_chars(const char *s, size_t n);

#endif
