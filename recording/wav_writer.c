/*
 * wav_writer.c: crash-consistent WAV files (wav_writer.h).
 */
#include "recording/wav_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* WAV sizes are 32-bit: a file stops growing just below 4 GiB. */
#define WAV_MAX_DATA (0xffffffffu - WAV_HEADER)

void wav_header(uint8_t *h, unsigned rate, uint64_t data)
{
	uint32_t d = data > WAV_MAX_DATA ? WAV_MAX_DATA : (uint32_t)data;

	memcpy(h, "RIFF", 4);
	le32(h + 4, 36u + d);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1); /* PCM */
	le16(h + 22, 1); /* mono */
	le32(h + 24, rate);
	le32(h + 28, rate * 2u);
	le16(h + 32, 2);
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, d);
}

int wav_open(struct wav_writer *w, const char *path, unsigned rate)
{
	uint8_t h[WAV_HEADER];

	memset(w, 0, sizeof(*w));
	w->rate = rate;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (w->fd < 0)
		return -errno;
	wav_header(h, rate, 0);
	if (pwrite(w->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		int e = errno ? errno : ENOSPC;
		close(w->fd);
		w->fd = -1;
		unlink(path);
		return -e;
	}
	return 0;
}

int wav_append(struct wav_writer *w, const int16_t *pcm, size_t n)
{
	uint8_t sz[4];
	size_t bytes = n * 2u;
	ssize_t r;

	if (w->fd < 0)
		return -EBADF;
	if (!n)
		return 0;
	if (w->data + bytes > WAV_MAX_DATA) {
		w->lost_samples += n;
		w->last_err = EFBIG;
		return -EFBIG;
	}
	/* little-endian samples: the host order on every target we build for */
	r = pwrite(w->fd, pcm, bytes, (off_t)(WAV_HEADER + w->data));
	if (r != (ssize_t)bytes) {
		int e = r < 0 ? errno : ENOSPC;
		if (ftruncate(w->fd, (off_t)(WAV_HEADER + w->data)) < 0) {
			/* the header still names only what was written before */
		}
		w->lost_samples += n;
		w->last_err = e;
		return -e;
	}
	w->data += bytes;
	/* the sizes: within the header's block, which exists, so no new space */
	le32(sz, (uint32_t)(36u + w->data));
	if (pwrite(w->fd, sz, 4, 4) != 4)
		return -errno;
	le32(sz, (uint32_t)w->data);
	if (pwrite(w->fd, sz, 4, 40) != 4)
		return -errno;
	return 0;
}

void wav_close(struct wav_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
