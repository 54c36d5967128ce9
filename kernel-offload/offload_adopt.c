/*
 * offload_adopt.c: adopting the predecessor's relay_streams and relay_stats
 * at a takeover (offload_adopt.h).
 *
 * offload_adopt() checks the layout number and each map's type, key and
 * value size against what this build's program declares, and keeps a
 * duplicate of each descriptor (offload_adopt_pending.h) until offload.c's
 * loader applies them (bpf_map__reuse_fd) or gives up on them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "kernel-offload/offload.h"
#include "kernel-offload/offload_adopt.h"
#include "kernel-offload/offload_adopt_pending.h"
#include "kernel-offload/offload_maps.h"
#include "kernel-offload/relay_shared.h"

/* Is @fd a map of @type with keys of @key and values of @value bytes? */
static bool map_fits(int fd, enum bpf_map_type type, uint32_t key, uint32_t value)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == type && info.key_size == key && info.value_size == value &&
	       info.max_entries > 0;
}

int offload_adopt(const int *fds, unsigned n, uint32_t layout)
{
	offload_adopt_drop();
	if (layout != RELAY_MAPS_LAYOUT || n != OFFLOAD_ADOPT_NFDS ||
	    !map_fits(fds[0], BPF_MAP_TYPE_HASH, sizeof(struct relay_key),
		      sizeof(struct relay_stream)) ||
	    !map_fits(fds[1], BPF_MAP_TYPE_HASH, sizeof(struct relay_key),
		      sizeof(struct relay_stats))) {
		log_warn("offload: the running daemon's kernel maps (layout %u, this build %u) do "
			 "not fit this program: starting with empty maps, offloaded streams pass "
			 "through user space until offloaded again",
			 (unsigned)layout, (unsigned)RELAY_MAPS_LAYOUT);
		return -EPROTO;
	}
	return offload_adopt_hold(fds);
}

bool offload_adopted(void)
{
	return offload_adopt_is_set() && offload_active();
}

int offload_export(int fds[OFFLOAD_ADOPT_NFDS], uint32_t *layout)
{
	fds[0] = offload_map_fd_streams();
	fds[1] = offload_map_fd_stats();
	*layout = RELAY_MAPS_LAYOUT;
	return fds[0] >= 0 && fds[1] >= 0 ? 0 : -ENOTCONN;
}

/* The socket address a relay_streams key stands for. */
static void key_addr(const struct relay_key *k, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (k->family == RELAY_FAMILY_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, k->addr, 4);
		sin->sin_port = k->port;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, k->addr, 16);
		sin6->sin6_port = k->port;
	}
}

int offload_stream_each(void (*cb)(const struct sockaddr_storage *local, void *ctx), void *ctx)
{
	int fd = offload_map_fd_streams();
	unsigned max = offload_capacity();
	struct relay_key key, next;
	struct sockaddr_storage sa;

	if (fd < 0)
		return -ENOTCONN;
	/* the callback may delete the key it is given: find the next first */
	if (bpf_map_get_next_key(fd, NULL, &next))
		return errno == ENOENT ? 0 : -errno;
	for (unsigned i = 0; i < max; i++) {
		key = next;
		bool last = bpf_map_get_next_key(fd, &key, &next) != 0;

		key_addr(&key, &sa);
		cb(&sa, ctx);
		if (last)
			break;
	}
	return 0;
}
