/*
 * fixture.c: see fixture.h. Checksums follow RFC 1071 (one's complement sum)
 * with the RFC 768 / RFC 8200 section 8.1 pseudo-headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <linux/if_ether.h>

#include "kernel-offload/offload.h"
#include "tests/unit/offload/fixture.h"

struct sockaddr_storage fx_sa(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return ss;
}

size_t fx_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc, size_t n)
{
	buf[0] = 0x80;
	buf[1] = pt;
	buf[2] = seq >> 8;
	buf[3] = seq & 0xff;
	memset(buf + 4, 0x11, 4);	/* timestamp */
	buf[8] = ssrc >> 24;
	buf[9] = (ssrc >> 16) & 0xff;
	buf[10] = (ssrc >> 8) & 0xff;
	buf[11] = ssrc & 0xff;
	for (size_t i = 0; i < n; i++)
		buf[12 + i] = (uint8_t)(i * 7 + 3);
	return 12 + n;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* one's complement sum of the pseudo-header + UDP datagram (checksum included) */
static uint16_t udp_sum(const uint8_t *pkt, size_t len)
{
	bool v4 = pkt[12] == 0x08;
	size_t l3 = ETH_HLEN, l4 = l3 + (v4 ? (pkt[l3] & 0xf) * 4u : 40u);
	size_t ulen = (size_t)pkt[l4 + 4] << 8 | pkt[l4 + 5];
	uint32_t sum = 0;

	assert_true(l4 + ulen <= len);
	if (v4)
		sum = sum16(sum, pkt + l3 + 12, 8);
	else
		sum = sum16(sum, pkt + l3 + 8, 32);
	sum += 17 + ulen;
	return fold(sum16(sum, pkt + l4, ulen));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static size_t put_l3(uint8_t *p, const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst, size_t ulen)
{
	if (src->ss_family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, 20 + ulen);
		put16(p + 4, 0x1234);	/* id */
		p[6] = 0x40;		/* DF */
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, &((const struct sockaddr_in *)src)->sin_addr, 4);
		memcpy(p + 16, &((const struct sockaddr_in *)dst)->sin_addr, 4);
		put16(p + 10, (uint16_t)~fold(sum16(0, p, 20)));
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, ulen);
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, &((const struct sockaddr_in6 *)src)->sin6_addr, 16);
	memcpy(p + 24, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
	return 40;
}

size_t fx_packet(uint8_t *buf, const struct sockaddr_storage *src,
		 const struct sockaddr_storage *dst, const uint8_t *payload, size_t plen,
		 bool udp_csum)
{
	bool v4 = src->ss_family == AF_INET;
	size_t ulen = 8 + plen, l4;
	uint16_t sum;

	assert_true(ETH_HLEN + 40 + ulen <= FX_MAX_PKT);
	memset(buf, 0, ETH_HLEN);
	memcpy(buf, "\x02\0\0\0\0\x02", 6);
	memcpy(buf + 6, "\x02\0\0\0\0\x01", 6);
	put16(buf + 12, v4 ? ETH_P_IP : ETH_P_IPV6);
	l4 = ETH_HLEN + put_l3(buf + ETH_HLEN, src, dst, ulen);
	put16(buf + l4, ntohs(((const struct sockaddr_in *)src)->sin_port));
	put16(buf + l4 + 2, ntohs(((const struct sockaddr_in *)dst)->sin_port));
	put16(buf + l4 + 4, ulen);
	put16(buf + l4 + 6, 0);
	memcpy(buf + l4 + 8, payload, plen);
	if (udp_csum || !v4) {
		sum = (uint16_t)~udp_sum(buf, l4 + ulen);
		put16(buf + l4 + 6, sum ? sum : 0xffff);
	}
	return l4 + ulen;
}

bool fx_l3_csum_ok(const uint8_t *pkt, size_t len)
{
	if (pkt[12] != 0x08)
		return true;
	assert_true(len >= ETH_HLEN + 20);
	return fold(sum16(0, pkt + ETH_HLEN, (pkt[ETH_HLEN] & 0xf) * 4u)) == 0xffff;
}

bool fx_udp_csum_ok(const uint8_t *pkt, size_t len)
{
	size_t l4 = ETH_HLEN + (pkt[12] == 0x08 ? (pkt[ETH_HLEN] & 0xf) * 4u : 40u);

	if (pkt[12] == 0x08 && pkt[l4 + 6] == 0 && pkt[l4 + 7] == 0)
		return true;
	return udp_sum(pkt, len) == 0xffff;
}

int fx_run(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = in_len,
		    .data_out = out, .data_size_out = FX_MAX_PKT, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(offload_prog_fd(), &opts), 0);
	*out_len = opts.data_size_out;
	return (int)opts.retval;
}

static int init_err;

int fx_setup(void **state)
{
	(void)state;
	init_err = offload_init(NULL, 0, 0, 0);
	if (init_err == -EPERM || init_err == -EACCES) {
		print_message("no BPF permission (run as root): skipping\n");
		return 0;
	}
	return init_err;
}

void fx_require(void)
{
	if (init_err == -EPERM || init_err == -EACCES)
		skip();
}

int fx_teardown(void **state)
{
	(void)state;
	offload_exit();
	return 0;
}
