/*
 * sr_suite.c: the SRTP suites' names and lengths (see sr_suite.h).
 */
#include "srtp/sr_suite.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	uint8_t key, salt;
	bool aead;
} suites[SR_N_SUITES] = {
	[SR_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", 16, 14, false },
	[SR_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", 16, 14, false },
	[SR_AES_192_CM_HMAC_SHA1_80] = { "AES_192_CM_HMAC_SHA1_80", 24, 14, false },
	[SR_AES_192_CM_HMAC_SHA1_32] = { "AES_192_CM_HMAC_SHA1_32", 24, 14, false },
	[SR_AES_256_CM_HMAC_SHA1_80] = { "AES_256_CM_HMAC_SHA1_80", 32, 14, false },
	[SR_AES_256_CM_HMAC_SHA1_32] = { "AES_256_CM_HMAC_SHA1_32", 32, 14, false },
	[SR_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", 16, 12, true },
	[SR_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", 32, 12, true },
	[SR_NULL_HMAC_SHA1_80] = { "NULL_HMAC_SHA1_80", 16, 14, false },
	[SR_NULL_HMAC_SHA1_32] = { "NULL_HMAC_SHA1_32", 16, 14, false },
};

bool sr_suite_ok(enum sr_suite s)
{
	return s > SR_SUITE_NONE && s < SR_N_SUITES;
}

const char *sr_suite_name(enum sr_suite s)
{
	return sr_suite_ok(s) ? suites[s].name : NULL;
}

enum sr_suite sr_suite_by_name(const char *s, size_t len)
{
	for (int i = 1; i < SR_N_SUITES; i++)
		if (strlen(suites[i].name) == len && !strncasecmp(s, suites[i].name, len))
			return (enum sr_suite)i;
	return SR_SUITE_NONE;
}

size_t sr_key_len(enum sr_suite s)
{
	return sr_suite_ok(s) ? suites[s].key : 0;
}

size_t sr_salt_len(enum sr_suite s)
{
	return sr_suite_ok(s) ? suites[s].salt : 0;
}

bool sr_suite_aead(enum sr_suite s)
{
	return sr_suite_ok(s) && suites[s].aead;
}
