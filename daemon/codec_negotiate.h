/*
 * codec_negotiate.h: the ng `codec` options (strip, offer, transcode, mask,
 * accept, except, ptime) applied to an offer/answer, and the decision to
 * transcode a media.
 *
 * At an offer, the offerer's formats are recorded (what it can send and
 * receive) and the format list for the answerer is built: stripped and masked
 * codecs removed (`except`/`offer` exempt them from "all"), `offer` codecs
 * moved to the front, `transcode` codecs the offerer lacks appended with a
 * payload type of their own. At the answer, if the answerer picked a codec
 * the offerer also has, nothing is transcoded (plain forwarding, and codecs we
 * added are taken out of the answer the offerer sees); if it picked one we
 * added, the media is bridged: two transcoders are made (one per direction),
 * and the offerer's answer names the offerer's own codec with its rtpmap,
 * fmtp and ptime, plus telephone-event only when both sides have it.
 *
 * Memory: the state of a media is one malloc, owned by the offerer's
 * call_media (freed by codecneg_free); rewrite lists live in the request
 * arena and are only used during that request. Control thread only.
 */
#ifndef RTPRELAY_CODEC_NEGOTIATE_H
#define RTPRELAY_CODEC_NEGOTIATE_H

#include <stdbool.h>

#include "lib/arena.h"
#include "control/ngrequest.h"
#include "daemon/codec_set.h"
#include "sdp/sdp.h"

struct codecneg;
struct xcode;

/* How the transcoders made are tuned (the daemon's config). */
struct codecneg_tuning {
	int opus_complexity;  /* 0..10, -1 = the codec's default */
	int resample_quality; /* 0..10 (speexdsp), -1 = the resampler's default */
};

struct codecneg_result {
	/* Transcoders to publish on the receiving endpoints, NULL = forward. */
	struct xcode *from_offerer, *from_answerer;
	const char *warning; /* for the reply's warnings, NULL = none */
};

/* Offer: @state is the offerer's slot (replaced). Returns 0 or -ENOMEM. */
int codecneg_offer(struct codecneg **state, const struct sdp_media *m,
		   const struct ng_codec_ops *ops, struct arena *a);
/* Answer to the offer recorded in @state (may be NULL: nothing to do).
 * @tune: for the transcoders made. Fills @res. Returns 0 or -ENOMEM. */
int codecneg_answer(struct codecneg *state, const struct sdp_media *m,
		    const struct ng_codec_ops *ops, const struct codecneg_tuning *tune,
		    struct arena *a, struct codecneg_result *res);
/* Apply the format list and ptime computed by the last offer/answer of this
 * request to the rewrite of that media (no-op when none). */
void codecneg_rewrite(struct codecneg *state, struct sdp_media_rewrite *mr);
/* Did the offer recorded in @state add codecs the offerer lacks (a
 * transcoding offer)? Then the answerer may send what the offerer cannot
 * decode, and only what the offerer offered may be forwarded untranscoded. */
bool codecneg_added(const struct codecneg *state);
/* Is this media transcoded (after its answer)? */
bool codecneg_transcoding(const struct codecneg *state);
void codecneg_free(struct codecneg *state);

/* Does an option list (strip, mask, ...) name encoding @enc at RTP clock
 * @clock? Items are "name", "name/clock" or "name/clock/channels",
 * case-insensitive; a clock in the item must equal @clock (unless @clock is
 * 0, unknown). With @all_matches, "all" and "full" match every codec. */
bool codecneg_listed(const char *const *list, unsigned n, struct sdp_str enc, unsigned clock,
		     bool all_matches);

/* The negotiation state of a media as plain values, so a call carried to
 * another process (daemon/call_snapshot.h) answers a repeated answer or a
 * re-answer as this one would: the offerer's formats, the ones rtprelay
 * added, the offer's ptime and options, the transcode decision and the codec
 * "set". (Codec descriptions are found again by name; the rewrite of the
 * current request is not part of it.) */
#define CODECNEG_ENC_MAX   31
#define CODECNEG_FMTP_MAX  159
#define CODECNEG_ADDED_MAX 8
struct codecneg_saved_fmt {
	unsigned pt, clock, channels;
	char enc[CODECNEG_ENC_MAX + 1];
	char fmtp[CODECNEG_FMTP_MAX + 1];
};
struct codecneg_saved {
	struct codecneg_saved_fmt offered[SDP_MAX_FORMATS];
	unsigned n_offered;
	struct codecneg_saved_fmt added[CODECNEG_ADDED_MAX];
	unsigned n_added;
	unsigned offer_ptime, opt_ptime, opt_ptime_rev;
	bool force, transcoding;
	struct codec_set_item set[CODEC_SET_MAX];
	unsigned n_set;
};
/* @st into *out (false: no state). */
bool codecneg_save(const struct codecneg *st, struct codecneg_saved *out);
/* A state made from @in into *state (replaced), after checking every
 * field: 0, -EINVAL with *why, or -ENOMEM. */
int codecneg_restore(struct codecneg **state, const struct codecneg_saved *in, const char **why);

struct call_media;
/* offer.c's hook, for media @m of the SDP being handled: on an offer @sm is
 * the offerer's media (its transcoders are dropped, the offer recorded); on
 * an answer @sm is the answerer's and @rm the offerer's media, and the
 * transcoders decided are stored in rm->xcode (RTP from the offerer) and
 * sm->xcode (RTP from the answerer) for publishing. *warning is set to a
 * reply warning or NULL. @tune as for codecneg_answer. 0 or -ENOMEM. */
int codecneg_media(struct call_media *sm, struct call_media *rm, const struct ng_request *req,
		   const struct sdp_media *m, const struct codecneg_tuning *tune, struct arena *a,
		   const char **warning);

#endif
