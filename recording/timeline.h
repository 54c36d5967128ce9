/*
 * timeline.h: one audio track of a recording on the call's timeline.
 *
 * Samples are placed by their position on the call's clock (sample 0 = the
 * start of the recording, at the track's rate) and summed where tracks
 * overlap (the mixed track gets every leg). What was never placed is
 * silence. The track keeps a window of TIMELINE_SPAN samples in memory; it
 * is written up to a position by timeline_flush, which the writer calls
 * with a horizon a little behind "now", so that late packets of any leg
 * still land in the mix; samples placed behind what was already written
 * are dropped (counted). A placement further ahead than the window writes
 * out the oldest part first.
 */
#ifndef RTPRELAY_TIMELINE_H
#define RTPRELAY_TIMELINE_H

#include <stdint.h>

#include "recording/wav_writer.h"

struct timeline {
	int32_t *acc;	  /* cap samples, a ring indexed by position % cap */
	uint32_t cap;
	uint64_t base;	  /* first position not yet written */
	uint64_t late;	  /* samples placed behind base (dropped) */
	struct wav_writer *out;
};

/* @cap samples of window; @out receives what is flushed. 0 or -ENOMEM. */
int timeline_init(struct timeline *t, uint32_t cap, struct wav_writer *out);
void timeline_fini(struct timeline *t);
/* Add @n samples at position @pos. */
void timeline_add(struct timeline *t, uint64_t pos, const int16_t *pcm, uint32_t n);
/* Write everything before @upto (silence where nothing was placed); 0 or
 * -errno of the file (the samples are lost then, counted by the writer). */
int timeline_flush(struct timeline *t, uint64_t upto);

#endif
