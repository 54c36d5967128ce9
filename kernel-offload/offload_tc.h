/*
 * offload_tc.h: attaching relay.bpf.c to the tc ingress hook (clsact) of an
 * interface, detaching it, and finding what a crashed run left behind.
 * Internal to kernel-offload/; control thread only.
 */
#ifndef RTPRELAY_OFFLOAD_TC_H
#define RTPRELAY_OFFLOAD_TC_H

/* Attach @prog_fd to @ifindex's ingress with rtprelay's fixed handle and
 * priority (replacing a leftover of ours there), creating clsact if needed. */
int offload_tc_attach(int prog_fd, int ifindex);
/* Remove our filter from @ifindex, and the clsact qdisc if nothing else uses
 * it any more. */
int offload_tc_detach(int ifindex);
/* Remove every filter with our handle/priority whose program is named
 * @prog_name, on every interface of this network namespace. Returns how many
 * it removed. */
int offload_tc_clean_leftovers(const char *prog_name);

#endif
