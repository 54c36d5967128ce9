/* fuzz_config.c: the config parser (INI text through libinih into our key
 * table) must never crash, whatever the file holds; errors are fine. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtprelay_config c;
	char err[512];
	char *text;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&c);
	if (config_parse_string(&c, text, err, sizeof(err)) == 0)
		(void)config_finish(&c, err, sizeof(err));
	free(text);
	return 0;
}
