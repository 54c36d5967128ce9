/*
 * fuzz_ngjson.c: ngjson_decode on arbitrary bytes. A decoded tree must encode,
 * and its encoding must decode again to a tree with the same encoding (the
 * first pass may normalise: null -> "", true -> 1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/ngjson.h"

#define OUT_CAP (4 * NG_MAX_MESSAGE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char e1[OUT_CAP], e2[OUT_CAP];
	struct arena *a = arena_new(0);
	struct ng_node *n, *m;
	long l1, l2;

	if (!a)
		return 0;
	arena_set_cap(a, 64 * 1024 * 1024);
	if (ngjson_decode(a, data, size, &n, NULL) == 0) {
		l1 = ngjson_encode(n, e1, sizeof(e1));
		if (l1 < 0)
			abort();	/* everything JSON gave us is UTF-8 */
		if (ngjson_decode(a, (const uint8_t *)e1, (size_t)l1, &m, NULL) != 0)
			abort();
		l2 = ngjson_encode(m, e2, sizeof(e2));
		if (l2 != l1 || memcmp(e1, e2, (size_t)l1) != 0)
			abort();
	}
	arena_free(a);
	return 0;
}
