/*
 * offload_rec_parse.c: decode a record of relay_rec_ring (offload_rec.h).
 * Built with and without offload support: the fuzz target and the unit
 * tests need no kernel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "kernel-offload/offload_rec.h"
#include "kernel-offload/relay_shared.h"

static void put_addr(struct sockaddr_storage *sa, uint8_t family, const uint8_t *addr,
		     uint16_t port_be)
{
	memset(sa, 0, sizeof(*sa));
	if (family == RELAY_FAMILY_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		sin->sin_port = port_be;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_port = port_be;
	}
}

int offload_rec_parse(const void *raw, size_t size, struct offload_rec *out)
{
	struct relay_rec h;

	if (!raw || size < sizeof(h))
		return -EINVAL;
	memcpy(&h, raw, sizeof(h));
	if (h.len == 0 || h.len > RELAY_REC_CAP || h.len > size - sizeof(h) || h.orig_len < h.len)
		return -EINVAL;
	if (h.family != RELAY_FAMILY_V4 && h.family != RELAY_FAMILY_V6)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->t_ns = h.t_ns;
	out->session = h.session;
	out->leg = h.leg;
	out->len = h.len;
	out->orig_len = h.orig_len;
	put_addr(&out->src, h.family, h.src_addr, h.src_port);
	put_addr(&out->dst, h.family, h.dst_addr, h.dst_port);
	out->data = (const uint8_t *)raw + sizeof(h);
	return 0;
}
