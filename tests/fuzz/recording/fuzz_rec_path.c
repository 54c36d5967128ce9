/*
 * fuzz_rec_path.c: hostile recording-file, recording-dir, recording-pattern
 * and call-id into rec_path_build. Input: byte 0 says which of file / subdir
 * / pattern are given (bits 0..2); the rest is split at '\n' into file,
 * subdir, pattern and call-id. Whatever it returns must be a path inside
 * /var/rec with no "." or ".." component, and never overrun its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recording/rec_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *field(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	const char *nl = memchr(s, '\n', (size_t)(end - s));

	*len = (size_t)((nl ? nl : end) - s);
	*p = nl ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[REC_PATH_MAX];
	const char *err = NULL;
	struct rec_path_in in = { .dir = "/var/rec", .rand = "0123", .now = 1700000000 };

	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	const char *f = field(&p, end, &in.file_len);
	const char *d = field(&p, end, &in.subdir_len);
	const char *pt = field(&p, end, &in.pattern_len);
	in.call_id = field(&p, end, &in.call_id_len);
	in.file = (data[0] & 1) ? f : NULL;
	in.subdir = (data[0] & 2) ? d : NULL;
	in.pattern = (data[0] & 4) ? pt : NULL;
	if (rec_path_build(&in, out, &err)) {
		if (!err)
			abort();
		return 0;
	}
	size_t n = strlen(out);
	if (n >= REC_PATH_MAX || strncmp(out, "/var/rec/", 9) || out[n - 1] == '/' ||
	    strstr(out, "/../") || strstr(out, "/./") || strstr(out, "//") ||
	    (n >= 3 && !strcmp(out + n - 3, "/..")) || (n >= 2 && !strcmp(out + n - 2, "/.")))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20)
			abort();
	return 0;
}
