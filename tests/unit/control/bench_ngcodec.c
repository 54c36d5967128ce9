/*
 * bench_ngcodec.c: cost of the ng codec path per command, and the worst memory a
 * hostile message can make one arena hold. Run: meson test --benchmark
 * --suite control -v (or the binary directly). Prints figures, asserts only
 * that every step succeeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/bencode.h"
#include "control/ngmsg.h"
#include "control/ngrequest.h"

#define SDP "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.168.1.10\r\ns=-\r\n" \
	"c=IN IP4 192.168.1.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 9 101\r\n" \
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ngcodec: %s failed\n", what);
	exit(1);
}

/* Build a Kamailio-style offer message in @enc into @buf. */
static size_t make_offer(enum ng_encoding enc, char *buf, size_t cap)
{
	struct arena *a = arena_new(0);
	struct ng_node *d = ng_new_dict(a), *l;
	long n;

	ng_dict_add_str(a, d, "sdp", SDP);
	ng_dict_add_str(a, d, "call-id", "a84b4c76e66710@pc33.atlanta.example.com");
	ng_dict_add_str(a, d, "from-tag", "1928301774");
	ng_dict_add_str(a, d, "via-branch", "z9hG4bK776asdhds");
	l = ng_dict_add_list(a, d, "flags");
	ng_list_add(l, ng_new_cstr(a, "trust-address"));
	ng_list_add(l, ng_new_cstr(a, "strict-source"));
	ng_list_add(l, ng_new_cstr(a, "codec-strip-G722"));
	l = ng_dict_add_list(a, d, "replace");
	ng_list_add(l, ng_new_cstr(a, "origin"));
	ng_list_add(l, ng_new_cstr(a, "session-connection"));
	ng_dict_add_str(a, d, "ICE", "remove");
	l = ng_dict_add_list(a, d, "received-from");
	ng_list_add(l, ng_new_cstr(a, "IP4"));
	ng_list_add(l, ng_new_cstr(a, "192.168.1.10"));
	ng_dict_add_str(a, d, "command", "offer");
	n = ng_msg_encode("5323_1", 6, enc, d, buf, cap);
	if (n < 0)
		die("encode offer");
	arena_free(a);
	return (size_t)n;
}

static void bench_parse(enum ng_encoding enc, const char *name)
{
	static char msg[4096], out[4096];
	size_t len = make_offer(enc, msg, sizeof(msg)), used = 0;
	const int iters = 200000;
	double t0, t1;

	t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		struct arena *a = arena_new(8192);
		struct ng_request req;
		struct ng_msg m;
		struct ng_node *r;

		if (ng_msg_decode(a, (const uint8_t *)msg, len, &m, NULL) < 0)
			die("decode");
		if (ng_request_parse(a, m.dict, &req, NULL) < 0)
			die("parse");
		r = ng_new_dict(a);
		ng_dict_add_strn(a, r, "sdp", req.sdp, req.sdp_len);
		ng_dict_add_str(a, r, "result", "ok");
		if (ng_msg_encode(m.cookie, m.cookie_len, m.enc, r, out, sizeof(out)) < 0)
			die("reply");
		used = arena_used(a);
		arena_free(a);
	}
	t1 = now_ns();
	printf("%-8s offer %4zu bytes: decode+parse+reply %6.0f ns/op, arena %zu bytes\n", name,
	       len, (t1 - t0) / iters, used);
}

/* The most nodes a maximal message can hold: a dict of empty keys and values. */
static void worst_case_memory(void)
{
	size_t members = (NG_MAX_NODES - 1), len = 2 + 4 * members;
	char *s = malloc(len);
	struct arena *a = arena_new(0);
	struct ng_node *n;

	s[0] = 'd';
	for (size_t i = 0; i < members; i++)
		memcpy(s + 1 + 4 * i, "0:0:", 4);
	s[len - 1] = 'e';
	if (bencode_decode(a, (const uint8_t *)s, len, &n, NULL) < 0)
		die("worst case");
	printf("worst case: %zu-byte bencode dict of %zu members holds %zu arena bytes\n", len,
	       members, arena_used(a));
	arena_free(a);
	free(s);
}

int main(void)
{
	bench_parse(NG_ENC_BENCODE, "bencode");
	bench_parse(NG_ENC_JSON, "json");
	worst_case_memory();
	return 0;
}
