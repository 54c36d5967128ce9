/*
 * dp_queue.h: the FIFO that carries changes from the control thread to one
 * data-plane worker.
 *
 * Many producers (any thread holding the API), one consumer (the worker).
 * The mutex is taken once per command and once per drained batch, never per
 * packet; the eventfd wakes the worker's epoll when the queue goes from
 * empty to non-empty.
 */
#ifndef RTPRELAY_DP_QUEUE_H
#define RTPRELAY_DP_QUEUE_H

#include <pthread.h>
#include <stdbool.h>

#include "dataplane/dataplane.h"

enum dp_cmd_type {
	DP_CMD_ADD,	 /* start serving ep (register its fd) */
	DP_CMD_SET,	 /* copy params into ep */
	DP_CMD_RELEASE,	 /* close ep's fd and free it */
	DP_CMD_STOP,	 /* leave the loop, releasing everything */
	DP_CMD_SYNC,	 /* signal done (tests, dp_sync) */
	DP_CMD_CTL,	 /* replace ep's call control (ctl) */
	DP_CMD_DTMF,	 /* queue one DTMF event on ep (dtmf) */
	DP_CMD_SRTP,	 /* rekey ep's SRTP (params.srtp) */
	DP_CMD_REC,	 /* start/stop copying ep's packets for recording (rec) */
	DP_CMD_PLAY,	 /* start/stop playing media into ep's RTP (play) */
	DP_CMD_ADOPT,	 /* ep's remote is params.sdp_remote, confirmed (restore) */
	DP_CMD_PAUSE,	 /* stop reading until dp_resume (pause) */
	DP_CMD_SRTP_ROC, /* set SRTP rollover counters (rocs) */
	DP_CMD_SAMPLE,	 /* take ep's output stream sample (dp_sample.c) */
	DP_CMD_XSEEK,	 /* continue ep's held transcoder (xseek) */
};

/* What dp_sync waits on: one count per worker, decremented (under the lock,
 * with a signal) by each worker once it has applied the commands before its
 * DP_CMD_SYNC. */
struct dp_sync {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending;
};

/* What dp_pause holds the workers with: each one counts itself in and
 * waits while @hold. */
struct dp_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned paused;
	bool hold;
};

/* Where a held transcoder's output goes on (DP_CMD_XSEEK). */
struct dp_xseek {
	uint16_t seq;
	uint32_t ts;
	bool set_roc;
	uint32_t roc;
};

struct dp_cmd {
	struct dp_cmd *next;
	enum dp_cmd_type type;
	struct dp_endpoint *ep;
	struct dp_endpoint_params params;
	struct dp_sync *sync;		       /* DP_CMD_SYNC only */
	struct dp_pause *pause;		       /* DP_CMD_PAUSE only */
	struct dp_srtp_roc rocs[DP_SRTP_ROCS]; /* DP_CMD_SRTP_ROC only */
	unsigned n_rocs;
	struct dp_xseek xseek;	  /* DP_CMD_XSEEK only */
	struct dp_ctl_params ctl; /* DP_CMD_CTL only */
	struct dp_dtmf_play dtmf; /* DP_CMD_DTMF only */
	struct dp_rec_tap rec;	  /* DP_CMD_REC only */
	struct dp_play play;	  /* DP_CMD_PLAY only (holds a reference of play.m) */
};

struct dp_queue {
	pthread_mutex_t lock;
	struct dp_cmd *head, *tail;
	int efd; /* eventfd, EFD_NONBLOCK */
};

int dp_queue_init(struct dp_queue *q) __attribute__((warn_unused_result));
/* Frees commands still queued (after the consumer is gone). */
void dp_queue_destroy(struct dp_queue *q);
/* Append @c (ownership passes to the consumer). */
void dp_queue_push(struct dp_queue *q, struct dp_cmd *c);
/* Take the whole queue in FIFO order (NULL if empty) and clear the eventfd. */
struct dp_cmd *dp_queue_take(struct dp_queue *q);

#endif
