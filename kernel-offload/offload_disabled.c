/*
 * offload_disabled.c: the offload API of a build without offload support
 * (meson -Doffload=disabled, or clang/bpftool/libbpf missing). Every call
 * reports -ENOTSUP so that the daemon keeps forwarding in user space.
 */
#include <errno.h>

#include "kernel-offload/offload.h"
#include "kernel-offload/offload_adopt.h"
#include "kernel-offload/offload_rec.h"

int offload_init(const char *const *ifnames, size_t n, uint16_t port_min, uint16_t port_max)
{
	(void)ifnames, (void)n, (void)port_min, (void)port_max;
	return -ENOTSUP;
}

void offload_exit(void)
{
}

bool offload_active(void)
{
	return false;
}

unsigned offload_capacity(void)
{
	return 0;
}

int offload_stream_add(const struct offload_stream *s)
{
	(void)s;
	return -ENOTSUP;
}

int offload_stream_add_from(const struct offload_stream *s, const struct rtp_source *seed)
{
	(void)s, (void)seed;
	return -ENOTSUP;
}

int offload_stream_del(const struct sockaddr_storage *local)
{
	(void)local;
	return -ENOTSUP;
}

int offload_stream_take(const struct sockaddr_storage *local, struct offload_counters *out)
{
	(void)local, (void)out;
	return -ENOTSUP;
}

int offload_stream_read(const struct sockaddr_storage *local, struct offload_counters *out)
{
	(void)local, (void)out;
	return -ENOTSUP;
}

int offload_prog_fd(void)
{
	return -1;
}

void offload_rec_set_ring_size(size_t bytes)
{
	(void)bytes;
}

int offload_rec_open(offload_rec_fn fn, void *arg)
{
	(void)fn, (void)arg;
	return -ENOTSUP;
}

int offload_rec_consume(unsigned max)
{
	(void)max;
	return -ENOTSUP;
}

void offload_rec_close(void)
{
}

int offload_rec_counters(uint64_t *copied, uint64_t *dropped)
{
	*copied = *dropped = 0;
	return -ENOTSUP;
}

int offload_export(int fds[OFFLOAD_ADOPT_NFDS], uint32_t *layout)
{
	fds[0] = fds[1] = -1;
	*layout = 0;
	return -ENOTSUP;
}

int offload_adopt(const int *fds, unsigned n, uint32_t layout)
{
	(void)fds, (void)n, (void)layout;
	return -ENOTSUP;
}

bool offload_adopted(void)
{
	return false;
}

int offload_stream_each(void (*cb)(const struct sockaddr_storage *local, void *ctx), void *ctx)
{
	(void)cb, (void)ctx;
	return -ENOTSUP;
}
