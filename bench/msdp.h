/* msdp.h: the minimal SDP the bench speaks: one audio m= line, PCMU, one IPv4 address.
 * Both bench tools use it: loadgen to offer/answer its endpoints and to read where the
 * relay wants media, floor to read endpoints and to answer with its own ports. */
#ifndef BENCH_MSDP_H
#define BENCH_MSDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* Writes an SDP for addr:port (network order address, host order port) into out.
 * Returns its length, or -ENOSPC. */
int msdp_build(char *out, size_t cap, struct in_addr addr, uint16_t port, uint32_t sess_id);

/* Reads the media address (media-level c= wins over session-level) and the first
 * m=audio port. Returns 0 or -EINVAL when either is missing or malformed. */
int msdp_parse(const char *sdp, size_t len, struct in_addr *addr, uint16_t *port);

#endif
