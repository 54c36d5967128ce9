/*
 * playmedia.c: play media / stop media (playmedia.h).
 */
#include "daemon/playmedia.h"

#include <errno.h>
#include <limits.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "codecs/codec.h"
#include "codecs/resample.h"
#include "codecs/transcode.h"
#include "daemon/callctl.h"
#include "daemon/config.h"
#include "daemon/media_decode.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"

#define RATE	    8000u
#define CACHE_FILES 16u

/* Decoded files, by path and identity (a changed file is decoded again). */
static struct {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	struct dp_media *m;
} cache[CACHE_FILES];
static unsigned cache_next;

/* @file resolved inside @dir (both through realpath: symlinks and ".."
 * cannot lead out). 0 or -EINVAL/-ENOENT with *err. */
int playmedia_resolve(const char *dir, const char *file, char *out, const char **err)
{
	char joined[PATH_MAX * 2], rdir[PATH_MAX];
	size_t dl;

	for (const char *p = file; *p; p++)
		if ((unsigned char)*p < 0x20) {
			*err = "Media file name contains control characters";
			return -EINVAL;
		}
	if (!realpath(dir, rdir)) {
		*err = "media-dir does not exist";
		return -ENOENT;
	}
	if (file[0] == '/')
		snprintf(joined, sizeof(joined), "%s", file);
	else
		snprintf(joined, sizeof(joined), "%s/%s", dir, file);
	if (!realpath(joined, out)) {
		*err = "Media file not found";
		return -ENOENT;
	}
	dl = strlen(rdir);
	if (strncmp(out, rdir, dl) || out[dl] != '/') {
		*err = "Media file refused: outside media-dir";
		return -EINVAL;
	}
	return 0;
}

/* A reference of the decoded file (cached; decoded on first use). */
static struct dp_media *load(const char *path, const char **err)
{
	struct stat st;
	unsigned i;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = "Media file not found";
		return NULL;
	}
	for (i = 0; i < CACHE_FILES; i++) {
		if (cache[i].m && !strcmp(cache[i].path, path) && cache[i].dev == st.st_dev &&
		    cache[i].ino == st.st_ino && cache[i].size == st.st_size &&
		    cache[i].mtime.tv_sec == st.st_mtim.tv_sec &&
		    cache[i].mtime.tv_nsec == st.st_mtim.tv_nsec) {
			dp_media_ref(cache[i].m);
			return cache[i].m;
		}
	}
	struct dp_media *m = media_decode_file(path, err);
	if (!m)
		return NULL;
	i = cache_next++ % CACHE_FILES; /* the oldest entry goes */
	dp_media_unref(cache[i].m);
	snprintf(cache[i].path, sizeof(cache[i].path), "%s", path);
	cache[i].dev = st.st_dev;
	cache[i].ino = st.st_ino;
	cache[i].size = st.st_size;
	cache[i].mtime = st.st_mtim;
	cache[i].m = m;
	dp_media_ref(m);
	log_info("play media: %s decoded (%u ms)", path, m->n / (RATE / 1000));
	return m;
}

static bool is_audio(const struct call_media *m)
{
	return m->used && !strcasecmp(m->type, "audio");
}

static int number(const char *v, long min, long max, long *out)
{
	char *end;

	errno = 0;
	long x = strtol(v, &end, 10);
	if (end == v || *end || errno || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* Can the worker play into payloads of @d (an encoder of codecs/)? */
static bool encodable(const struct codec_desc *d)
{
	return d == &codec_g729 || d == &codec_opus;
}

static bool kind_audio(uint8_t k)
{
	return k == DP_PT_PCMU || k == DP_PT_PCMA || k == DP_PT_G722;
}

/* The payload types of @pl that the worker plays into: G.711/G.722 by
 * pt_kind[], G.729/Opus through an encoder (enc[]), from both parties'
 * SDP (either's format may flow on the stream). */
static void play_codecs(struct dp_play *pl, const struct call_media *xm,
			const struct call_media *pm)
{
	memset(pl->pt_kind, DP_PT_OTHER, sizeof(pl->pt_kind));
	for (unsigned q = 0; q < xm->n_pt_kinds; q++)
		pl->pt_kind[xm->pt_kinds[q].pt] = xm->pt_kinds[q].kind;
	for (unsigned q = 0; q < pm->n_pt_kinds; q++)
		pl->pt_kind[pm->pt_kinds[q].pt] = pm->pt_kinds[q].kind;
	pl->n_enc = 0;
	for (unsigned q = 0; q < xm->n_rec_codecs + pm->n_rec_codecs; q++) {
		const struct call_media *cm = q < xm->n_rec_codecs ? xm : pm;
		unsigned e = q < xm->n_rec_codecs ? q : q - xm->n_rec_codecs;
		bool dup = false;

		if (!encodable(cm->rec_codecs[e].desc) || pl->n_enc >= DP_PLAY_CODECS)
			continue;
		for (unsigned j = 0; j < pl->n_enc; j++)
			dup |= pl->enc[j].pt == cm->rec_codecs[e].pt;
		if (dup || kind_audio(pl->pt_kind[cm->rec_codecs[e].pt]))
			continue;
		pl->enc[pl->n_enc].pt = cm->rec_codecs[e].pt;
		pl->enc[pl->n_enc++].desc = cm->rec_codecs[e].desc;
	}
}

static bool playable_pt(const struct dp_play *pl, uint8_t pt)
{
	if (pt > 127)
		return false;
	if (kind_audio(pl->pt_kind[pt]))
		return true;
	for (unsigned j = 0; j < pl->n_enc; j++)
		if (pl->enc[j].pt == pt)
			return true;
	return false;
}

/* The payload type of the packets the worker makes while the sender is
 * quiet: on a transcoded stream the transcoder's input; else the first
 * playable codec of the listening party's SDP (its preference), else of
 * the peer's. 0xff = none. */
static uint8_t gen_pt(const struct dp_play *pl, const struct call_media *xm,
		      const struct call_media *pm)
{
	if (pm->xcode)
		return playable_pt(pl, xcode_in_pt(pm->xcode)) ? xcode_in_pt(pm->xcode) : 0xff;
	for (unsigned q = 0; q < xm->n_rec_codecs + pm->n_rec_codecs; q++) {
		const struct call_media *cm = q < xm->n_rec_codecs ? xm : pm;
		unsigned e = q < xm->n_rec_codecs ? q : q - xm->n_rec_codecs;
		if (playable_pt(pl, cm->rec_codecs[e].pt))
			return cm->rec_codecs[e].pt;
	}
	for (unsigned q = 0; q < 128; q++) /* a static one without a codec entry */
		if (kind_audio(pl->pt_kind[q]))
			return (uint8_t)q;
	return 0xff;
}

/* The endpoints whose RTP party @x hears: its peer's sending side. */
static int each_stream(struct call *c, struct call_party *sel, const struct dp_play *tmpl,
		       uint64_t until_ms, uint64_t *pos_ms, const char **err)
{
	unsigned done = 0;

	*pos_ms = 0;
	for (unsigned k = 0; k < c->n_parties; k++) {
		struct call_party *x = c->parties[k];
		struct call_party *p = x->peer;

		if ((sel && x != sel) || !p)
			continue;
		for (unsigned i = 0; i < x->n_media && i < p->n_media; i++) {
			struct call_media *xm = &x->media[i], *pm = &p->media[i];
			struct dp_play pl = *tmpl;
			bool audio = false;

			if (!is_audio(xm) || !is_audio(pm) || !pm->rtp.ep)
				continue;
			play_codecs(&pl, xm, pm);
			for (unsigned q = 0; q < 128; q++)
				audio |= playable_pt(&pl, (uint8_t)q);
			pl.gen_pt = gen_pt(&pl, xm, pm);
			if (tmpl->m && pm->xcode && pl.gen_pt > 127) {
				*err = "play media: the transcoder's input codec cannot be played";
				return -EINVAL;
			}
			if (tmpl->m && !audio) {
				*err = "play media needs G.711, G.722, G.729 or Opus on this leg";
				return -EINVAL;
			}
			if (!tmpl->m) {
				uint64_t ms = dp_endpoint_play_pos(pm->rtp.ep) / (RATE / 1000);
				if (ms > *pos_ms)
					*pos_ms = ms;
			}
			if (dp_endpoint_play(pm->rtp.ep, &pl, until_ms)) {
				*err = "Out of memory";
				return -ENOMEM;
			}
			done++;
		}
	}
	if (!done) {
		*err = "No media to play to";
		return -EINVAL;
	}
	return 0;
}

int playmedia_command(struct calls *cs, const struct ng_request *req, struct arena *a,
		      struct ng_node *reply, uint64_t now_ms, const char **err)
{
	struct call *c = call_find(cs, req->call_id);
	struct call_party *sel;
	struct dp_play pl;
	long repeats = 1, rep_ms = 0, start_ms = 0;
	uint64_t pos_ms;
	char path[PATH_MAX];
	int rc;

	(void)a;
	if (!c) {
		*err = "Unknown call-ID";
		return -ENOENT;
	}
	if (callctl_select(c, req, &sel, err))
		return -EINVAL;
	if (!sel && !(req->flags & NG_F_ALL)) {
		*err = "No participant party specified";
		return -EINVAL;
	}
	memset(&pl, 0, sizeof(pl));
	/* the transcoder's Opus setting (opus-complexity) for the played Opus too */
	pl.opus_complexity = (int8_t)cs->cfg->opus_complexity;
	if (req->cmd == NG_CMD_STOP_MEDIA) {
		rc = each_stream(c, sel, &pl, 0, &pos_ms, err);
		if (!rc && !ng_dict_add_int(a, reply, "last-frame-pos", (int64_t)pos_ms))
			rc = -ENOMEM, *err = "Out of memory";
		return rc;
	}
	if (req->file && req->blob) {
		*err = "play media takes one of file and blob";
		return -EINVAL;
	}
	if (!req->file && !req->blob) {
		*err = "No media file specified (file or blob)";
		return -EINVAL;
	}
	if (req->file && !cs->cfg->media_dir[0]) {
		*err = "play media is not configured (media-dir)";
		return -EINVAL;
	}
	if (req->repeat_times && number(req->repeat_times, 1, PLAYMEDIA_MAX_REPEATS, &repeats)) {
		*err = "Invalid 'repeat-times' (1..1000)";
		return -EINVAL;
	}
	if (req->repeat_duration && number(req->repeat_duration, 1, 86400000, &rep_ms)) {
		*err = "Invalid 'repeat-duration' (1..86400000 ms)";
		return -EINVAL;
	}
	if (req->start_pos &&
	    number(req->start_pos, 0, (long)PLAYMEDIA_MAX_SECONDS * 1000, &start_ms)) {
		*err = "Invalid 'start-pos' (0..600000 ms)";
		return -EINVAL;
	}
	if (req->blob) {
		pl.m = media_decode_blob(req->blob, req->blob_len, req->blob64, err);
	} else {
		rc = playmedia_resolve(cs->cfg->media_dir, req->file, path, err);
		if (rc)
			return rc;
		pl.m = load(path, err);
	}
	if (!pl.m)
		return -EINVAL;
	pl.start = (uint64_t)start_ms * (RATE / 1000);
	if (pl.start >= pl.m->n) {
		dp_media_unref(pl.m);
		*err = "Invalid 'start-pos': beyond the end of the media";
		return -EINVAL;
	}
	/* positions count in the media repeated: the first repeat starts at
	 * start-pos, every repeat ends at the media's end; rtpengine:
	 * repeat-duration bounds the repeats when it ends earlier */
	pl.total = (uint64_t)pl.m->n * (uint64_t)repeats;
	if (rep_ms) {
		uint64_t d = pl.start + (uint64_t)rep_ms * (RATE / 1000);
		uint64_t until_rep = (d + pl.m->n - 1) / pl.m->n * pl.m->n;
		if (!req->repeat_times || until_rep < pl.total)
			pl.total = until_rep;
	}
	uint64_t ms = (pl.total - pl.start) / (RATE / 1000);
	/* out of the kernel path while it plays; after it, as long as the
	 * worker keeps a shift for the sender's packets (dp_play.c play_held) */
	rc = each_stream(c, sel, &pl, now_ms + ms + 1000, &pos_ms, err);
	dp_media_unref(pl.m); /* the workers hold their own references */
	if (rc)
		return rc;
	if (!ng_dict_add_int(a, reply, "duration", (int64_t)ms)) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	return 0;
}

int playmedia_loop_media(struct calls *cs, struct call *c, struct call_party *sel,
			 struct dp_media *m, uint64_t max_ms, const char **err)
{
	struct dp_play pl;
	uint64_t pos_ms;

	memset(&pl, 0, sizeof(pl));
	pl.opus_complexity = (int8_t)cs->cfg->opus_complexity;
	if (m) {
		pl.m = m;
		uint64_t d = max_ms * (RATE / 1000);
		pl.total = (d + m->n - 1) / m->n * m->n; /* whole repeats */
	}
	return each_stream(c, sel, &pl, UINT64_MAX / 2u, &pos_ms, err);
}

int playmedia_loop(struct calls *cs, struct call *c, struct call_party *sel, const char *path,
		   uint64_t max_ms, const char **err)
{
	struct dp_media *m = NULL;
	int rc;

	if (path) {
		m = load(path, err);
		if (!m)
			return -EINVAL;
	}
	rc = playmedia_loop_media(cs, c, sel, m, max_ms, err);
	dp_media_unref(m);
	return rc;
}
