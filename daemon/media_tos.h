/*
 * media_tos.h: rtpengine's "TOS" key: the IP TOS / IPv6 traffic class of
 * everything a call sends.
 */
#ifndef RTPRELAY_MEDIA_TOS_H
#define RTPRELAY_MEDIA_TOS_H

#include "control/ngrequest.h"
#include "daemon/call.h"

/* After offer/answer @req bound its sockets: the call's TOS as @req sets it
 * (a value, "leave", or back to the default) on every media socket of the
 * call. Returns a warning text or NULL. */
const char *media_tos_apply(struct call *c, const struct ng_request *req);

#endif
