/*
 * wav_writer.h: a mono 16-bit PCM WAV file whose header is right after
 * every append: the RIFF and data sizes are rewritten (two 4-byte writes
 * inside the first block) each time samples are added, so a file is
 * playable up to its last append whatever happens to the daemon after it.
 * An append that fails (full disk) is cut back off the file: the file never
 * holds half a sample or more data than its header says.
 */
#ifndef RTPRELAY_WAV_WRITER_H
#define RTPRELAY_WAV_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define WAV_HEADER 44u

struct wav_writer {
	int fd;
	unsigned rate;
	uint64_t data;	       /* data bytes in the file */
	uint64_t lost_samples; /* appends given up (failed write) */
	int last_err;	       /* errno of the last failed write, 0 = none */
};

/* Create @path (exclusive) with an empty data chunk. 0 or -errno. */
int wav_open(struct wav_writer *w, const char *path, unsigned rate);
/* Append @n samples. 0 or -errno (then nothing of them is in the file). */
int wav_append(struct wav_writer *w, const int16_t *pcm, size_t n);
void wav_close(struct wav_writer *w);
/* The 44-byte header for @data bytes of mono 16-bit PCM at @rate. */
void wav_header(uint8_t *h, unsigned rate, uint64_t data);

#endif
