/*
 * dp_offload.c: which endpoints the kernel forwards, and their counters (see
 * dp_offload.h).
 *
 * Every endpoint that has received parameters gets a struct dp_offload
 * (ep->off), linked in one control-thread list. It remembers what the
 * control thread told the worker (forward endpoint, flags, end of the
 * learning window), what is installed in the kernel map, and the counters of
 * earlier offload periods (a kernel entry's counters die with it). The
 * workers never look at any of it.
 *
 * RFC 3550 figures (expected, lost, jitter) follow one state across the
 * hand-overs: the kernel entry starts from user space's state (as published
 * by the worker, or as handed back earlier and not yet taken), and when the
 * entry goes, its final state is posted to the worker's struct rtp_source
 * (rtp_source_post), which continues from it at the next packet. Packets
 * user space still handles while the kernel forwards (a socket's queue at
 * the switch, strays) are added to the kernel's received count. Until the
 * worker has published the state handed back, the figures come from it.
 *
 * Invariant: an endpoint's kernel entry names only endpoints that are alive:
 * releasing an endpoint first removes its own entry and every entry that
 * sends out of its socket.
 */
#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dp_endpoint.h"
#include "dataplane/dp_krec.h"
#include "dataplane/dp_offload.h"
#include "lib/log.h"
#include "kernel-offload/offload.h"
#include "kernel-offload/offload_adopt.h"
#include "recording/recorder.h"

#define OFFLOAD_MAX_IFNAMES	 32  /* = the loader's limit */
#define OFFLOAD_WINDOW_MARGIN_MS 200 /* the worker starts the window a bit later */

struct dp_offload {
	struct dp_endpoint *ep;
	struct dp_offload *prev, *next;
	struct dp_endpoint *fwd;       /* RTP goes out of this endpoint's socket */
	uint32_t flags;		       /* enum dp_flags */
	uint64_t learn_until_ms;       /* latching may change the remote until then */
	struct sockaddr_storage local; /* the socket's address (family 0 = unusable) */
	bool installed;
	bool failed;		   /* add failed: not retried until new params */
	struct offload_stream cur; /* what is in the kernel map */
	struct dp_stats acc;	   /* earlier offload periods */
	uint32_t clock_rate;	   /* from params, 0 = by payload type */
	/* user space's published RFC 3550 counters when the kernel entry was
	 * seeded; seed_handed: the seed was a state the worker never took, so
	 * it must get the kernel's back even if the kernel forwarded nothing */
	uint64_t seed_received;
	uint32_t seed_ssrc;
	bool seed_handed;
	/* the state last handed back, shown until the worker publishes it */
	struct rtp_source back;
	uint32_t back_rate;
	bool back_shown;
	/* call control (dp_offload_ctl): user space must see the RTP */
	bool ctl_on;
	uint64_t ctl_until_ms;
	/* recorded (dp_offload_rec): the kernel copies its packets
	 * (OFFLOAD_RECORD, dp_krec.h), or, without the kernel's recording
	 * ring, user space does */
	bool rec_on;
	uint32_t rec_id;
	uint8_t rec_leg;
	uint64_t rec_dropped_seen; /* the kernel entry's rec_dropped reported */
};

static struct {
	bool active;
	bool adopting; /* takeover: restored endpoints claim the adopted entries */
	struct dp_offload *head;
	struct dp_stats released; /* kernel counters of released endpoints */
} dpo;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool addr_is_any(const struct sockaddr_storage *sa)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (sa->ss_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &any6, sizeof(any6));
}

/* Is @name an Ethernet or loopback device (the program parses an Ethernet
 * header; L3 devices such as tun or wireguard have none)? */
static bool has_ether_header(const char *name)
{
	char path[64 + IF_NAMESIZE], buf[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf) == ARPHRD_ETHER || atoi(buf) == ARPHRD_LOOPBACK;
}

int dp_offload_start(uint16_t port_min, uint16_t port_max)
{
	const char *names[OFFLOAD_MAX_IFNAMES];
	struct if_nameindex *ifs;
	unsigned nn = 0;
	int rc;

	if (dpo.active)
		return 0; /* a takeover started it before restoring the calls */

	/* Every Ethernet-like interface, not only those that own the media
	 * addresses: a packet for a local address may come in on any of them
	 * (a host route, an address on lo, asymmetric routing). The program
	 * lets everything it does not know pass after a hash lookup. */
	ifs = if_nameindex();
	if (!ifs) {
		rc = -errno;
		log_err("offload: cannot list interfaces (%s); forwarding stays in user space",
			strerror(-rc));
		return rc;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (!has_ether_header(i->if_name))
			continue;
		if (nn == OFFLOAD_MAX_IFNAMES) {
			log_warn("offload: more than %d interfaces, %s and later not covered",
				 OFFLOAD_MAX_IFNAMES, i->if_name);
			break;
		}
		names[nn++] = i->if_name;
	}
	rc = offload_init(names, nn, port_min, port_max);
	if_freenameindex(ifs); /* offload_init is done with the names */
	if (rc == -ENOTSUP)    /* a real load failure was logged by offload_init */
		log_err("offload: this build has no kernel offload (meson -Doffload=disabled); "
			"forwarding stays in user space");
	dpo.active = rc == 0;
	dpo.adopting = dpo.active && offload_adopted();
	if (dpo.active)
		(void)dp_krec_start(); /* logs why not: recorded streams stay in user space */
	return rc;
}

/* Add offloaded counters @k into user-space stats @out. */
static void add_stats(struct dp_stats *out, const struct dp_stats *k)
{
	out->packets += k->packets;
	out->bytes += k->bytes;
	out->forwarded += k->forwarded;
	out->dropped_source += k->dropped_source;
	if (k->last_packet_ms > out->last_packet_ms) {
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		out->last_packet_ms = k->last_packet_ms;
		out->last_packet_wall = (uint64_t)rt.tv_sec -
					(mono_ms() - k->last_packet_ms) / 1000u;
		out->ssrc = k->ssrc;
	}
}

/* Fold a kernel entry's counters into @acc. */
static void fold(struct dp_stats *acc, const struct offload_counters *k)
{
	uint64_t last_ms = k->last_seen_ns / 1000000u;

	acc->packets += k->packets;
	acc->bytes += k->bytes;
	acc->forwarded += k->packets;
	acc->dropped_source += k->dropped_source;
	if (last_ms > acc->last_packet_ms) {
		acc->last_packet_ms = last_ms;
		acc->ssrc = k->ssrc;
	}
}

/* User space's RFC 3550 state as the worker last published it (no transit:
 * the first packet after a hand-over only starts the jitter's transit). */
static void published_source(const struct dp_endpoint *ep, struct rtp_source *s)
{
	struct dp_pub *pub = (struct dp_pub *)&ep->pub;
	uint64_t ext = DP_GET(pub->ext_max); /* extended max + 1, 0 = no valid source */

	memset(s, 0, sizeof(*s));
	if (!ext)
		return; /* none, or on probation: the kernel starts its own */
	ext--;
	s->valid = true;
	s->ssrc = DP_GET(pub->ssrc);
	s->max_seq = (uint16_t)ext;
	s->cycles = (uint32_t)ext & ~0xffffu;
	s->base_seq = (uint32_t)DP_GET(pub->base_seq);
	s->bad_seq = (1u << 16) + 1;
	s->received = DP_GET(pub->rtp_received);
	s->jitter = DP_GET(pub->jitter16);
}

/* Is the state handed back to the worker still newer than what it
 * published? (Not yet taken, or taken within a batch not yet published.) */
static bool back_pending(struct dp_offload *o)
{
	struct dp_pub *pub = &o->ep->pub;

	if (o->back_shown && !atomic_load_explicit(&o->ep->src.handover, memory_order_relaxed) &&
	    (DP_GET(pub->ssrc) != o->back.ssrc || DP_GET(pub->rtp_received) >= o->back.received))
		o->back_shown = false;
	return o->back_shown;
}

/* User space's state, to seed a kernel entry from; also notes what the
 * worker will have published for it (combined_source adds what it receives
 * beyond that). */
static void user_source(struct dp_offload *o, struct rtp_source *s)
{
	struct rtp_source *posted = rtp_source_unpost(&o->ep->src);
	struct dp_pub *pub = &o->ep->pub;

	memset(s, 0, sizeof(*s));
	o->seed_received = DP_GET(pub->rtp_received);
	o->seed_ssrc = DP_GET(pub->ssrc);
	o->seed_handed = posted != NULL;
	if (posted) { /* handed back, never taken: it is the current state */
		rtp_source_copy(s, posted);
		free(posted);
	} else if (back_pending(o)) { /* taken, not yet published */
		rtp_source_copy(s, &o->back);
		o->seed_received = o->back.received;
		o->seed_ssrc = o->back.ssrc;
	} else {
		published_source(o->ep, s);
	}
	o->back_shown = false;
}

/* The kernel's state plus what user space received meanwhile. */
static void combined_source(const struct dp_offload *o, const struct offload_counters *k,
			    struct rtp_source *s)
{
	struct dp_pub *pub = &o->ep->pub;
	uint64_t rec = DP_GET(pub->rtp_received);

	memset(s, 0, sizeof(*s));
	rtp_source_copy(s, &k->src);
	if (DP_GET(pub->ssrc) == o->seed_ssrc && s->valid && s->ssrc == o->seed_ssrc &&
	    rec > o->seed_received)
		s->received += rec - o->seed_received;
}

/* RFC 3550 figures of @s into @out (rate 0: user space's last one). */
static void put_source(const struct dp_endpoint *ep, const struct rtp_source *s, uint32_t rate,
		       struct dp_stats *out)
{
	struct dp_pub *pub = (struct dp_pub *)&ep->pub;

	if (!s->valid)
		return;
	if (!rate)
		rate = DP_GET(pub->clock_rate);
	out->ssrc = s->ssrc;
	out->expected = rtp_source_expected(s);
	out->lost = rtp_source_lost(s);
	out->jitter_ms = rate ? (double)s->jitter / 16.0 * 1000.0 / rate : 0.0;
}

/* Hand the final kernel state to the worker, which continues from it. */
static void hand_back(struct dp_offload *o, const struct offload_counters *k)
{
	struct rtp_source *h;

	if ((!k->packets && !o->seed_handed) || !k->src.valid)
		return; /* the kernel saw nothing: user space's state is current */
	h = calloc(1, sizeof(*h));
	if (!h)
		return; /* the worker goes on from its own older state */
	combined_source(o, k, h);
	rtp_source_copy(&o->back, h);
	o->back_rate = k->clock_rate;
	o->back_shown = true;
	free(rtp_source_post(&o->ep->src, h));
}

/* Copies of the entry's packets the kernel's ring had no room for, since
 * the last report, go to the session they were for. */
static void rec_drops(struct dp_offload *o, const struct offload_counters *k)
{
	if ((o->cur.flags & OFFLOAD_RECORD) && k->rec_dropped > o->rec_dropped_seen)
		recorder_note_kernel_drops(o->cur.rec_session,
					   k->rec_dropped - o->rec_dropped_seen);
	o->rec_dropped_seen = k->rec_dropped;
}

/* Remove the kernel entry; with @give_back the worker continues its RFC 3550
 * state from the kernel's (not for an endpoint on its way out). */
static void uninstall(struct dp_offload *o, bool give_back)
{
	struct offload_counters k;

	if (!o->installed)
		return;
	if (offload_stream_take(&o->cur.local, &k) == 0) {
		rec_drops(o, &k);
		fold(&o->acc, &k);
		if (give_back)
			hand_back(o, &k);
	}
	o->installed = false;
}

static struct dp_offload *track(struct dp_endpoint *ep)
{
	struct dp_offload *o = ep->off;
	socklen_t len = sizeof(struct sockaddr_storage);

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->ep = ep;
	if (getsockname(ep->fd, (struct sockaddr *)&o->local, &len) < 0 || addr_is_any(&o->local))
		o->local.ss_family = AF_UNSPEC;
	o->next = dpo.head;
	if (dpo.head)
		dpo.head->prev = o;
	dpo.head = o;
	ep->off = o;
	return o;
}

/* Takeover: @o's socket has an entry in the adopted maps, which stays. Its
 * latching is settled (the record's remotes were adopted, and the kernel
 * keeps the packets from the worker's learning), so the next tick only
 * rewrites the entry to what this process wants (offload_stream_add keeps
 * its counters and RFC 3550 state). */
static void claim(struct dp_offload *o)
{
	struct offload_counters k;

	if (o->local.ss_family == AF_UNSPEC || offload_stream_read(&o->local, &k))
		return;
	memset(&o->cur, 0, sizeof(o->cur));
	o->cur.local = o->local;
	o->installed = true;
	o->learn_until_ms = 0;
	/* the worker starts with nothing received: what it gets meanwhile
	 * (strays) adds to the kernel's count */
	o->seed_received = 0;
	o->seed_ssrc = k.ssrc;
	o->seed_handed = false;
	o->rec_dropped_seen = k.rec_dropped;
}

void dp_offload_params(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	uint32_t window = p->learn_window_ms ? p->learn_window_ms : DP_LEARN_WINDOW_DEFAULT_MS;
	struct dp_offload *o;

	if (!dpo.active)
		return;
	o = track(ep);
	if (!o)
		return; /* no memory: the endpoint simply stays in user space */
	if (dpo.adopting) {
		/* a restored call (published once per party, perhaps more):
		 * nothing of this process is in the kernel, only the entries
		 * it adopts, which stay */
		o->fwd = p->fwd_rtp;
		o->flags = p->flags;
		o->clock_rate = p->clock_rate;
		o->failed = false;
		if (!o->installed) {
			o->learn_until_ms = mono_ms() + window + OFFLOAD_WINDOW_MARGIN_MS;
			claim(o);
		}
		return;
	}
	/* latching starts over: back to user space until it settles, and
	 * so do the entries that send to this endpoint's party */
	uninstall(o, true);
	for (struct dp_offload *x = dpo.head; x; x = x->next)
		if (x->fwd == ep)
			uninstall(x, true);
	o->fwd = p->fwd_rtp;
	o->flags = p->flags;
	o->clock_rate = p->clock_rate;
	o->learn_until_ms = mono_ms() + window + OFFLOAD_WINDOW_MARGIN_MS;
	o->failed = false;
}

void dp_offload_ctl(struct dp_endpoint *ep, bool on, uint64_t until_ms)
{
	struct dp_offload *o;

	if (!dpo.active)
		return;
	o = track(ep);
	if (!o)
		return;
	if (until_ms) {
		if (until_ms > o->ctl_until_ms)
			o->ctl_until_ms = until_ms;
	} else {
		o->ctl_on = on;
	}
	if (on || until_ms)
		uninstall(o, true);
}

void dp_offload_rec(struct dp_endpoint *ep, uint32_t id, uint8_t leg)
{
	struct offload_stream want;
	struct offload_counters k;
	struct dp_offload *o;

	if (!dpo.active)
		return;
	o = track(ep);
	if (!o)
		return;
	o->rec_on = id != 0;
	o->rec_id = id;
	o->rec_leg = leg;
	if (!o->installed)
		return; /* the next tick installs it with the record bit as wanted */
	if (!dp_krec_ready()) {
		if (id)
			uninstall(o, true); /* user space copies */
		return;
	}
	/* flip the bit in place: the stream stays in the kernel, from the
	 * next packet on it is copied (or no longer) */
	if (offload_stream_read(&o->cur.local, &k) == 0)
		rec_drops(o, &k);
	want = o->cur;
	want.flags &= ~(uint32_t)OFFLOAD_RECORD;
	want.rec_session = 0;
	want.rec_leg = 0;
	if (id) {
		want.flags |= OFFLOAD_RECORD;
		want.rec_session = id;
		want.rec_leg = leg;
	}
	if (offload_stream_add(&want)) {
		uninstall(o, true); /* user space copies, or forwards unrecorded */
		return;
	}
	o->cur = want;
}

void dp_offload_release(struct dp_endpoint *ep)
{
	struct dp_offload *o = ep->off;

	if (!o)
		return;
	for (struct dp_offload *x = dpo.head; x; x = x->next) {
		if (x->fwd == ep) {
			uninstall(x, true);
			x->fwd = NULL;
		}
	}
	uninstall(o, false);
	/* the worker frees the endpoint: nothing may stay posted to it */
	free(rtp_source_unpost(&ep->src));
	add_stats(&dpo.released, &o->acc);
	if (o->prev)
		o->prev->next = o->next;
	else
		dpo.head = o->next;
	if (o->next)
		o->next->prev = o->prev;
	ep->off = NULL;
	free(o);
}

/* The kernel entry @o should have now, if any. */
static bool wanted(const struct dp_offload *o, uint64_t now_ms, struct offload_stream *want)
{
	const struct dp_offload *f = o->fwd ? o->fwd->off : NULL;
	struct dp_stats in, out;
	sa_family_t fam = o->local.ss_family;

	if (o->failed ||
	    (o->flags & (DP_DISABLED | DP_RTCP | DP_TRANSCODE | DP_FORWARD_PT_ONLY | DP_NO_OFFLOAD |
			 DP_ICE | DP_SRTP | DP_BUNDLE | DP_BUNDLED)) ||
	    !f)
		return false;
	if (f->flags & DP_BUNDLED) /* leaves another socket than its own */
		return false;
	if (now_ms < o->learn_until_ms || now_ms < f->learn_until_ms)
		return false;
	if (o->ctl_on || now_ms < o->ctl_until_ms)
		return false; /* call control works on user space's packets */
	if (o->rec_on && !dp_krec_ready())
		return false; /* no kernel ring: the recorder's copies come from user space */
	if (DP_GET(o->ep->pub.play_held))
		return false;	 /* played media, or the sender's packets shifted after it */
	dp_pub_read(o->ep, &in); /* the remotes: user space's latching decides them */
	dp_pub_read(o->fwd, &out);
	/* both remotes known, one family throughout (no v4/v6 bridging) */
	if (fam == AF_UNSPEC || f->local.ss_family != fam || in.remote.ss_family != fam ||
	    out.remote.ss_family != fam)
		return false;
	if (((struct sockaddr_in *)&in.remote)->sin_port == 0 ||
	    ((struct sockaddr_in *)&out.remote)->sin_port == 0)
		return false;
	memset(want, 0, sizeof(*want));
	want->local = o->local;
	want->src = f->local;
	want->dst = out.remote;
	/* asymmetric parties send from elsewhere than they receive on */
	if ((o->flags & DP_ASYMMETRIC) && !(o->flags & DP_STRICT_SOURCE))
		want->expect.ss_family = AF_UNSPEC;
	else
		want->expect = in.remote;
	/* media-handover: another source goes to user space, which may move
	 * the remote to it, instead of being dropped in the kernel */
	if ((o->flags & DP_STRICT_SOURCE) && !(o->flags & DP_MEDIA_HANDOVER))
		want->flags |= OFFLOAD_STRICT_SOURCE;
	if (o->flags & DP_RTCP_MUX)
		want->flags |= OFFLOAD_RTCP_TO_USER;
	want->clock_rate = o->clock_rate;
	if (o->rec_on) {
		want->flags |= OFFLOAD_RECORD;
		want->rec_session = o->rec_id;
		want->rec_leg = o->rec_leg;
	}
	return true;
}

/* A new kernel entry, its RFC 3550 state continuing user space's. */
static int install(struct dp_offload *o, const struct offload_stream *want)
{
	struct rtp_source seed, *again;
	int rc;

	user_source(o, &seed);
	o->rec_dropped_seen = 0; /* a fresh entry: its counters start at 0 */
	rc = offload_stream_add_from(want, &seed);
	if (rc && o->seed_handed && (again = calloc(1, sizeof(*again)))) {
		/* user space keeps the stream: it continues from the state
		 * it was handed */
		rtp_source_copy(again, &seed);
		rtp_source_copy(&o->back, &seed);
		o->back_rate = 0;
		o->back_shown = true;
		free(rtp_source_post(&o->ep->src, again));
	}
	return rc;
}

void dp_offload_tick(uint64_t now_ms)
{
	struct offload_stream want;
	int rc;

	if (!dpo.active)
		return;
	for (struct dp_offload *o = dpo.head; o; o = o->next) {
		if (!wanted(o, now_ms, &want)) {
			uninstall(o, true);
			continue;
		}
		if (o->installed && !memcmp(&want, &o->cur, sizeof(want))) {
			struct offload_counters k;

			if ((o->cur.flags & OFFLOAD_RECORD) &&
			    offload_stream_read(&o->cur.local, &k) == 0)
				rec_drops(o, &k);
			continue;
		}
		rc = o->installed ? offload_stream_add(&want) : install(o, &want);
		if (rc) {
			log_debug("offload: endpoint stays in user space: %s", strerror(-rc));
			uninstall(o, true);
			o->failed = true;
			continue;
		}
		o->cur = want;
		o->installed = true;
	}
}

void dp_offload_merge(const struct dp_endpoint *ep, struct dp_stats *out)
{
	struct dp_offload *o = ep->off;
	struct offload_counters k;
	struct dp_stats live;
	struct rtp_source src;

	if (!o)
		return;
	add_stats(out, &o->acc);
	if (o->installed && offload_stream_read(&o->cur.local, &k) == 0) {
		memset(&live, 0, sizeof(live));
		fold(&live, &k);
		add_stats(out, &live);
		combined_source(o, &k, &src);
		put_source(ep, &src, k.clock_rate, out);
	} else if (!o->installed && back_pending(o)) {
		put_source(ep, &o->back, o->back_rate, out);
	}
}

void dp_offload_totals(struct dp_totals *out)
{
	struct dp_stats sum;

	memset(&sum, 0, sizeof(sum));
	add_stats(&sum, &dpo.released);
	for (const struct dp_offload *o = dpo.head; o; o = o->next)
		dp_offload_merge(o->ep, &sum);
	out->packets += sum.packets;
	out->bytes += sum.bytes;
	out->forwarded += sum.forwarded;
	out->dropped += sum.dropped_source;
}

bool dp_offload_active(void)
{
	return dpo.active;
}

int dp_offload_adopt(const int *fds, unsigned n, uint32_t layout)
{
	return offload_adopt(fds, n, layout);
}

/* offload_stream_each: remove @local's entry unless an endpoint claimed it */
static void sweep_one(const struct sockaddr_storage *local, void *ctx)
{
	unsigned *removed = ctx;

	for (const struct dp_offload *o = dpo.head; o; o = o->next)
		if (o->installed && !memcmp(&o->cur.local, local, sizeof(*local)))
			return;
	if (offload_stream_del(local) == 0)
		(*removed)++;
}

void dp_offload_adopt_done(void)
{
	unsigned claimed = 0, removed = 0;

	if (!dpo.adopting)
		return;
	dpo.adopting = false;
	for (const struct dp_offload *o = dpo.head; o; o = o->next)
		claimed += o->installed;
	(void)offload_stream_each(sweep_one, &removed);
	log_notice("offload: %u kernel stream(s) kept forwarding through the takeover, %u "
		   "left over removed",
		   claimed, removed);
}

bool dp_offload_installed(const struct dp_endpoint *ep)
{
	return ep->off && ep->off->installed;
}

void dp_offload_usage(unsigned *installed, unsigned *capacity)
{
	unsigned n = 0;

	for (const struct dp_offload *o = dpo.head; o; o = o->next)
		n += o->installed;
	*installed = n;
	*capacity = offload_capacity();
}

void dp_offload_stop(void)
{
	/* endpoints still tracked here are freed by dp_stop: forget them */
	while (dpo.head) {
		struct dp_offload *o = dpo.head;

		dpo.head = o->next;
		uninstall(o, false);
		free(rtp_source_unpost(&o->ep->src));
		o->ep->off = NULL;
		free(o);
	}
	if (dpo.active) {
		dp_krec_stop(); /* the writer takes what the ring holds first */
		offload_exit();
	}
	dpo.active = false;
}
