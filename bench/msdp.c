/* msdp.c: build and read the bench's minimal SDP. Reads are bounded by len; lines may end
 * in CRLF or LF; anything not understood is ignored (the relay may add attributes). */
#include "bench/msdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct msdp_codec msdp_pcmu = {
	.name = "pcmu", .ng_name = "PCMU", .rtpmap = "PCMU/8000", .pt = 0, .bytes = 160,
	.ts_step = 160};

/* Any byte string is a valid G.711, G.722 or G.729 frame, so the generator can send
 * filler; an Opus packet only needs a valid TOC byte (here: CELT fullband 20 ms, mono,
 * one frame) for the decoder to accept the rest. */
static const struct msdp_codec codecs[] = {
	{.name = "g722", .ng_name = "G722", .rtpmap = "G722/8000", .pt = 9, .bytes = 160,
	 .ts_step = 160},
	{.name = "g729", .ng_name = "G729", .rtpmap = "G729/8000", .fmtp = "annexb=no",
	 .pt = 18, .bytes = 20, .ts_step = 160},
	{.name = "opus", .ng_name = "opus", .rtpmap = "opus/48000/2", .pt = 96, .toc = 0xf8,
	 .bytes = 80, .ts_step = 960},
};

const struct msdp_codec *msdp_codec_find(const char *name)
{
	if (strcmp(name, "pcmu") == 0)
		return &msdp_pcmu;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (strcmp(name, codecs[i].name) == 0)
			return &codecs[i];
	return NULL;
}

int msdp_build(char *out, size_t cap, struct in_addr addr, uint16_t port, uint32_t sess_id,
	       const struct msdp_codec *c)
{
	char a[INET_ADDRSTRLEN], fmtp[96] = "";
	int n;

	if (!c)
		c = &msdp_pcmu;
	if (c->fmtp)
		snprintf(fmtp, sizeof(fmtp), "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	n = snprintf(out, cap,
		     "v=0\r\no=- %u 1 IN IP4 %s\r\ns=bench\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		     "m=audio %u RTP/AVP %u\r\na=rtpmap:%u %s\r\n%sa=ptime:20\r\n"
		     "a=sendrecv\r\n",
		     sess_id, a, a, port, c->pt, c->pt, c->rtpmap, fmtp);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

/* Copies the rest of a line after `skip` bytes into dst (NUL-terminated, truncated). */
static void line_tail(const char *l, size_t llen, size_t skip, char *dst, size_t cap)
{
	size_t n = llen > skip ? llen - skip : 0;

	while (n && (l[skip + n - 1] == '\r' || l[skip + n - 1] == ' '))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, l + skip, n);
	dst[n] = 0;
}

int msdp_parse(const char *sdp, size_t len, struct in_addr *addr, uint16_t *port)
{
	char sess_c[64] = "", media_c[64] = "", tmp[64];
	int in_audio = 0, have_port = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *l = sdp + pos, *nl = memchr(l, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - l) : len - pos;

		pos += llen + 1;
		if (llen > 9 && memcmp(l, "c=IN IP4 ", 9) == 0) {
			line_tail(l, llen, 9, in_audio ? media_c : sess_c, sizeof(sess_c));
		} else if (llen > 2 && memcmp(l, "m=", 2) == 0) {
			unsigned p;

			if (have_port) {
				in_audio = 0;
				continue;
			}
			line_tail(l, llen, 2, tmp, sizeof(tmp));
			if (sscanf(tmp, "audio %u", &p) == 1 && p > 0 && p < 65536) {
				*port = (uint16_t)p;
				have_port = in_audio = 1;
			}
		}
	}
	if (!have_port)
		return -EINVAL;
	if (inet_pton(AF_INET, media_c[0] ? media_c : sess_c, addr) != 1)
		return -EINVAL;
	return 0;
}
