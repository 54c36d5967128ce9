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

#include "daemon/dp_endpoint.h"
#include "daemon/dp_offload.h"
#include "daemon/log.h"
#include "kernel-offload/offload.h"

#define OFFLOAD_MAX_IFNAMES 32	/* = the loader's limit */
#define OFFLOAD_WINDOW_MARGIN_MS 200	/* the worker starts the window a bit later */

struct dp_offload {
	struct dp_endpoint *ep;
	struct dp_offload *prev, *next;
	struct dp_endpoint *fwd;	/* RTP goes out of this endpoint's socket */
	uint32_t flags;			/* enum dp_flags */
	uint64_t learn_until_ms;	/* latching may change the remote until then */
	struct sockaddr_storage local;	/* the socket's address (family 0 = unusable) */
	bool installed;
	bool failed;			/* add failed: not retried until new params */
	struct offload_stream cur;	/* what is in the kernel map */
	struct dp_stats acc;		/* earlier offload periods */
};

static struct {
	bool active;
	bool in_tick;			/* dp_endpoint_stats for the remotes only */
	struct dp_offload *head;
	struct dp_stats released;	/* kernel counters of released endpoints */
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
	if_freenameindex(ifs);	/* offload_init is done with the names */
	if (rc == -ENOTSUP)	/* a real load failure was logged by offload_init */
		log_err("offload: this build has no kernel offload (meson -Doffload=disabled); "
			"forwarding stays in user space");
	dpo.active = rc == 0;
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
		out->last_packet_wall = (uint64_t)rt.tv_sec - (mono_ms() - k->last_packet_ms) / 1000u;
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

static void uninstall(struct dp_offload *o)
{
	struct offload_counters k;

	if (!o->installed)
		return;
	if (offload_stream_read(&o->cur.local, &k) == 0)
		fold(&o->acc, &k);
	offload_stream_del(&o->cur.local);
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

void dp_offload_params(struct dp_endpoint *ep, const struct dp_endpoint_params *p)
{
	uint32_t window = p->learn_window_ms ? p->learn_window_ms : DP_LEARN_WINDOW_DEFAULT_MS;
	struct dp_offload *o;

	if (!dpo.active)
		return;
	o = track(ep);
	if (!o)
		return;	/* no memory: the endpoint simply stays in user space */
	/* latching starts over: back to user space until it settles, and
	 * so do the entries that send to this endpoint's party */
	uninstall(o);
	for (struct dp_offload *x = dpo.head; x; x = x->next)
		if (x->fwd == ep)
			uninstall(x);
	o->fwd = p->fwd_rtp;
	o->flags = p->flags;
	o->learn_until_ms = mono_ms() + window + OFFLOAD_WINDOW_MARGIN_MS;
	o->failed = false;
}

void dp_offload_release(struct dp_endpoint *ep)
{
	struct dp_offload *o = ep->off;

	if (!o)
		return;
	for (struct dp_offload *x = dpo.head; x; x = x->next) {
		if (x->fwd == ep) {
			uninstall(x);
			x->fwd = NULL;
		}
	}
	uninstall(o);
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

	if (o->failed || (o->flags & (DP_DISABLED | DP_RTCP | DP_LOOP_PROTECT | DP_TRANSCODE |
				   DP_FORWARD_PT_ONLY)) || !f)
		return false;
	if (now_ms < o->learn_until_ms || now_ms < f->learn_until_ms)
		return false;
	dp_endpoint_stats(o->ep, &in);
	dp_endpoint_stats(o->fwd, &out);
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
	if (o->flags & DP_STRICT_SOURCE)
		want->flags |= OFFLOAD_STRICT_SOURCE;
	if (o->flags & DP_RTCP_MUX)
		want->flags |= OFFLOAD_RTCP_TO_USER;
	return true;
}

void dp_offload_tick(uint64_t now_ms)
{
	struct offload_stream want;
	int rc;

	if (!dpo.active)
		return;
	dpo.in_tick = true;	/* wanted() reads remotes: no map reads needed */
	for (struct dp_offload *o = dpo.head; o; o = o->next) {
		if (!wanted(o, now_ms, &want)) {
			uninstall(o);
			continue;
		}
		if (o->installed && !memcmp(&want, &o->cur, sizeof(want)))
			continue;
		rc = offload_stream_add(&want);
		if (rc) {
			log_debug("offload: endpoint stays in user space: %s", strerror(-rc));
			uninstall(o);
			o->failed = true;
			continue;
		}
		o->cur = want;
		o->installed = true;
	}
	dpo.in_tick = false;
}

void dp_offload_merge(const struct dp_endpoint *ep, struct dp_stats *out)
{
	const struct dp_offload *o = ep->off;
	struct offload_counters k;
	struct dp_stats live;

	if (!o || dpo.in_tick)
		return;
	add_stats(out, &o->acc);
	if (o->installed && offload_stream_read(&o->cur.local, &k) == 0) {
		memset(&live, 0, sizeof(live));
		fold(&live, &k);
		add_stats(out, &live);
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

void dp_offload_stop(void)
{
	/* endpoints still tracked here are freed by dp_stop: forget them */
	while (dpo.head) {
		struct dp_offload *o = dpo.head;

		dpo.head = o->next;
		uninstall(o);
		o->ep->off = NULL;
		free(o);
	}
	if (dpo.active)
		offload_exit();
	dpo.active = false;
}
