/*
 * dp_rec.c: the packet path's side of recording. A recorded endpoint's
 * accepted packets are copied, as received, into the worker's recording
 * ring (recording/rec_ring.h): the worker is its only producer, so this is
 * a bounds check and two memcpy, no lock, no syscall. A full ring (the
 * writer thread or the disk too slow) drops the copy and counts it; the
 * packet itself goes on as it would unrecorded (docs/architecture.md,
 * Recording).
 */
#include "dataplane/dp_endpoint.h"

#include <arpa/inet.h>
#include <string.h>

#include "recording/recorder.h"

static void put_addr(const union dp_addr *a, uint8_t *ip, uint16_t *port, uint8_t *v6)
{
	if (a->sa.sa_family == AF_INET6) {
		memcpy(ip, &a->v6.sin6_addr, 16);
		*port = ntohs(a->v6.sin6_port);
		*v6 = 1;
	} else {
		memcpy(ip, &a->v4.sin_addr, 4);
		*port = ntohs(a->v4.sin_port);
	}
}

void dp_rec_copy(struct dp_worker *w, struct dp_endpoint *ep, const struct dp_slot *s, size_t len,
		 bool rtcp)
{
	struct rec_ring *r = recorder_ring(w->index);
	struct rec_pkt h;
	uint8_t v6s = 0, v6d = 0;

	if (!r)
		return;
	memset(&h, 0, sizeof(h));
	h.session = ep->rec_id;
	h.t_us = w->now_us;
	h.leg = ep->rec_leg;
	h.rtcp = rtcp;
	put_addr(&s->src, h.src, &h.src_port, &v6s);
	put_addr(&ep->rec_local, h.dst, &h.dst_port, &v6d);
	if (v6s != v6d) { /* an IPv4 peer on a dual-stack socket: both as IPv6 */
		if (!v6s) {
			memmove(h.src + 12, h.src, 4);
			memset(h.src, 0, 10);
			h.src[10] = h.src[11] = 0xff;
		} else {
			memmove(h.dst + 12, h.dst, 4);
			memset(h.dst, 0, 10);
			h.dst[10] = h.dst[11] = 0xff;
		}
	}
	h.v6 = v6s | v6d;
	if (rec_ring_push(r, &h, s->buf, len)) {
		DP_ADD(ep->pub.rec_copied, 1);
	} else {
		DP_ADD(ep->pub.rec_dropped, 1);
		recorder_note_drop(ep->rec_id);
	}
}
