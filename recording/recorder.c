/*
 * recorder.c: the recording writer thread and its sessions (recorder.h).
 */
#include "recording/recorder.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecs/codec.h"
#include "codecs/resample.h"
#include "lib/log.h"
#include "lib/rtp.h"
#include "recording/pcap_writer.h"
#include "recording/timeline.h"
#include "recording/wav_writer.h"

extern char **environ;

#define SLOT_BITS 12u /* REC_MAX_SESSIONS = 1 << SLOT_BITS */
#define SLOT_OF(id) ((id) & (REC_MAX_SESSIONS - 1u))
#define WRITER_TICK_MS 20u
#define FLUSH_EVERY_MS 200u /* audio is written in chunks at least this long */
#define TIMELINE_SPAN (REC_RATE * 2u) /* > REC_HORIZON_MS + FLUSH_EVERY_MS, with room */
#define REANCHOR_MS 200u /* RTP time this far from arrival time: place by arrival again */
#define MAX_CHILDREN 64u

/* Shared between threads: counters (relaxed atomics), the id in use. */
struct rec_slot {
	_Atomic uint32_t id; /* 0 = free */
	_Atomic uint64_t packets, bytes, ring_dropped, kernel_dropped, disk_lost, late;
	_Atomic bool paused, stopped, file_error;
};

enum cmd_type { CMD_START, CMD_LEGS, CMD_META, CMD_PAUSE, CMD_STOP };

struct cmd {
	struct cmd *next;
	enum cmd_type type;
	uint32_t id;
	bool pause;
	uint64_t at_us;
	struct rec_start start; /* CMD_START: strings owned below */
	char *call_id, *base, *text;
	struct rec_leg_info legs[REC_MAX_LEGS];
};

struct leg {
	struct rec_leg_info info;
	struct codec *dec[REC_MAX_CODECS];
	/* decoded rate -> the leg's WAV rate, and -> the mixed WAV's rate */
	struct resampler *rs[REC_MAX_CODECS], *rs_mix[REC_MAX_CODECS];
	unsigned mult; /* the leg's WAV rate / REC_RATE (timeline positions times this) */
	bool anchored;
	uint32_t ssrc, last_ts;
	uint64_t ext_ts, ext_ts0; /* extended RTP timestamp, its value at the anchor */
	uint64_t pos0;		  /* timeline position (REC_RATE) at the anchor */
	unsigned clock;
	bool wav_open;
	struct wav_writer wav;
	struct timeline tl;
	char *path;
};

/* Writer-private state of a session. */
struct sess {
	uint32_t id;
	char *call_id, *base, *metadata;
	uint64_t t0_us, wall0_us, stop_wall_us;
	bool paused;
	bool has_pcap, has_mix;
	struct pcap_writer pcap;
	struct wav_writer mixwav;
	struct timeline mix;
	unsigned mix_mult; /* the mixed WAV's rate / REC_RATE */
	uint64_t flushed_pos;
	struct leg legs[REC_MAX_LEGS];
	bool logged_error;
};

static struct {
	bool active;
	struct recorder_config cfg;
	char *dir, *notify;
	struct rec_ring *rings;
	struct rec_slot slots[REC_MAX_SESSIONS];
	uint32_t next_slot, gen;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct cmd *head, **tail;
	bool quit;
	/* recorder_source_set: under lock; src_remove asks the writer for a
	 * last poll, which it acknowledges on src_cond */
	recorder_poll_fn src_poll;
	void *src_arg;
	bool src_remove;
	pthread_cond_t src_cond;
	_Atomic uint64_t kernel_dropped; /* recorder_note_kernel_drops, all sessions */
	/* writer-private */
	struct sess *sess[REC_MAX_SESSIONS];
	pid_t children[MAX_CHILDREN];
	/* finished sessions' counters (relaxed atomics: the control thread reads) */
	_Atomic uint64_t done_sessions, done_disk_lost;
	bool ring_drop_logged;
	uint64_t ring_dropped_seen;
} R;

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#define RELAXED memory_order_relaxed
#define SLOT_ADD(f, v) atomic_fetch_add_explicit(&(f), (v), RELAXED)

/* ---- files ------------------------------------------------------------ */

/* mkdir -p of @path's directory (everything before the last '/'). */
static int make_parents(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static char *path_with(const char *base, const char *suffix)
{
	size_t n = strlen(base) + strlen(suffix) + 1;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s", base, suffix);
	return p;
}

/* A tag as part of a file name: [A-Za-z0-9._-], at most 48 bytes. */
static void name_part(char *out, size_t cap, const char *tag, unsigned idx)
{
	size_t o = 0;

	for (size_t i = 0; tag[i] && o + 1 < cap && o < 48; i++) {
		char c = tag[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		out[o++] = ok ? c : '_';
	}
	if (o == 0 || (o == 1 && out[0] == '.'))
		o = (size_t)snprintf(out, cap, "leg%u", idx);
	out[o] = '\0';
}

static void sess_error(struct sess *s, const char *what, int err)
{
	atomic_store_explicit(&R.slots[SLOT_OF(s->id)].file_error, true, RELAXED);
	if (s->logged_error)
		return;
	s->logged_error = true; /* once per session: a full disk repeats every write */
	log_warn("recording %s: %s: %s (recording data is lost from here; forwarding goes on)",
		 s->call_id, what, strerror(err));
}

static void iso_time(char *out, size_t cap, uint64_t wall_us)
{
	time_t t = (time_t)(wall_us / 1000000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, cap - n, ".%06uZ", (unsigned)(wall_us % 1000000u));
}

static const char *const codec_pcm = "PCM";

/* The metadata file: written to "<base>.json.tmp", then renamed, so a
 * reader sees the previous version or this one, never a part. */
static void write_metadata(struct sess *s, bool complete)
{
	struct rec_slot *sl = &R.slots[SLOT_OF(s->id)];
	char ts[96];
	json_t *o = json_object(), *parties = json_array(), *files = json_array();
	char *path = path_with(s->base, ".json"), *tmp = path_with(s->base, ".json.tmp");

	if (!o || !parties || !files || !path || !tmp)
		goto out;
	json_object_set_new(o, "call-id", json_string(s->call_id));
	iso_time(ts, sizeof(ts), s->wall0_us);
	json_object_set_new(o, "start", json_string(ts));
	json_object_set_new(o, "start-us", json_integer((json_int_t)s->wall0_us));
	if (complete) {
		iso_time(ts, sizeof(ts), s->stop_wall_us);
		json_object_set_new(o, "stop", json_string(ts));
		json_object_set_new(o, "stop-us", json_integer((json_int_t)s->stop_wall_us));
	}
	json_object_set_new(o, "complete", json_boolean(complete));
	json_object_set_new(o, "metadata", s->metadata ? json_string(s->metadata) : json_null());
	for (unsigned i = 0; i < REC_MAX_LEGS; i++) {
		struct leg *l = &s->legs[i];
		json_t *p, *codecs;

		if (!l->info.used)
			continue;
		p = json_object();
		codecs = json_array();
		if (!p || !codecs) {
			json_decref(p);
			json_decref(codecs);
			continue;
		}
		json_object_set_new(p, "tag", json_string(l->info.tag));
		json_object_set_new(p, "label", json_string(l->info.label));
		for (unsigned k = 0; k < l->info.n_codecs; k++) {
			const struct codec_desc *d = l->info.codecs[k].desc;
			json_t *c = json_object();
			json_object_set_new(c, "payload-type", json_integer(l->info.codecs[k].pt));
			json_object_set_new(c, "codec", json_string(d ? d->name : codec_pcm));
			json_object_set_new(c, "clock-rate", json_integer(d ? d->clock_rate : 0));
			json_array_append_new(codecs, c);
		}
		json_object_set_new(p, "codecs", codecs);
		if (l->wav_open)
			json_object_set_new(p, "wav", json_string(l->path));
		json_array_append_new(parties, p);
	}
	json_object_set_new(o, "parties", parties);
	parties = NULL;
	if (s->has_pcap) {
		char *pp = path_with(s->base, ".pcap");
		if (pp)
			json_array_append_new(files, json_string(pp));
		free(pp);
	}
	if (s->has_mix) {
		char *mp = path_with(s->base, "-mix.wav");
		if (mp)
			json_array_append_new(files, json_string(mp));
		free(mp);
	}
	for (unsigned i = 0; i < REC_MAX_LEGS; i++)
		if (s->legs[i].wav_open)
			json_array_append_new(files, json_string(s->legs[i].path));
	json_object_set_new(o, "files", files);
	files = NULL;
	json_t *st = json_object();
	json_object_set_new(st, "packets", json_integer((json_int_t)atomic_load(&sl->packets)));
	json_object_set_new(st, "bytes", json_integer((json_int_t)atomic_load(&sl->bytes)));
	json_object_set_new(st, "ring-dropped-packets",
			    json_integer((json_int_t)atomic_load(&sl->ring_dropped)));
	json_object_set_new(st, "disk-lost-bytes",
			    json_integer((json_int_t)atomic_load(&sl->disk_lost)));
	json_object_set_new(o, "recording", st);
	if (json_dump_file(o, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		sess_error(s, "metadata not written", errno ? errno : EIO);
	}
out:
	json_decref(o);
	json_decref(parties);
	json_decref(files);
	free(path);
	free(tmp);
}

/* ---- notification ---------------------------------------------------- */

static void reap_children(void)
{
	for (unsigned i = 0; i < MAX_CHILDREN; i++) {
		if (R.children[i] > 0 && waitpid(R.children[i], NULL, WNOHANG) != 0)
			R.children[i] = 0;
	}
}

/* recording-notify: "<command> <metadata.json> <file>..." once complete. */
static void notify(struct sess *s)
{
	char *argv[3 + REC_MAX_LEGS + 2] = { 0 };
	unsigned n = 0, slot = MAX_CHILDREN;
	posix_spawnattr_t at;
	sigset_t none;
	pid_t pid;
	int rc;

	if (!R.notify)
		return;
	reap_children();
	for (unsigned i = 0; i < MAX_CHILDREN && slot == MAX_CHILDREN; i++)
		if (R.children[i] <= 0)
			slot = i;
	if (slot == MAX_CHILDREN) {
		log_warn("recording %s: notification not run: %u notifications still running",
			 s->call_id, MAX_CHILDREN);
		return;
	}
	argv[n++] = R.notify;
	argv[n++] = path_with(s->base, ".json");
	if (s->has_pcap)
		argv[n++] = path_with(s->base, ".pcap");
	if (s->has_mix)
		argv[n++] = path_with(s->base, "-mix.wav");
	for (unsigned i = 0; i < REC_MAX_LEGS; i++)
		if (s->legs[i].wav_open)
			argv[n++] = strdup(s->legs[i].path);
	/* the daemon blocks its termination signals: the command must not inherit that */
	sigemptyset(&none);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&pid, R.notify, NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (rc)
		log_warn("recording %s: notification %s not run: %s", s->call_id, R.notify,
			 strerror(rc));
	else
		R.children[slot] = pid;
	for (unsigned i = 1; i < n; i++)
		free(argv[i]);
}

/* ---- sessions --------------------------------------------------------- */

static void leg_free_codecs(struct leg *l)
{
	for (unsigned k = 0; k < REC_MAX_CODECS; k++) {
		if (l->dec[k])
			codec_free(l->dec[k]);
		if (l->rs[k])
			resample_free(l->rs[k]);
		if (l->rs_mix[k])
			resample_free(l->rs_mix[k]);
		l->dec[k] = NULL;
		l->rs[k] = NULL;
		l->rs_mix[k] = NULL;
	}
}

/* The rate a leg's WAV is written at, / REC_RATE: the highest decoded rate
 * of its codecs (G.711, G.729 8 kHz, G.722 16 kHz, Opus 48 kHz), so wideband
 * audio keeps its band; every rate the decoders give is a multiple of 8 kHz. */
static unsigned leg_mult(const struct rec_leg_info *info)
{
	unsigned m = 1;

	for (unsigned k = 0; k < info->n_codecs; k++) {
		const struct codec_desc *d = info->codecs[k].desc;
		if (d && d->pcm_rate % REC_RATE == 0 && d->pcm_rate / REC_RATE > m &&
		    d->pcm_rate <= REC_MAX_RATE)
			m = d->pcm_rate / REC_RATE;
	}
	return m;
}

/* A leg's WAV and track, opened when the party's own SDP is first known (a
 * callee's comes with its answer), at the leg's rate (leg_mult; it stays for
 * the file), or with @any when its first audio comes before that (early
 * media) and at the end for a leg that never had any. */
static void leg_open(struct sess *s, unsigned i, bool any)
{
	struct leg *l = &s->legs[i];
	char part[64];
	int rc;

	if (l->wav_open || !(R.cfg.methods & REC_WAV) || !l->info.used ||
	    (!l->info.own_sdp && !any))
		return;
	name_part(part, sizeof(part), l->info.tag, i);
	char suffix[80];
	snprintf(suffix, sizeof(suffix), "-%s.wav", part);
	free(l->path);
	l->path = path_with(s->base, suffix);
	if (!l->path)
		return;
	l->mult = leg_mult(&l->info);
	rc = wav_open(&l->wav, l->path, REC_RATE * l->mult);
	if (rc == -EEXIST) { /* two tags that read the same: the leg's number decides */
		snprintf(suffix, sizeof(suffix), "-%s-%u.wav", part, i);
		free(l->path);
		l->path = path_with(s->base, suffix);
		rc = l->path ? wav_open(&l->wav, l->path, REC_RATE * l->mult) : -ENOMEM;
	}
	if (rc) {
		sess_error(s, "per-leg WAV not created", -rc);
		return;
	}
	if (timeline_init(&l->tl, TIMELINE_SPAN * l->mult, &l->wav)) {
		wav_close(&l->wav);
		return;
	}
	/* the leg's track starts where the others are: silence before it */
	uint64_t upto = s->flushed_pos * l->mult;
	l->tl.base = upto;
	uint64_t done = 0;
	while (done < upto) { /* silence up to now, written at once */
		static const int16_t zero[1024];
		uint64_t n = upto - done > 1024 ? 1024 : upto - done;
		wav_append(&l->wav, zero, (size_t)n);
		done += n;
	}
	l->wav_open = true;
}

static void sess_set_legs(struct sess *s, const struct rec_leg_info *legs)
{
	for (unsigned i = 0; i < REC_MAX_LEGS; i++) {
		struct leg *l = &s->legs[i];
		if (!legs[i].used)
			continue;
		/* new codec list: decoders are made again on demand */
		if (l->info.n_codecs != legs[i].n_codecs ||
		    memcmp(l->info.codecs, legs[i].codecs, sizeof(legs[i].codecs)))
			leg_free_codecs(l);
		l->info = legs[i];
		leg_open(s, i, false);
	}
}

static struct sess *sess_new(struct cmd *c)
{
	struct sess *s = calloc(1, sizeof(*s));
	char *p;
	int rc;

	if (!s)
		return NULL;
	s->id = c->id;
	s->call_id = c->call_id;
	s->base = c->base;
	s->metadata = c->text;
	c->call_id = c->base = c->text = NULL;
	s->t0_us = c->start.t0_us;
	s->wall0_us = c->start.wall0_us;
	rc = make_parents(s->base);
	if (rc)
		sess_error(s, "recording directory not created", -rc);
	if (R.cfg.methods & REC_PCAP) {
		p = path_with(s->base, ".pcap");
		rc = p ? pcap_open(&s->pcap, p, R.cfg.pcap_eth) : -ENOMEM;
		if (rc)
			sess_error(s, "pcap not created", -rc);
		else
			s->has_pcap = true;
		free(p);
	}
	if (R.cfg.methods & REC_WAV) {
		/* the mix at the highest rate of the legs known now (a leg
		 * known later with a higher one is resampled down into it) */
		s->mix_mult = 1;
		for (unsigned i = 0; i < REC_MAX_LEGS; i++)
			if (c->legs[i].used && leg_mult(&c->legs[i]) > s->mix_mult)
				s->mix_mult = leg_mult(&c->legs[i]);
		p = path_with(s->base, "-mix.wav");
		rc = p ? wav_open(&s->mixwav, p, REC_RATE * s->mix_mult) : -ENOMEM;
		if (rc)
			sess_error(s, "mixed WAV not created", -rc);
		else if (timeline_init(&s->mix, TIMELINE_SPAN * s->mix_mult, &s->mixwav))
			wav_close(&s->mixwav);
		else
			s->has_mix = true;
		free(p);
	}
	sess_set_legs(s, c->legs);
	write_metadata(s, false);
	return s;
}

/* Timeline position of monotonic time @t_us. */
static uint64_t pos_of(const struct sess *s, uint64_t t_us)
{
	return t_us <= s->t0_us ? 0 : (t_us - s->t0_us) * REC_RATE / 1000000u;
}

static void sess_flush(struct sess *s, uint64_t upto)
{
	struct rec_slot *sl = &R.slots[SLOT_OF(s->id)];

	if (upto <= s->flushed_pos)
		return;
	for (unsigned i = 0; i < REC_MAX_LEGS; i++) {
		struct leg *l = &s->legs[i];
		if (!l->wav_open)
			continue;
		uint64_t lost = l->wav.lost_samples;
		if (timeline_flush(&l->tl, upto * l->mult))
			sess_error(s, "per-leg WAV write failed", l->wav.last_err);
		SLOT_ADD(sl->disk_lost, (l->wav.lost_samples - lost) * 2u);
	}
	if (s->has_mix) {
		uint64_t lost = s->mixwav.lost_samples;
		if (timeline_flush(&s->mix, upto * s->mix_mult))
			sess_error(s, "mixed WAV write failed", s->mixwav.last_err);
		SLOT_ADD(sl->disk_lost, (s->mixwav.lost_samples - lost) * 2u);
	}
	if (s->has_pcap) {
		uint64_t lost = s->pcap.lost_bytes;
		if (pcap_flush(&s->pcap))
			sess_error(s, "pcap write failed", s->pcap.last_err);
		SLOT_ADD(sl->disk_lost, s->pcap.lost_bytes - lost);
	}
	s->flushed_pos = upto;
}

static void sess_finish(struct sess *s, uint64_t at_us)
{
	struct rec_slot *sl = &R.slots[SLOT_OF(s->id)];

	for (unsigned i = 0; i < REC_MAX_LEGS; i++) /* every party gets its file */
		leg_open(s, i, true);
	sess_flush(s, pos_of(s, at_us));
	s->stop_wall_us = s->wall0_us + (at_us > s->t0_us ? at_us - s->t0_us : 0);
	if (s->has_pcap) {
		uint64_t lost = s->pcap.lost_bytes;
		pcap_close(&s->pcap);
		SLOT_ADD(sl->disk_lost, s->pcap.lost_bytes - lost);
	}
	uint64_t late = 0;
	for (unsigned i = 0; i < REC_MAX_LEGS; i++) {
		struct leg *l = &s->legs[i];
		if (l->wav_open) {
			late += l->tl.late;
			wav_close(&l->wav);
			timeline_fini(&l->tl);
		}
		leg_free_codecs(l);
	}
	if (s->has_mix) {
		wav_close(&s->mixwav);
		timeline_fini(&s->mix);
	}
	SLOT_ADD(sl->late, late);
	SLOT_ADD(R.done_disk_lost, atomic_load_explicit(&sl->disk_lost, RELAXED));
	SLOT_ADD(R.done_sessions, 1);
	write_metadata(s, true);
	notify(s);
	log_info("recording %s: complete (%s.*)", s->call_id, s->base);
	for (unsigned i = 0; i < REC_MAX_LEGS; i++)
		free(s->legs[i].path);
	free(s->call_id);
	free(s->base);
	free(s->metadata);
	atomic_store_explicit(&sl->stopped, true, RELAXED);
	R.sess[SLOT_OF(s->id)] = NULL;
	free(s);
	atomic_store_explicit(&sl->id, 0, memory_order_release); /* the slot may be reused */
}

/* Decode one RTP packet of leg @l into the leg's and the mixed track. */
static void place_audio(struct sess *s, struct leg *l, const struct rec_pkt *p,
			const uint8_t *buf)
{
	struct rtp_info ri;
	int16_t pcm[CODEC_MAX_FRAME_SAMPLES * CODEC_MAX_CHANNELS];
	int16_t out[CODEC_MAX_FRAME_SAMPLES * CODEC_MAX_CHANNELS];
	int16_t out_mix[CODEC_MAX_FRAME_SAMPLES * CODEC_MAX_CHANNELS];
	unsigned k;
	int n, n_mix;

	if (!l->wav_open)
		leg_open(s, (unsigned)(l - s->legs), true);
	if (!l->wav_open || rtp_parse(buf, p->len, &ri) < 0 || !ri.payload_len)
		return;
	for (k = 0; k < l->info.n_codecs; k++)
		if (l->info.codecs[k].pt == ri.pt)
			break;
	if (k == l->info.n_codecs || !l->info.codecs[k].desc)
		return; /* telephone-event, comfort noise, a codec we cannot decode */
	if (!l->dec[k]) {
		const struct codec_desc *d = l->info.codecs[k].desc;
		struct codec_params cp = { .channels = 1, .complexity = -1 };
		unsigned leg_rate = REC_RATE * l->mult, mix_rate = REC_RATE * s->mix_mult;
		if (codec_new(d, &cp, &l->dec[k]))
			return;
		if ((l->dec[k]->pcm_rate != leg_rate &&
		     resample_new(1, l->dec[k]->pcm_rate, leg_rate, RESAMPLE_DEFAULT_QUALITY,
				  &l->rs[k])) ||
		    (s->has_mix && l->dec[k]->pcm_rate != mix_rate &&
		     resample_new(1, l->dec[k]->pcm_rate, mix_rate, RESAMPLE_DEFAULT_QUALITY,
				  &l->rs_mix[k]))) {
			leg_free_codecs(l);
			return;
		}
	}
	n = codec_decode(l->dec[k], buf + ri.hdr_len, ri.payload_len, pcm,
			 CODEC_MAX_FRAME_SAMPLES);
	if (n <= 0)
		return;
	const int16_t *res = pcm, *res_mix = pcm;
	n_mix = n;
	if (l->rs_mix[k]) {
		n_mix = resample_run(l->rs_mix[k], pcm, (unsigned)n, out_mix,
				     CODEC_MAX_FRAME_SAMPLES);
		res_mix = out_mix;
	}
	if (l->rs[k]) {
		n = resample_run(l->rs[k], pcm, (unsigned)n, out, CODEC_MAX_FRAME_SAMPLES);
		if (n <= 0)
			return;
		res = out;
	}
	/* where it goes: the RTP timestamp from an anchor, which is set by the
	 * arrival time when the stream starts, changes SSRC or clock, or
	 * strays from the arrival time by more than REANCHOR_MS (a hold, a
	 * jump, a clock that drifts) */
	unsigned clock = l->info.codecs[k].desc->clock_rate;
	uint64_t arrival = pos_of(s, p->t_us);
	if (l->anchored && ri.ssrc == l->ssrc && clock == l->clock)
		l->ext_ts += (uint64_t)(int64_t)(int32_t)(ri.ts - l->last_ts);
	uint64_t pos = 0;
	bool anchor = !l->anchored || ri.ssrc != l->ssrc || clock != l->clock;
	if (!anchor) {
		int64_t d = (int64_t)(l->ext_ts - l->ext_ts0) * REC_RATE / clock;
		int64_t at = (int64_t)l->pos0 + d;
		int64_t off = (int64_t)arrival - at;
		if (at < 0 || off > (int64_t)(REANCHOR_MS * REC_RATE / 1000) ||
		    -off > (int64_t)(REANCHOR_MS * REC_RATE / 1000))
			anchor = true;
		else
			pos = (uint64_t)at;
	}
	if (anchor) {
		l->anchored = true;
		l->ssrc = ri.ssrc;
		l->clock = clock;
		l->ext_ts = l->ext_ts0 = (uint64_t)1 << 40;
		l->pos0 = pos = arrival;
	}
	l->last_ts = ri.ts;
	timeline_add(&l->tl, pos * l->mult, res, (uint32_t)n);
	if (s->has_mix && n_mix > 0)
		timeline_add(&s->mix, pos * s->mix_mult, res_mix, (uint32_t)n_mix);
}

static void on_packet(const struct rec_pkt *p, const uint8_t *buf)
{
	struct sess *s = R.sess[SLOT_OF(p->session)];
	struct rec_slot *sl = &R.slots[SLOT_OF(p->session)];

	if (!s || s->id != p->session || s->paused)
		return; /* ended, paused, or never started */
	if (p->t_us < s->t0_us)
		return;
	SLOT_ADD(sl->packets, 1);
	SLOT_ADD(sl->bytes, p->len);
	if (s->has_pcap) {
		uint64_t lost = s->pcap.lost_bytes;
		if (pcap_write(&s->pcap, p, buf, s->wall0_us + (p->t_us - s->t0_us)))
			sess_error(s, "pcap write failed", s->pcap.last_err);
		SLOT_ADD(sl->disk_lost, s->pcap.lost_bytes - lost);
	}
	/* legs >= REC_MAX_LEGS: a party's other media (video, a second audio
	 * stream): in the pcap, not in the audio */
	if (!p->rtcp && (R.cfg.methods & REC_WAV) && p->leg < REC_MAX_LEGS)
		place_audio(s, &s->legs[p->leg], p, buf);
}

void recorder_feed(const struct rec_pkt *h, const void *payload)
{
	on_packet(h, payload);
}

/* The workers' rings, then the source (recorder_source_set) if any. */
static void drain_rings(recorder_poll_fn src_poll, void *src_arg)
{
	uint64_t dropped = 0;

	for (unsigned i = 0; i < R.cfg.n_rings; i++) {
		struct rec_ring *r = &R.rings[i];
		const struct rec_pkt *p;
		unsigned budget = 100000; /* bounded: commands and flushes get their turn */

		while (budget-- && (p = rec_ring_peek(r))) {
			on_packet(p, (const uint8_t *)(p + 1));
			rec_ring_pop(r, p);
		}
		dropped += atomic_load_explicit(&r->dropped, RELAXED);
	}
	if (src_poll)
		src_poll(src_arg);
	if (dropped != R.ring_dropped_seen) {
		if (!R.ring_drop_logged)
			log_warn("recording: the writer falls behind, %llu packet copies dropped "
				 "(logged once; see query and statistics)",
				 (unsigned long long)dropped);
		R.ring_drop_logged = true;
		R.ring_dropped_seen = dropped;
	}
}

static void apply(struct cmd *c)
{
	struct sess *s = R.sess[SLOT_OF(c->id)];

	if (c->type == CMD_START) {
		if (!s)
			s = R.sess[SLOT_OF(c->id)] = sess_new(c);
		if (!s) /* out of memory: the slot is free again */
			atomic_store_explicit(&R.slots[SLOT_OF(c->id)].id, 0, memory_order_release);
		return;
	}
	if (!s || s->id != c->id)
		return;
	switch (c->type) {
	case CMD_START:
		break;
	case CMD_LEGS:
		sess_set_legs(s, c->legs);
		write_metadata(s, false);
		break;
	case CMD_META:
		free(s->metadata);
		s->metadata = c->text;
		c->text = NULL;
		write_metadata(s, false);
		break;
	case CMD_PAUSE:
		/* what came before the pause is written; the timeline runs on
		 * (silence) until the resume */
		if (c->pause && !s->paused)
			sess_flush(s, pos_of(s, c->at_us));
		s->paused = c->pause;
		atomic_store_explicit(&R.slots[SLOT_OF(s->id)].paused, c->pause, RELAXED);
		break;
	case CMD_STOP:
		sess_finish(s, c->at_us);
		break;
	}
}

static void free_cmd(struct cmd *c)
{
	free(c->call_id);
	free(c->base);
	free(c->text);
	free(c);
}

static void flush_all(uint64_t now_us, bool force)
{
	for (unsigned i = 0; i < REC_MAX_SESSIONS; i++) {
		struct sess *s = R.sess[i];
		if (!s)
			continue;
		uint64_t h = now_us > REC_HORIZON_MS * 1000u ? now_us - REC_HORIZON_MS * 1000u : 0;
		uint64_t upto = pos_of(s, h);
		if (force || upto >= s->flushed_pos + FLUSH_EVERY_MS * REC_RATE / 1000u)
			sess_flush(s, upto);
	}
}

static void *writer_main(void *arg)
{
	bool quit = false;

	(void)arg;
	pthread_setname_np(pthread_self(), "rec-writer");
	while (!quit) {
		struct cmd *cmds, *c;
		struct timespec ts;
		recorder_poll_fn src_poll;
		void *src_arg;
		bool src_remove;

		pthread_mutex_lock(&R.lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WRITER_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!R.head && !R.quit && !R.src_remove)
			pthread_cond_timedwait(&R.cond, &R.lock, &ts);
		cmds = R.head;
		R.head = NULL;
		R.tail = &R.head;
		quit = R.quit;
		src_poll = R.src_poll;
		src_arg = R.src_arg;
		src_remove = R.src_remove;
		pthread_mutex_unlock(&R.lock);
		/* starts first (a worker may already copy packets for them), then
		 * what the rings hold, then the rest (a stop after its packets) */
		for (c = cmds; c; c = c->next)
			if (c->type == CMD_START)
				apply(c);
		drain_rings(src_poll, src_arg);
		if (src_remove) { /* that was the source's last poll */
			pthread_mutex_lock(&R.lock);
			R.src_poll = NULL;
			R.src_arg = NULL;
			R.src_remove = false;
			pthread_cond_broadcast(&R.src_cond);
			pthread_mutex_unlock(&R.lock);
		}
		for (c = cmds; c; c = c->next)
			if (c->type != CMD_START)
				apply(c);
		while (cmds) {
			c = cmds;
			cmds = c->next;
			free_cmd(c);
		}
		flush_all(mono_us(), false);
		reap_children();
	}
	/* shutdown: everything still open is finished now */
	pthread_mutex_lock(&R.lock);
	recorder_poll_fn src_poll = R.src_poll;
	void *src_arg = R.src_arg;
	pthread_mutex_unlock(&R.lock);
	drain_rings(src_poll, src_arg);
	uint64_t now = mono_us();
	for (unsigned i = 0; i < REC_MAX_SESSIONS; i++)
		if (R.sess[i])
			sess_finish(R.sess[i], now);
	return NULL;
}

static void push(struct cmd *c)
{
	pthread_mutex_lock(&R.lock);
	*R.tail = c;
	R.tail = &c->next;
	pthread_cond_signal(&R.cond);
	pthread_mutex_unlock(&R.lock);
}

/* ---- public ----------------------------------------------------------- */

int recorder_start(const struct recorder_config *c)
{
	if (R.active || !c->dir || !c->n_rings || !c->methods)
		return -EINVAL;
	memset(&R, 0, sizeof(R));
	R.cfg = *c;
	R.dir = strdup(c->dir);
	R.notify = c->notify && c->notify[0] ? strdup(c->notify) : NULL;
	R.rings = calloc(c->n_rings, sizeof(*R.rings));
	if (!R.dir || !R.rings)
		goto nomem;
	R.cfg.dir = R.dir;
	R.cfg.notify = R.notify;
	for (unsigned i = 0; i < c->n_rings; i++)
		if (rec_ring_init(&R.rings[i], c->ring_bytes))
			goto nomem;
	pthread_mutex_init(&R.lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&R.cond, &ca);
	pthread_cond_init(&R.src_cond, &ca);
	pthread_condattr_destroy(&ca);
	R.tail = &R.head;
	if (pthread_create(&R.thread, NULL, writer_main, NULL))
		goto nomem;
	R.active = true;
	return 0;
nomem:
	for (unsigned i = 0; R.rings && i < c->n_rings; i++)
		rec_ring_fini(&R.rings[i]);
	free(R.rings);
	free(R.dir);
	free(R.notify);
	memset(&R, 0, sizeof(R));
	return -ENOMEM;
}

void recorder_stop(void)
{
	if (!R.active)
		return;
	pthread_mutex_lock(&R.lock);
	R.quit = true;
	pthread_cond_signal(&R.cond);
	pthread_mutex_unlock(&R.lock);
	pthread_join(R.thread, NULL);
	while (R.head) {
		struct cmd *c = R.head;
		R.head = c->next;
		free_cmd(c);
	}
	for (unsigned i = 0; i < R.cfg.n_rings; i++)
		rec_ring_fini(&R.rings[i]);
	free(R.rings);
	free(R.dir);
	free(R.notify);
	pthread_mutex_destroy(&R.lock);
	pthread_cond_destroy(&R.cond);
	pthread_cond_destroy(&R.src_cond);
	memset(&R, 0, sizeof(R));
}

bool recorder_active(void)
{
	return R.active;
}

const struct recorder_config *recorder_config(void)
{
	return R.active ? &R.cfg : NULL;
}

struct rec_ring *recorder_ring(unsigned i)
{
	return R.active && i < R.cfg.n_rings ? &R.rings[i] : NULL;
}

void recorder_note_drop(uint32_t id)
{
	struct rec_slot *sl = &R.slots[SLOT_OF(id)];

	if (atomic_load_explicit(&sl->id, RELAXED) == id)
		SLOT_ADD(sl->ring_dropped, 1);
}

static struct cmd *cmd_new(enum cmd_type t, uint32_t id)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (c) {
		c->type = t;
		c->id = id;
	}
	return c;
}

uint32_t recorder_session_start(const struct rec_start *s, const char **err)
{
	struct cmd *c;
	uint32_t id = 0;

	if (!R.active) {
		*err = "Call recording is not configured (recording-dir)";
		return 0;
	}
	for (unsigned n = 0; n < REC_MAX_SESSIONS; n++) {
		uint32_t i = (R.next_slot + n) % REC_MAX_SESSIONS;
		if (atomic_load_explicit(&R.slots[i].id, memory_order_acquire))
			continue;
		R.gen = R.gen + 1 ? R.gen + 1 : 1;
		id = (R.gen << SLOT_BITS) | i;
		if (!id)
			id = (++R.gen << SLOT_BITS) | i;
		R.next_slot = i + 1;
		break;
	}
	if (!id) {
		*err = "Too many calls being recorded";
		return 0;
	}
	c = cmd_new(CMD_START, id);
	if (!c || !(c->call_id = strdup(s->call_id)) || !(c->base = strdup(s->base)) ||
	    (s->metadata && !(c->text = strdup(s->metadata)))) {
		if (c)
			free_cmd(c);
		*err = "Out of memory";
		return 0;
	}
	c->start = *s;
	c->start.call_id = c->start.base = c->start.metadata = NULL;
	memcpy(c->legs, s->legs, sizeof(c->legs));
	struct rec_slot *sl = &R.slots[SLOT_OF(id)];
	atomic_store(&sl->packets, 0);
	atomic_store(&sl->bytes, 0);
	atomic_store(&sl->ring_dropped, 0);
	atomic_store(&sl->kernel_dropped, 0);
	atomic_store(&sl->disk_lost, 0);
	atomic_store(&sl->late, 0);
	atomic_store(&sl->paused, false);
	atomic_store(&sl->stopped, false);
	atomic_store(&sl->file_error, false);
	atomic_store_explicit(&sl->id, id, memory_order_release);
	push(c);
	return id;
}

void recorder_session_legs(uint32_t id, const struct rec_leg_info *legs)
{
	struct cmd *c = R.active ? cmd_new(CMD_LEGS, id) : NULL;

	if (!c)
		return;
	memcpy(c->legs, legs, sizeof(c->legs));
	push(c);
}

void recorder_session_metadata(uint32_t id, const char *text)
{
	struct cmd *c = R.active ? cmd_new(CMD_META, id) : NULL;

	if (!c)
		return;
	c->text = text ? strdup(text) : NULL;
	push(c);
}

void recorder_session_pause(uint32_t id, bool pause, uint64_t at_us)
{
	struct cmd *c = R.active ? cmd_new(CMD_PAUSE, id) : NULL;

	if (!c)
		return;
	c->pause = pause;
	c->at_us = at_us;
	/* shown at once in query; the writer acts on it in order */
	atomic_store_explicit(&R.slots[SLOT_OF(id)].paused, pause, RELAXED);
	push(c);
}

void recorder_session_stop(uint32_t id, uint64_t at_us)
{
	struct cmd *c = R.active ? cmd_new(CMD_STOP, id) : NULL;

	if (!c)
		return;
	c->at_us = at_us;
	push(c);
}

void recorder_session_stats(uint32_t id, struct rec_stats *out)
{
	const struct rec_slot *sl = &R.slots[SLOT_OF(id)];

	memset(out, 0, sizeof(*out));
	if (!R.active || atomic_load_explicit(&sl->id, memory_order_acquire) != id) {
		out->stopped = true;
		return;
	}
	out->packets = atomic_load_explicit(&sl->packets, RELAXED);
	out->bytes = atomic_load_explicit(&sl->bytes, RELAXED);
	out->ring_dropped = atomic_load_explicit(&sl->ring_dropped, RELAXED);
	out->kernel_dropped = atomic_load_explicit(&sl->kernel_dropped, RELAXED);
	out->disk_lost_bytes = atomic_load_explicit(&sl->disk_lost, RELAXED);
	out->late = atomic_load_explicit(&sl->late, RELAXED);
	out->paused = atomic_load_explicit(&sl->paused, RELAXED);
	out->stopped = atomic_load_explicit(&sl->stopped, RELAXED);
	out->file_error = atomic_load_explicit(&sl->file_error, RELAXED);
}

void recorder_totals(struct rec_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!R.active)
		return;
	for (unsigned i = 0; i < R.cfg.n_rings; i++)
		out->ring_dropped += atomic_load_explicit(&R.rings[i].dropped, RELAXED);
	out->kernel_dropped = atomic_load_explicit(&R.kernel_dropped, RELAXED);
	out->ring_dropped += out->kernel_dropped;
	out->completed = atomic_load_explicit(&R.done_sessions, RELAXED);
	out->disk_lost_bytes = atomic_load_explicit(&R.done_disk_lost, RELAXED);
	for (unsigned i = 0; i < REC_MAX_SESSIONS; i++) {
		const struct rec_slot *sl = &R.slots[i];
		if (!atomic_load_explicit(&sl->id, memory_order_acquire) ||
		    atomic_load_explicit(&sl->stopped, RELAXED))
			continue;
		out->active++;
		out->disk_lost_bytes += atomic_load_explicit(&sl->disk_lost, RELAXED);
	}
}

void recorder_source_set(recorder_poll_fn poll, void *arg)
{
	if (!R.active)
		return;
	pthread_mutex_lock(&R.lock);
	R.src_poll = poll;
	R.src_arg = arg;
	R.src_remove = false;
	pthread_mutex_unlock(&R.lock);
}

bool recorder_source_remove(void)
{
	struct timespec until;
	bool done;

	if (!R.active)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 5; /* the writer answers within a tick unless a disk hangs */
	pthread_mutex_lock(&R.lock);
	if (R.src_poll) {
		R.src_remove = true;
		pthread_cond_signal(&R.cond);
	}
	while (R.src_poll)
		if (pthread_cond_timedwait(&R.src_cond, &R.lock, &until) == ETIMEDOUT)
			break;
	done = R.src_poll == NULL;
	pthread_mutex_unlock(&R.lock);
	if (!done)
		log_err("recording: the writer did not release the kernel's ring in time");
	return done;
}

void recorder_note_kernel_drops(uint32_t id, uint64_t n)
{
	struct rec_slot *sl = &R.slots[SLOT_OF(id)];

	if (!R.active || !n)
		return;
	atomic_fetch_add_explicit(&R.kernel_dropped, n, RELAXED);
	if (atomic_load_explicit(&sl->id, memory_order_acquire) != id)
		return; /* the session has ended: in the totals only */
	SLOT_ADD(sl->ring_dropped, n);
	SLOT_ADD(sl->kernel_dropped, n);
}
