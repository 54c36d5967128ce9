/*
 * callrec.h: rtpengine's recording commands and keys on the control thread:
 * `record call` (offer/answer, key yes/no/on/off, or the flag record-call),
 * `start recording`, `stop recording` (with the flag `pause` or `pause=yes`:
 * pause), `pause recording`, `recording-file` / `output-destination`,
 * `recording-dir` / `recording-path`, `recording-pattern` and `metadata`.
 *
 * A recorded call has a recorder session (recording/recorder.h) whose id is
 * in call->rec_id; every endpoint a party sends into is tapped with
 * dp_endpoint_rec (leg = the party's index in the call; a party's other
 * media than its first audio get leg + REC_MAX_LEGS: pcap only). A pause
 * removes the taps (the timeline keeps running: silence), a resume puts
 * them back, a stop ends the session (files complete). Recording is the
 * whole call, as rtpengine does; the tags of start recording are ignored.
 * Control thread only.
 */
#ifndef RTPRELAY_CALLREC_H
#define RTPRELAY_CALLREC_H

#include <stdint.h>

#include "control/ngdict.h"
#include "control/ngrequest.h"
#include "daemon/call.h"
#include "lib/arena.h"
#include "sdp/sdp.h"

/* start/stop/pause recording. 0, or -errno with *err the error-reason. */
int callrec_command(struct calls *cs, const struct ng_request *req, const char **err);
/* offer.c, after a successful offer/answer of call @c: record-call,
 * metadata, and the (possibly new) endpoints of a recorded call tapped.
 * Returns a warning for the reply or NULL. */
const char *callrec_offer_answer(struct call *c, const struct ng_request *req, struct arena *a);
/* offer.c: the codecs of SDP media @m that the recorder can decode, for @cm. */
void callrec_media_formats(struct call_media *cm, const struct sdp_media *m);
/* A delete with a delay: the recording ends now (files complete). */
void callrec_call_deleted(struct call *c);
/* A call restored with rec_continue (a takeover, a Redis standby that became
 * the active): start recording it again, into new files beside the old
 * ones ("<old base>-cont<unix time>"), paused if it was. Logged either way. */
void callrec_continue(struct call *c);
/* query.c: the call's "recording" dictionary (state, files, counters). */
int callrec_query(struct arena *a, const struct call *c, struct ng_node *reply);

#endif
