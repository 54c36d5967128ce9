/*
 * dp_pub.c: an endpoint's published block (struct dp_pub, dp_endpoint.h),
 * its counters and current remote as the worker shows them to other
 * threads: the owning worker writes it (dp_io.c adds the counters once per
 * batch; the remote address goes through dp_pub_remote here), any thread
 * reads it (dp_pub_read).
 *
 * Invariant: every field has one writer, the endpoint's worker, and is
 * stored with relaxed atomics; the remote address is four words under a
 * sequence count (odd while being written), so a reader sees one whole
 * address. Figures derived from several fields (expected, lost) are clamped
 * because the fields are read one by one.
 *
 * This is user space's view only: the kernel fast path's counters are added
 * on top by dataplane.c (dp_offload_merge), which reads this too.
 */
#include <string.h>

#include "dataplane/dp_endpoint.h"

void dp_pub_remote(struct dp_endpoint *ep)
{
	uint64_t words[4] = { 0 };
	uint32_t seq = DP_GET(ep->pub.remote_seq);

	_Static_assert(sizeof(union dp_addr) <= sizeof(words), "remote words too small");
	memcpy(words, &ep->latch.remote, sizeof(ep->latch.remote));
	/* Seqlock: readers retry while odd or changed. */
	atomic_store_explicit(&ep->pub.remote_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (int i = 0; i < 4; i++)
		DP_PUT(ep->pub.remote_words[i], words[i]);
	DP_PUT(ep->pub.latched, ep->latch.latched);
	atomic_store_explicit(&ep->pub.remote_seq, seq + 2, memory_order_release);
}

/* The remote as last published: retried while a write is under way. */
static void read_remote(const struct dp_endpoint *ep, struct sockaddr_storage *out, bool *latched)
{
	struct dp_pub *pub = (struct dp_pub *)&ep->pub;
	uint64_t words[4];
	uint32_t s1, s2;

	do {
		s1 = atomic_load_explicit(&pub->remote_seq, memory_order_acquire);
		for (int i = 0; i < 4; i++)
			words[i] = DP_GET(pub->remote_words[i]);
		*latched = DP_GET(pub->latched);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&pub->remote_seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
	memset(out, 0, sizeof(*out));
	memcpy(out, words, sizeof(union dp_addr));
}

void dp_pub_read(const struct dp_endpoint *ep, struct dp_stats *out)
{
	struct dp_pub *pub = (struct dp_pub *)&ep->pub;

	memset(out, 0, sizeof(*out));
	out->packets = DP_GET(pub->packets);
	out->bytes = DP_GET(pub->bytes);
	out->errors = DP_GET(pub->errors);
	out->forwarded = DP_GET(pub->forwarded);
	out->dropped_source = DP_GET(pub->dropped_source);
	out->dropped_other = DP_GET(pub->dropped_other);
	out->last_packet_ms = DP_GET(pub->last_ms);
	out->last_packet_wall = DP_GET(pub->last_wall);
	out->ssrc = DP_GET(pub->ssrc);
	/* RFC 3550 A.3 from three separately published values: clamp. */
	uint64_t ext_max = DP_GET(pub->ext_max), base = DP_GET(pub->base_seq);
	uint64_t received = DP_GET(pub->rtp_received);
	out->expected = ext_max > base ? ext_max - base : 0;
	out->lost = out->expected > received ? out->expected - received : 0;
	uint32_t rate = DP_GET(pub->clock_rate);
	out->jitter_ms = rate ? (double)DP_GET(pub->jitter16) / 16.0 * 1000.0 / rate : 0.0;
	out->rtt_leg_us = DP_GET(pub->rtt_leg_us);
	out->srtp_auth_failed = DP_GET(pub->srtp_auth_failed);
	out->bundle_unknown = DP_GET(pub->bundle_unknown);
	out->srtp_replayed = DP_GET(pub->srtp_replayed);
	out->srtp_errors = DP_GET(pub->srtp_errors);
	out->srtp_awaiting_keys = DP_GET(pub->srtp_awaiting_keys);
	read_remote(ep, &out->remote, &out->latched);
}
