/*
 * codec_set.h: the codec "set" option: encoder options for a codec that
 * rtprelay transcodes to. A spec names the codec fully and then what to set:
 *   name/clock/channels[/bitrate[/ptime[/fmtp]]]
 * "opus/48000/2/32000" (bitrate), "opus/48000/2///maxaveragebitrate=12000"
 * (fmtp parameters; "--" stands for "=" where a literal "=" cannot be
 * written). A spec applies only to that name, clock and channel count.
 */
#ifndef RTPRELAY_CODEC_SET_H
#define RTPRELAY_CODEC_SET_H

#include <stdbool.h>
#include <stddef.h>

#define CODEC_SET_MAX	 8
#define CODEC_SET_ENC	 32
#define CODEC_SET_PARAMS 160

struct codec_set_item {
	char enc[CODEC_SET_ENC];
	unsigned clock, channels;
	unsigned long bitrate;	       /* bits per second, 0 = not given */
	char params[CODEC_SET_PARAMS]; /* fmtp parameters, "" = none */
};

/* Parse @spec. False (nothing usable) if it does not name a full codec
 * (name, clock and channels) or sets nothing. */
bool codec_set_parse(const char *spec, struct codec_set_item *out);

/* The fmtp our encoder for @enc/@clock/@channels should follow: the matching
 * item's parameters (its bitrate as maxaveragebitrate for Opus) ahead of the
 * receiver's @fmtp, so that they win. Writes into @out (@cap bytes) and
 * returns true, or false (nothing matches, or it does not fit): use @fmtp. */
bool codec_set_fmtp(const struct codec_set_item *items, unsigned n, const char *enc, unsigned clock,
		    unsigned channels, const char *fmtp, size_t fmtp_len, char *out, size_t cap);

#endif
