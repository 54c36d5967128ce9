/*
 * test_record.c: the record bit of a stream (OFFLOAD_RECORD). The program,
 * run with bpf_prog_test_run_opts, copies each forwarded packet of a
 * recorded stream into its ring buffer as received (before the rewrite),
 * with the stream's session and leg, the addresses and the arrival time;
 * offload_rec_consume hands the records over. A full ring drops the copy
 * (counted per CPU and per stream), never the packet. offload_rec_parse
 * refuses records whose lengths do not fit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <linux/pkt_cls.h>

#include "kernel-offload/offload.h"
#include "kernel-offload/offload_rec.h"
#include "kernel-offload/relay_shared.h"
#include "tests/unit/offload/fixture.h"

#define RING_BYTES 4096u /* one page: a dozen small records */
#define MAX_GOT	   64u

static struct {
	unsigned n;
	struct offload_rec r[MAX_GOT];
	uint8_t data[MAX_GOT][RELAY_REC_CAP];
} got;

static void on_rec(void *arg, const struct offload_rec *r)
{
	(void)arg;
	assert_true(got.n < MAX_GOT);
	got.r[got.n] = *r;
	memcpy(got.data[got.n], r->data, r->len);
	got.r[got.n].data = got.data[got.n];
	got.n++;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run(const struct offload_stream *s, const struct sockaddr_storage *from,
	       const uint8_t *rtp, size_t rlen, uint8_t *out, size_t *out_len)
{
	uint8_t pkt[FX_MAX_PKT];
	size_t len = fx_packet(pkt, from, &s->local, rtp, rlen, true);

	return fx_run(pkt, len, out, out_len);
}

static void recorded_packets_are_copied(void **state)
{
	struct sockaddr_storage from = fx_sa("127.0.0.2", 5000);
	struct offload_stream s = {
		.local = fx_sa("127.0.0.1", 30600), .expect = from,
		.src = fx_sa("127.0.0.1", 30602), .dst = fx_sa("127.0.0.3", 6000),
		.flags = OFFLOAD_RECORD, .rec_session = 0x12345, .rec_leg = 1,
	};
	uint8_t rtp[1500], out[FX_MAX_PKT];
	size_t rlen, out_len;
	uint64_t t0 = mono_ns(), copied, dropped;

	(void)state;
	fx_require();
	got.n = 0;
	assert_int_equal(offload_rec_open(on_rec, NULL), 0);
	assert_int_equal(offload_stream_add(&s), 0);
	/* a small packet and one past the smaller record sizes */
	rlen = fx_rtp(rtp, 0, 7, 0xabcd, 160);
	assert_int_equal(run(&s, &from, rtp, rlen, out, &out_len), TC_ACT_OK);
	rlen = fx_rtp(rtp, 0, 8, 0xabcd, 1300);
	assert_int_equal(run(&s, &from, rtp, rlen, out, &out_len), TC_ACT_OK);
	assert_int_equal(offload_rec_consume(100), 2);
	assert_int_equal(got.n, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct offload_rec *r = &got.r[i];
		const struct sockaddr_in *src = (const struct sockaddr_in *)&r->src;
		const struct sockaddr_in *dst = (const struct sockaddr_in *)&r->dst;

		assert_int_equal(r->session, 0x12345);
		assert_int_equal(r->leg, 1);
		assert_int_equal(r->len, i ? 12 + 1300 : 12 + 160);
		assert_int_equal(r->orig_len, r->len);
		assert_int_equal(src->sin_family, AF_INET);
		assert_int_equal(ntohl(src->sin_addr.s_addr), 0x7f000002);
		assert_int_equal(ntohs(src->sin_port), 5000);
		assert_int_equal(ntohl(dst->sin_addr.s_addr), 0x7f000001);
		assert_int_equal(ntohs(dst->sin_port), 30600);
		assert_true(r->t_ns >= t0 && r->t_ns <= mono_ns());
	}
	/* the copy is the packet as received: the payload of the last run */
	assert_memory_equal(got.r[1].data, rtp, rlen);
	assert_int_equal(offload_rec_counters(&copied, &dropped), 0);
	assert_int_equal(copied, 2);
	assert_int_equal(dropped, 0);

	/* the bit cleared in place: forwarded, not copied */
	s.flags = 0;
	assert_int_equal(offload_stream_add(&s), 0);
	assert_int_equal(run(&s, &from, rtp, rlen, out, &out_len), TC_ACT_OK);
	assert_int_equal(offload_rec_consume(100), 0);
	assert_int_equal(offload_stream_del(&s.local), 0);
	offload_rec_close();
}

static void full_ring_drops_copy_not_packet(void **state)
{
	struct sockaddr_storage from = fx_sa("127.0.0.2", 5000);
	struct offload_stream s = {
		.local = fx_sa("127.0.0.1", 30610), .expect = from,
		.src = fx_sa("127.0.0.1", 30612), .dst = fx_sa("127.0.0.3", 6000),
		.flags = OFFLOAD_RECORD, .rec_session = 7, .rec_leg = 0,
	};
	uint8_t rtp[256], out[FX_MAX_PKT];
	size_t rlen, out_len;
	struct offload_counters c;
	uint64_t copied0, dropped0, copied, dropped;
	int n;

	(void)state;
	fx_require();
	got.n = 0;
	assert_int_equal(offload_rec_counters(&copied0, &dropped0), 0);
	assert_int_equal(offload_rec_open(on_rec, NULL), 0);
	assert_int_equal(offload_stream_add(&s), 0);
	for (unsigned i = 0; i < 40; i++) {
		rlen = fx_rtp(rtp, 0, (uint16_t)(100 + i), 0x77, 160);
		assert_int_equal(run(&s, &from, rtp, rlen, out, &out_len), TC_ACT_OK);
	}
	assert_int_equal(offload_stream_read(&s.local, &c), 0);
	assert_int_equal(c.packets, 40); /* every packet forwarded */
	assert_int_equal(offload_rec_counters(&copied, &dropped), 0);
	assert_int_equal(copied - copied0 + dropped - dropped0, 40);
	assert_true(dropped - dropped0 > 0);
	assert_int_equal(c.rec_dropped, dropped - dropped0);
	/* a bounded consume takes what it may, the next one the rest */
	assert_int_equal(offload_rec_consume(3), 3);
	n = offload_rec_consume(100);
	assert_int_equal((uint64_t)n + 3, copied - copied0);
	/* in order: the first packets fitted, the later ones were dropped */
	for (unsigned i = 0; i < got.n; i++)
		assert_int_equal((got.r[i].data[2] << 8) | got.r[i].data[3], 100 + i);
	/* room again: copied again */
	rlen = fx_rtp(rtp, 0, 200, 0x77, 160);
	assert_int_equal(run(&s, &from, rtp, rlen, out, &out_len), TC_ACT_OK);
	assert_int_equal(offload_rec_consume(100), 1);
	assert_int_equal(offload_stream_del(&s.local), 0);
	offload_rec_close();
}

static void parse_checks_lengths(void **state)
{
	uint8_t raw[sizeof(struct relay_rec) + 64];
	struct relay_rec *h = (struct relay_rec *)raw;
	struct offload_rec r;

	(void)state;
	memset(raw, 0, sizeof(raw));
	h->family = RELAY_FAMILY_V6;
	h->len = 64;
	h->orig_len = 100;
	h->src_port = htons(5000);
	h->src_addr[15] = 1;
	assert_int_equal(offload_rec_parse(raw, sizeof(raw), &r), 0);
	assert_int_equal(r.src.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&r.src)->sin6_port), 5000);
	assert_ptr_equal(r.data, raw + sizeof(*h));
	assert_int_equal(offload_rec_parse(raw, sizeof(raw) - 1, &r), -EINVAL); /* past the end */
	assert_int_equal(offload_rec_parse(raw, sizeof(*h) - 1, &r), -EINVAL);	 /* no header */
	h->len = 0;
	assert_int_equal(offload_rec_parse(raw, sizeof(raw), &r), -EINVAL);
	h->len = 64;
	h->orig_len = 10; /* shorter than what was copied */
	assert_int_equal(offload_rec_parse(raw, sizeof(raw), &r), -EINVAL);
	h->orig_len = 64;
	h->family = 5;
	assert_int_equal(offload_rec_parse(raw, sizeof(raw), &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_packets_are_copied),
		cmocka_unit_test(full_ring_drops_copy_not_packet),
		cmocka_unit_test(parse_checks_lengths),
	};

	offload_rec_set_ring_size(RING_BYTES);
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
