/*
 * offload.c: loads relay.bpf.c through its bpftool skeleton, attaches it to
 * the media interfaces, installs the notrack table, and manages the two maps
 * (relay_streams: rewrite per local socket; relay_stats: counters and RFC
 * 3550 receiver state, read and written under its bpf_spin_lock with
 * BPF_F_LOCK).
 *
 * One state per process, owned by the control thread (see offload.h): the
 * kernel attachment is process-wide anyway (one filter per interface).
 * Lifetimes: the tc filters hold the program, the program holds the maps;
 * offload_exit detaches the filters before destroying the skeleton so that
 * no packet can reach the program after its maps' last user-space reference
 * is gone (the kernel would keep them alive anyway, but nothing would read
 * them).
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "kernel-offload/nft.h"
#include "kernel-offload/offload.h"
#include "kernel-offload/offload_adopt_pending.h"
#include "kernel-offload/offload_maps.h"
#include "kernel-offload/offload_rec.h"
#include "kernel-offload/offload_route.h"
#include "kernel-offload/offload_tc.h"
#include "kernel-offload/relay.skel.h"
#include "kernel-offload/relay_shared.h"

#define OFFLOAD_MAX_IFS	      32
#define OFFLOAD_PROG_NAME     "relay_tc_ingress"
/* map entries per media port: a port can be bound on a few local addresses */
#define OFFLOAD_KEYS_PER_PORT 4
#define OFFLOAD_MIN_ENTRIES   1024u
#define OFFLOAD_MAX_ENTRIES   (1u << 18)
#define OFFLOAD_REC_RING_MIN  4096u /* one page */
#define OFFLOAD_REC_RING_MAX  (1u << 30)
#define OFFLOAD_REC_RING_DEF  (4u << 20) /* recording-kernel-ring-kb's default */

/* relay_rec_ring's size at the next load (offload_rec_set_ring_size) */
static uint32_t rec_ring_bytes = OFFLOAD_REC_RING_DEF;
static bool rec_ring_off; /* size 0: recorded streams stay in user space */

static struct offload_state {
	struct relay *skel;
	unsigned nifs;
	int ifindex[OFFLOAD_MAX_IFS];
	bool nft;
} st;

/* libbpf's own messages: its warnings are worth seeing once at debug level,
 * never at the default level (e.g. an expected -EEXIST on an existing qdisc). */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG || log_get_level() < LOG_LVL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

static uint32_t map_entries(uint16_t port_min, uint16_t port_max)
{
	uint32_t ports = port_min ? (uint32_t)port_max - port_min + 1 : 65536;
	uint32_t n = ports * OFFLOAD_KEYS_PER_PORT;

	if (n < OFFLOAD_MIN_ENTRIES)
		n = OFFLOAD_MIN_ENTRIES;
	return n > OFFLOAD_MAX_ENTRIES ? OFFLOAD_MAX_ENTRIES : n;
}

/* @adopt: on the predecessor's maps (offload_adopt.h), which keep their size */
static int load(uint16_t port_min, uint16_t port_max, bool adopt)
{
	uint32_t entries = map_entries(port_min, port_max);
	int err;

	st.skel = relay__open();
	if (!st.skel)
		return -errno;
	if ((err = bpf_map__set_max_entries(st.skel->maps.relay_streams, entries)) ||
	    (err = bpf_map__set_max_entries(st.skel->maps.relay_stats, entries)) ||
	    (err = bpf_map__set_max_entries(st.skel->maps.relay_rec_ring, rec_ring_bytes)))
		return err;
	if (adopt &&
	    (err = offload_adopt_apply(st.skel->maps.relay_streams, st.skel->maps.relay_stats)))
		return err;
	return relay__load(st.skel);
}

static int attach_all(const char *const *ifnames, size_t n)
{
	int prog_fd = bpf_program__fd(st.skel->progs.relay_tc_ingress);
	int err, ifindex;

	if (n > OFFLOAD_MAX_IFS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		ifindex = (int)if_nametoindex(ifnames[i]);
		if (!ifindex) {
			log_err("offload: no interface %s", ifnames[i]);
			return -ENODEV;
		}
		err = offload_tc_attach(prog_fd, ifindex);
		if (err) {
			log_err("offload: cannot attach to %s: %s", ifnames[i], strerror(-err));
			return err;
		}
		st.ifindex[st.nifs++] = ifindex;
	}
	return 0;
}

int offload_init(const char *const *ifnames, size_t n, uint16_t port_min, uint16_t port_max)
{
	int err;

	if (st.skel)
		return -EALREADY;
	libbpf_set_print(libbpf_log);
	if (offload_adopt_pending()) {
		/* a takeover: the running daemon's filters stay until ours
		 * replace them (same handle), on the maps they use */
		err = load(port_min, port_max, true);
		if (!err && !(err = attach_all(ifnames, n))) {
			offload_adopt_set(true);
			log_notice("offload: adopted the running daemon's kernel maps");
			goto attached;
		}
		log_warn("offload: cannot load on the running daemon's kernel maps (%s); "
			 "loading with empty maps",
			 strerror(-err));
		for (unsigned i = 0; i < st.nifs; i++)
			offload_tc_detach(st.ifindex[i]);
		st.nifs = 0;
		relay__destroy(st.skel);
		st.skel = NULL;
	}
	offload_tc_clean_leftovers(OFFLOAD_PROG_NAME);
	err = load(port_min, port_max, false);
	if (err) {
		log_err("offload: cannot load the eBPF program (%s); forwarding stays in user "
			"space",
			strerror(-err));
		goto err_unload;
	}
	err = attach_all(ifnames, n);
	if (err)
		goto err_unload;
attached:
	if (port_min) {
		err = nft_notrack_create(port_min, port_max);
		if (err)
			log_warn("offload: no nftables notrack table (%s); conntrack sees media",
				 strerror(-err));
		st.nft = err == 0;
	}
	log_info("offload: eBPF fast path on %zu interface(s)", n);
	return 0;

err_unload:
	offload_exit();
	return err;
}

void offload_exit(void)
{
	/* filters first: afterwards no packet runs the program */
	for (unsigned i = 0; i < st.nifs; i++)
		offload_tc_detach(st.ifindex[i]);
	st.nifs = 0;
	if (st.nft)
		nft_notrack_remove();
	st.nft = false;
	relay__destroy(st.skel);
	st.skel = NULL;
	offload_adopt_set(false);
}

bool offload_active(void)
{
	return st.skel != NULL;
}

unsigned offload_capacity(void)
{
	return st.skel ? bpf_map__max_entries(st.skel->maps.relay_streams) : 0;
}

void offload_rec_set_ring_size(size_t bytes)
{
	uint32_t n = OFFLOAD_REC_RING_MIN;

	rec_ring_off = bytes == 0; /* the map still needs a valid size */
	/* a BPF ring buffer is a power-of-two number of pages */
	while (n < bytes && n < OFFLOAD_REC_RING_MAX)
		n <<= 1;
	rec_ring_bytes = n;
}

int offload_map_fd_streams(void)
{
	return st.skel ? bpf_map__fd(st.skel->maps.relay_streams) : -1;
}

int offload_map_fd_stats(void)
{
	return st.skel ? bpf_map__fd(st.skel->maps.relay_stats) : -1;
}

int offload_map_fd_rec_ring(void)
{
	return st.skel ? bpf_map__fd(st.skel->maps.relay_rec_ring) : -1;
}

bool offload_rec_ring_off(void)
{
	return rec_ring_off;
}

int offload_map_fd_rec_counters(void)
{
	return st.skel ? bpf_map__fd(st.skel->maps.relay_rec_counters) : -1;
}

int offload_prog_fd(void)
{
	return st.skel ? bpf_program__fd(st.skel->progs.relay_tc_ingress) : -1;
}

/* Copy the address of @sa into a 16-byte field; 0 or -EAFNOSUPPORT. */
static int addr_copy(uint8_t dst[16], const struct sockaddr_storage *sa, __be16 *port)
{
	memset(dst, 0, 16);
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(dst, &sin->sin_addr, 4);
		*port = sin->sin_port;
		return 0;
	}
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		memcpy(dst, &sin6->sin6_addr, 16);
		*port = sin6->sin6_port;
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int make_key(const struct sockaddr_storage *local, struct relay_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = local->ss_family == AF_INET ? RELAY_FAMILY_V4 : RELAY_FAMILY_V6;
	return addr_copy(key->addr, local, &key->port);
}

/* The map key for @local, once the program is loaded (-ENOTCONN before). */
static int loaded_key(const struct sockaddr_storage *local, struct relay_key *key)
{
	return st.skel ? make_key(local, key) : -ENOTCONN;
}

static int make_stream(const struct offload_stream *s, struct relay_stream *v)
{
	sa_family_t fam = s->local.ss_family;
	uint32_t oif = s->egress_ifindex;
	bool local = false;
	int err;

	if (s->src.ss_family != fam || s->dst.ss_family != fam ||
	    (s->expect.ss_family != AF_UNSPEC && s->expect.ss_family != fam))
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	if ((err = addr_copy(v->src_addr, &s->src, &v->src_port)) ||
	    (err = addr_copy(v->dst_addr, &s->dst, &v->dst_port)))
		return err;
	if (s->expect.ss_family == AF_UNSPEC)
		v->flags |= RELAY_F_ANY_SOURCE;
	else if ((err = addr_copy(v->expect_addr, &s->expect, &v->expect_port)))
		return err;
	if (s->flags & OFFLOAD_STRICT_SOURCE)
		v->flags |= RELAY_F_STRICT_SOURCE;
	if (s->flags & OFFLOAD_RTCP_TO_USER)
		v->flags |= RELAY_F_RTCP_TO_USER;
	if (s->flags & OFFLOAD_RECORD) {
		v->flags |= RELAY_F_RECORD;
		v->rec_session = s->rec_session;
		v->rec_leg = s->rec_leg;
	}
	if (!oif) {
		err = offload_route_get(&s->dst, &s->src, &oif, &local);
		if (err)
			return err;
	}
	v->egress_ifindex = local ? 0 : oif;
	v->clock_rate = s->clock_rate;
	return 0;
}

/* lib/rtp.h's struct rtp_source <-> the map value's source fields */
static void source_to_map(const struct rtp_source *r, struct relay_stats *v)
{
	v->ssrc = r->ssrc;
	v->cycles = r->cycles;
	v->base_seq = r->base_seq;
	v->bad_seq = r->bad_seq;
	v->probation = r->probation;
	v->transit = r->transit;
	v->jitter = r->jitter;
	v->max_seq = r->max_seq;
	v->received = r->received;
	v->flags = (r->valid ? RELAY_SRC_VALID : 0) |
		   (r->have_transit ? RELAY_SRC_HAVE_TRANSIT : 0);
}

static void source_from_map(const struct relay_stats *v, struct rtp_source *r)
{
	memset(r, 0, sizeof(*r));
	r->ssrc = v->ssrc;
	r->cycles = v->cycles;
	r->base_seq = v->base_seq;
	r->bad_seq = v->bad_seq;
	r->probation = v->probation;
	r->transit = v->transit;
	r->jitter = v->jitter;
	r->max_seq = v->max_seq;
	r->received = v->received;
	r->valid = v->flags & RELAY_SRC_VALID;
	r->have_transit = v->flags & RELAY_SRC_HAVE_TRANSIT;
}

static int stream_add(const struct offload_stream *s, const struct rtp_source *seed)
{
	struct relay_stats stats;
	struct relay_stream v;
	struct relay_key key;
	int err;

	if (!st.skel)
		return -ENOTCONN;
	if ((err = make_key(&s->local, &key)) || (err = make_stream(s, &v)))
		return err;
	/* counters and state first (kept if they exist, unless a seed replaces
	 * them): the program forwards only packets it can count */
	memset(&stats, 0, sizeof(stats));
	if (seed)
		source_to_map(seed, &stats);
	/* BPF_F_LOCK: an existing value is overwritten under its lock */
	err = bpf_map__update_elem(st.skel->maps.relay_stats, &key, sizeof(key), &stats,
				   sizeof(stats), seed ? BPF_ANY | BPF_F_LOCK : BPF_NOEXIST);
	if (err && err != -EEXIST)
		return err;
	return bpf_map__update_elem(st.skel->maps.relay_streams, &key, sizeof(key), &v, sizeof(v),
				    BPF_ANY);
}

int offload_stream_add(const struct offload_stream *s)
{
	return stream_add(s, NULL);
}

int offload_stream_add_from(const struct offload_stream *s, const struct rtp_source *seed)
{
	return stream_add(s, seed);
}

int offload_stream_del(const struct sockaddr_storage *local)
{
	struct relay_key key;
	int err;

	err = loaded_key(local, &key);
	if (err)
		return err;
	err = bpf_map__delete_elem(st.skel->maps.relay_streams, &key, sizeof(key), 0);
	bpf_map__delete_elem(st.skel->maps.relay_stats, &key, sizeof(key), 0);
	return err;
}

static int read_key(const struct relay_key *key, struct offload_counters *out)
{
	struct relay_stats v;
	int err;

	/* BPF_F_LOCK: a consistent copy, never one half-way through a packet */
	err = bpf_map__lookup_elem(st.skel->maps.relay_stats, key, sizeof(*key), &v, sizeof(v),
				   BPF_F_LOCK);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->packets = v.packets;
	out->bytes = v.bytes;
	out->last_seen_ns = v.last_seen_ns;
	out->dropped_source = v.dropped_source;
	out->ssrc = v.ssrc;
	out->seq = v.seq;
	source_from_map(&v, &out->src);
	out->clock_rate = v.clock_rate;
	out->rec_dropped = v.rec_dropped;
	return 0;
}

int offload_stream_take(const struct sockaddr_storage *local, struct offload_counters *out)
{
	struct relay_key key;
	int err;

	err = loaded_key(local, &key);
	if (err)
		return err;
	/* the rewrite first: from now on the program lets the packets pass
	 * to the socket, so the counters read below are final */
	err = bpf_map__delete_elem(st.skel->maps.relay_streams, &key, sizeof(key), 0);
	if (err)
		return err;
	err = read_key(&key, out);
	bpf_map__delete_elem(st.skel->maps.relay_stats, &key, sizeof(key), 0);
	return err;
}

int offload_stream_read(const struct sockaddr_storage *local, struct offload_counters *out)
{
	struct relay_key key;
	int err;

	err = loaded_key(local, &key);
	if (err)
		return err;
	return read_key(&key, out);
}
