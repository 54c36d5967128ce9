/*
 * check.c: httpd_check, the listener's judgement of a request line and its
 * credentials (see httpd.h). Pure: no state, no I/O, so the fuzzer and the
 * unit tests call it directly.
 */
#include <string.h>
#include <strings.h>

#include "http/httpd.h"

/* Equal strings, in time that depends on the lengths only. */
static bool token_eq(const char *given, const char *want)
{
	size_t lg = strnlen(given, HTTPD_TOKEN_MAX + 1), lw = strlen(want);
	unsigned char diff = lg != lw;

	for (size_t i = 0; i < lw; i++)
		diff |= (unsigned char)(want[i] ^ (i < lg ? given[i] : 0));
	return diff == 0;
}

unsigned httpd_check(const char *method, const char *url, const char *auth, const char *qtoken,
		     const char *token)
{
	if (!method || !url)
		return 400;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return 405;
	if (url[0] != '/' || strnlen(url, HTTPD_PATH_MAX + 1) > HTTPD_PATH_MAX)
		return 404;
	if (!token || !token[0])
		return 0;
	/* "Bearer" is case-insensitive (RFC 6750 refers to RFC 7235's scheme) */
	if (auth && !strncasecmp(auth, "Bearer ", 7) && token_eq(auth + 7, token))
		return 0;
	if (qtoken && token_eq(qtoken, token))
		return 0;
	return 401;
}
