/*
 * offload_tc.c: tc clsact attach/detach for the offload program.
 *
 * Our filter is recognised by a fixed handle and priority on the ingress hook,
 * plus the program's name: a tc filter outlives the process that attached it
 * (it holds the program, which holds the maps), so after a crash the next
 * start finds it by those three and removes it, which frees the old maps too.
 * The clsact qdisc is shared with whatever else uses tc on the interface, so
 * it is removed only when no filter at all is left on it (counted with an
 * rtnetlink dump), whoever created it: that also cleans the empty qdisc a
 * crashed run leaves behind.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "lib/log.h"
#include "kernel-offload/offload_tc.h"

#define OFFLOAD_TC_HANDLE   0x7274 /* "rt" */
#define OFFLOAD_TC_PRIORITY 1	   /* run before any other classifier */

static bool clsact_empty(int ifindex);

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

int offload_tc_attach(int prog_fd, int ifindex)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, BPF_TC_INGRESS);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	opts_init(&opts);
	opts.prog_fd = prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	err = bpf_tc_attach(&hook, &opts);
	if (err && clsact_empty(ifindex)) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return err;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm;

	/* a dump lists each priority's classifier (handle 0) and its filters */
	if (nlh->nlmsg_type == RTM_NEWTFILTER && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*tcm)) {
		tcm = mnl_nlmsg_get_payload(nlh);
		if (tcm->tcm_handle)
			(*(int *)data)++;
	}
	return MNL_CB_OK;
}

/* Filters on @ifindex's clsact hook @min (TC_H_MIN_INGRESS/EGRESS), or -errno. */
static int count_filters(struct mnl_socket *nl, int ifindex, uint32_t min)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned seq = 1, portid = mnl_socket_get_portid(nl);
	struct tcmsg *tcm;
	int count = 0, rc;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = TC_H_MAKE(TC_H_CLSACT, min);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, n, seq, portid, count_cb, &count);
	} while (rc > MNL_CB_STOP);
	return rc < 0 ? -errno : count;
}

/* true if the clsact qdisc of @ifindex has no filter on either hook */
static bool clsact_empty(int ifindex)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	bool empty = false;

	if (!nl)
		return false;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0)
		empty = count_filters(nl, ifindex, TC_H_MIN_INGRESS) == 0 &&
			count_filters(nl, ifindex, TC_H_MIN_EGRESS) == 0;
	mnl_socket_close(nl);
	return empty;
}

int offload_tc_detach(int ifindex)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, BPF_TC_INGRESS);
	opts_init(&opts);
	err = bpf_tc_detach(&hook, &opts);
	if (clsact_empty(ifindex)) {
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
		if (offload_tc_detach(i->if_index) == 0) {
			log_notice("offload: removed a stale tc filter from %s", i->if_name);
			removed++;
		}
	}
	if_freenameindex(ifs);
	return removed;
}
