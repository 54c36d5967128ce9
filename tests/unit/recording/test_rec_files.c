/*
 * test_rec_files.c: the pcap and WAV writers. A pcap holds valid Ethernet +
 * IPv4/IPv6 + UDP frames (checksums right) with the payload as given; a WAV's
 * header always names exactly the data in the file, also after a write that
 * failed for lack of space (RLIMIT_FSIZE stands in for a full disk).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "recording/pcap_writer.h"
#include "recording/wav_writer.h"

static char dir[] = "/tmp/rtprelay-recfiles-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void test_pcap_frames(void **state)
{
	char path[128];
	struct pcap_writer w;
	struct rec_pkt p;
	uint8_t payload[172], file[4096];
	(void)state;

	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	assert_int_equal(pcap_open(&w, path, true), 0);
	assert_int_equal(pcap_open(&(struct pcap_writer){ 0 }, path, true), -EEXIST);
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	memset(&p, 0, sizeof(p));
	p.len = sizeof(payload);
	p.src_port = 40000;
	p.dst_port = 30002;
	memcpy(p.src, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(p.dst, (uint8_t[]){ 198, 51, 100, 7 }, 4);
	assert_int_equal(pcap_write(&w, &p, payload, 1700000000123456ull), 0);
	p.v6 = 1;
	memset(p.src, 0, 16);
	memset(p.dst, 0, 16);
	p.src[15] = 1;
	p.dst[15] = 2;
	assert_int_equal(pcap_write(&w, &p, payload, 1700000000223456ull), 0);
	pcap_close(&w);

	size_t n = slurp(path, file, sizeof(file));
	size_t f4 = 14 + 20 + 8 + sizeof(payload), f6 = 14 + 40 + 8 + sizeof(payload);
	assert_int_equal(n, 24 + 16 + f4 + 16 + f6);
	assert_int_equal(rd32(file), 0xa1b2c3d4);
	assert_int_equal(rd32(file + 20), PCAP_LINKTYPE_ETHERNET);
	const uint8_t *r = file + 24;
	assert_int_equal(rd32(r), 1700000000u);
	assert_int_equal(rd32(r + 4), 123456u);
	assert_int_equal(rd32(r + 8), f4);
	const uint8_t *e = r + 16, *ip = e + 14, *udp = ip + 20;
	assert_int_equal(e[12] << 8 | e[13], 0x0800);
	assert_int_equal(sum16(ip, 20, 0), 0xffff); /* header checksum verifies */
	assert_int_equal(ip[9], 17);
	assert_memory_equal(ip + 12, ((uint8_t[]){ 192, 0, 2, 1 }), 4);
	assert_int_equal(udp[0] << 8 | udp[1], 40000);
	assert_int_equal(udp[2] << 8 | udp[3], 30002);
	assert_int_equal(udp[4] << 8 | udp[5], 8 + sizeof(payload));
	assert_memory_equal(udp + 8, payload, sizeof(payload));
	/* IPv6: UDP checksum over the pseudo-header verifies */
	const uint8_t *r6 = r + 16 + f4, *ip6 = r6 + 16 + 14, *udp6 = ip6 + 40;
	assert_int_equal(r6[16 + 12] << 8 | r6[16 + 13], 0x86dd);
	uint8_t ph[8] = { 0, 0, 0, (uint8_t)(8 + sizeof(payload)), 0, 0, 0, 17 };
	uint32_t s = sum16(ip6 + 8, 32, 0);
	s = sum16(ph, 8, s);
	assert_int_equal(sum16(udp6, 8 + sizeof(payload), s), 0xffff);
	assert_memory_equal(udp6 + 8, payload, sizeof(payload));
}

static void test_wav_header_tracks_data(void **state)
{
	char path[128];
	struct wav_writer w;
	int16_t pcm[800];
	uint8_t file[8192];
	(void)state;

	snprintf(path, sizeof(path), "%s/a.wav", dir);
	assert_int_equal(wav_open(&w, path, 8000), 0);
	for (int i = 0; i < 800; i++)
		pcm[i] = (int16_t)(i * 40 - 16000);
	assert_int_equal(wav_append(&w, pcm, 800), 0);
	/* not closed yet: the header already names the 800 samples */
	size_t n = slurp(path, file, sizeof(file));
	assert_int_equal(n, 44 + 1600);
	assert_memory_equal(file, "RIFF", 4);
	assert_int_equal(rd32(file + 4), 36 + 1600);
	assert_memory_equal(file + 8, "WAVEfmt ", 8);
	assert_int_equal(rd32(file + 24), 8000);
	assert_memory_equal(file + 36, "data", 4);
	assert_int_equal(rd32(file + 40), 1600);
	assert_memory_equal(file + 44, pcm, 1600);
	wav_close(&w);
}

/* A write that does not fit: cut off again, the header unchanged, counted. */
static void test_wav_full_disk(void **state)
{
	char path[128];
	struct wav_writer w;
	static int16_t pcm[4000];
	struct rlimit old, lim;
	struct stat st;
	(void)state;

	snprintf(path, sizeof(path), "%s/full.wav", dir);
	assert_int_equal(wav_open(&w, path, 8000), 0);
	assert_int_equal(wav_append(&w, pcm, 1000), 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 44 + 2000 + 3001; /* room for part of the next append only */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = wav_append(&w, pcm, 4000);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_true(rc == -EFBIG || rc == -ENOSPC);
	assert_int_equal(w.lost_samples, 4000);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 2000); /* the part written was cut off again */
	uint8_t h[44];
	assert_int_equal(slurp(path, h, sizeof(h)), 44);
	assert_int_equal(rd32(h + 40), 2000);
	/* space again: appends go on where the file ends */
	assert_int_equal(wav_append(&w, pcm, 500), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 3000);
	wav_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_frames),
		cmocka_unit_test(test_wav_header_tracks_data),
		cmocka_unit_test(test_wav_full_disk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
