/*
 * fuzz_http.c: libFuzzer target for what the HTTP listener and the status
 * documents do with outside bytes: httpd_check on a method, URL,
 * Authorization header and token argument cut from the input (each NUL
 * terminated, as libmicrohttpd hands them over), and strbuf_json_str /
 * strbuf_prom_label on the whole input (call-ids and tags reach the status
 * JSON as they came in over ng). The JSON string must stay valid UTF-8 with
 * no raw control character; the check must answer one of its statuses.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/httpd.h"
#include "lib/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next piece of @data up to a 0x01 byte, NUL terminated in @out. */
static const char *piece(const uint8_t **data, size_t *size, char *out, size_t cap)
{
	size_t n = 0;

	while (*size && **data != 0x01 && n + 1 < cap) {
		out[n++] = (char)(**data ? **data : 'x');
		(*data)++, (*size)--;
	}
	if (*size)
		(*data)++, (*size)--;
	out[n] = '\0';
	return out;
}

static void check_json(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		__builtin_trap();
	for (size_t i = 1; i + 1 < len; i++) {
		if (u[i] < 0x20)
			__builtin_trap();
		if (u[i] == '\\') {
			i++; /* an escape: the next byte is not a closing quote */
			continue;
		}
		if (u[i] == '"')
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char method[16], url[256], auth[256], qtok[256], tok[64];
	const uint8_t *p = data;
	size_t left = size;
	char *s = malloc(size + 1);
	struct strbuf b;
	size_t len;
	unsigned st;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	strbuf_init(&b, 16 * size + 64);
	strbuf_json_str(&b, s);
	char *j = strbuf_take(&b, &len);
	if (!j)
		__builtin_trap();
	check_json(j, len);
	free(j);
	strbuf_init(&b, 4 * size + 64);
	strbuf_prom_label(&b, s);
	j = strbuf_take(&b, &len);
	if (!j || memchr(j, '\n', len))
		__builtin_trap();
	free(j);
	free(s);

	piece(&p, &left, method, sizeof(method));
	piece(&p, &left, url, sizeof(url));
	piece(&p, &left, auth, sizeof(auth));
	piece(&p, &left, qtok, sizeof(qtok));
	piece(&p, &left, tok, sizeof(tok));
	st = httpd_check(method, url, auth[0] ? auth : NULL, qtok[0] ? qtok : NULL, tok);
	if (st != 0 && st != 400 && st != 401 && st != 404 && st != 405)
		__builtin_trap();
	/* without a token configured nothing is refused for credentials */
	if (!tok[0] && st == 401)
		__builtin_trap();
	return 0;
}
