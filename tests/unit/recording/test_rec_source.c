/*
 * test_rec_source.c: a source of copies besides the workers' rings (the
 * kernel's recording ring in the daemon). The writer polls it and writes what
 * it feeds into the session's pcap as it writes a worker's copy; removing
 * the source returns only after the writer polled it a last time (a copy
 * waiting in it at that moment is written) and the writer never calls it
 * again; the kernel's drops count on the session and in the totals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "recording/recorder.h"

#define N_PKT 5

static char dir[] = "/tmp/rtprelay-recsrc-XXXXXX";

static struct {
	_Atomic unsigned polls;
	_Atomic bool armed; /* one more copy to feed at the next poll */
	_Atomic unsigned fed;
	uint32_t session;
	uint64_t t_us;
} src;

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* RTP-looking payload number @i: a 12-byte header, then a pattern only it has */
static void payload(unsigned i, uint8_t *p, size_t n)
{
	memset(p, 0, n);
	p[0] = 0x80;
	p[3] = (uint8_t)i;
	for (size_t k = 12; k < n; k++)
		p[k] = (uint8_t)(0x40 + i * 7 + k);
}

static void feed(unsigned i)
{
	struct rec_pkt h;
	uint8_t p[172];

	memset(&h, 0, sizeof(h));
	h.session = src.session;
	h.t_us = src.t_us + i * 20000u;
	h.len = sizeof(p);
	h.src[0] = 10, h.src[3] = 2, h.src_port = 5000;
	h.dst[0] = 10, h.dst[3] = 1, h.dst_port = 30000;
	payload(i, p, sizeof(p));
	recorder_feed(&h, p);
}

static void poll_src(void *arg)
{
	unsigned fed = atomic_load(&src.fed);

	(void)arg;
	atomic_fetch_add(&src.polls, 1);
	if (fed < N_PKT - 1) { /* the first ones at once, one per poll */
		feed(fed);
		atomic_store(&src.fed, fed + 1);
	} else if (fed == N_PKT - 1 && atomic_exchange(&src.armed, false)) {
		feed(fed);
		atomic_store(&src.fed, fed + 1);
	}
}

static void source_feeds_the_writer(void **state)
{
	struct recorder_config cfg = {
		.dir = dir, .methods = REC_PCAP, .pcap_eth = false, .ring_bytes = 65536,
		.n_rings = 1,
	};
	char base[256], path[300], *buf;
	struct rec_start st;
	struct rec_stats s, t;
	const char *err = NULL;
	unsigned polls;
	size_t n;
	FILE *f;

	(void)state;
	assert_int_equal(recorder_start(&cfg), 0);
	snprintf(base, sizeof(base), "%s/src", dir);
	memset(&st, 0, sizeof(st));
	st.call_id = "src-1";
	st.base = base;
	st.t0_us = mono_us();
	st.wall0_us = 1796657401000000ull;
	st.legs[0].used = true;
	snprintf(st.legs[0].tag, sizeof(st.legs[0].tag), "a");
	src.session = recorder_session_start(&st, &err);
	assert_int_not_equal(src.session, 0);
	src.t_us = st.t0_us + 1000;

	recorder_source_set(poll_src, NULL);
	for (unsigned i = 0; i < 200 && atomic_load(&src.fed) < N_PKT - 1; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&src.fed), N_PKT - 1);
	/* a copy waiting in the source when it is removed is still written */
	atomic_store(&src.armed, true);
	assert_true(recorder_source_remove());
	assert_int_equal(atomic_load(&src.fed), N_PKT);
	polls = atomic_load(&src.polls);
	usleep(100000); /* five writer ticks */
	assert_int_equal(atomic_load(&src.polls), polls);

	/* the kernel's drops: on the session and in the totals */
	recorder_note_kernel_drops(src.session, 3);
	recorder_session_stats(src.session, &s);
	assert_int_equal(s.kernel_dropped, 3);
	assert_int_equal(s.ring_dropped, 3);
	recorder_totals(&t);
	assert_int_equal(t.kernel_dropped, 3);
	assert_int_equal(t.ring_dropped, 3);
	for (unsigned i = 0; i < 200 && s.packets < N_PKT; i++) {
		usleep(10000);
		recorder_session_stats(src.session, &s);
	}
	assert_int_equal(s.packets, N_PKT);

	recorder_session_stop(src.session, mono_us());
	recorder_stop();
	recorder_note_kernel_drops(src.session, 1); /* after stop: ignored, no crash */

	snprintf(path, sizeof(path), "%s.pcap", base);
	f = fopen(path, "rb");
	assert_non_null(f);
	buf = malloc(1 << 16);
	assert_non_null(buf);
	n = fread(buf, 1, 1 << 16, f);
	fclose(f);
	/* 24-byte file header, then per copy 16 + 20 (IPv4) + 8 (UDP) + payload */
	assert_int_equal(n, 24 + N_PKT * (16 + 20 + 8 + 172));
	for (unsigned i = 0; i < N_PKT; i++) {
		uint8_t p[172];

		payload(i, p, sizeof(p));
		assert_memory_equal(buf + 24 + i * (16 + 20 + 8 + 172) + 16 + 28, p, sizeof(p));
	}
	free(buf);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_feeds_the_writer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
