/*
 * stun.h: STUN messages (RFC 8489, formerly RFC 5389) as ICE uses them
 * (RFC 8445 7.1/7.3, RFC 7675 consent): parse with a bound on every length,
 * check and set MESSAGE-INTEGRITY (HMAC-SHA1, OpenSSL libcrypto) and
 * FINGERPRINT (CRC-32, zlib), write requests/responses into a caller's buffer.
 *
 * Attributes understood: XOR-MAPPED-ADDRESS (IPv4 and IPv6), USERNAME,
 * PRIORITY, USE-CANDIDATE, ICE-CONTROLLING/ICE-CONTROLLED, ERROR-CODE,
 * MESSAGE-INTEGRITY, FINGERPRINT; others are skipped (a comprehension-required
 * one, type < 0x8000, is counted so a server can refuse the message).
 *
 * Pure functions over buffers; no allocation; a parsed message points into
 * the buffer it was parsed from. Used by the data plane's ICE responder
 * (dataplane/dp_ice.c) and the tests.
 */
#ifndef RTPRELAY_STUN_H
#define RTPRELAY_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER	  20u
#define STUN_MAGIC	  0x2112A442u
#define STUN_MAX_MESSAGE  1500u /* larger messages are refused (UDP, one MTU) */
#define STUN_MAX_USERNAME 513u	/* RFC 8489 14.3: < 513 bytes */
#define STUN_MAX_ATTRS	  32u	/* attributes walked per message */

/* method (binding is the only one ICE uses) and class bits of the type */
#define STUN_BINDING	    0x0001u
#define STUN_CLASS_REQUEST  0x0000u
#define STUN_CLASS_INDICATE 0x0010u
#define STUN_CLASS_SUCCESS  0x0100u
#define STUN_CLASS_ERROR    0x0110u
#define STUN_CLASS_MASK	    0x0110u

/* attribute types */
#define STUN_A_MAPPED_ADDRESS	  0x0001u
#define STUN_A_USERNAME		  0x0006u
#define STUN_A_MESSAGE_INTEGRITY  0x0008u
#define STUN_A_ERROR_CODE	  0x0009u
#define STUN_A_UNKNOWN_ATTRIBUTES 0x000Au
#define STUN_A_REALM		  0x0014u
#define STUN_A_NONCE		  0x0015u
#define STUN_A_XOR_MAPPED_ADDRESS 0x0020u
#define STUN_A_PRIORITY		  0x0024u
#define STUN_A_USE_CANDIDATE	  0x0025u
#define STUN_A_SOFTWARE		  0x8022u
#define STUN_A_FINGERPRINT	  0x8028u
#define STUN_A_ICE_CONTROLLED	  0x8029u
#define STUN_A_ICE_CONTROLLING	  0x802Au

#define STUN_HMAC_LEN 20u

/* RFC 7983: what the first byte of a datagram on a media port says. */
enum stun_demux {
	DEMUX_STUN,  /* 0..3 */
	DEMUX_DTLS,  /* 20..63 */
	DEMUX_RTP,   /* 128..191: RTP or RTCP */
	DEMUX_OTHER, /* anything else (TURN channels 64..79 included) */
};
static inline enum stun_demux stun_demux(uint8_t first)
{
	return first <= 3		      ? DEMUX_STUN
	       : first >= 20 && first <= 63   ? DEMUX_DTLS
	       : first >= 128 && first <= 191 ? DEMUX_RTP
					      : DEMUX_OTHER;
}

struct stun_msg {
	uint16_t type;	 /* method | class */
	uint16_t method; /* type without the class bits */
	uint16_t cls;	 /* STUN_CLASS_* */
	uint8_t tid[12];
	size_t len; /* whole message: header + attributes */
	const uint8_t *username;
	size_t username_len; /* 0 = no USERNAME */
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	bool has_controlling, has_controlled;
	uint64_t tiebreaker;
	bool has_xor_addr;
	struct sockaddr_storage xor_addr;
	bool has_error;
	uint16_t error_code; /* 300..699 */
	const uint8_t *reason;
	size_t reason_len;
	size_t integrity_at;	   /* offset of the MESSAGE-INTEGRITY attribute, 0 = none */
	size_t fingerprint_at;	   /* offset of the FINGERPRINT attribute, 0 = none */
	unsigned unknown_required; /* comprehension-required attributes not understood */
};

/* Is this plausibly a STUN message (RFC 8489 6: top bits 00, magic cookie,
 * length a multiple of 4 that fits)? Cheap: for demultiplexing. */
bool stun_is_message(const uint8_t *buf, size_t len);

/* Parse @buf[0..@len). 0, or -EINVAL (malformed: a length past the end, a
 * bad attribute size, attributes after FINGERPRINT, an attribute other than
 * FINGERPRINT after MESSAGE-INTEGRITY, too many attributes) or -E2BIG. */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *m)
	__attribute__((warn_unused_result));

/* The FINGERPRINT attribute is present and right. */
bool stun_check_fingerprint(const uint8_t *buf, const struct stun_msg *m);
/* MESSAGE-INTEGRITY is present and the HMAC-SHA1 under @key is right
 * (short-term credentials: the key is the password). Constant-time compare. */
bool stun_check_integrity(const uint8_t *buf, const struct stun_msg *m, const uint8_t *key,
			  size_t key_len);

/* Writer: builds a message in a caller's buffer; an overflow sets err and
 * makes the rest no-ops. */
struct stun_writer {
	uint8_t *buf;
	size_t cap, len;
	int err; /* 0 or -ENOSPC / -EINVAL */
};

void stun_w_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
		 const uint8_t tid[12]);
/* Any attribute (value copied, padded to 4 with zeros). */
void stun_w_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_w_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_w_u64(struct stun_writer *w, uint16_t type, uint64_t v);
/* XOR-MAPPED-ADDRESS of an AF_INET/AF_INET6 address (-EINVAL otherwise). */
void stun_w_xor_addr(struct stun_writer *w, const struct sockaddr *sa);
/* ERROR-CODE @code (300..699) with a reason phrase. */
void stun_w_error(struct stun_writer *w, unsigned code, const char *reason);
/* MESSAGE-INTEGRITY over what was written so far, under @key. */
void stun_w_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len);
/* FINGERPRINT: the last attribute. */
void stun_w_fingerprint(struct stun_writer *w);
/* The message's length, or w->err. */
int stun_w_finish(const struct stun_writer *w);

#endif
