/* fuzz_repl_record.c: a Redis record as a standby reads it (daemon/repl_record.h):
 * whatever the bytes, opening must stay inside them and either refuse with a
 * reason or return a snapshot that lies within the record; a record wrapped
 * from the snapshot found opens to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/repl_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rec = (const char *)data, *snap, *why = NULL, *s2;
	size_t snap_len, n, l2;
	char *again;

	/* the call-id the key names: the bytes after the magic and header, as
	 * a well-formed record would carry them, or a fixed one */
	const char *id = "fuzz-call";
	size_t id_len = 9;
	if (size > 8) {
		size_t il = (size_t)data[6] << 8 | data[7];
		if (il && il <= size - 8) {
			id = rec + 8;
			id_len = il;
		}
	}
	if (repl_record_open(rec, size, id, id_len, &snap, &snap_len, &why)) {
		if (!why || !why[0])
			abort();
		return 0;
	}
	if (snap < rec || snap + snap_len > rec + size || !snap_len)
		abort();
	if (repl_record_wrap(id, id_len, snap, snap_len, &again, &n))
		abort();
	if (n != size ||
	    repl_record_open(again, n, id, id_len, &s2, &l2, &why) || l2 != snap_len ||
	    memcmp(s2, snap, l2))
		abort();
	free(again);
	return 0;
}
