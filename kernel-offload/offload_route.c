/*
 * offload_route.c: one RTM_GETROUTE round trip per call, on a short-lived
 * rtnetlink socket (stream setup is control-plane work, rare next to packets).
 * The reply is parsed with libmnl's bounded attribute walkers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "kernel-offload/offload_route.h"

struct route_reply {
	uint32_t oif;
	uint8_t type;
	bool have_oif;
};

static const void *sa_addr(const struct sockaddr_storage *sa, size_t *len)
{
	if (sa->ss_family == AF_INET) {
		*len = 4;
		return &((const struct sockaddr_in *)sa)->sin_addr;
	}
	*len = 16;
	return &((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct route_reply *r = data;

	if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
		r->oif = mnl_attr_get_u32(attr);
		r->have_oif = true;
	}
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm;
	struct route_reply *r = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	r->type = rtm->rtm_type;
	return mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, r);
}

int offload_route_get(const struct sockaddr_storage *dst, const struct sockaddr_storage *src,
		      uint32_t *oif, bool *local)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct route_reply reply = { 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned int seq = (unsigned int)time(NULL), portid;
	const void *addr;
	size_t alen;
	ssize_t n;
	int err = 0;

	if (dst->ss_family != AF_INET && dst->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->ss_family;
	addr = sa_addr(dst, &alen);
	rtm->rtm_dst_len = alen * 8;
	mnl_attr_put(nlh, RTA_DST, alen, addr);
	if (src && src->ss_family == dst->ss_family) {
		addr = sa_addr(src, &alen);
		rtm->rtm_src_len = alen * 8;
		mnl_attr_put(nlh, RTA_SRC, alen, addr);
	}

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_errno;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto err_errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		goto err_errno;
	/* an NLMSG_ERROR reply makes mnl_cb_run fail with errno set */
	if (mnl_cb_run(buf, n, seq, portid, msg_cb, &reply) < 0)
		goto err_errno;
	if (!reply.have_oif) {
		err = -ENETUNREACH;
		goto out;
	}
	*oif = reply.oif;
	*local = reply.type == RTN_LOCAL;
	goto out;
err_errno:
	err = errno ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return err;
}
