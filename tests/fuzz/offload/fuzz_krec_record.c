/*
 * fuzz_krec_record.c: hostile records of the eBPF program's recording ring
 * into offload_rec_parse and, when accepted, into the recorder's packet
 * header (dp_krec_to_pkt). An accepted record's payload must lie inside the
 * input and its lengths must agree; the header built from it must carry
 * exactly that many bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_krec.h"
#include "kernel-offload/offload_rec.h"
#include "kernel-offload/relay_shared.h"
#include "recording/rec_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct offload_rec r;
	struct rec_pkt h;
	uint8_t sum = 0;

	if (offload_rec_parse(data, size, &r))
		return 0;
	if (r.data < data || r.data + r.len > data + size || r.len == 0 || r.len > RELAY_REC_CAP ||
	    r.orig_len < r.len)
		abort();
	/* every accepted payload byte is readable (ASan checks the reads) */
	for (size_t i = 0; i < r.len; i++)
		sum ^= r.data[i];
	dp_krec_to_pkt(&r, &h);
	if (h.len != r.len || h.session != r.session || h.t_us != r.t_ns / 1000u)
		abort();
	return sum == 0xff && h.v6 > 1; /* never: keeps sum and v6 used */
}
