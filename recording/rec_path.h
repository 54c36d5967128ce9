/*
 * rec_path.h: where a call's recording files go, from outside input
 * (rtpengine's recording-file, recording-dir and recording-pattern keys)
 * kept inside the configured recording-dir.
 *
 * Rules: no ".." or "." component, no control bytes, no empty component;
 * an absolute path must lie inside recording-dir, a relative one is taken
 * from it. A pattern knows rtpengine's output-pattern sequences %c (call-id,
 * with anything but [A-Za-z0-9._-@+] as '_'), %r (random hex), %Y %m %d
 * %H %M %S (UTC) and %%; any other sequence is refused. recording-file wins
 * over the other two. The result is a base name: the writer adds ".pcap",
 * "-mix.wav", "-<tag>.wav" and ".json".
 */
#ifndef RTPRELAY_REC_PATH_H
#define RTPRELAY_REC_PATH_H

#include <stddef.h>
#include <time.h>

#define REC_PATH_MAX	    1024u
#define REC_PATTERN_DEFAULT "%Y%m%d/%c-%r"

struct rec_path_in {
	const char *dir;     /* configured recording-dir: absolute, no trailing '/' */
	const char *file;    /* recording-file, NULL = none */
	size_t file_len;
	const char *subdir;  /* recording-dir key, NULL = none */
	size_t subdir_len;
	const char *pattern; /* recording-pattern, NULL = REC_PATTERN_DEFAULT */
	size_t pattern_len;
	const char *call_id;
	size_t call_id_len;
	const char *rand; /* %r */
	time_t now;
};

/* 0 with @out (REC_PATH_MAX bytes) set, or -EINVAL with *err the reason. */
int rec_path_build(const struct rec_path_in *in, char *out, const char **err);

#endif
