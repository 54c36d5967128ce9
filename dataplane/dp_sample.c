/*
 * dp_sample.c: where an endpoint's output stream is, sampled by its worker
 * on request (DP_CMD_SAMPLE, dataplane.h dp_endpoint_sample_request), and a
 * held transcoder continued where the control thread says (DP_CMD_XSEEK).
 *
 * A Redis active keeps its workers running while it writes a call's record,
 * so the record cannot read the transcoder's or the SRTP contexts' state
 * directly (those belong to the worker); instead the control thread asks
 * now and then and reads the last answer (daemon/stream_ref.h). Nothing here
 * runs per packet: one command per request.
 *
 * Invariant: ep->sample is written by ep's worker and read by the control
 * thread, both under `lock` (a copy of a few hundred bytes).
 */
#include <pthread.h>
#include <string.h>

#include "codecs/transcode.h"
#include "dataplane/dp_endpoint.h"
#include "dataplane/dp_queue.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The sockets a transcoder's output may leave from (dp_io.c sender():
 * the forward socket, the bundle's socket it goes through, the ICE
 * family's socket): each has an SRTP context of its own. */
static unsigned out_sockets(struct dp_endpoint *ep, struct dp_endpoint *out[3])
{
	struct dp_endpoint *f = ep->fwd_rtp;
	unsigned n = 0;

	if (!f)
		return 0;
	out[n++] = f;
	if ((f->flags & DP_BUNDLED) && f->bundle_via)
		out[n++] = f = f->bundle_via;
	if (dp_ice_out(f) && dp_ice_out(f) != f)
		out[n++] = dp_ice_out(f);
	return n;
}

void dp_sample_take(struct dp_worker *w, struct dp_endpoint *ep)
{
	struct dp_stream_sample s;
	struct dp_endpoint *out[3];

	memset(&s, 0, sizeof(s));
	s.wall_ms = w->now_ms + w->wall_off_ms;
	if (ep->xcode) {
		s.xcode = true;
		xcode_out_state(ep->xcode, &s.ssrc, &s.seq, &s.ts);
		unsigned n = out_sockets(ep, out);
		for (unsigned i = 0; i < n && !s.have_roc; i++) {
			struct dp_srtp_roc r[DP_SRTP_ROCS];
			unsigned k = dp_srtp_get_rocs(out[i], r, DP_SRTP_ROCS);
			for (unsigned j = 0; j < k; j++)
				if (r[j].tx && r[j].ssrc == s.ssrc) {
					s.have_roc = true;
					s.roc = r[j].roc;
					break;
				}
		}
	}
	s.n_rocs = dp_srtp_get_rocs(ep, s.rocs, DP_SRTP_ROCS);
	pthread_mutex_lock(&lock);
	ep->sample = s;
	pthread_mutex_unlock(&lock);
}

bool dp_sample_read(const struct dp_endpoint *ep, struct dp_stream_sample *out)
{
	pthread_mutex_lock(&lock);
	*out = ep->sample;
	pthread_mutex_unlock(&lock);
	return out->wall_ms != 0;
}

void dp_sample_seek(struct dp_endpoint *ep, const struct dp_xseek *s)
{
	struct dp_endpoint *out[3];
	uint32_t ssrc, ts;
	uint16_t seq;

	if (!ep->xcode)
		return;
	xcode_out_state(ep->xcode, &ssrc, &seq, &ts);
	if (s->set_roc) {
		/* before the first packet of ssrc leaves: libsrtp takes the
		 * counter for the first packet it encrypts */
		struct dp_srtp_roc r = { .tx = true, .ssrc = ssrc, .roc = s->roc };
		unsigned n = out_sockets(ep, out);
		for (unsigned i = 0; i < n; i++)
			dp_srtp_set_rocs(out[i], &r, 1);
	}
	xcode_out_seek(ep->xcode, s->seq, s->ts);
}
