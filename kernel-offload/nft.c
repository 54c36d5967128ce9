/*
 * nft.c: the notrack table, as one nfnetlink batch per change.
 *
 * The batch is a transaction: either the whole table appears (old one
 * replaced) or nothing changes. Create sends NEWTABLE (a no-op if the table
 * exists), DELTABLE, then the fresh NEWTABLE, chains and rules, which is how
 * a crashed run's table is cleaned without a separate lookup. Every message
 * asks for an ACK; the kernel processes the batch inside sendmsg(), so all
 * replies are queued when it returns and are read without blocking.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "kernel-offload/nft.h"

#define NFT_PRIO_RAW   (-300) /* NF_IP_PRI_RAW: before conntrack (-200) */
#define NFT_BATCH_SIZE 16384

struct nft_batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	unsigned msgs; /* messages that will be ACKed */
};

static struct nlmsghdr *put_hdr(struct nft_batch *nb, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(nb->b), type, NFPROTO_INET,
				    flags | NLM_F_ACK, nb->seq++);
	nb->msgs++;
	return nlh;
}

static int put_table(struct nft_batch *nb, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_RTPRELAY_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_nlmsg_build_payload(put_hdr(nb, type, flags), t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(nb->b);
	return 0;
}

static int put_chain(struct nft_batch *nb, const char *name, uint32_t hook)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_RTPRELAY_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_PRIO_RAW);
	nftnl_chain_nlmsg_build_payload(put_hdr(nb, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(nb->b);
	return 0;
}

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static struct nftnl_expr *expr_cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *expr_l4proto(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *expr_port(uint32_t offset)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	}
	return e;
}

/* meta l4proto udp; udp [s|d]port port_min-port_max; notrack. Ports compare
 * as big-endian byte strings, which orders them numerically. */
static int put_rule(struct nft_batch *nb, const char *chain, uint32_t port_offset,
		    uint16_t port_min, uint16_t port_max)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint8_t udp = IPPROTO_UDP;
	uint16_t lo = htons(port_min), hi = htons(port_max);
	int err = 0;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_RTPRELAY_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if ((err = add_expr(r, expr_l4proto())) ||
	    (err = add_expr(r, expr_cmp(NFT_CMP_EQ, &udp, 1))) ||
	    (err = add_expr(r, expr_port(port_offset))) ||
	    (err = add_expr(r, expr_cmp(NFT_CMP_GTE, &lo, 2))) ||
	    (err = add_expr(r, expr_cmp(NFT_CMP_LTE, &hi, 2))) ||
	    (err = add_expr(r, nftnl_expr_alloc("notrack"))))
		goto out;
	nftnl_rule_nlmsg_build_payload(put_hdr(nb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND),
				       r);
	mnl_nlmsg_batch_next(nb->b);
out:
	nftnl_rule_free(r);
	return err;
}

/* Send the batch and collect one ACK (or error) per message. */
static int batch_send(struct nft_batch *nb)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned acks = 0;
	int err = 0;
	ssize_t n;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, mnl_nlmsg_batch_head(nb->b), mnl_nlmsg_batch_size(nb->b)) < 0) {
		err = -errno;
		goto out;
	}
	while (acks < nb->msgs) {
		n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		/* an ACK ends mnl_cb_run with MNL_CB_STOP, an error with -1 */
		if (mnl_cb_run(buf, n, 0, mnl_socket_get_portid(nl), NULL, NULL) < 0) {
			err = errno ? -errno : -EIO;
			break;
		}
		acks++;
	}
out:
	mnl_socket_close(nl);
	return err;
}

static int batch_begin(struct nft_batch *nb, char *buf)
{
	nb->seq = (uint32_t)time(NULL);
	nb->msgs = 0;
	nb->b = mnl_nlmsg_batch_start(buf, NFT_BATCH_SIZE);
	if (!nb->b)
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
	return 0;
}

static int batch_end_send(struct nft_batch *nb)
{
	int err;

	nftnl_batch_end(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
	err = batch_send(nb);
	mnl_nlmsg_batch_stop(nb->b);
	return err;
}

int nft_notrack_create(uint16_t port_min, uint16_t port_max)
{
	char *buf = malloc(NFT_BATCH_SIZE);
	struct nft_batch nb;
	int err;

	if (!buf)
		return -ENOMEM;
	if (port_min == 0 || port_min > port_max) {
		err = -EINVAL;
		goto out;
	}
	err = batch_begin(&nb, buf);
	if (err)
		goto out;
	if ((err = put_table(&nb, NFT_MSG_NEWTABLE, NLM_F_CREATE)) ||
	    (err = put_table(&nb, NFT_MSG_DELTABLE, 0)) ||
	    (err = put_table(&nb, NFT_MSG_NEWTABLE, NLM_F_CREATE)) ||
	    (err = put_chain(&nb, "prerouting", NF_INET_PRE_ROUTING)) ||
	    (err = put_chain(&nb, "output", NF_INET_LOCAL_OUT)) ||
	    (err = put_rule(&nb, "prerouting", 2, port_min, port_max)) ||
	    (err = put_rule(&nb, "output", 0, port_min, port_max))) {
		mnl_nlmsg_batch_stop(nb.b);
		goto out;
	}
	err = batch_end_send(&nb);
out:
	free(buf);
	return err;
}

int nft_notrack_remove(void)
{
	char *buf = malloc(NFT_BATCH_SIZE);
	struct nft_batch nb;
	int err;

	if (!buf)
		return -ENOMEM;
	err = batch_begin(&nb, buf);
	if (err)
		goto out;
	err = put_table(&nb, NFT_MSG_DELTABLE, 0);
	if (err) {
		mnl_nlmsg_batch_stop(nb.b);
		goto out;
	}
	err = batch_end_send(&nb);
out:
	free(buf);
	return err;
}
