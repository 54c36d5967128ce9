/*
 * offload_adopt_pending.c: see offload_adopt_pending.h.
 */
#include "kernel-offload/offload_adopt_pending.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kernel-offload/offload_adopt.h"
#include "lib/log.h"

static int pending[OFFLOAD_ADOPT_NFDS] = { -1, -1 };
static bool adopted;

void offload_adopt_drop(void)
{
	for (unsigned i = 0; i < OFFLOAD_ADOPT_NFDS; i++) {
		if (pending[i] >= 0)
			close(pending[i]);
		pending[i] = -1;
	}
}

int offload_adopt_hold(const int *fds)
{
	offload_adopt_drop();
	for (unsigned i = 0; i < OFFLOAD_ADOPT_NFDS; i++) {
		pending[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (pending[i] < 0) {
			int err = -errno;

			offload_adopt_drop();
			return err;
		}
	}
	return 0;
}

bool offload_adopt_pending(void)
{
	return pending[0] >= 0;
}

int offload_adopt_apply(struct bpf_map *streams, struct bpf_map *stats)
{
	int err = 0;

	if (pending[0] < 0)
		return -ENOENT;
	/* reuse_fd takes a duplicate and the map's size from the kernel */
	if ((err = bpf_map__reuse_fd(streams, pending[0])) ||
	    (err = bpf_map__reuse_fd(stats, pending[1])))
		log_warn("offload: cannot adopt the running daemon's kernel maps (%s)",
			 strerror(-err));
	offload_adopt_drop();
	return err;
}

void offload_adopt_set(bool on)
{
	adopted = on;
}

bool offload_adopt_is_set(void)
{
	return adopted;
}
