/*
 * pcap_writer.c: pcap savefiles of the recorded packets (pcap_writer.h).
 */
#include "recording/pcap_writer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 ones' complement sum, continued from @sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t pcap_frame(const struct rec_pkt *p, const uint8_t *payload, bool eth, uint8_t *frame)
{
	uint8_t *o = frame;
	size_t udp_len = 8u + p->len;

	if (eth) {
		/* locally administered MACs: 02:00:00:00:00:01 -> :02 */
		static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
		memcpy(o, mac, 12);
		put16(o + 12, p->v6 ? 0x86dd : 0x0800);
		o += 14;
	}
	uint8_t *udp;
	if (!p->v6) {
		memset(o, 0, 20);
		o[0] = 0x45;
		put16(o + 2, (uint16_t)(20 + udp_len));
		o[6] = 0x40; /* DF */
		o[8] = 64;
		o[9] = 17;
		memcpy(o + 12, p->src, 4);
		memcpy(o + 16, p->dst, 4);
		put16(o + 10, csum_fold(csum_add(0, o, 20)));
		udp = o + 20;
	} else {
		memset(o, 0, 40);
		o[0] = 0x60;
		put16(o + 4, (uint16_t)udp_len);
		o[6] = 17;
		o[7] = 64;
		memcpy(o + 8, p->src, 16);
		memcpy(o + 24, p->dst, 16);
		udp = o + 40;
	}
	put16(udp, p->src_port);
	put16(udp + 2, p->dst_port);
	put16(udp + 4, (uint16_t)udp_len);
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, p->len);
	if (p->v6) { /* mandatory for UDP over IPv6 (RFC 8200 8.1) */
		uint8_t ph[8] = { 0 };
		uint32_t s = csum_add(0, o + 8, 32);
		ph[2] = (uint8_t)(udp_len >> 8);
		ph[3] = (uint8_t)udp_len;
		ph[7] = 17;
		s = csum_add(s, ph, 8);
		s = csum_add(s, udp, udp_len);
		uint16_t c = csum_fold(s);
		put16(udp + 6, c ? c : 0xffff);
	}
	return (size_t)(udp + udp_len - frame);
}

/* Write all of @iov or nothing (a short write is cut off again). */
static int write_all(int fd, uint64_t at, const struct iovec *iov, int n, size_t total)
{
	ssize_t w = pwritev(fd, iov, n, (off_t)at);

	if (w == (ssize_t)total)
		return 0;
	int e = w < 0 ? errno : ENOSPC;
	if (ftruncate(fd, (off_t)at) < 0) {
		/* nothing more to do: the size we keep stays the last whole record */
	}
	return -e;
}

int pcap_open(struct pcap_writer *w, const char *path, bool eth)
{
	uint8_t hdr[24];
	uint32_t v;

	memset(w, 0, sizeof(*w));
	w->eth = eth;
	w->buf = malloc(PCAP_BUF);
	if (!w->buf) {
		w->fd = -1;
		return -ENOMEM;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (w->fd < 0) {
		int e = errno;
		free(w->buf);
		w->buf = NULL;
		return -e;
	}
	/* native byte order: readers tell it from the magic */
	v = 0xa1b2c3d4;
	memcpy(hdr, &v, 4);
	uint16_t major = 2, minor = 4;
	memcpy(hdr + 4, &major, 2);
	memcpy(hdr + 6, &minor, 2);
	memset(hdr + 8, 0, 8); /* thiszone, sigfigs */
	v = 65535 + 62;
	memcpy(hdr + 16, &v, 4);
	v = eth ? PCAP_LINKTYPE_ETHERNET : PCAP_LINKTYPE_RAW;
	memcpy(hdr + 20, &v, 4);
	struct iovec iov = { hdr, sizeof(hdr) };
	int rc = write_all(w->fd, 0, &iov, 1, sizeof(hdr));
	if (rc) {
		close(w->fd);
		w->fd = -1;
		unlink(path);
		free(w->buf);
		w->buf = NULL;
		return rc;
	}
	w->size = sizeof(hdr);
	return 0;
}

int pcap_flush(struct pcap_writer *w)
{
	int rc;

	if (w->fd < 0 || !w->used)
		return 0;
	struct iovec iov = { w->buf, w->used };
	rc = write_all(w->fd, w->size, &iov, 1, w->used);
	if (rc) {
		w->lost_bytes += w->used;
		w->last_err = -rc;
	} else {
		w->size += w->used;
	}
	w->used = 0;
	return rc;
}

int pcap_write(struct pcap_writer *w, const struct rec_pkt *p, const uint8_t *payload,
	       uint64_t wall_us)
{
	static _Thread_local uint8_t frame[PCAP_MAX_FRAME];
	uint32_t rh[4];
	size_t n;
	int rc = 0;

	if (w->fd < 0)
		return -EBADF;
	n = pcap_frame(p, payload, w->eth, frame);
	if (w->used + sizeof(rh) + n > PCAP_BUF)
		rc = pcap_flush(w);
	rh[0] = (uint32_t)(wall_us / 1000000u);
	rh[1] = (uint32_t)(wall_us % 1000000u);
	rh[2] = rh[3] = (uint32_t)n;
	if (sizeof(rh) + n > PCAP_BUF) { /* larger than the buffer: on its own */
		struct iovec iov[2] = { { rh, sizeof(rh) }, { frame, n } };
		int r2 = write_all(w->fd, w->size, iov, 2, sizeof(rh) + n);
		if (r2) {
			w->lost_bytes += sizeof(rh) + n;
			w->last_err = -r2;
			return r2;
		}
		w->size += sizeof(rh) + n;
		return rc;
	}
	memcpy(w->buf + w->used, rh, sizeof(rh));
	memcpy(w->buf + w->used + sizeof(rh), frame, n);
	w->used += sizeof(rh) + n;
	return rc;
}

void pcap_close(struct pcap_writer *w)
{
	if (w->fd >= 0) {
		pcap_flush(w);
		close(w->fd);
	}
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
}
