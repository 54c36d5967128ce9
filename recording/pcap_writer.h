/*
 * pcap_writer.h: a classic pcap file (the libpcap savefile format, readable
 * by Wireshark/tshark) with each recorded packet as a real Ethernet + IPv4
 * or IPv6 + UDP frame (recording-format=eth), or as a bare IP packet
 * (LINKTYPE_RAW, recording-format=raw).
 *
 * Written here rather than through libpcap's pcap_dump: the format is a
 * 24-byte file header and a 16-byte header per packet, and pcap_dump returns
 * nothing, so a full disk would go unnoticed. Every write here reports its
 * error; a failed or short write is undone (the file is cut back to the last
 * whole packet), so the file is always readable up to its end.
 */
#ifndef RTPRELAY_PCAP_WRITER_H
#define RTPRELAY_PCAP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recording/rec_ring.h"

#define PCAP_BUF (64u << 10)

struct pcap_writer {
	int fd;
	bool eth;	     /* Ethernet frames, else LINKTYPE_RAW */
	uint64_t size;	     /* bytes of whole records in the file */
	uint64_t lost_bytes; /* records given up: a write failed (full disk) */
	int last_err;	     /* errno of the last failed write, 0 = none */
	size_t used;	     /* bytes waiting in buf */
	uint8_t *buf;	     /* PCAP_BUF: records collected for one write */
};

#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_LINKTYPE_RAW      101
/* Largest frame built: Ethernet 14 + IPv6 40 + UDP 8 + payload. */
#define PCAP_MAX_FRAME (14 + 40 + 8 + 65535)

/* Create @path (exclusive, 0640) and write the file header. 0 or -errno. */
int pcap_open(struct pcap_writer *w, const char *path, bool eth);
/* Build the frame for @p (payload right after it) into @frame (PCAP_MAX_FRAME
 * bytes); returns its length. */
size_t pcap_frame(const struct rec_pkt *p, const uint8_t *payload, bool eth, uint8_t *frame);
/* Append @p as one record stamped with wall time @wall_us. Records are
 * collected and written PCAP_BUF at a time (and by pcap_flush). 0, or
 * -errno of a failed write (ENOSPC, EIO, ...): the records of that write are
 * lost (lost_bytes), none of them stays in the file in part. */
int pcap_write(struct pcap_writer *w, const struct rec_pkt *p, const uint8_t *payload,
	       uint64_t wall_us);
/* Write what is collected. 0 or -errno as pcap_write. */
int pcap_flush(struct pcap_writer *w);
/* Flush and close. */
void pcap_close(struct pcap_writer *w);

#endif
