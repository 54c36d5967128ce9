/*
 * srtp_openssl.c: libsrtp2 cipher and auth types over OpenSSL 3 (see
 * srtp_openssl.h). Each type follows the contract libsrtp's srtp.c and its
 * self-test hold a type to:
 *
 *  - AES-ICM (RFC 3711 4.1.1): alloc gets key+salt length (30/38/46), init
 *    key followed by the 14-byte salt, set_iv a 16-byte block that is XORed
 *    with the salt (its last two bytes zero) into the first counter block;
 *    encrypt and decrypt XOR the keystream in place. OpenSSL's CTR mode
 *    increments the whole block where RFC 3711 counts in the low 16 bits:
 *    the same as long as a call stays below 2^16 blocks, which is checked.
 *  - AES-GCM (RFC 7714): alloc gets key+salt length (28/44) and the tag
 *    length, init the key, set_iv the 12-byte IV and the direction,
 *    set_aad may come more than once (SRTCP adds its index), encrypt
 *    leaves the tag to get_tag; decrypt gets ciphertext and tag and fails
 *    with auth_fail when the tag does not verify.
 *  - HMAC-SHA1 (RFC 2104): init with the key leaves the state ready for
 *    data, start resets it, update absorbs, compute absorbs its own bytes
 *    and writes the first tag_len bytes of the MAC.
 *
 * Per packet nothing is allocated and nothing locks: a GCM EVP context is
 * made at alloc and keyed at init (a new IV only re-arms it); an ICM one
 * is made and keyed at the cipher's first IV (the first packet it
 * encrypts), after which a new IV only re-arms it. The HMAC keeps the SHA-1
 * chaining values after absorbing key^ipad and key^opad and resumes from
 * them per packet. OpenSSL 3.0's EVP digest and MAC contexts cannot be
 * reset or copied without allocating a provider context (measured: two
 * allocations per MAC), so the HMAC runs on the SHA1_* functions,
 * deprecated in 3.0 but the same SHA-1 block code.
 *
 * Memory and caches: a libsrtp session holds an RTP and an RTCP cipher and
 * MAC, and an endpoint uses one of the two kinds (its RTP or its RTCP
 * port), so the ICM's EVP context and OpenSSL's key schedule behind it
 * (about 630 bytes) are only made for a cipher that encrypts. Each cipher
 * and MAC is one cache-line-aligned allocation holding libsrtp's header
 * and its state side by side: a packet touches two lines of the MAC (its
 * chaining values beside the hash in progress) and one of the cipher
 * before OpenSSL's context (docs/architecture.md, SRTP).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init/Update/Final, see above */

#include "srtp/srtp_openssl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>

#define SALT_ICM  14		    /* RFC 3711 master salt */
#define SALT_GCM  12		    /* RFC 7714 master salt */
#define ICM_LIMIT (0xffffu * 16u)   /* bytes one IV may encrypt (16-bit block counter) */
#define SHA1_BLOCK 64
#define CACHE_LINE 64

/* The EVP ciphers, fetched once at registration (none per key). */
static EVP_CIPHER *evp_ctr[3], *evp_gcm[2]; /* 128, 192, 256 / 128, 256 */

/* The blocks sessions of this thread allocate while a capture is open. */
static _Thread_local struct sr_openssl_blocks *capture;

void sr_openssl_capture(struct sr_openssl_blocks *b)
{
	if (b)
		memset(b, 0, sizeof(*b));
	capture = b;
}

static void capture_note(const void *block, bool mac)
{
	if (!capture)
		return;
	if (mac && capture->n_mac < 2)
		capture->mac[capture->n_mac++] = block;
	else if (!mac && capture->n_cipher < 2)
		capture->cipher[capture->n_cipher++] = block;
}

/* A block freed while noted (libsrtp's key derivation allocates a cipher
 * and frees it inside the session's creation) is forgotten. */
static void capture_forget(const void *block)
{
	for (unsigned i = 0; capture && i < 2; i++) {
		if (capture->cipher[i] == block)
			capture->cipher[i] = NULL;
		if (capture->mac[i] == block)
			capture->mac[i] = NULL;
	}
}

/* A zeroed allocation of @size starting on a cache line, freed by free(). */
static void *line_alloc(size_t size)
{
	size_t n = (size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
	void *p = aligned_alloc(CACHE_LINE, n);

	if (p)
		memset(p, 0, n);
	return p;
}

/* ---- AES-ICM over EVP AES-CTR ---------------------------------------- */

struct icm {
	EVP_CIPHER_CTX *ctx; /* NULL until the first IV */
	int key_size;
	bool pending;	  /* key[] is still to be given to ctx (at the next IV) */
	uint8_t salt[16]; /* 14 salt bytes, the last two zero */
	uint8_t key[32];  /* the AES key while pending, zero after */
};

struct icm_cipher { /* one allocation: what libsrtp sees and the state */
	srtp_cipher_t c;
	struct icm s;
};

static const srtp_cipher_type_t icm_types[3];

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	int i;

	(void)tag_len;
	switch (key_len) {
	case 16 + SALT_ICM:
		i = 0;
		break;
	case 24 + SALT_ICM:
		i = 1;
		break;
	case 32 + SALT_ICM:
		i = 2;
		break;
	default:
		return srtp_err_status_bad_param;
	}
	struct icm_cipher *ic = line_alloc(sizeof(*ic));
	if (!ic)
		return srtp_err_status_alloc_fail;
	ic->s.key_size = key_len - SALT_ICM;
	ic->c.type = &icm_types[i];
	ic->c.algorithm = icm_types[i].id;
	ic->c.key_len = key_len;
	ic->c.state = &ic->s;
	*cp = &ic->c;
	capture_note(ic, false);
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c)
{
	struct icm_cipher *ic = (struct icm_cipher *)c;

	if (ic->s.ctx)
		EVP_CIPHER_CTX_free(ic->s.ctx);
	capture_forget(ic);
	OPENSSL_cleanse(ic, sizeof(*ic));
	free(ic);
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *s = state;

	/* kept for the first IV: a cipher that never encrypts (the RTCP
	 * one of an RTP port's session) never gets OpenSSL's state */
	memset(s->salt, 0, sizeof(s->salt));
	memcpy(s->salt, key + s->key_size, SALT_ICM);
	memcpy(s->key, key, (size_t)s->key_size);
	s->pending = true;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm *s = state;
	uint8_t ctr[16];

	(void)dir; /* a keystream is the same both ways */
	for (int i = 0; i < 16; i++)
		ctr[i] = s->salt[i] ^ iv[i];
	if (s->pending) { /* the first IV since init: key the context */
		if (!s->ctx && !(s->ctx = EVP_CIPHER_CTX_new()))
			return srtp_err_status_alloc_fail;
		if (!EVP_EncryptInit_ex(s->ctx, evp_ctr[(s->key_size - 16) / 8], NULL, s->key, ctr))
			return srtp_err_status_init_fail;
		OPENSSL_cleanse(s->key, sizeof(s->key));
		s->pending = false;
		return srtp_err_status_ok;
	}
	if (!s->ctx || !EVP_EncryptInit_ex(s->ctx, NULL, NULL, NULL, ctr))
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm *s = state;
	int out = 0;

	if (*len > ICM_LIMIT)
		return srtp_err_status_terminus;
	if (!s->ctx || s->pending) /* no IV since the key */
		return srtp_err_status_cipher_fail;
	if (*len && (!EVP_EncryptUpdate(s->ctx, buf, &out, buf, (int)*len) || out != (int)*len))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* NIST SP 800-38A F.5.1/F.5.3/F.5.5 (CTR-AES, two blocks): key then the
 * first 14 bytes of the initial counter as the salt; the IV carries the
 * counter's last two bytes. */
static const uint8_t icm_iv[16] = { [14] = 0xfe, [15] = 0xff };
static const uint8_t icm_pt[32] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
	0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
};
#define ICM_SALT                                                                           \
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd
static const uint8_t icm128_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, ICM_SALT,
};
static const uint8_t icm128_ct[32] = {
	0x87, 0x4d, 0x61, 0x91, 0xb6, 0x20, 0xe3, 0x26, 0x1b, 0xef, 0x68, 0x64, 0x99, 0x0d, 0xb6, 0xce,
	0x98, 0x06, 0xf6, 0x6b, 0x79, 0x70, 0xfd, 0xff, 0x86, 0x17, 0x18, 0x7b, 0xb9, 0xff, 0xfd, 0xff,
};
static const uint8_t icm192_key[38] = {
	0x8e, 0x73, 0xb0, 0xf7, 0xda, 0x0e, 0x64, 0x52, 0xc8, 0x10, 0xf3, 0x2b,
	0x80, 0x90, 0x79, 0xe5, 0x62, 0xf8, 0xea, 0xd2, 0x52, 0x2c, 0x6b, 0x7b, ICM_SALT,
};
static const uint8_t icm192_ct[32] = {
	0x1a, 0xbc, 0x93, 0x24, 0x17, 0x52, 0x1c, 0xa2, 0x4f, 0x2b, 0x04, 0x59, 0xfe, 0x7e, 0x6e, 0x0b,
	0x09, 0x03, 0x39, 0xec, 0x0a, 0xa6, 0xfa, 0xef, 0xd5, 0xcc, 0xc2, 0xc6, 0xf4, 0xce, 0x8e, 0x94,
};
static const uint8_t icm256_key[46] = {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
	0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
	ICM_SALT,
};
static const uint8_t icm256_ct[32] = {
	0x60, 0x1e, 0xc3, 0x13, 0x77, 0x57, 0x89, 0xa5, 0xb7, 0xa7, 0xf5, 0x04, 0xbb, 0xf3, 0xd2, 0x28,
	0xf4, 0x43, 0xe3, 0xca, 0x4d, 0x62, 0xb5, 0x9a, 0xca, 0x84, 0xe9, 0x90, 0xca, 0xca, 0xf5, 0xc5,
};
static const srtp_cipher_test_case_t icm_tests[3] = {
	{ 30, icm128_key, (uint8_t *)icm_iv, 32, icm_pt, 32, icm128_ct, 0, NULL, 0, NULL },
	{ 38, icm192_key, (uint8_t *)icm_iv, 32, icm_pt, 32, icm192_ct, 0, NULL, 0, NULL },
	{ 46, icm256_key, (uint8_t *)icm_iv, 32, icm_pt, 32, icm256_ct, 0, NULL, 0, NULL },
};

#define ICM_TYPE(i, desc, type_id)                                                         \
	{ icm_alloc, icm_dealloc, icm_init,  NULL,  icm_crypt,                             \
	  icm_crypt, icm_set_iv,  NULL,	     desc, &icm_tests[i],                          \
	  type_id }
static const srtp_cipher_type_t icm_types[3] = {
	ICM_TYPE(0, "AES-128 ICM over OpenSSL EVP AES-CTR", SRTP_AES_ICM_128),
	ICM_TYPE(1, "AES-192 ICM over OpenSSL EVP AES-CTR", SRTP_AES_ICM_192),
	ICM_TYPE(2, "AES-256 ICM over OpenSSL EVP AES-CTR", SRTP_AES_ICM_256),
};

/* ---- AES-GCM over EVP AES-GCM ---------------------------------------- */

struct gcm {
	EVP_CIPHER_CTX *ctx;
	int key_size;
	int tag_len;
	int enc; /* 1 encrypt, 0 decrypt, -1 no IV yet */
};

struct gcm_cipher {
	srtp_cipher_t c;
	struct gcm s;
};

static const srtp_cipher_type_t gcm_types[2];

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	int i;

	if (key_len == 16 + SALT_GCM)
		i = 0;
	else if (key_len == 32 + SALT_GCM)
		i = 1;
	else
		return srtp_err_status_bad_param;
	if (tag_len != 16 && tag_len != 8)
		return srtp_err_status_bad_param;
	struct gcm_cipher *gc = calloc(1, sizeof(*gc));
	if (!gc)
		return srtp_err_status_alloc_fail;
	gc->s.ctx = EVP_CIPHER_CTX_new();
	if (!gc->s.ctx) {
		free(gc);
		return srtp_err_status_alloc_fail;
	}
	gc->s.key_size = key_len - SALT_GCM;
	gc->s.tag_len = tag_len;
	gc->s.enc = -1;
	gc->c.type = &gcm_types[i];
	gc->c.algorithm = gcm_types[i].id;
	gc->c.key_len = key_len;
	gc->c.state = &gc->s;
	*cp = &gc->c;
	capture_note(gc, false);
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t c)
{
	struct gcm_cipher *gc = (struct gcm_cipher *)c;

	EVP_CIPHER_CTX_free(gc->s.ctx);
	capture_forget(gc);
	OPENSSL_cleanse(gc, sizeof(*gc));
	free(gc);
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
	struct gcm *s = state;

	s->enc = -1;
	if (!EVP_CipherInit_ex(s->ctx, evp_gcm[s->key_size == 32], NULL, key, NULL, 1))
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm *s = state;

	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	s->enc = dir == srtp_direction_encrypt;
	/* the key schedule stays; the 12-byte IV (GCM's default) re-arms it */
	if (!EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, s->enc))
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct gcm *s = state;
	int out;

	if (s->enc < 0 || len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (len && !EVP_CipherUpdate(s->ctx, NULL, &out, aad, (int)len))
		return srtp_err_status_algo_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *s = state;
	int out = 0;

	if (s->enc != 1 || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (*len && (!EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)*len) || out != (int)*len))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm *s = state;
	uint8_t none[16];
	int out = 0;

	if (s->enc != 1)
		return srtp_err_status_bad_param;
	if (!EVP_CipherFinal_ex(s->ctx, none, &out) ||
	    !EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag))
		return srtp_err_status_algo_fail;
	*len = (uint32_t)s->tag_len;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *s = state;
	uint8_t none[16];
	int out = 0;

	if (s->enc != 0 || *len < (unsigned)s->tag_len || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	int n = (int)*len - s->tag_len;
	if (!EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len, buf + n))
		return srtp_err_status_auth_fail;
	if (n && (!EVP_CipherUpdate(s->ctx, buf, &out, buf, n) || out != n))
		return srtp_err_status_cipher_fail;
	if (!EVP_CipherFinal_ex(s->ctx, none, &out))
		return srtp_err_status_auth_fail; /* the tag did not verify */
	*len = (unsigned)n;
	return srtp_err_status_ok;
}

/* The GCM spec's test cases 4 (AES-128) and 16 (AES-256): 60 bytes of
 * plaintext, 20 of AAD, 16-byte tag. The key field carries key+salt length
 * as libsrtp allocates it; the salt bytes are not used by the cipher. */
static const uint8_t gcm_iv[12] = { 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
				    0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
static const uint8_t gcm_aad[20] = { 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
				     0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2 };
static const uint8_t gcm_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
	0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
	0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
	0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
#define GCM_K16 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08
static const uint8_t gcm128_key[28] = { GCM_K16 };
static const uint8_t gcm256_key[44] = { GCM_K16, GCM_K16 };
static const uint8_t gcm128_ct[76] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4,
	0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac,
	0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac,
	0x84, 0xaa, 0x05, 0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const uint8_t gcm256_ct[76] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42,
	0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55,
	0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56,
	0x82, 0x88, 0x38, 0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b,
};
static const srtp_cipher_test_case_t gcm_tests[2] = {
	{ 28, gcm128_key, (uint8_t *)gcm_iv, 60, gcm_pt, 76, gcm128_ct, 20, gcm_aad, 16, NULL },
	{ 44, gcm256_key, (uint8_t *)gcm_iv, 60, gcm_pt, 76, gcm256_ct, 20, gcm_aad, 16, NULL },
};

#define GCM_TYPE(i, desc, type_id)                                                         \
	{ gcm_alloc,   gcm_dealloc, gcm_init, gcm_set_aad,   gcm_encrypt,                  \
	  gcm_decrypt, gcm_set_iv,  gcm_get_tag, desc, &gcm_tests[i],                     \
	  type_id }
static const srtp_cipher_type_t gcm_types[2] = {
	GCM_TYPE(0, "AES-128 GCM over OpenSSL EVP", SRTP_AES_GCM_128),
	GCM_TYPE(1, "AES-256 GCM over OpenSSL EVP", SRTP_AES_GCM_256),
};

/* ---- HMAC-SHA1 over precomputed SHA-1 states ------------------------- */

struct hmac {
	SHA_CTX work;	     /* the packet's hash in progress */
	SHA_LONG inner[5];   /* SHA-1 chaining value after key ^ ipad */
	SHA_LONG outer[5];   /* SHA-1 chaining value after key ^ opad */
};

/* @c as SHA-1 is after one whole block that left chaining value @h (the
 * block buffer empty): what SHA1_Init and a 64-byte SHA1_Update leave. */
static void sha1_resume(SHA_CTX *c, const SHA_LONG h[5])
{
	c->h0 = h[0];
	c->h1 = h[1];
	c->h2 = h[2];
	c->h3 = h[3];
	c->h4 = h[4];
	c->Nl = SHA1_BLOCK * 8;
	c->Nh = 0;
	c->num = 0;
}

static void sha1_chain(const SHA_CTX *c, SHA_LONG h[5])
{
	h[0] = c->h0;
	h[1] = c->h1;
	h[2] = c->h2;
	h[3] = c->h3;
	h[4] = c->h4;
}

struct hmac_auth {
	srtp_auth_t a;
	struct hmac s;
};

static const srtp_auth_type_t hmac_type;

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	/* keys up to one block (SRTP's are 20 bytes); a longer one would
	 * have to be hashed first, which SRTP never needs */
	if (key_len < 0 || key_len > SHA1_BLOCK || out_len < 0 || out_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	struct hmac_auth *ha = line_alloc(sizeof(*ha));
	if (!ha)
		return srtp_err_status_alloc_fail;
	ha->a.type = &hmac_type;
	ha->a.state = &ha->s;
	ha->a.out_len = out_len;
	ha->a.key_len = key_len;
	ha->a.prefix_len = 0;
	*ap = &ha->a;
	capture_note(ha, true);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a)
{
	capture_forget(a);
	OPENSSL_cleanse(a, sizeof(struct hmac_auth));
	free(a);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac *s = state;
	uint8_t pad[SHA1_BLOCK];

	if (key_len < 0 || key_len > SHA1_BLOCK)
		return srtp_err_status_bad_param;
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	if (!SHA1_Init(&s->work) || !SHA1_Update(&s->work, pad, sizeof(pad)))
		return srtp_err_status_init_fail;
	sha1_chain(&s->work, s->inner);
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	if (!SHA1_Init(&s->work) || !SHA1_Update(&s->work, pad, sizeof(pad)))
		return srtp_err_status_init_fail;
	sha1_chain(&s->work, s->outer);
	OPENSSL_cleanse(pad, sizeof(pad));
	sha1_resume(&s->work, s->inner);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_start(void *state)
{
	struct hmac *s = state;

	sha1_resume(&s->work, s->inner);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac *s = state;

	if (len < 0)
		return srtp_err_status_bad_param;
	SHA1_Update(&s->work, buf, (size_t)len);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
				      uint8_t *tag)
{
	struct hmac *s = state;
	uint8_t h[SHA_DIGEST_LENGTH];

	if (len < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	SHA1_Update(&s->work, buf, (size_t)len);
	SHA1_Final(h, &s->work);
	sha1_resume(&s->work, s->outer);
	SHA1_Update(&s->work, h, sizeof(h));
	SHA1_Final(h, &s->work);
	memcpy(tag, h, (size_t)tag_len);
	sha1_resume(&s->work, s->inner); /* ready for the next message */
	return srtp_err_status_ok;
}

/* RFC 2202 test case 1. */
static const uint8_t hmac_key[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
static const uint8_t hmac_data[8] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const uint8_t hmac_tag[20] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
				      0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
				      0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
static const srtp_auth_test_case_t hmac_test = { 20, hmac_key, 8, hmac_data, 20, hmac_tag, NULL };

static const srtp_auth_type_t hmac_type = {
	hmac_alloc,  hmac_dealloc, hmac_init,	       hmac_compute, hmac_update,
	hmac_start,  "HMAC-SHA1 over OpenSSL SHA-1", &hmac_test,  SRTP_HMAC_SHA1,
};

/* ---- registration ---------------------------------------------------- */

int sr_openssl_register(void)
{
	static const char *const ctr[3] = { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" };
	static const char *const gcm[2] = { "AES-128-GCM", "AES-256-GCM" };
	int rc = 0;

	for (int i = 0; i < 3; i++)
		if (!evp_ctr[i] && !(evp_ctr[i] = EVP_CIPHER_fetch(NULL, ctr[i], NULL)))
			return -1;
	for (int i = 0; i < 2; i++)
		if (!evp_gcm[i] && !(evp_gcm[i] = EVP_CIPHER_fetch(NULL, gcm[i], NULL)))
			return -1;
	for (int i = 0; i < 3; i++)
		if (srtp_replace_cipher_type(&icm_types[i], icm_types[i].id) != srtp_err_status_ok)
			rc = -1;
	for (int i = 0; i < 2; i++)
		if (srtp_replace_cipher_type(&gcm_types[i], gcm_types[i].id) != srtp_err_status_ok)
			rc = -1;
	if (srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1) != srtp_err_status_ok)
		rc = -1;
	return rc;
}
