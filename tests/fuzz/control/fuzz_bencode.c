/*
 * fuzz_bencode.c: bencode_decode on arbitrary bytes. The decoder accepts only
 * canonical bencode, so whatever decodes must re-encode to exactly the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/bencode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	struct ng_node *n;
	char *out;
	long len;

	if (!a)
		return 0;
	arena_set_cap(a, 64 * 1024 * 1024);
	if (bencode_decode(a, data, size, &n, NULL) == 0) {
		out = malloc(size + 1);
		if (!out)
			abort();
		len = bencode_encode(n, out, size);
		if (len != (long)size || memcmp(out, data, size) != 0)
			abort();	/* round trip broken */
		if (size > 0 && bencode_encode(n, out, size - 1) != -ENOSPC)
			abort();
		free(out);
	}
	arena_free(a);
	return 0;
}
