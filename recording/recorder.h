/*
 * recorder.h: call recording off the packet path.
 *
 * Threads (docs/architecture.md, Recording):
 * - each data-plane worker copies the packets of recorded streams into its
 *   own ring (recorder_ring, rec_ring.h): no lock, no syscall, no
 *   allocation; a full ring drops the copy and counts it;
 * - one writer thread drains every ring and owns every file: the pcap per
 *   call (pcap_writer.h), the decoded audio per leg and mixed on the call's
 *   timeline (timeline.h, wav_writer.h), the JSON metadata beside them
 *   (written to a temporary name and renamed), and the notification command
 *   run once a recording is complete;
 * - the control thread starts, pauses, resumes and stops sessions through
 *   the writer's command list (a mutex the workers never touch) and reads
 *   their counters.
 *
 * A session is named by a 32-bit id (slot index and generation, never 0)
 * that the workers put on each copied packet: a packet for a session that
 * has ended is discarded by the writer.
 */
#ifndef RTPRELAY_RECORDER_H
#define RTPRELAY_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recording/rec_ring.h"

struct codec_desc;

enum rec_method {
	REC_PCAP = 1u << 0, /* one pcap per call */
	REC_WAV = 1u << 1,  /* one WAV per leg and a mixed WAV */
};

struct recorder_config {
	const char *dir;    /* recording-dir (absolute) */
	unsigned methods;   /* enum rec_method */
	bool pcap_eth;	    /* recording-format: eth (else raw IP) */
	const char *notify; /* recording-notify: command run when a recording is complete */
	size_t ring_bytes;  /* per worker */
	unsigned n_rings;   /* one per data-plane worker */
};

/* Sessions at once; a start beyond this is refused. */
#define REC_MAX_SESSIONS 4096u
#define REC_MAX_LEGS	 8u
#define REC_MAX_CODECS	 8u
#define REC_TAG_MAX	 64u
/* The timeline's clock (G.711's rate). A leg's WAV is at the highest rate
 * its codecs decode to (8, 16 or 48 kHz: a multiple of REC_RATE, at most
 * REC_MAX_RATE), the mixed WAV at the highest of the legs known at start. */
#define REC_RATE     8000u
#define REC_MAX_RATE 48000u
/* How far behind "now" the audio is written, so late packets of every
 * leg still land in the mix. */
#define REC_HORIZON_MS 400u
#define REC_METADATA_MAX 4096u

struct rec_leg_info {
	bool used;
	char tag[REC_TAG_MAX];
	char label[REC_TAG_MAX];
	unsigned n_codecs;
	bool own_sdp; /* the party's own SDP was seen (its codecs are among these) */
	struct {
		uint8_t pt;
		const struct codec_desc *desc;
	} codecs[REC_MAX_CODECS];
};

struct rec_start {
	const char *call_id;
	const char *base;     /* absolute path without extension, inside dir */
	const char *metadata; /* may be NULL */
	uint64_t t0_us;	      /* CLOCK_MONOTONIC start */
	uint64_t wall0_us;    /* the same instant, unix time */
	struct rec_leg_info legs[REC_MAX_LEGS];
};

struct rec_stats {
	uint64_t packets, bytes;	 /* written to the recording */
	uint64_t ring_dropped;		 /* packets the workers (or the kernel) could not queue */
	uint64_t kernel_dropped;	 /* the kernel's share of ring_dropped */
	uint64_t disk_lost_bytes;	 /* bytes lost to failed writes */
	uint64_t late;			 /* samples that came after their place was written */
	bool paused, stopped, file_error;
	uint64_t active, completed; /* recorder_totals: sessions */
};

int recorder_start(const struct recorder_config *c) __attribute__((warn_unused_result));
/* Finish every session (files complete, metadata final) and join the writer. */
void recorder_stop(void);
bool recorder_active(void);
const struct recorder_config *recorder_config(void);
/* The ring of worker @i (NULL if recording is off). */
struct rec_ring *recorder_ring(unsigned i);
/* Worker side: a copy of one packet for session @id did not fit (counted
 * on the session, relaxed atomics; called on the drop only). */
void recorder_note_drop(uint32_t id);

/* A source of copies besides the workers' rings: the kernel's recording
 * ring (dataplane/dp_krec.c). The writer thread calls @poll at every drain,
 * after the workers' rings and before the commands that came with them
 * (a stop is applied after the copies taken before it); @poll hands each
 * copy to recorder_feed. One source at a time; control thread. */
typedef void (*recorder_poll_fn)(void *arg);
void recorder_source_set(recorder_poll_fn poll, void *arg);
/* Remove the source: returns true once the writer has polled it a last
 * time and will not call it again (false: the writer did not answer within
 * seconds; the source must then stay valid). */
bool recorder_source_remove(void);
/* Writer thread, inside a source's poll: one copy (@h->len payload bytes at
 * @payload), handled as a worker's copy. */
void recorder_feed(const struct rec_pkt *h, const void *payload);
/* Control thread: @n copies for session @id that the kernel's ring had no
 * room for (counted on the session and in the totals). */
void recorder_note_kernel_drops(uint32_t id, uint64_t n);

/* Control thread. 0 (with *err) if no slot is free or recording is off. */
uint32_t recorder_session_start(const struct rec_start *s, const char **err);
void recorder_session_legs(uint32_t id, const struct rec_leg_info *legs);
void recorder_session_metadata(uint32_t id, const char *text);
void recorder_session_pause(uint32_t id, bool pause, uint64_t at_us);
void recorder_session_stop(uint32_t id, uint64_t at_us);
void recorder_session_stats(uint32_t id, struct rec_stats *out);
/* Totals since start: sessions active and completed, copies the workers'
 * rings had no room for, bytes lost to failed writes (all sessions). */
void recorder_totals(struct rec_stats *out);

#endif
