/*
 * fuzz_fingerprint.c: libFuzzer target for the a=fingerprint and a=setup
 * parsers of the DTLS module (dtls/dtls.h).
 *
 * Properties checked (abort() on violation):
 *  1. dtls_fingerprint_parse never reads past the input; a refusal has a
 *     reason; an accepted value has exactly its hash's length;
 *  2. it prints, and the print parses back to the same hash and bytes;
 *  3. dtls_setup_parse accepts only the four RFC 4145 names (trailing blanks
 *     allowed);
 *  4. dtls_records_ok (the data plane's framing check of a DTLS datagram)
 *     never reads past the datagram, and accepts a classic record sequence
 *     only if its lengths add up to the datagram exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned lens[] = { 20, 28, 32, 48, 64 };
	struct dtls_fingerprint fp, back;
	const char *why = NULL, *s = (const char *)data;
	char buf[256];
	enum dtls_setup st;

	uint8_t *dg = malloc(size ? size : 1); /* exact size: ASan sees an overread */
	if (dg) {
		memcpy(dg, data, size);
		if (dtls_records_ok(dg, size) && !(dg[0] >= 0x20 && dg[0] <= 0x3f)) {
			size_t off = 0;
			while (off + 13 <= size)
				off += 13 + (((size_t)dg[off + 11] << 8) | dg[off + 12]);
			if (off != size)
				abort();
		}
		free(dg);
	}
	if (dtls_fingerprint_parse(s, size, &fp, &why) == 0) {
		if (fp.len != lens[fp.hash])
			abort();
		int n = dtls_fingerprint_print(&fp, buf, sizeof(buf));
		if (n <= 0 || dtls_fingerprint_parse(buf, (size_t)n, &back, &why) != 0 ||
		    back.hash != fp.hash || back.len != fp.len || memcmp(back.md, fp.md, fp.len))
			abort();
	} else if (!why) {
		abort();
	}
	size_t trimmed = size;
	while (trimmed && (s[trimmed - 1] == ' ' || s[trimmed - 1] == '\t'))
		trimmed--;
	if (dtls_setup_parse(s, size, &st) == 0 &&
	    (st < DTLS_SETUP_ACTPASS || st > DTLS_SETUP_HOLDCONN || trimmed > 8 ||
	     trimmed != strlen(dtls_setup_name(st))))
		abort();
	return 0;
}
