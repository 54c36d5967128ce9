/*
 * bench_sdp.c: cost of sdp_parse and of parse + a relay rewrite per SDP, and the
 * arena bytes one offer needs, for a phone SDP (baresip) and a WebRTC offer
 * (2 media, ICE, 49 lines). Run: meson test --benchmark --suite sdp -v (or the
 * binary directly). Prints figures; asserts only that every step succeeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/arena.h"
#include "sdp/sdp.h"
#include "samples.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_sdp: %s failed\n", what);
	exit(1);
}

/* One offer's work: parse, rewrite for the relay. Returns arena bytes used. */
static size_t one(const char *text, size_t len, bool rewrite, struct sdp_session *s,
		  struct sdp_rewrite *rw)
{
	struct arena *a = arena_new(4096);
	const char *err;
	char *out;
	size_t out_len, used;

	if (!a || sdp_parse(a, text, len, s, &err))
		die("parse");
	if (rewrite) {
		memset(rw, 0, sizeof(*rw));
		for (unsigned i = 0; i < s->n_media; i++) {
			struct sdp_media_rewrite *mr = &rw->media[i];
			mr->keep = true;
			mr->addr = "203.0.113.1";
			mr->family = AF_INET;
			mr->port = (uint16_t)(30000 + 2 * i);
			mr->rtcp_port = (uint16_t)(mr->port + 1);
			mr->rtcp_mux = s->media[i].rtcp_mux;
			mr->remove_ice = s->media[i].has_ice;
		}
		if (sdp_rewrite(a, s, rw, &out, &out_len))
			die("rewrite");
	}
	used = arena_used(a);
	arena_free(a);
	return used;
}

static void run(const char *name, const char *text)
{
	static struct sdp_session s;
	static struct sdp_rewrite rw;
	const int n = 200000;
	size_t len = strlen(text), used = 0;

	for (int pass = 0; pass < 2; pass++) {
		double t0 = now_ns();
		for (int i = 0; i < n; i++)
			used = one(text, len, pass == 1, &s, &rw);
		double ns = (now_ns() - t0) / n;
		printf("%-8s %4zu bytes %2u lines  %-15s %7.0f ns/SDP  %6.0f k SDP/s  arena %zu B\n",
		       name, len, s.n_lines, pass ? "parse+rewrite" : "parse", ns, 1e6 / ns, used);
	}
}

int main(void)
{
	run("baresip", sdp_baresip);
	run("linphone", sdp_linphone);
	run("webrtc", sdp_webrtc);
	return 0;
}
