/*
 * media_decode.c: media files and blobs decoded to 8 and 16 kHz mono
 * (media_decode.h).
 */
#include "daemon/media_decode.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/resample.h"
#include "srtp/sdes.h"

#define RATE 8000u

/* The whole of @sf (opened, @info read) as 8 kHz and 16 kHz mono; closes @sf. */
static struct dp_media *decode(SNDFILE *sf, const SF_INFO *pinfo, const char **err)
{
	SF_INFO info = *pinfo;
	struct dp_media *m = NULL;
	struct resampler *rs = NULL;
	int16_t *in = NULL, *mono = NULL;

	if (info.channels < 1 || info.channels > 8 || info.samplerate < 8000 ||
	    info.samplerate > 192000 || info.frames <= 0 ||
	    info.frames > (sf_count_t)MEDIA_MAX_SECONDS * info.samplerate) {
		*err = "Media file refused: empty, longer than 10 minutes, or odd format";
		goto out;
	}
	size_t frames = (size_t)info.frames;
	in = malloc(frames * (size_t)info.channels * sizeof(int16_t));
	mono = malloc(frames * sizeof(int16_t));
	if (!in || !mono) {
		*err = "Out of memory";
		goto out;
	}
	sf_count_t got = sf_readf_short(sf, in, info.frames);
	if (got <= 0) {
		*err = "Media file corrupt: no audio read";
		goto out;
	}
	frames = (size_t)got;
	for (size_t i = 0; i < frames; i++) {
		int32_t s = 0;
		for (int c = 0; c < info.channels; c++)
			s += in[i * (size_t)info.channels + (size_t)c];
		mono[i] = (int16_t)(s / info.channels);
	}
	if (resample_new(1, (unsigned)info.samplerate, RATE, RESAMPLE_DEFAULT_QUALITY, &rs)) {
		*err = "Out of memory";
		goto out;
	}
	unsigned cap = resample_out_max(rs, (unsigned)frames) + 64;
	m = dp_media_new(cap);
	if (!m) {
		*err = "Out of memory";
		goto out;
	}
	int n = resample_run(rs, mono, (unsigned)frames, m->pcm, cap);
	resample_free(rs);
	rs = NULL;
	/* the 16 kHz version for G.722 and Opus: exactly twice as long */
	int n16 = -1;
	if (n > 0 &&
	    !resample_new(1, (unsigned)info.samplerate, 2 * RATE, RESAMPLE_DEFAULT_QUALITY, &rs))
		n16 = resample_run(rs, mono, (unsigned)frames, m->pcm16, 2 * cap);
	if (n <= 0 || n16 <= 0) {
		dp_media_unref(m);
		m = NULL;
		*err = "Media file could not be resampled";
		goto out;
	}
	for (int i = n16; i < 2 * n; i++) /* a resampler's few samples short: silence */
		m->pcm16[i] = 0;
	m->n = (uint32_t)n;
out:
	if (rs)
		resample_free(rs);
	free(in);
	free(mono);
	sf_close(sf);
	return m;
}

struct dp_media *media_decode_file(const char *path, const char **err)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);

	if (!sf) {
		*err = "Media file unreadable or not a media format libsndfile reads";
		return NULL;
	}
	return decode(sf, &info, err);
}

/* libsndfile's virtual I/O over bytes in memory (read only, bounded by len). */
struct membuf {
	const uint8_t *p;
	sf_count_t len, pos;
};

static sf_count_t mem_len(void *u)
{
	return ((struct membuf *)u)->len;
}

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
	struct membuf *b = u;
	sf_count_t to = whence == SEEK_SET ? off : whence == SEEK_CUR ? b->pos + off : b->len + off;

	if (to < 0 || to > b->len)
		return -1;
	b->pos = to;
	return to;
}

static sf_count_t mem_read(void *dst, sf_count_t n, void *u)
{
	struct membuf *b = u;

	if (n < 0)
		return 0;
	if (n > b->len - b->pos)
		n = b->len - b->pos;
	memcpy(dst, b->p + b->pos, (size_t)n);
	b->pos += n;
	return n;
}

static sf_count_t mem_write(const void *src, sf_count_t n, void *u)
{
	(void)src, (void)n, (void)u;
	return 0;
}

static sf_count_t mem_tell(void *u)
{
	return ((struct membuf *)u)->pos;
}

/* The chunks of a RIFF/RIFX/RF64 container in @p[0..@n) each fit in the
 * bytes, up to and with the first "data" chunk (a blob is whole: a data
 * size left open by a streaming writer is refused too). libsndfile 1.2
 * (Debian 12) loops forever on some chunks whose size runs past the end,
 * "data" included, so a blob, which anyone who can send ng
 * commands supplies, is checked before libsndfile sees it. Not RIFF: true
 * (libsndfile decides). */
static bool riff_chunks_fit(const uint8_t *p, size_t n)
{
	bool be;

	if (n < 12)
		return true;
	if (!memcmp(p, "RIFF", 4) || !memcmp(p, "RF64", 4))
		be = false;
	else if (!memcmp(p, "RIFX", 4))
		be = true;
	else
		return true;
	for (size_t pos = 12; n - pos >= 8;) {
		const uint8_t *c = p + pos + 4;
		uint32_t size = be ? (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
						(uint32_t)c[2] << 8 | c[3]
				   : (uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 |
						(uint32_t)c[1] << 8 | c[0];

		if (size > n - pos - 8)
			return false;
		if (!memcmp(p + pos, "data", 4))
			return true;
		pos += 8 + (size_t)size + (size & 1);
		if (pos > n)
			return false;
	}
	return true;
}

/* A blob must start with the signature of a container libsndfile reads
 * by its header: WAV (RIFF, RIFX, RF64), FLAC, Ogg, AIFF (FORM) or AU.
 * Anything else libsndfile would guess at, MP3 by its frame sync above all,
 * and the fuzzer found inputs libmpg123 never returns from: a blob comes
 * from anyone who can send ng commands, a file from the operator. */
static bool blob_format_known(const uint8_t *p, size_t n)
{
	static const char magic[][5] = { "RIFF", "RIFX", "RF64", "fLaC", "OggS", "FORM", ".snd" };

	if (n < 4)
		return false;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (!memcmp(p, magic[i], 4))
			return true;
	return false;
}

struct dp_media *media_decode_blob(const void *data, size_t len, bool base64, const char **err)
{
	SF_VIRTUAL_IO io = { mem_len, mem_seek, mem_read, mem_write, mem_tell };
	uint8_t *raw = NULL;
	struct membuf b = { data, (sf_count_t)len, 0 };
	struct dp_media *m;

	if (!len) {
		*err = "Media blob is empty";
		return NULL;
	}
	if (len > (base64 ? MEDIA_BLOB_MAX / 3u * 4u + 4u : MEDIA_BLOB_MAX)) {
		*err = "Media blob too large (at most 200 KiB)";
		return NULL;
	}
	if (base64) {
		raw = malloc(len / 4u * 3u + 3u);
		int n = raw ? sdes_b64_decode(data, len, raw, len / 4u * 3u + 3u) : -1;
		if (n <= 0) {
			*err = raw ? "Media blob64 is not base64" : "Out of memory";
			free(raw);
			return NULL;
		}
		b.p = raw;
		b.len = n;
	}
	if (!blob_format_known(b.p, (size_t)b.len)) {
		*err = "Media blob format not supported (WAV, FLAC, Ogg, AIFF or AU)";
		free(raw);
		return NULL;
	}
	if (!riff_chunks_fit(b.p, (size_t)b.len)) {
		*err = "Media blob unreadable: a RIFF chunk runs past the end of the blob";
		free(raw);
		return NULL;
	}
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, &b);
	if (!sf) {
		*err = "Media blob unreadable or not a media format libsndfile reads";
		free(raw);
		return NULL;
	}
	m = decode(sf, &info, err);
	free(raw);
	return m;
}
