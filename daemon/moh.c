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
#include "daemon/playmedia.h"
#include "lib/log.h"

int moh_check(struct calls *cs, const struct ng_request *req, const char **err)
{
	char path[PATH_MAX];

	if (!req->moh)
		return 0;
	if (req->moh_source) {
		*err = !strcmp(req->moh_source, "db-id")
			       ? "moh db-id is not supported (no media database): give a file"
			       : "moh blob is not supported: give a file inside media-dir";
		return -EINVAL;
	}
	if (!req->moh_file) {
		*err = "moh needs a sound source (file)";
		return -EINVAL;
	}
	if (req->moh_mode && strcasecmp(req->moh_mode, "sendonly") &&
	    strcasecmp(req->moh_mode, "sendrecv")) {
		*err = !strcasecmp(req->moh_mode, "reflect")
			       ? "moh mode reflect is not supported"
			       : "Invalid moh mode (sendonly, sendrecv)";
		return -EINVAL;
	}
	if (req->moh_connection) {
		*err = !strcasecmp(req->moh_connection, "zero")
			       ? "moh connection zero is not supported"
			       : "Invalid moh connection";
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

void moh_rewrite(const struct call_party *s, const struct call_media *sm, const struct sdp_media *m,
		 struct sdp_media_rewrite *mr)
{
	(void)m;
	if (s->moh_file && s->moh_sendrecv && is_audio(sm) && sm->no_recv)
		mr->dir = SDP_DIR_SENDRECV;
}

/* @s puts its audio on hold: some audio section says it receives nothing. */
static bool holds(const struct call_party *s)
{
	for (unsigned i = 0; i < s->n_media; i++)
		if (is_audio(&s->media[i]) && s->media[i].no_recv)
			return true;
	return false;
}

const char *moh_offer_answer(struct calls *cs, struct call *c, struct call_party *s,
			     const struct ng_request *req)
{
	const char *err = NULL;
	char path[PATH_MAX];

	if (req->moh && !playmedia_resolve(cs->cfg->media_dir, req->moh_file, path, &err)) {
		char *f = strdup(path);
		if (!f)
			return "Out of memory: moh not kept";
		free(s->moh_file);
		s->moh_file = f;
		s->moh_sendrecv = req->moh_mode && !strcasecmp(req->moh_mode, "sendrecv");
	}
	if (!s->moh_file || !s->peer)
		return NULL;
	bool hold = holds(s);
	if (hold == s->moh_playing)
		return NULL;
	/* the peer hears the file while @s holds, its own media again after */
	if (playmedia_loop(c, s->peer, hold ? s->moh_file : NULL, MOH_MAX_MS, &err)) {
		log_warn("call %s: music on hold: %s", c->call_id, err);
		return err;
	}
	s->moh_playing = hold;
	log_info("call %s: music on hold %s", c->call_id, hold ? "started" : "stopped");
	return NULL;
}
