/*
 * dataplane.c: the control-thread side of the data plane, the API of
 * dataplane/dataplane.h: starting and stopping the workers, turning API
 * calls into commands on the owning worker's queue (dataplane/dp_queue.h),
 * and composing what the API reports from user space's published counters
 * (dp_pub_read) and the kernel fast path's (dataplane/dp_offload.h).
 *
 * Calls go one way: this file calls worker.c, dp_pub.c and dp_offload.c;
 * none of them calls back here, so the offload code reads user space's
 * counters (dp_pub_read) and never the composed figures.
 *
 * State: the one data-plane instance (dp), set by dp_start and cleared by
 * dp_stop, control thread only; everything else lives in the workers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codecs/transcode.h"
#include "dataplane/dp_endpoint.h"
#include "dataplane/dp_krec.h"
#include "dataplane/dp_offload.h"
#include "lib/hash.h"
#include "lib/log.h"

/* The data plane instance: set by dp_start, cleared by dp_stop (control
 * thread only). */
static struct {
	struct dp_worker *w;
	unsigned n;
} dp;

int dp_start(unsigned nthreads)
{
	int rc;
	unsigned i;

	if (dp.w)
		return -EALREADY;
	if (nthreads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus > 0 ? (unsigned)cpus : 1;
	}
	dp.w = calloc(nthreads, sizeof(*dp.w));
	if (!dp.w)
		return -ENOMEM;
	for (i = 0; i < nthreads; i++) {
		rc = dp_worker_start(&dp.w[i], i);
		if (rc < 0)
			goto err_workers;
	}
	dp.n = nthreads;
	log_info("dataplane: %u worker(s)", nthreads);
	return 0;
err_workers:
	dp.n = i;
	dp_stop();
	return rc;
}

static struct dp_cmd *cmd_new(enum dp_cmd_type type, struct dp_endpoint *ep)
{
	struct dp_cmd *c = calloc(1, sizeof(*c));
	if (c) {
		c->type = type;
		c->ep = ep;
	}
	return c;
}

void dp_stop(void)
{
	if (!dp.w)
		return;
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_cmd *c = cmd_new(DP_CMD_STOP, NULL);
		if (!c)
			abort(); /* cannot stop a worker: nothing sane to do */
		dp_queue_push(&dp.w[i].q, c);
	}
	for (unsigned i = 0; i < dp.n; i++)
		dp_worker_join(&dp.w[i]);
	free(dp.w);
	dp.w = NULL;
	dp.n = 0;
}

unsigned dp_num_workers(void)
{
	return dp.n;
}

unsigned dp_worker_for_key(const char *key)
{
	uint32_t h = key ? fnv1a_str(key) : FNV1A_BASIS;
	return dp.n ? h % dp.n : 0;
}

struct dp_endpoint *dp_endpoint_new(int fd, unsigned worker)
{
	if (!dp.w || worker >= dp.n || fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct dp_endpoint *ep = calloc(1, sizeof(*ep));
	struct dp_cmd *add = cmd_new(DP_CMD_ADD, ep);
	struct dp_cmd *rel = cmd_new(DP_CMD_RELEASE, ep);
	if (!ep || !add || !rel) {
		free(ep);
		free(add);
		free(rel);
		errno = ENOMEM;
		return NULL;
	}
	ep->fd = fd;
	ep->worker = worker;
	ep->flags = DP_DISABLED;
	ep->release = rel;
	dp_queue_push(&dp.w[worker].q, add);
	return ep;
}

/* A BUNDLE names endpoints of @ep's worker only (the bundle socket reads
 * their state), at most DP_BUNDLE_MAX. */
static bool bundle_local(const struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	if ((p->flags & DP_BUNDLED) && p->bundle_via && p->bundle_via->worker != ep->worker)
		return false;
	if (!(p->flags & DP_BUNDLE))
		return true;
	if (p->bundle.n > DP_BUNDLE_MAX)
		return false;
	for (unsigned i = 0; i < p->bundle.n; i++)
		if ((p->bundle.m[i].ep && p->bundle.m[i].ep->worker != ep->worker) ||
		    (p->bundle.m[i].rtcp_ep && p->bundle.m[i].rtcp_ep->worker != ep->worker))
			return false;
	return true;
}

int dp_endpoints_set(struct dp_endpoint *const *eps, const struct dp_endpoint_params *ps,
		     unsigned n)
{
	struct dp_cmd *first = NULL, **tail = &first, *c;
	int rc = 0;

	/* everything that can fail comes first: nothing is applied unless all is */
	for (unsigned i = 0; i < n && !rc; i++) {
		const struct dp_endpoint *ep = eps[i];
		const struct dp_endpoint_params *p = &ps[i];

		if (!ep || !dp.w || ep->worker >= dp.n) {
			rc = -EINVAL;
		} else if ((p->fwd_rtp && p->fwd_rtp->worker != ep->worker) ||
			   (p->fwd_rtcp && p->fwd_rtcp->worker != ep->worker) ||
			   !bundle_local(ep, p) ||
			   (p->ice_twin && p->ice_twin->worker != ep->worker)) {
			/* Forwarding reads the target's learned address: it
			 * must live on the same worker (dp_worker_for_key per
			 * call). */
			rc = -EXDEV;
		} else if (!(c = cmd_new(DP_CMD_SET, eps[i]))) {
			rc = -ENOMEM;
		} else {
			c->params = *p;
			*tail = c;
			tail = &c->next;
		}
	}
	for (unsigned i = 0; first; i++) {
		c = first;
		first = c->next;
		c->next = NULL;
		if (rc) {
			free(c);
			continue;
		}
		dp_offload_params(eps[i], &ps[i]);
		dp_queue_push(&dp.w[eps[i]->worker].q, c);
	}
	return rc;
}

int dp_endpoint_set(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	if (!ep || !p)
		return -EINVAL;
	return dp_endpoints_set(&ep, p, 1);
}

int dp_endpoint_ctl(struct dp_endpoint *ep, const struct dp_ctl_params *p)
{
	struct dp_cmd *c;

	if (!ep || !p || !dp.w || ep->worker >= dp.n)
		return -EINVAL;
	c = cmd_new(DP_CMD_CTL, ep);
	if (!c)
		return -ENOMEM;
	c->ctl = *p;
	/* out of the kernel first: from now on user space sees every packet */
	dp_offload_ctl(ep, p->flags != 0, 0);
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

int dp_endpoint_srtp(struct dp_endpoint *ep, const struct sr_keys *k)
{
	struct dp_cmd *c;

	if (!ep || !k || !dp.w || ep->worker >= dp.n ||
	    (k->suite != SR_SUITE_NONE && sr_keys_check(k)))
		return -EINVAL;
	c = cmd_new(DP_CMD_SRTP, ep);
	if (!c)
		return -ENOMEM;
	c->params.srtp = *k;
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

int dp_endpoint_adopt(struct dp_endpoint *ep, const struct sockaddr_storage *remote)
{
	struct dp_cmd *c;

	if (!ep || !remote || !dp.w || ep->worker >= dp.n ||
	    (remote->ss_family != AF_INET && remote->ss_family != AF_INET6))
		return -EINVAL;
	c = cmd_new(DP_CMD_ADOPT, ep);
	if (!c)
		return -ENOMEM;
	c->params.sdp_remote = *remote;
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

int dp_endpoint_dtmf(struct dp_endpoint *ep, const struct dp_dtmf_play *ev, uint64_t until_ms)
{
	struct dp_cmd *c;

	if (!ep || !ev || !dp.w || ep->worker >= dp.n)
		return -EINVAL;
	c = cmd_new(DP_CMD_DTMF, ep);
	if (!c)
		return -ENOMEM;
	c->dtmf = *ev;
	dp_offload_ctl(ep, false, until_ms);
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

int dp_endpoint_play(struct dp_endpoint *ep, const struct dp_play *p, uint64_t until_ms)
{
	struct dp_cmd *c;

	if (!ep || !p || !dp.w || ep->worker >= dp.n)
		return -EINVAL;
	c = cmd_new(DP_CMD_PLAY, ep);
	if (!c)
		return -ENOMEM;
	c->play = *p;
	if (p->m)
		dp_media_ref(p->m);
	/* out of the kernel while it plays: user space rewrites the packets */
	dp_offload_ctl(ep, false, until_ms);
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

uint64_t dp_endpoint_play_pos(const struct dp_endpoint *ep)
{
	return DP_GET(ep->pub.play_pos);
}

int dp_endpoint_rec(struct dp_endpoint *ep, const struct dp_rec_tap *tap)
{
	struct dp_cmd *c;

	if (!ep || !tap || !dp.w || ep->worker >= dp.n)
		return -EINVAL;
	c = cmd_new(DP_CMD_REC, ep);
	if (!c)
		return -ENOMEM;
	c->rec = *tap;
	/* the kernel's record bit, or out of the kernel: user space copies */
	dp_offload_rec(ep, tap->id, tap->leg);
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

void dp_kernel_rec_counters(uint64_t *copied, uint64_t *dropped)
{
	dp_krec_counters(copied, dropped);
}

void dp_endpoint_release(struct dp_endpoint *ep)
{
	if (!ep)
		return;
	dp_offload_release(ep);
	dp_queue_push(&dp.w[ep->worker].q, ep->release);
}

void dp_endpoint_stats(const struct dp_endpoint *ep, struct dp_stats *out)
{
	dp_pub_read(ep, out);
	dp_offload_merge(ep, out);
}

bool dp_endpoint_in_kernel(const struct dp_endpoint *ep)
{
	return dp_offload_installed(ep);
}

void dp_kernel_totals(struct dp_totals *out)
{
	memset(out, 0, sizeof(*out));
	dp_offload_totals(out);
}

int dp_worker_cpu_ns(unsigned i, uint64_t *ns)
{
	clockid_t cid;
	struct timespec ts;
	int rc;

	if (i >= dp.n)
		return -EINVAL;
	rc = pthread_getcpuclockid(dp.w[i].thread, &cid);
	if (rc)
		return -rc;
	if (clock_gettime(cid, &ts))
		return -errno;
	*ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}

void dp_totals(struct dp_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_worker_totals *t = &dp.w[i].tot;
		out->packets += DP_GET(t->packets);
		out->bytes += DP_GET(t->bytes);
		out->forwarded += DP_GET(t->forwarded);
		out->dropped += DP_GET(t->dropped);
		out->errors += DP_GET(t->errors);
		out->xcode_ticks += DP_GET(t->xcode_ticks);
		out->xcode_visits += DP_GET(t->xcode_visits);
	}
	dp_offload_totals(out);
}

int dp_sync(void)
{
	struct dp_sync s = { .pending = 0 };
	int rc = 0;

	if (!dp.w)
		return -EINVAL;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_cmd *c = cmd_new(DP_CMD_SYNC, NULL);
		if (!c) {
			rc = -ENOMEM;
			break;
		}
		c->sync = &s;
		pthread_mutex_lock(&s.lock);
		s.pending++;
		pthread_mutex_unlock(&s.lock);
		dp_queue_push(&dp.w[i].q, c);
	}
	pthread_mutex_lock(&s.lock);
	while (s.pending)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	return rc;
}

static struct dp_pause pause_state = { .lock = PTHREAD_MUTEX_INITIALIZER,
				       .cond = PTHREAD_COND_INITIALIZER };

int dp_pause(void)
{
	unsigned queued = 0;

	if (!dp.w)
		return -EINVAL;
	pthread_mutex_lock(&pause_state.lock);
	pause_state.hold = true;
	pthread_mutex_unlock(&pause_state.lock);
	for (unsigned i = 0; i < dp.n; i++) {
		struct dp_cmd *c = cmd_new(DP_CMD_PAUSE, NULL);
		if (!c)
			break;
		c->pause = &pause_state;
		dp_queue_push(&dp.w[i].q, c);
		queued++;
	}
	pthread_mutex_lock(&pause_state.lock);
	while (pause_state.paused < queued)
		pthread_cond_wait(&pause_state.cond, &pause_state.lock);
	pthread_mutex_unlock(&pause_state.lock);
	if (queued < dp.n) {
		dp_resume();
		return -ENOMEM;
	}
	return 0;
}

void dp_resume(void)
{
	pthread_mutex_lock(&pause_state.lock);
	pause_state.hold = false;
	pthread_cond_broadcast(&pause_state.cond);
	while (pause_state.paused)
		pthread_cond_wait(&pause_state.cond, &pause_state.lock);
	pthread_mutex_unlock(&pause_state.lock);
}

unsigned dp_endpoint_srtp_rocs(const struct dp_endpoint *ep, struct dp_srtp_roc *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&pause_state.lock);
	if (ep && pause_state.hold && pause_state.paused == dp.n) /* the worker is held */
		n = dp_srtp_get_rocs(ep, out, max);
	pthread_mutex_unlock(&pause_state.lock);
	return n;
}

bool dp_endpoint_xcode_out(const struct dp_endpoint *ep, uint32_t *ssrc, uint16_t *seq,
			   uint32_t *ts)
{
	bool ok = false;

	pthread_mutex_lock(&pause_state.lock);
	if (ep && ep->xcode && pause_state.hold && pause_state.paused == dp.n) {
		xcode_out_state(ep->xcode, ssrc, seq, ts);
		ok = true;
	}
	pthread_mutex_unlock(&pause_state.lock);
	return ok;
}

int dp_endpoint_srtp_set_rocs(struct dp_endpoint *ep, const struct dp_srtp_roc *r, unsigned n)
{
	struct dp_cmd *c;

	if (!ep || !dp.w || ep->worker >= dp.n || n > DP_SRTP_ROCS)
		return -EINVAL;
	if (!n)
		return 0;
	c = cmd_new(DP_CMD_SRTP_ROC, ep);
	if (!c)
		return -ENOMEM;
	memcpy(c->rocs, r, n * sizeof(*r));
	c->n_rocs = n;
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

int dp_endpoint_sample_request(struct dp_endpoint *ep)
{
	struct dp_cmd *c;

	if (!ep || !dp.w || ep->worker >= dp.n)
		return -EINVAL;
	c = cmd_new(DP_CMD_SAMPLE, ep);
	if (!c)
		return -ENOMEM;
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

bool dp_endpoint_sample_read(const struct dp_endpoint *ep, struct dp_stream_sample *out)
{
	return ep && dp_sample_read(ep, out);
}

int dp_endpoint_xcode_seek(struct dp_endpoint *ep, uint16_t seq, uint32_t ts, bool set_roc,
			   uint32_t roc)
{
	struct dp_cmd *c;

	if (!ep || !dp.w || ep->worker >= dp.n)
		return -EINVAL;
	c = cmd_new(DP_CMD_XSEEK, ep);
	if (!c)
		return -ENOMEM;
	c->xseek = (struct dp_xseek){ .seq = seq, .ts = ts, .set_roc = set_roc, .roc = roc };
	dp_queue_push(&dp.w[ep->worker].q, c);
	return 0;
}

int dp_endpoint_fd(const struct dp_endpoint *ep)
{
	return ep ? ep->fd : -1;
}
