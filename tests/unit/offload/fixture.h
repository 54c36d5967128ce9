/*
 * fixture.h: packet-in/packet-out fixtures for the offload unit tests.
 *
 * Packets are built from scratch (Ethernet + IPv4/IPv6 + UDP + payload) with
 * checksums computed over the whole packet, so that the expected output of
 * the eBPF rewrite can be built independently and compared byte for byte, and
 * the program's incremental checksum updates are checked against a full
 * recomputation.
 */
#ifndef RTPRELAY_TEST_OFFLOAD_FIXTURE_H
#define RTPRELAY_TEST_OFFLOAD_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FX_MAX_PKT 1600

/* "1.2.3.4" or "::1" plus port -> sockaddr_storage; aborts the test if bad */
struct sockaddr_storage fx_sa(const char *addr, uint16_t port);
/* an RTP header (V=2) with payload type @pt, @seq, @ssrc, then @n filler bytes */
size_t fx_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc, size_t n);
/* Ethernet + IP + UDP from @src to @dst around @payload; returns the length.
 * @udp_csum false leaves the IPv4 UDP checksum 0 ("not computed"). */
size_t fx_packet(uint8_t *buf, const struct sockaddr_storage *src,
		 const struct sockaddr_storage *dst, const uint8_t *payload, size_t plen,
		 bool udp_csum);
/* full recomputation: IPv4 header checksum (true for IPv6) and UDP checksum
 * (true if 0 on IPv4) */
bool fx_l3_csum_ok(const uint8_t *pkt, size_t len);
bool fx_udp_csum_ok(const uint8_t *pkt, size_t len);

/* Run the loaded offload program on @in; fills @out/@out_len, returns the tc
 * verdict (TC_ACT_*) or aborts the test if the run itself fails. */
int fx_run(const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);
/* Group setup/teardown: offload_init without interfaces or nftables. */
int fx_setup(void **state);
int fx_teardown(void **state);
/* First line of every test: skips it when BPF is not permitted (not root). */
void fx_require(void);

#endif
