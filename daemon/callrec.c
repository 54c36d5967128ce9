/*
 * callrec.c: recording commands and keys (callrec.h).
 */
#include "daemon/callrec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "codecs/codec.h"
#include "daemon/interfaces.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"
#include "recording/rec_path.h"
#include "recording/recorder.h"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void callrec_media_formats(struct call_media *cm, const struct sdp_media *m)
{
	cm->n_rec_codecs = 0;
	for (unsigned f = 0; m->rtp && f < m->n_formats; f++) {
		const struct sdp_format *fm = &m->formats[f];
		struct sdp_str enc = sdp_format_encoding(fm);
		const struct codec_desc *d;

		if (fm->pt > 127 || cm->n_rec_codecs >= CALL_MAX_REC_CODECS)
			continue;
		d = enc.len ? codec_find(enc.s, enc.len, fm->clock_rate, 0)
			    : codec_find_static(fm->pt);
		if (!d && fm->pt < 96)
			d = codec_find_static(fm->pt);
		if (!d)
			continue;
		cm->rec_codecs[cm->n_rec_codecs].desc = d;
		cm->rec_codecs[cm->n_rec_codecs++].pt = (uint8_t)fm->pt;
	}
}

static bool is_audio(const struct call_media *m)
{
	return m->used && !strcasecmp(m->type, "audio");
}

static const struct call_media *first_audio(const struct call_party *p)
{
	for (unsigned i = 0; p && i < p->n_media; i++)
		if (is_audio(&p->media[i]))
			return &p->media[i];
	return NULL;
}

static void add_codecs(struct rec_leg_info *l, const struct call_media *m)
{
	for (unsigned k = 0; m && k < m->n_rec_codecs && l->n_codecs < REC_MAX_CODECS; k++) {
		bool dup = false;
		for (unsigned j = 0; j < l->n_codecs; j++)
			dup |= l->codecs[j].pt == m->rec_codecs[k].pt;
		if (dup)
			continue;
		l->codecs[l->n_codecs].pt = m->rec_codecs[k].pt;
		l->codecs[l->n_codecs++].desc = m->rec_codecs[k].desc;
	}
}

/* What the recorder knows of each party: tag, label, and the codecs it may
 * send: its own SDP's first (its numbering when transcoded), then its
 * peer's (what it sends when forwarded). */
static void fill_legs(const struct call *c, struct rec_leg_info *legs)
{
	memset(legs, 0, sizeof(*legs) * REC_MAX_LEGS);
	for (unsigned i = 0; i < c->n_parties && i < REC_MAX_LEGS; i++) {
		const struct call_party *p = c->parties[i];
		struct rec_leg_info *l = &legs[i];

		l->used = true;
		snprintf(l->tag, sizeof(l->tag), "%s", call_party_tag(p));
		snprintf(l->label, sizeof(l->label), "%s", p->label ? p->label : "");
		add_codecs(l, first_audio(p));
		l->own_sdp = l->n_codecs > 0;
		add_codecs(l, first_audio(p->peer));
	}
}

static void tap(struct dp_endpoint *ep, const struct iface *ifc, uint16_t port, uint32_t id,
		uint8_t leg)
{
	struct dp_rec_tap t;

	if (!ep)
		return;
	memset(&t, 0, sizeof(t));
	t.id = id;
	t.leg = leg;
	if (ifc) {
		t.local = ifc->cfg->sa;
		if (t.local.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&t.local)->sin6_port = htons(port);
		else
			((struct sockaddr_in *)&t.local)->sin_port = htons(port);
	}
	if (dp_endpoint_rec(ep, &t))
		log_warn("recording: a stream not tapped (out of memory)");
}

/* Tap (id != 0) or untap (id 0) every endpoint the call's parties send into. */
static void tap_call(const struct call *c, uint32_t id)
{
	for (unsigned i = 0; i < c->n_parties && i < REC_MAX_LEGS; i++) {
		const struct call_party *p = c->parties[i];
		const struct call_media *audio = first_audio(p);

		for (unsigned j = 0; j < p->n_media; j++) {
			const struct call_media *m = &p->media[j];
			uint8_t leg = (uint8_t)(m == audio ? i : i + REC_MAX_LEGS);

			if (!m->used)
				continue;
			tap(m->rtp.ep, m->ifc, m->rtp.port, id, leg);
			tap(m->rtcp.ep, m->ifc, m->rtcp.port, id, leg);
		}
	}
}

static int start_session(struct call *c, const char *base, const char **err);

static int start(struct call *c, const struct ng_request *req, const char **err)
{
	const struct recorder_config *rc = recorder_config();
	char base[REC_PATH_MAX], rnd[17];
	uint8_t rb[8] = { 0 };

	if (c->rec_id) {
		if (c->rec_paused) { /* resume */
			recorder_session_pause(c->rec_id, false, mono_us());
			c->rec_paused = false;
			tap_call(c, c->rec_id);
		}
		return 0;
	}
	if (!rc) {
		*err = "Call recording is not configured (recording-dir)";
		return -EINVAL;
	}
	if (getrandom(rb, sizeof(rb), GRND_NONBLOCK) != sizeof(rb)) {
		uint64_t t = mono_us() ^ (uintptr_t)c;
		memcpy(rb, &t, sizeof(rb));
	}
	for (unsigned i = 0; i < 8; i++)
		snprintf(rnd + 2 * i, 3, "%02x", rb[i]);
	struct rec_path_in in = {
		.dir = rc->dir,
		.file = req->recording_file,
		.file_len = req->recording_file_len,
		.subdir = req->recording_dir,
		.subdir_len = req->recording_dir_len,
		.pattern = req->recording_pattern,
		.pattern_len = req->recording_pattern_len,
		.call_id = c->call_id,
		.call_id_len = strlen(c->call_id),
		.rand = rnd,
		.now = time(NULL),
	};
	if (rec_path_build(&in, base, err))
		return -EINVAL;
	return start_session(c, base, err);
}

/* A recording session for @c into files named @base (checked already). */
static int start_session(struct call *c, const char *base, const char **err)
{
	struct rec_start s;
	uint32_t id;

	memset(&s, 0, sizeof(s));
	s.call_id = c->call_id;
	s.base = base;
	s.metadata = c->rec_metadata;
	s.t0_us = mono_us();
	s.wall0_us = wall_us();
	fill_legs(c, s.legs);
	id = recorder_session_start(&s, err);
	if (!id)
		return -EBUSY;
	free(c->rec_base);
	c->rec_base = strdup(base);
	c->rec_id = id;
	c->rec_paused = false;
	tap_call(c, id);
	log_info("call %s: recording to %s.*", c->call_id, base);
	return 0;
}

static void stop(struct call *c, bool pause)
{
	if (!c->rec_id)
		return;
	tap_call(c, 0);
	if (pause) {
		if (!c->rec_paused)
			recorder_session_pause(c->rec_id, true, mono_us());
		c->rec_paused = true;
		return;
	}
	recorder_session_stop(c->rec_id, mono_us());
	c->rec_id = 0;
	c->rec_paused = false;
}

/* A metadata text given: kept on the call and passed on (bounded). */
static int set_metadata(struct call *c, const struct ng_request *req, const char **err)
{
	char *t;

	if (!req->metadata)
		return 0;
	if (strlen(req->metadata) > REC_METADATA_MAX) {
		*err = "metadata too long (at most 4096 bytes)";
		return -EINVAL;
	}
	t = strdup(req->metadata);
	if (!t) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	free(c->rec_metadata);
	c->rec_metadata = t;
	if (c->rec_id)
		recorder_session_metadata(c->rec_id, t);
	return 0;
}

void callrec_call_deleted(struct call *c)
{
	stop(c, false);
}

void callrec_continue(struct call *c)
{
	const struct recorder_config *rc = recorder_active() ? recorder_config() : NULL;
	char file[REC_PATH_MAX], base[REC_PATH_MAX];
	const char *err = NULL;
	bool paused = c->rec_paused;
	int n;

	if (!c->rec_continue)
		return;
	c->rec_continue = false;
	c->rec_paused = false;
	if (!rc) {
		log_warn("call %s: was recorded to %s.*; recording is not configured here: the "
			 "call continues unrecorded",
			 c->call_id, c->rec_base ? c->rec_base : "?");
		return;
	}
	/* the next part beside the old one; rec_path_build keeps it inside
	 * recording-dir whatever the record said */
	n = snprintf(file, sizeof(file), "%s-cont%lld", c->rec_base, (long long)time(NULL));
	struct rec_path_in in = {
		.dir = rc->dir,
		.file = file,
		.file_len = n > 0 && (size_t)n < sizeof(file) ? (size_t)n : sizeof(file),
		.call_id = c->call_id,
		.call_id_len = strlen(c->call_id),
		.rand = "0",
		.now = time(NULL),
	};
	if (n < 0 || (size_t)n >= sizeof(file) || rec_path_build(&in, base, &err) ||
	    start_session(c, base, &err)) {
		log_warn("call %s: recording not continued (%s): the call continues unrecorded",
			 c->call_id, err ? err : "path too long");
		return;
	}
	if (paused)
		stop(c, true);
	log_notice("call %s: recording continues to %s.*%s", c->call_id, base,
		   paused ? " (paused, as it was)" : "");
}

int callrec_command(struct calls *cs, const struct ng_request *req, const char **err)
{
	struct call *c = call_find(cs, req->call_id);
	int rc;

	if (!c) {
		*err = "Unknown call-id";
		return -ENOENT;
	}
	rc = set_metadata(c, req, err);
	if (rc)
		return rc;
	switch (req->cmd) {
	case NG_CMD_START_RECORDING:
		return start(c, req, err);
	case NG_CMD_STOP_RECORDING: {
		bool pause = (req->flags & NG_F_PAUSE) ||
			     (req->pause &&
			      (!strcasecmp(req->pause, "yes") || !strcasecmp(req->pause, "on")));
		stop(c, pause);
		return 0;
	}
	case NG_CMD_PAUSE_RECORDING:
		stop(c, true);
		return 0;
	default:
		*err = "Unknown command";
		return -EINVAL;
	}
}

const char *callrec_offer_answer(struct call *c, const struct ng_request *req, struct arena *a)
{
	const char *err = NULL;
	bool want = (req->flags & NG_F_RECORD_CALL) || req->record_call > 0;

	if (set_metadata(c, req, &err))
		return arena_printf(a, "metadata ignored: %s", err);
	if (req->record_call < 0) {
		stop(c, false);
		return NULL;
	}
	if (want && !c->rec_id) {
		if (start(c, req, &err))
			return arena_printf(a, "record-call: call not recorded: %s",
					    err ? err : "?");
		return NULL;
	}
	if (c->rec_id) { /* new parties, codecs or ports: the recorder follows */
		struct rec_leg_info legs[REC_MAX_LEGS];
		fill_legs(c, legs);
		recorder_session_legs(c->rec_id, legs);
		if (!c->rec_paused)
			tap_call(c, c->rec_id);
	}
	return NULL;
}

/* Where the recorded RTP is copied: "kernel" when every recorded RTP
 * stream that is forwarded is forwarded (and copied) by the eBPF program,
 * "user space" when none is, else "kernel and user space". */
static const char *rec_path(const struct call *c)
{
	unsigned kernel = 0, user = 0;

	for (unsigned i = 0; i < c->n_parties && i < REC_MAX_LEGS; i++) {
		const struct call_party *p = c->parties[i];

		for (unsigned j = 0; j < p->n_media; j++) {
			const struct call_media *m = &p->media[j];

			if (!m->used || !m->rtp.ep)
				continue;
			if (dp_endpoint_in_kernel(m->rtp.ep))
				kernel++;
			else
				user++;
		}
	}
	if (kernel && user)
		return "kernel and user space";
	return kernel ? "kernel" : "user space";
}

int callrec_query(struct arena *a, const struct call *c, struct ng_node *reply)
{
	struct ng_node *d = ng_dict_add_dict(a, reply, "recording");
	struct rec_stats st;

	if (!d)
		return -ENOMEM;
	recorder_session_stats(c->rec_id, &st);
	if (!ng_dict_add_str(a, d, "state", c->rec_paused ? "paused" : "recording") ||
	    !ng_dict_add_str(a, d, "base", c->rec_base ? c->rec_base : "") ||
	    !ng_dict_add_int(a, d, "packets", (int64_t)st.packets) ||
	    !ng_dict_add_int(a, d, "bytes", (int64_t)st.bytes) ||
	    !ng_dict_add_int(a, d, "dropped packets", (int64_t)st.ring_dropped) ||
	    !ng_dict_add_int(a, d, "kernel dropped packets", (int64_t)st.kernel_dropped) ||
	    !ng_dict_add_int(a, d, "lost bytes", (int64_t)st.disk_lost_bytes) ||
	    !ng_dict_add_str(a, d, "file error", st.file_error ? "yes" : "no") ||
	    !ng_dict_add_str(a, d, "path", rec_path(c)))
		return -ENOMEM;
	return 0;
}
