/*
 * moh.c: music on hold (moh.h).
 */
#include "daemon/moh.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/config.h"
#include "daemon/media_decode.h"
#include "daemon/playmedia.h"
#include "lib/log.h"

static bool reflect(const struct ng_request *req)
{
	return req->moh && req->moh_mode && !strcasecmp(req->moh_mode, "reflect");
}

int moh_check(struct calls *cs, const struct ng_request *req, const char **err)
{
	char path[PATH_MAX];

	if (!req->moh)
		return 0;
	if (req->moh_source) {
		*err = "moh db-id is not supported: rtprelay has no media database";
		return -EINVAL;
	}
	if (req->moh_mode && strcasecmp(req->moh_mode, "sendonly") &&
	    strcasecmp(req->moh_mode, "sendrecv") && strcasecmp(req->moh_mode, "reflect")) {
		*err = "Invalid moh mode (sendonly, sendrecv, reflect)";
		return -EINVAL;
	}
	if (req->moh_connection && strcasecmp(req->moh_connection, "zero")) {
		*err = "Invalid moh connection (zero)";
		return -EINVAL;
	}
	if (reflect(req)) {
		/* the music is the other party's: no source of its own */
		if (req->cmd != NG_CMD_OFFER || !req->to_tag) {
			*err = "moh mode reflect is for in-dialog offers only";
			return -EINVAL;
		}
		return 0;
	}
	if (req->moh_file && req->moh_blob) {
		*err = "moh takes one sound source (file or blob)";
		return -EINVAL;
	}
	if (req->moh_blob) {
		struct dp_media *m = media_decode_blob(req->moh_blob, req->moh_blob_len,
						       req->moh_blob64, err);
		dp_media_unref(m);
		return m ? 0 : -EINVAL;
	}
	if (!req->moh_file) {
		*err = "moh needs a sound source (file or blob)";
		return -EINVAL;
	}
	if (!cs->cfg->media_dir[0]) {
		*err = "moh is not configured (media-dir)";
		return -EINVAL;
	}
	return playmedia_resolve(cs->cfg->media_dir, req->moh_file, path, err);
}

static bool is_audio(const struct call_media *m)
{
	return m->used && !strcasecmp(m->type, "audio");
}

static bool has_music(const struct call_party *p)
{
	return p && (p->moh_file || p->moh_media);
}

/* Whose music plays when @s holds (itself, or with reflect its peer), as
 * this request from @s leaves it; NULL = none. */
static const struct call_party *music_of(const struct ng_request *req, const struct call_party *s)
{
	bool refl = req->moh ? reflect(req) : s->moh_reflect;

	if (refl)
		return has_music(s->peer) ? s->peer : NULL;
	if (req->moh) /* advertised in this very request (moh_offer_answer keeps it) */
		return s;
	return has_music(s) ? s : NULL;
}

void moh_rewrite(const struct ng_request *req, const struct call_party *s,
		 const struct call_media *sm, const struct sdp_media *m,
		 struct sdp_media_rewrite *mr)
{
	const struct call_party *src = music_of(req, s);
	bool same = src == s && req->moh;

	(void)m;
	if (!src || !is_audio(sm) || !sm->no_recv)
		return;
	if (same ? req->moh_mode && !strcasecmp(req->moh_mode, "sendrecv") : src->moh_sendrecv)
		mr->dir = SDP_DIR_SENDRECV;
	if ((same ? req->moh_connection != NULL : src->moh_zero) && mr->addr) {
		/* zeroed hold (RFC 2543 style) towards the held party */
		mr->addr = strchr(mr->addr, ':') ? "::" : "0.0.0.0";
	}
}

/* @s puts its audio on hold: some audio section says it receives nothing. */
static bool holds(const struct call_party *s)
{
	for (unsigned i = 0; i < s->n_media; i++)
		if (is_audio(&s->media[i]) && s->media[i].no_recv)
			return true;
	return false;
}

/* Keep the music @req advertises with @s (file or blob); a warning or NULL. */
static const char *keep(struct calls *cs, struct call_party *s, const struct ng_request *req)
{
	const char *err = NULL;
	char path[PATH_MAX];

	s->moh_reflect = reflect(req);
	if (s->moh_reflect)
		return NULL;
	if (req->moh_blob) {
		struct dp_media *m = media_decode_blob(req->moh_blob, req->moh_blob_len,
						       req->moh_blob64, &err);
		if (!m)
			return err;
		dp_media_unref(s->moh_media);
		s->moh_media = m;
		free(s->moh_file);
		s->moh_file = NULL;
	} else if (!playmedia_resolve(cs->cfg->media_dir, req->moh_file, path, &err)) {
		char *f = strdup(path);
		if (!f)
			return "Out of memory: moh not kept";
		free(s->moh_file);
		s->moh_file = f;
		dp_media_unref(s->moh_media);
		s->moh_media = NULL;
	} else {
		return err;
	}
	s->moh_sendrecv = req->moh_mode && !strcasecmp(req->moh_mode, "sendrecv");
	s->moh_zero = req->moh_connection != NULL;
	return NULL;
}

const char *moh_offer_answer(struct calls *cs, struct call *c, struct call_party *s,
			     const struct ng_request *req)
{
	const char *err = NULL, *warn = NULL;

	if (req->moh)
		warn = keep(cs, s, req);
	if (warn || !s->peer)
		return warn;
	const struct call_party *src = s->moh_reflect ? s->peer : s;
	bool hold = holds(s) && has_music(src);
	if (s->moh_reflect && holds(s) && !has_music(src))
		warn = "moh mode reflect: the other party advertised no music on hold";
	if (hold == s->moh_playing)
		return warn;
	/* the peer hears the music while @s holds, its own media again after */
	int rc = !hold ? playmedia_loop(cs, c, s->peer, NULL, MOH_MAX_MS, &err)
		 : src->moh_file
			 ? playmedia_loop(cs, c, s->peer, src->moh_file, MOH_MAX_MS, &err)
			 : playmedia_loop_media(cs, c, s->peer, src->moh_media, MOH_MAX_MS, &err);
	if (rc) {
		log_warn("call %s: music on hold: %s", c->call_id, err);
		return err;
	}
	s->moh_playing = hold;
	log_info("call %s: music on hold %s%s", c->call_id, hold ? "started" : "stopped",
		 s->moh_reflect ? " (reflected)" : "");
	return warn;
}
