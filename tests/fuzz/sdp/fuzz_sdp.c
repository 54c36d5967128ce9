/*
 * fuzz_sdp.c: libFuzzer target for the SDP parser and rewriter.
 *
 * Properties checked (abort() on violation):
 *  1. sdp_parse never crashes or reads past the input, and an error has a message;
 *  2. a rewrite that keeps everything reproduces the input byte for byte;
 *  3. a fixed relay-style rewrite (new c=/ports, rtcp-mux or not, ICE removed on
 *     odd media, direction/ptime, half the formats, new origin) succeeds, and its
 *     output parses again with the same number of media (or hits a size limit,
 *     since the rewrite adds lines);
 *  4. each section's a=ssrc values (sdp_bundle.h) stay within their bound and
 *     are distinct, its a=extmap id for the MID within 0..255.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/arena.h"
#include "sdp/sdp.h"
#include "sdp/sdp_bundle.h"

static void fixed_rewrite(const struct sdp_session *s, struct sdp_rewrite *rw,
			  struct sdp_format fmts[SDP_MAX_MEDIA][SDP_MAX_FORMATS])
{
	memset(rw, 0, sizeof(*rw));
	rw->origin_addr = "192.0.2.1";
	rw->bump_version = true;
	rw->session_name = "rtprelay";
	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];
		struct sdp_media_rewrite *mr = &rw->media[i];
		mr->keep = true;
		mr->addr = i & 1 ? "2001:db8::7" : "203.0.113.9";
		mr->family = i & 1 ? AF_INET6 : AF_INET;
		mr->port = (uint16_t)(30000 + 2 * i);
		mr->rtcp_port = (uint16_t)(mr->port + 1);
		mr->rtcp_mux = !(i & 1);
		mr->full_rtcp_attr = i % 3 == 1;
		mr->no_rtcp_attr = i % 5 == 4;
		mr->remove_ice = i & 1;
		mr->dir = (enum sdp_dir)(i % 5);
		mr->ptime = i % 4 ? 0 : 20;
		mr->proto = i % 3 == 2 ? "RTP/AVPF" : NULL;
		mr->bundle_only = i % 3 == 1; /* a=bundle-only, the input's dropped */
		mr->zero_port = i % 6 == 4;
		if (i % 2 == 0) {
			mr->n_formats = (m->n_formats + 1) / 2;
			memcpy(fmts[i], m->formats, mr->n_formats * sizeof(fmts[i][0]));
			mr->formats = fmts[i];
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_format fmts[SDP_MAX_MEDIA][SDP_MAX_FORMATS];
	static struct sdp_session s, again;
	static struct sdp_rewrite rw;
	struct arena *a = arena_new(0);
	const char *err = NULL;
	char *out;
	size_t out_len;
	int rc;

	if (!a)
		return 0;
	arena_set_cap(a, 16 * 1024 * 1024);
	rc = sdp_parse(a, (const char *)data, size, &s, &err);
	if (rc) {
		if (!err || (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM))
			abort();
		goto out;
	}
	for (unsigned i = 0; i < s.n_media; i++) {
		uint32_t ss[6];
		unsigned n = sdp_media_ssrcs(&s, &s.media[i], ss, 6);

		if (n > 6 || sdp_media_extmap(&s, &s.media[i], SDP_EXTMAP_MID) > 255)
			abort();
		for (unsigned k = 0; k < n; k++)
			for (unsigned j = 0; j < k; j++)
				if (ss[j] == ss[k])
					abort();
	}
	memset(&rw, 0, sizeof(rw));
	if (sdp_rewrite(a, &s, &rw, &out, &out_len) || out_len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	fixed_rewrite(&s, &rw, fmts);
	if (sdp_rewrite(a, &s, &rw, &out, &out_len))
		abort();
	rc = sdp_parse(a, out, out_len, &again, &err);
	if (rc == -E2BIG)
		goto out;
	if (rc || again.n_media != s.n_media)
		abort();
out:
	arena_free(a);
	return 0;
}
