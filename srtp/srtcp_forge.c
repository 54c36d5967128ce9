/*
 * srtcp_forge.c: an empty SRTCP packet with a chosen index (srtcp_forge.h),
 * written from RFC 3711 (key derivation 4.3.1 with a key derivation rate of
 * 0, packet 3.4, HMAC-SHA1 4.2.1) and RFC 7714 (AEAD IV 9.1, AAD 9.2, key
 * derivation 11).
 */
#include "srtp/srtcp_forge.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

/* Key derivation labels of SRTCP (RFC 3711 4.3.2). */
enum { LABEL_RTCP_ENC = 3, LABEL_RTCP_AUTH = 4, LABEL_RTCP_SALT = 5 };

/* RFC 3711 4.3.1 with r = 0: x = label (7 bytes from the right end of the
 * 112-bit salt) XOR master salt, the AES-CM keystream under the master key
 * from IV x * 2^16 is the session key. As libsrtp 2.5 does it, which is
 * what has to accept the packet: master key and salt are laid out in 30
 * bytes (AES-128 key, 112-bit salt) or, when longer, 46 (AES-256 key,
 * 112-bit salt), zero-padded on the right; so a 96-bit GCM salt ends in
 * zero bits (RFC 7714 11) and an AES-192 key derives under AES-256 with
 * the first 8 salt bytes in its key. */
static int kdf(const uint8_t *master, size_t master_len, uint8_t label, uint8_t *out,
	       size_t out_len)
{
	uint8_t tmp[46] = { 0 }, iv[16] = { 0 }, zero[32] = { 0 };
	size_t key_len = master_len > 30 ? 32 : 16;
	int n = 0, ok;

	if (master_len > sizeof(tmp) || out_len > sizeof(zero))
		return -EINVAL;
	memcpy(tmp, master, master_len);
	memcpy(iv, tmp + key_len, 14);
	iv[7] ^= label;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	ok = EVP_EncryptInit_ex(ctx, key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(), NULL,
				tmp, iv) &&
	     EVP_EncryptUpdate(ctx, out, &n, zero, (int)out_len) && n == (int)out_len;
	EVP_CIPHER_CTX_free(ctx);
	memset(tmp, 0, sizeof(tmp));
	return ok ? 0 : -EIO;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* HMAC-SHA1 tag (80 bits: every suite's SRTCP tag, RFC 4568 6.2). */
static int hmac_tag(const uint8_t *key, const uint8_t *msg, size_t len, uint8_t tag[10])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t md_len = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, 20, msg, len, md, sizeof(md),
		       &md_len) ||
	    md_len < 10)
		return -EIO;
	memcpy(tag, md, 10);
	return 0;
}

/* AES-GCM over no plaintext: only the 16-byte tag over @aad. */
static int gcm_tag(const uint8_t *key, size_t key_len, const uint8_t iv[12], const uint8_t *aad,
		   size_t aad_len, uint8_t tag[16])
{
	const EVP_CIPHER *c = key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	uint8_t none[16];
	int n = 0, ok;

	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	ok = EVP_EncryptInit_ex(ctx, c, NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) &&
	     EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) &&
	     EVP_EncryptFinal_ex(ctx, none, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int srtcp_forge(enum sr_suite s, const struct sr_key *k, uint32_t ssrc, uint32_t index,
		uint8_t *out, size_t cap, size_t *len)
{
	size_t key_len = sr_key_len(s), mlen = sr_master_len(s);
	bool aead = sr_suite_aead(s);
	bool null_cipher = s == SR_NULL_HMAC_SHA1_80 || s == SR_NULL_HMAC_SHA1_32;
	bool encrypted = !null_cipher && !(k->params & SR_UNENCRYPTED_SRTCP);
	size_t tag_len = aead ? 16 : 10;
	size_t n = 8 + 4 + tag_len + k->mki_len;
	uint8_t word[4], sk[32], salt[14];
	int rc;

	if (!key_len || index == 0 || index > 0x7fffffff || k->mki_len > SR_MAX_MKI || cap < n)
		return -EINVAL;
	/* RTCP receiver report, no report blocks: V=2, PT 201, length 1 */
	out[0] = 0x80;
	out[1] = 201;
	out[2] = 0;
	out[3] = 1;
	be32(out + 4, ssrc);
	be32(word, index | (encrypted ? 0x80000000u : 0));
	if (!aead) {
		/* header | E+index | MKI | tag (HMAC over header and E+index) */
		uint8_t ak[20];
		memcpy(out + 8, word, 4);
		memcpy(out + 12, k->mki, k->mki_len);
		rc = kdf(k->master, mlen, LABEL_RTCP_AUTH, ak, sizeof(ak));
		if (!rc)
			rc = hmac_tag(ak, out, 12, out + 12 + k->mki_len);
		memset(ak, 0, sizeof(ak));
	} else {
		/* header | tag | E+index | MKI; IV = (00 00 SSRC 00 00 index)
		 * XOR session salt, AAD = header and E+index */
		uint8_t iv[12] = { 0 }, aad[12];
		rc = kdf(k->master, mlen, LABEL_RTCP_ENC, sk, key_len);
		if (!rc)
			rc = kdf(k->master, mlen, LABEL_RTCP_SALT, salt, 12);
		be32(iv + 2, ssrc);
		be32(iv + 8, index);
		for (int i = 0; i < 12; i++)
			iv[i] ^= salt[i];
		memcpy(aad, out, 8);
		memcpy(aad + 8, word, 4);
		if (!rc)
			rc = gcm_tag(sk, key_len, iv, aad, sizeof(aad), out + 8);
		memcpy(out + 24, word, 4);
		memcpy(out + 28, k->mki, k->mki_len);
		memset(sk, 0, sizeof(sk));
	}
	if (rc)
		return rc;
	*len = n;
	return 0;
}
