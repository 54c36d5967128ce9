/* msdp.h: the minimal SDP the bench speaks: one audio m= line, PCMU, one IPv4 address.
 * Both bench tools use it: loadgen to offer/answer its endpoints and to read where the
 * relay wants media, floor to read endpoints and to answer with its own ports. */
#ifndef BENCH_MSDP_H
#define BENCH_MSDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* A codec the bench can offer, and what one 20 ms packet of it looks like. */
struct msdp_codec {
	const char *name;    /* as loadgen's --codec-b takes it */
	const char *ng_name; /* as the ng "codec" → "transcode" list spells it */
	const char *rtpmap;  /* encoding/clock[/channels] */
	const char *fmtp;    /* NULL: none */
	uint8_t pt;
	uint8_t toc;         /* first payload byte (Opus TOC), 0: none */
	uint16_t bytes;      /* payload bytes per 20 ms packet */
	uint32_t ts_step;    /* RTP timestamp increment per packet */
};

extern const struct msdp_codec msdp_pcmu;

/* Looks a codec up by name (pcmu, g722, g729, opus); NULL when unknown. */
const struct msdp_codec *msdp_codec_find(const char *name);

/* Writes an SDP offering codec c (NULL: PCMU) at addr:port (network order address, host
 * order port) into out. Returns its length, or -ENOSPC. */
int msdp_build(char *out, size_t cap, struct in_addr addr, uint16_t port, uint32_t sess_id,
	       const struct msdp_codec *c);

/* Reads the media address (media-level c= wins over session-level) and the first
 * m=audio port. Returns 0 or -EINVAL when either is missing or malformed. */
int msdp_parse(const char *sdp, size_t len, struct in_addr *addr, uint16_t *port);

#endif
