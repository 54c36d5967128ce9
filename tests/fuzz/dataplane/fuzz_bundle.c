/*
 * fuzz_bundle.c: libFuzzer target for BUNDLE demultiplexing
 * (dataplane/dp_bundle.h) and the RFC 8285 header extension reader it uses
 * (lib/rtp_ext.h), both fed packets from the network.
 *
 * Input: the first byte sets the number of media (1..DP_BUNDLE_MAX) and the
 * MID extension id; the next 8 bytes per media its mid (length, then
 * bytes), payload types and signalled SSRCs (drawn from them); the rest is
 * cut into packets, each prefixed by one length byte and one byte whose low
 * bit makes it RTCP and whose second bit sends it through the demultiplexer
 * of a bundle with media answered outside it (dp_bundle_split_demux), the
 * high nibble naming the media at the packet's source. Checked: an element
 * found lies inside the packet; the demultiplexer names a media of the table
 * or none, with sources the one media at the source or one of several there
 * (or any when none is); no media's SSRC list grows past DP_BUNDLE_SSRCS.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_bundle.h"
#include "lib/rtp_ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_endpoint_params p;
	struct dp_bundle b;
	uint32_t sent[DP_BUNDLE_MAX];
	size_t off = 1;

	if (size < 1)
		return 0;
	memset(&p, 0, sizeof(p));
	p.bundle.n = (uint8_t)(1 + (data[0] & 3));
	p.bundle.mid_ext = (uint8_t)(data[0] >> 2);
	for (unsigned i = 0; i < p.bundle.n; i++) {
		struct dp_bundle_media *m = &p.bundle.m[i];

		m->ep = (struct dp_endpoint *)(uintptr_t)(0x100 * (i + 1));
		if (off + 8 > size)
			break;
		size_t ml = data[off] % 4;
		memcpy(m->mid, data + off + 1, ml);
		m->mid[ml] = 0;
		m->pts[data[off + 5] >> 4] = data[off + 6];
		m->n_ssrc = data[off + 7] % 3;
		for (unsigned k = 0; k < m->n_ssrc; k++)
			m->ssrc[k] = (uint32_t)data[off + 4 + k] * 0x01010101u;
		sent[i] = (uint32_t)data[off + 1] << 8 | data[off + 2];
		off += 8;
	}
	dp_bundle_init(&b, &p);
	while (off + 2 <= size) {
		size_t len = data[off];
		bool rtcp = data[off + 1] & 1;
		const uint8_t *v;
		size_t vl;

		off += 2;
		if (len > size - off)
			len = size - off;
		/* a copy of its own: reads past @len show up under ASan */
		uint8_t *pkt = malloc(len ? len : 1);
		if (!pkt)
			return 0;
		memcpy(pkt, data + off, len);
		if (rtp_ext_find(pkt, len, (uint8_t)(data[off - 1] >> 1), &v, &vl) == 1 &&
		    (v < pkt || v + vl > pkt + len))
			abort();
		unsigned from = data[off - 1] >> 4, at = from & ((1u << b.n) - 1u);
		int idx = (data[off - 1] & 2) ? dp_bundle_split_demux(&b, from, pkt, len, rtcp, sent)
					      : dp_bundle_demux(&b, pkt, len, rtcp, sent);
		if (idx < -1 || idx >= (int)b.n)
			abort();
		if ((data[off - 1] & 2) && at) {
			if (!(at & (at - 1)) && idx != __builtin_ctz(at))
				abort(); /* one media at the source: that one */
			if (idx >= 0 && !(at & (1u << idx)))
				abort(); /* several: one of them or none */
		}
		for (unsigned i = 0; i < b.n; i++)
			if (b.m[i].n_ssrc > DP_BUNDLE_SSRCS || b.m[i].n_sdp > b.m[i].n_ssrc)
				abort();
		free(pkt);
		off += len;
	}
	return 0;
}
