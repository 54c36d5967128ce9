/*
 * dp_krec.c: the kernel's recording ring fed to the recording writer
 * (dp_krec.h).
 */
#include "dataplane/dp_krec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "kernel-offload/offload_rec.h"
#include "lib/log.h"
#include "lib/rtp_shared.h"
#include "recording/recorder.h"

/* Records per poll (one writer tick): the writer's commands and flushes get
 * their turn even if the kernel produces faster than it writes. */
#define KREC_POLL_MAX 100000u

static struct {
	bool on;
} krec;

static void put_addr(const struct sockaddr_storage *sa, uint8_t ip[16], uint16_t *port)
{
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		memcpy(ip, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(ip, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
	}
}

void dp_krec_to_pkt(const struct offload_rec *r, struct rec_pkt *h)
{
	memset(h, 0, sizeof(*h));
	h->session = r->session;
	h->t_us = r->t_ns / 1000u;
	h->len = r->len;
	h->leg = (uint8_t)(r->leg < 256 ? r->leg : 255);
	h->v6 = r->src.ss_family == AF_INET6;
	/* the kernel forwards RTP only, but on a socket without rtcp-mux it
	 * does not tell RTCP apart: the recorder gets user space's verdict */
	h->rtcp = r->len >= 2 && rtp_second_byte_is_rtcp(r->data[1]);
	put_addr(&r->src, h->src, &h->src_port);
	put_addr(&r->dst, h->dst, &h->dst_port);
}

static void on_record(void *arg, const struct offload_rec *r)
{
	struct rec_pkt h;

	(void)arg;
	dp_krec_to_pkt(r, &h);
	recorder_feed(&h, r->data);
}

static void poll_ring(void *arg)
{
	(void)arg;
	(void)offload_rec_consume(KREC_POLL_MAX);
}

int dp_krec_start(void)
{
	int rc;

	if (krec.on || !recorder_active())
		return krec.on ? 0 : -ENOTSUP;
	rc = offload_rec_open(on_record, NULL);
	if (rc == -ENOTSUP) {
		log_info("offload: recorded streams stay in user space "
			 "(recording-kernel-ring-kb = 0)");
		return rc;
	}
	if (rc) {
		log_warn("offload: no recording ring (%s); recorded streams stay in user space",
			 strerror(-rc));
		return rc;
	}
	recorder_source_set(poll_ring, NULL);
	krec.on = true;
	log_info("offload: recorded streams stay in the kernel (copies through a BPF ring "
		 "buffer)");
	return 0;
}

void dp_krec_stop(void)
{
	if (!krec.on)
		return;
	krec.on = false;
	/* a writer that never answers keeps the ring: leaked, never freed
	 * under it */
	if (recorder_source_remove())
		offload_rec_close();
}

bool dp_krec_ready(void)
{
	return krec.on;
}

void dp_krec_counters(uint64_t *copied, uint64_t *dropped)
{
	*copied = *dropped = 0;
	if (krec.on)
		(void)offload_rec_counters(copied, dropped);
}
