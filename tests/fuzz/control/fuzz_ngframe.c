/* fuzz_ngframe.c: stream framing of ng messages (TCP/unix): the scanner must
 * stay inside the buffer and return a length within it, whatever arrives. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "control/ngframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t skip = 0;
	long n = ng_frame_len(data, size, 4096, &skip);

	if (skip > size || (n > 0 && (size_t)n > size - skip) || n > 4096)
		abort();
	return 0;
}
