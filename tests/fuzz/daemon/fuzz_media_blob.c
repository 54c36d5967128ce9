/* fuzz_media_blob.c: media bytes from a play media or moh `blob` (and their
 * base64, `blob64`) go through libsndfile's virtual I/O from memory
 * (daemon/media_decode.c): whatever they hold, the decoder returns media or
 * a reason, never crashes or reads outside the bytes. The first byte picks
 * raw or base64. */
#include <stddef.h>
#include <stdint.h>

#include "daemon/media_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err = NULL;
	struct dp_media *m;

	if (size < 1)
		return 0;
	m = media_decode_blob(data + 1, size - 1, data[0] & 1, &err);
	if (!m && !err)
		__builtin_trap(); /* a failure always says why */
	dp_media_unref(m);
	return 0;
}
