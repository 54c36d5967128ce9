/*
 * offload_rec.c: the consumer of relay_rec_ring and the per-CPU recording
 * counters (offload_rec.h), on libbpf's ring_buffer.
 */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel-offload/offload_maps.h"
#include "kernel-offload/offload_rec.h"
#include "kernel-offload/relay_shared.h"
#include "lib/log.h"

static struct {
	struct ring_buffer *rb;
	offload_rec_fn fn;
	void *arg;
	unsigned n, max; /* this consume's records and its budget */
	uint64_t bad;	 /* records that did not parse (logged once) */
} rs;

static int on_sample(void *ctx, void *data, size_t size)
{
	struct offload_rec r;

	(void)ctx;
	if (offload_rec_parse(data, size, &r)) {
		if (!rs.bad++)
			log_warn("offload: a malformed recording record (%zu bytes) ignored", size);
		return 0;
	}
	rs.fn(rs.arg, &r);
	/* a negative return stops libbpf after this record (consumed) */
	return ++rs.n >= rs.max ? -E2BIG : 0;
}

int offload_rec_open(offload_rec_fn fn, void *arg)
{
	int fd = offload_map_fd_rec_ring();

	if (rs.rb)
		return -EALREADY;
	if (offload_rec_ring_off())
		return -ENOTSUP;
	if (fd < 0)
		return -ENOTCONN;
	rs.fn = fn;
	rs.arg = arg;
	rs.rb = ring_buffer__new(fd, on_sample, NULL, NULL);
	if (!rs.rb)
		return errno ? -errno : -ENOMEM;
	return 0;
}

int offload_rec_consume(unsigned max)
{
	int rc;

	if (!rs.rb)
		return -ENOTCONN;
	if (!max)
		return 0;
	rs.n = 0;
	rs.max = max;
	rc = ring_buffer__consume(rs.rb);
	return rc == -E2BIG ? (int)rs.n : rc;
}

void offload_rec_close(void)
{
	ring_buffer__free(rs.rb);
	rs.rb = NULL;
}

int offload_rec_counters(uint64_t *copied, uint64_t *dropped)
{
	int fd = offload_map_fd_rec_counters(), ncpu = libbpf_num_possible_cpus();
	uint64_t *v;
	uint32_t key;

	*copied = *dropped = 0;
	if (fd < 0)
		return -ENOTCONN;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (key = 0; key < RELAY_REC_NCOUNTERS; key++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
		if (key == RELAY_REC_COPIED)
			*copied = sum;
		else
			*dropped = sum;
	}
	free(v);
	return 0;
}
