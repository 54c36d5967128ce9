/*
 * relay_parse.h: bounds-checked header parsing for relay.bpf.c (BPF side only).
 *
 * Every helper checks the header it returns against data_end before the
 * caller may read it, which is what the verifier demands and what keeps a
 * truncated or hostile packet from being read past its end. Anything the fast
 * path does not handle (VLAN tags, IPv4 options are fine but fragments are
 * not, IPv6 extension headers) is reported as "not ours" and left to the
 * kernel's normal path and user space.
 */
#ifndef RTPRELAY_RELAY_PARSE_H
#define RTPRELAY_RELAY_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kernel-offload/relay_shared.h"

/* Where the parsed headers are, as offsets from the start of the packet (the
 * checksum helpers take offsets, and offsets survive the helpers that
 * invalidate packet pointers). */
struct relay_pkt {
	__u32 l3_off;	   /* IPv4 / IPv6 header */
	__u32 l4_off;	   /* UDP header */
	__u32 payload_len; /* UDP payload bytes */
	__u8 family;	   /* RELAY_FAMILY_V4 / _V6 */
	__u8 pad[3];
};

#define RELAY_IP_FRAG_MASK 0x3fff /* MF flag + fragment offset */

static __always_inline int relay_parse_udp(void *data, void *data_end, __u32 l4_off,
					   struct relay_pkt *pkt)
{
	struct udphdr *udp = data + l4_off;
	__u16 ulen;

	if ((void *)(udp + 1) > data_end)
		return -1;
	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp))
		return -1;
	/* the UDP length must fit inside what we received */
	if ((void *)udp + ulen > data_end)
		return -1;
	pkt->l4_off = l4_off;
	pkt->payload_len = ulen - sizeof(*udp);
	return 0;
}

static __always_inline int relay_parse_ipv4(void *data, void *data_end, struct relay_pkt *pkt,
					    struct relay_key *key, __u8 *saddr, __be16 *sport)
{
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp;
	__u32 ihl;

	if ((void *)(ip + 1) > data_end)
		return -1;
	if (ip->version != 4 || ip->protocol != IPPROTO_UDP)
		return -1;
	if (ip->frag_off & bpf_htons(RELAY_IP_FRAG_MASK))
		return -1;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return -1;
	pkt->l3_off = sizeof(struct ethhdr);
	pkt->family = RELAY_FAMILY_V4;
	if (relay_parse_udp(data, data_end, pkt->l3_off + ihl, pkt) < 0)
		return -1;
	udp = data + pkt->l4_off;
	if ((void *)(udp + 1) > data_end)
		return -1;
	__builtin_memcpy(key->addr, &ip->daddr, 4);
	key->port = udp->dest;
	key->family = RELAY_FAMILY_V4;
	__builtin_memcpy(saddr, &ip->saddr, 4);
	*sport = udp->source;
	return 0;
}

static __always_inline int relay_parse_ipv6(void *data, void *data_end, struct relay_pkt *pkt,
					    struct relay_key *key, __u8 *saddr, __be16 *sport)
{
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	struct udphdr *udp;

	if ((void *)(ip6 + 1) > data_end)
		return -1;
	if (ip6->version != 6 || ip6->nexthdr != IPPROTO_UDP)
		return -1;
	pkt->l3_off = sizeof(struct ethhdr);
	pkt->family = RELAY_FAMILY_V6;
	if (relay_parse_udp(data, data_end, pkt->l3_off + sizeof(*ip6), pkt) < 0)
		return -1;
	udp = data + pkt->l4_off;
	if ((void *)(udp + 1) > data_end)
		return -1;
	__builtin_memcpy(key->addr, &ip6->daddr, 16);
	key->port = udp->dest;
	key->family = RELAY_FAMILY_V6;
	__builtin_memcpy(saddr, &ip6->saddr, 16);
	*sport = udp->source;
	return 0;
}

/* Parse Ethernet + IPv4/IPv6 + UDP. Fills @pkt, the lookup @key and the
 * packet's source (@saddr, 16 bytes, zero-padded for IPv4). 0 if the packet is
 * a complete, unfragmented UDP datagram, -1 otherwise. */
static __always_inline int relay_parse(void *data, void *data_end, struct relay_pkt *pkt,
				       struct relay_key *key, __u8 *saddr, __be16 *sport)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return relay_parse_ipv4(data, data_end, pkt, key, saddr, sport);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return relay_parse_ipv6(data, data_end, pkt, key, saddr, sport);
	return -1;
}

#endif
