/*
 * nft.h: rtprelay's own nftables table, "inet rtprelay", holding notrack rules
 * for the media port range so that conntrack does not create and look up an
 * entry for every RTP packet. Built with libnftnl and sent over libmnl in one
 * atomic batch; no other table is ever read or touched.
 *
 * Control thread only.
 */
#ifndef RTPRELAY_NFT_H
#define RTPRELAY_NFT_H

#include <stdint.h>

#define NFT_RTPRELAY_TABLE "rtprelay"

/* (Re)create the table: chains at raw priority on prerouting (UDP
 * destination port in range -> notrack) and output (UDP source port in
 * range -> notrack). A table left by a crashed run is replaced in the same
 * transaction. 0 or -errno. */
int nft_notrack_create(uint16_t port_min, uint16_t port_max);
/* Delete the table. -ENOENT if it does not exist. */
int nft_notrack_remove(void);

#endif
