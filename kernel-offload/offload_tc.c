/*
 * offload_tc.c: tc clsact attach/detach for the offload program.
 *
 * Our filter is recognised by a fixed handle and priority on the ingress hook,
 * plus the program's name: a tc filter outlives the process that attached it
 * (it holds the program, which holds the maps), so after a crash the next
 * start finds it by those three and removes it, which frees the old maps too.
 * We never remove a qdisc we did not create in this run, since other programs
 * may share clsact.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/log.h"
#include "kernel-offload/offload_tc.h"

#define OFFLOAD_TC_HANDLE 0x7274	/* "rt" */
#define OFFLOAD_TC_PRIORITY 1		/* run before any other classifier */

static void hook_init(struct bpf_tc_hook *hook, int ifindex, enum bpf_tc_attach_point where)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = where;
}

static void opts_init(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = OFFLOAD_TC_HANDLE;
	opts->priority = OFFLOAD_TC_PRIORITY;
}

int offload_tc_attach(int prog_fd, int ifindex, bool *created_qdisc)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, BPF_TC_INGRESS);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	*created_qdisc = err == 0;
	opts_init(&opts);
	opts.prog_fd = prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	err = bpf_tc_attach(&hook, &opts);
	if (err && *created_qdisc) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		*created_qdisc = false;
	}
	return err;
}

int offload_tc_detach(int ifindex, bool destroy_qdisc)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, BPF_TC_INGRESS);
	opts_init(&opts);
	err = bpf_tc_detach(&hook, &opts);
	if (destroy_qdisc) {
		/* clsact is one qdisc for both hooks: destroy both together */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return err;
}

/* Is the program with @id named @name? */
static bool prog_is_named(__u32 id, const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	bool match = false;
	int fd;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		match = strncmp(info.name, name, sizeof(info.name) - 1) == 0;
	close(fd);
	return match;
}

int offload_tc_clean_leftovers(const char *prog_name)
{
	struct if_nameindex *ifs, *i;
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int removed = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++) {
		hook_init(&hook, i->if_index, BPF_TC_INGRESS);
		opts_init(&opts);
		/* fails quietly where there is no clsact or no such filter */
		if (bpf_tc_query(&hook, &opts) != 0)
			continue;
		if (!prog_is_named(opts.prog_id, prog_name))
			continue;
		if (offload_tc_detach(i->if_index, false) == 0) {
			log_notice("offload: removed a stale tc filter from %s", i->if_name);
			removed++;
		}
	}
	if_freenameindex(ifs);
	return removed;
}
