/*
 * fuzz_rtp.c: libFuzzer target for lib/rtp's parsers of network input (the
 * one RTP/RTCP parser of the data plane and the transcoder): rtp_parse,
 * rtcp_parse, rtcp_parse_reports, rtp_is_rtcp, and the state machines fed by them (RFC 3550
 * statistics, latching).
 *
 * Input: the whole buffer is parsed once as RTP and once as RTCP; a parsed
 * RTP header written back with rtp_write_hdr must parse to the same fields,
 * and an SR/SDES with the input's first bytes as CNAME must parse as a
 * two-packet compound; then it is cut into packets, each prefixed by one length byte and one source byte,
 * and fed in order to one rtp_source and two latches (RTP and RTCP kind).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "dataplane/latch.h"
#include "lib/rtp.h"

static union dp_addr src_addr(uint8_t sel)
{
	union dp_addr a;
	memset(&a, 0, sizeof(a));
	a.v4.sin_family = AF_INET;
	a.v4.sin_addr.s_addr = htonl(0x7f000001u + (sel & 3));
	a.v4.sin_port = htons(4000 + (sel >> 2));
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_info ri = { 0 };
	struct rtcp_info ci;
	struct rtp_source s = { 0 };
	struct latch lr, lc;
	uint8_t allowed[16] = { 0 };
	union dp_addr sdp = src_addr(0);
	uint64_t now = 0;

	if (rtp_parse(data, size, &ri) == 0) {
		uint8_t hdr[RTP_HDR_MIN];
		struct rtp_info back;

		if (ri.hdr_len + ri.payload_len > size)
			__builtin_trap();
		rtp_write_hdr(hdr, ri.marker, ri.pt, ri.seq, ri.ts, ri.ssrc);
		if (rtp_parse(hdr, sizeof(hdr), &back) != 0 || back.marker != ri.marker ||
		    back.pt != ri.pt || back.seq != ri.seq || back.ts != ri.ts ||
		    back.ssrc != ri.ssrc)
			__builtin_trap();
	}
	{
		/* the report reader accepts exactly what rtcp_parse accepts */
		struct rtcp_reports rep;
		int rc = rtcp_parse_reports(data, size, &rep);

		if ((rc == 0) != (rtcp_parse(data, size, &ci) == 0))
			__builtin_trap();
		if (rc == 0 && (rep.has_sr || rep.has_block) && size < 8 + 20)
			__builtin_trap(); /* an SR or a block takes at least 28 bytes */
	}
	{
		char cname[256];
		uint8_t sr_buf[400]; /* SR, a report block, SDES with a 255-byte CNAME */
		struct rtcp_sr sr = { .ssrc = ri.ssrc, .ntp = size };
		size_t n = size ? strnlen((const char *)data, size < 255 ? size : 255) : 0;
		int len;

		if (n)
			memcpy(cname, data, n);
		cname[n] = 0;
		len = rtcp_write_sr(sr_buf, sizeof(sr_buf), &sr, cname);
		if (len <= 0 || rtcp_parse(sr_buf, (size_t)len, &ci) != 0 || ci.count != 2)
			__builtin_trap();
		/* with a report block taken from the input: parses back the same */
		struct rtcp_report_block rb = { .ssrc = ri.ssrc };
		struct rtcp_reports rep2;
		if (size >= 8)
			memcpy(&rb.cum_lost, data + 4, 4);
		len = rtcp_write_report(sr_buf, sizeof(sr_buf), &sr, &rb, cname);
		if (len <= 0 || rtcp_parse_reports(sr_buf, (size_t)len, &rep2) != 0 ||
		    !rep2.has_block || rep2.block.ssrc != ri.ssrc ||
		    rep2.block.cum_lost < -0x800000 || rep2.block.cum_lost > 0x7fffff)
			__builtin_trap();
	}
	(void)rtp_is_rtcp(data, size);

	memset(&lr, 0, sizeof(lr));
	memset(&lc, 0, sizeof(lc));
	if (size > 0)
		allowed[data[0] & 15] = data[0];
	latch_configure(&lr, &sdp, size > 1 ? data[1] & 0x3f : 0, allowed, LATCH_RTP, 3000);
	latch_configure(&lc, &sdp, 0, allowed, LATCH_RTCP, 3000);

	size_t off = 0;
	while (off + 2 <= size) {
		size_t len = data[off];
		union dp_addr src = src_addr(data[off + 1]);
		off += 2;
		if (len > size - off)
			len = size - off;
		const uint8_t *p = data + off;
		if (rtp_parse(p, len, &ri) == 0) {
			rtp_source_update(&s, &ri, (uint32_t)(now * 8));
			(void)rtp_source_lost(&s);
		}
		(void)latch_packet(&lr, &src, p, len, now);
		(void)latch_packet(&lc, &src, p, len, now);
		now += 20;
		off += len;
	}
	return 0;
}
