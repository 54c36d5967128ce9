/*
 * callctl.h: rtpengine's call-control commands: block/unblock media,
 * silence/unsilence media, block/unblock DTMF, play DTMF
 * (docs/ng_control_protocol.md of rtpengine).
 *
 * Selection as rtpengine's: only `call-id` (or the flag `all`) = the whole
 * call; `label`, `address` (the party's SDP media address), or `from-tag` with the flag `directional` (play DTMF: the
 * from-tag alone), = the RTP that party sends; with `to-tag` the flow from
 * that party to the named one (here always its peer); `from-tags` = each
 * party named, as if named alone. A call-wide setting and
 * a party's own add up; unblocking the call leaves parties blocked on their
 * own unless `all` is given.
 *
 * The data plane gets each party's setting per audio media through
 * dp_endpoint_ctl (dataplane/dataplane.h); play DTMF through
 * dp_endpoint_dtmf. Control thread only.
 */
#ifndef RTPRELAY_CALLCTL_H
#define RTPRELAY_CALLCTL_H

#include <stdint.h>

#include "control/ngrequest.h"
#include "daemon/call.h"
#include "sdp/sdp.h"

/* Most DTMF playing time queued per party and media (later play DTMF
 * commands are refused until it drains). */
#define CALLCTL_DTMF_BACKLOG_MS 10000u

/* One of the NG_CMD_ call-control commands. 0, or -EINVAL/-ENOMEM with *err
 * set to the error-reason; *warning (may stay NULL) for the reply. */
int callctl_command(struct calls *cs, const struct ng_request *req, uint64_t now_ms,
		    const char **err, const char **warning);

/* The party a call-control style command selects (`all`, `label`,
 * `address`, `from-tag`; NULL = the whole call), as play DTMF selects it;
 * for daemon/playmedia.c. 0, or -EINVAL with *err. */
int callctl_select(struct call *c, const struct ng_request *req, struct call_party **out,
		   const char **err);

/* offer.c: record what the payload types of SDP media @m carry, for @cm. */
void callctl_media_formats(struct call_media *cm, const struct sdp_media *m);
/* offer.c: after an offer/answer published its streams, the call control in
 * force goes to the (possibly new) endpoints again. */
void callctl_republish(struct call *c);
/* offer.c: "drop-traffic" start (@on) or stop: every RTP packet of the call
 * is dropped, whatever the call control commands say, until stopped. */
void callctl_drop_traffic(struct call *c, bool on);

#endif
