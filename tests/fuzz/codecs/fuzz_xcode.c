/*
 * fuzz_xcode.c: hostile RTP through a transcoder, every codec as input.
 *
 * Input layout: byte 0 picks the input codec (index into codec_all()), byte 1
 * the output codec; the rest is a sequence of packets, each a 2-byte length
 * (big endian, bounded by the remaining bytes) then that many bytes. Each
 * packet is pushed 20 ms after the previous one and the output is drained, so
 * the jitter buffer, decoders (incl. Opus/G.729 on garbage), PLC, DTMF and the
 * encoders all see it. Nothing may crash, leak or overrun @out.
 */
#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"
#include "codecs/transcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct codec_desc *const *all;
	unsigned n;
	struct xcode_config cfg = {0};
	struct xcode *x;
	uint8_t out[1500];
	uint64_t now = 1000;

	if (size < 2)
		return 0;
	all = codec_all(&n);
	if (n == 0)
		return 0;
	cfg.in_codec = all[data[0] % n];
	cfg.out_codec = all[data[1] % n];
	cfg.in_pt = 96;
	cfg.out_pt = 97;
	cfg.in_dtmf_pt = 101;
	cfg.out_dtmf_pt = 100;
	cfg.complexity = 0;	/* speed: the fuzzer is after the parsers, not quality */
	cfg.out_ssrc = 0x1234;
	if (xcode_new(&cfg, &x) != 0)
		return 0;
	data += 2;
	size -= 2;
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		(void)xcode_push(x, data, len, now);
		while (xcode_pull(x, now, out, sizeof(out)) > 0)
			;
		data += len;
		size -= len;
		now += 20;
	}
	/* let the jitter buffer run dry: concealment paths */
	for (int i = 0; i < 10; i++, now += 20)
		while (xcode_pull(x, now, out, sizeof(out)) > 0)
			;
	xcode_free(x);
	return 0;
}
