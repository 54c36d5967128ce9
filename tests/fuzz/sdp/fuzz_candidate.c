/*
 * fuzz_candidate.c: libFuzzer target for the a=candidate parser and printer
 * (sdp/sdp_ice.h) and the ICE attribute reader.
 *
 * Properties checked (abort() on violation):
 *  1. sdp_candidate_parse never reads past the input; a refusal has a reason;
 *  2. whatever it accepts prints, and the printed line parses back to the
 *     same fields (no field can smuggle a line break or a blank);
 *  3. sdp_ice_attr on the same bytes as any ICE attribute never crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp_ice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "candidate", "ice-ufrag",	 "ice-pwd",
					     "ice-options", "ice-lite", "end-of-candidates" };
	struct sdp_candidate c, back;
	struct sdp_ice ice;
	const char *why = NULL, *s = (const char *)data;
	char buf[4096 + 2 * SDP_ICE_MAX_ADDR + 256];

	if (sdp_candidate_parse(s, size, &c, &why) == 0) {
		int n = sdp_candidate_print(&c, buf, sizeof(buf));
		if (n < 0 || memchr(buf, '\n', (size_t)n) || memchr(buf, '\r', (size_t)n))
			abort();
		if (sdp_candidate_parse(buf, (size_t)n, &back, &why) != 0 ||
		    strcmp(back.foundation, c.foundation) || back.component != c.component ||
		    back.priority != c.priority || strcmp(back.addr, c.addr) ||
		    back.port != c.port || strcmp(back.type, c.type) ||
		    back.has_raddr != c.has_raddr || back.has_rport != c.has_rport ||
		    back.rport != c.rport || back.ext_len != c.ext_len)
			abort();
	} else if (!why) {
		abort();
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&ice, 0, sizeof(ice));
		why = NULL;
		if (sdp_ice_attr(&ice, names[i], strlen(names[i]), s, size, &why) && !why)
			abort();
	}
	return 0;
}
