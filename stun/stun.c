/*
 * stun.c: STUN message parsing and writing (stun.h). Every length read from
 * the message is checked against what is left of the buffer before use;
 * the walk is bounded by STUN_MAX_ATTRS and STUN_MAX_MESSAGE.
 */
#include "stun/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <zlib.h>

#define FINGERPRINT_XOR 0x5354554Eu /* RFC 8489 14.7 */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool stun_is_message(const uint8_t *buf, size_t len)
{
	if (len < STUN_HEADER || len > STUN_MAX_MESSAGE || (buf[0] & 0xc0))
		return false;
	size_t body = rd16(buf + 2);

	return (body & 3) == 0 && body + STUN_HEADER == len && rd32(buf + 4) == STUN_MAGIC;
}

/* XOR-MAPPED-ADDRESS value (RFC 8489 14.2) into @out. */
static int parse_xor_addr(const uint8_t *buf, const uint8_t *v, size_t n,
			  struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 4)
		return -EINVAL;
	uint16_t port = (uint16_t)(rd16(v + 2) ^ (STUN_MAGIC >> 16));
	if (v[1] == 0x01 && n == 8) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		uint32_t a = rd32(v + 4) ^ STUN_MAGIC;
		s->sin_addr.s_addr = htonl(a);
		return 0;
	}
	if (v[1] == 0x02 && n == 20) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		/* XOR with the magic cookie and the transaction id */
		for (unsigned i = 0; i < 16; i++)
			s->sin6_addr.s6_addr[i] = v[4 + i] ^ buf[4 + i];
		return 0;
	}
	return -EINVAL;
}

static int parse_attr(const uint8_t *buf, struct stun_msg *m, uint16_t type, const uint8_t *v,
		      size_t n)
{
	switch (type) {
	case STUN_A_USERNAME:
		if (n == 0 || n >= STUN_MAX_USERNAME)
			return -EINVAL;
		m->username = v;
		m->username_len = n;
		return 0;
	case STUN_A_PRIORITY:
		if (n != 4)
			return -EINVAL;
		m->has_priority = true;
		m->priority = rd32(v);
		return 0;
	case STUN_A_USE_CANDIDATE:
		if (n != 0)
			return -EINVAL;
		m->use_candidate = true;
		return 0;
	case STUN_A_ICE_CONTROLLING:
	case STUN_A_ICE_CONTROLLED:
		if (n != 8)
			return -EINVAL;
		if (type == STUN_A_ICE_CONTROLLING)
			m->has_controlling = true;
		else
			m->has_controlled = true;
		m->tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
		return 0;
	case STUN_A_XOR_MAPPED_ADDRESS:
		if (parse_xor_addr(buf, v, n, &m->xor_addr))
			return -EINVAL;
		m->has_xor_addr = true;
		return 0;
	case STUN_A_ERROR_CODE: {
		/* 2 reserved bytes, class (3 bits), number (0..99), reason */
		if (n < 4 || n > 4 + 763)
			return -EINVAL;
		unsigned cls = v[2] & 7u, num = v[3];
		if (cls < 3 || cls > 6 || num > 99)
			return -EINVAL;
		m->has_error = true;
		m->error_code = (uint16_t)(cls * 100 + num);
		m->reason = v + 4;
		m->reason_len = n - 4;
		return 0;
	}
	case STUN_A_MAPPED_ADDRESS:
	case STUN_A_SOFTWARE:
	case STUN_A_REALM:
	case STUN_A_NONCE:
	case STUN_A_UNKNOWN_ATTRIBUTES:
		return 0; /* understood, not needed */
	default:
		if (type < 0x8000u)
			m->unknown_required++;
		return 0;
	}
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len > STUN_MAX_MESSAGE)
		return -E2BIG;
	if (!stun_is_message(buf, len))
		return -EINVAL;
	m->type = rd16(buf);
	m->cls = m->type & STUN_CLASS_MASK;
	m->method = m->type & (uint16_t)~STUN_CLASS_MASK;
	memcpy(m->tid, buf + 8, 12);
	m->len = len;

	size_t off = STUN_HEADER;
	unsigned count = 0;
	while (off < len) {
		if (++count > STUN_MAX_ATTRS)
			return -E2BIG;
		if (len - off < 4)
			return -EINVAL;
		uint16_t type = rd16(buf + off);
		size_t n = rd16(buf + off + 2), padded = (n + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return -EINVAL;
		if (m->fingerprint_at)
			return -EINVAL; /* FINGERPRINT is the last attribute */
		if (m->integrity_at && type != STUN_A_FINGERPRINT)
			return -EINVAL; /* only FINGERPRINT may follow MESSAGE-INTEGRITY */
		const uint8_t *v = buf + off + 4;
		if (type == STUN_A_MESSAGE_INTEGRITY) {
			if (n != STUN_HMAC_LEN)
				return -EINVAL;
			m->integrity_at = off;
		} else if (type == STUN_A_FINGERPRINT) {
			if (n != 4)
				return -EINVAL;
			m->fingerprint_at = off;
		} else if (parse_attr(buf, m, type, v, n)) {
			return -EINVAL;
		}
		off += 4 + padded;
	}
	return 0;
}

static uint32_t fingerprint_of(const uint8_t *buf, size_t upto)
{
	/* the header's length already covers the FINGERPRINT attribute */
	return (uint32_t)crc32(0L, buf, (uInt)upto) ^ FINGERPRINT_XOR;
}

bool stun_check_fingerprint(const uint8_t *buf, const struct stun_msg *m)
{
	if (!m->fingerprint_at || m->fingerprint_at + 8 != m->len)
		return false;
	/* the message length in the header must end right after FINGERPRINT,
	 * which holds for a parsed message (FINGERPRINT is last) */
	return rd32(buf + m->fingerprint_at + 4) == fingerprint_of(buf, m->fingerprint_at);
}

/* HMAC-SHA1 over buf[0..at) with the header's length set to end after a
 * MESSAGE-INTEGRITY at @at (RFC 8489 14.5). */
static bool hmac_upto(const uint8_t *buf, size_t at, const uint8_t *key, size_t key_len,
		      uint8_t out[STUN_HMAC_LEN])
{
	uint8_t tmp[STUN_MAX_MESSAGE];
	unsigned int olen = 0;

	if (at < STUN_HEADER || at > sizeof(tmp) || key_len > 1024)
		return false;
	memcpy(tmp, buf, at);
	wr16(tmp + 2, (uint16_t)(at + 4 + STUN_HMAC_LEN - STUN_HEADER));
	return HMAC(EVP_sha1(), key, (int)key_len, tmp, at, out, &olen) && olen == STUN_HMAC_LEN;
}

bool stun_check_integrity(const uint8_t *buf, const struct stun_msg *m, const uint8_t *key,
			  size_t key_len)
{
	uint8_t mac[STUN_HMAC_LEN];

	if (!m->integrity_at || m->integrity_at + 4 + STUN_HMAC_LEN > m->len)
		return false;
	if (!hmac_upto(buf, m->integrity_at, key, key_len, mac))
		return false;
	return CRYPTO_memcmp(mac, buf + m->integrity_at + 4, STUN_HMAC_LEN) == 0;
}

/* ---- writer ---- */

static void set_len(struct stun_writer *w)
{
	wr16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER));
}

void stun_w_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
		 const uint8_t tid[12])
{
	w->buf = buf;
	w->cap = cap > STUN_MAX_MESSAGE ? STUN_MAX_MESSAGE : cap;
	w->len = 0;
	w->err = 0;
	if (w->cap < STUN_HEADER) {
		w->err = -ENOSPC;
		return;
	}
	wr16(buf, type & 0x3fffu);
	wr16(buf + 2, 0);
	wr32(buf + 4, STUN_MAGIC);
	memcpy(buf + 8, tid, 12);
	w->len = STUN_HEADER;
}

void stun_w_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (w->err)
		return;
	if (len > 0xffff || padded + 4 > w->cap - w->len) {
		w->err = -ENOSPC;
		return;
	}
	uint8_t *p = w->buf + w->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)len);
	if (len)
		memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, padded - len);
	w->len += 4 + padded;
	set_len(w);
}

void stun_w_u32(struct stun_writer *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	stun_w_attr(w, type, b, 4);
}

void stun_w_u64(struct stun_writer *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	wr32(b, (uint32_t)(v >> 32));
	wr32(b + 4, (uint32_t)v);
	stun_w_attr(w, type, b, 8);
}

void stun_w_xor_addr(struct stun_writer *w, const struct sockaddr *sa)
{
	uint8_t v[20] = { 0 };

	if (w->err)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		v[1] = 0x01;
		wr16(v + 2, (uint16_t)(ntohs(s->sin_port) ^ (STUN_MAGIC >> 16)));
		wr32(v + 4, ntohl(s->sin_addr.s_addr) ^ STUN_MAGIC);
		stun_w_attr(w, STUN_A_XOR_MAPPED_ADDRESS, v, 8);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		v[1] = 0x02;
		wr16(v + 2, (uint16_t)(ntohs(s->sin6_port) ^ (STUN_MAGIC >> 16)));
		for (unsigned i = 0; i < 16; i++)
			v[4 + i] = s->sin6_addr.s6_addr[i] ^ w->buf[4 + i];
		stun_w_attr(w, STUN_A_XOR_MAPPED_ADDRESS, v, 20);
	} else {
		w->err = -EINVAL;
	}
}

void stun_w_error(struct stun_writer *w, unsigned code, const char *reason)
{
	uint8_t v[4 + 128] = { 0 };
	size_t n = reason ? strlen(reason) : 0;

	if (code < 300 || code > 699 || n > 128) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	if (n)
		memcpy(v + 4, reason, n);
	stun_w_attr(w, STUN_A_ERROR_CODE, v, 4 + n);
}

void stun_w_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len)
{
	uint8_t mac[STUN_HMAC_LEN];

	if (w->err)
		return;
	if (!hmac_upto(w->buf, w->len, key, key_len, mac)) {
		w->err = -EINVAL;
		return;
	}
	stun_w_attr(w, STUN_A_MESSAGE_INTEGRITY, mac, STUN_HMAC_LEN);
}

void stun_w_fingerprint(struct stun_writer *w)
{
	uint8_t v[4];

	if (w->err)
		return;
	if (8 > w->cap - w->len) {
		w->err = -ENOSPC;
		return;
	}
	/* the length covers FINGERPRINT before the CRC is taken */
	size_t at = w->len;
	w->len += 8;
	set_len(w);
	w->len = at;
	wr32(v, fingerprint_of(w->buf, at));
	stun_w_attr(w, STUN_A_FINGERPRINT, v, 4);
}

int stun_w_finish(const struct stun_writer *w)
{
	return w->err ? w->err : (int)w->len;
}
