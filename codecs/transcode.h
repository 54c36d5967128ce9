/*
 * transcode.h: one direction of a transcoded RTP stream.
 *
 *   RTP in -> jitter buffer -> decode (or PLC/FEC) -> channel mix -> resample
 *          -> PCM FIFO -> encode -> RTP out (own SSRC, sequence, timestamps)
 *   telephone-event in -> re-timed, renumbered -> RTP out (same SSRC)
 *
 * The data plane pushes every packet received for the stream (xcode_push) and
 * pulls output (xcode_pull) right after a push and from a periodic timer (at
 * least every ptime): pull returns one packet at a time, 0 when nothing is due.
 * Frames are due on a clock anchored to the first packet's arrival, so at
 * steady state a pull right after a push sends the frame at once; a frame that
 * is due but has not arrived is concealed once it is half a frame late. Pulled
 * late with frames buffered (the worker was held off), the backlog goes out at
 * once; only time for which nothing arrived is skipped.
 *
 * Memory: everything is allocated in xcode_new except the PCM work buffers
 * (~90 KB), which the first audio packet pushed allocates (without memory it
 * is dropped and counted in in_dropped); pull never allocates.
 * Threads: one owner (the worker serving the stream's socket); xcode_stats may
 * be called by that owner only.
 */
#ifndef RTPRELAY_TRANSCODE_H
#define RTPRELAY_TRANSCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"
#include "codecs/jitter.h"

struct xcode;

struct xcode_config {
	const struct codec_desc *in_codec, *out_codec;
	uint8_t in_pt, out_pt;
	int in_dtmf_pt, out_dtmf_pt;		/* telephone-event PTs, -1 = none */
	unsigned in_dtmf_clock, out_dtmf_clock; /* 0 = the codec's RTP clock */
	unsigned in_ptime, out_ptime;		/* ms, 0 = 20 */
	unsigned in_channels, out_channels;	/* 0 = 1 */
	const char *out_fmtp;			/* receiver's fmtp for our encoder */
	size_t out_fmtp_len;
	int complexity;	   /* Opus, < 0 = default */
	bool vad;	   /* G.729 Annex B on our encoder */
	uint32_t out_ssrc; /* 0 = random */
	/* continue an output stream another transcoder started (a call
	 * carried to another process, daemon/call_snapshot.h): the first
	 * packet gets sequence number out_seq and timestamp out_ts, no marker */
	bool out_continue;
	uint16_t out_seq;
	uint32_t out_ts;
	/* send nothing until xcode_out_seek says where the stream goes on (a
	 * Redis standby's transcoder: where is known only at the takeover);
	 * input is buffered meanwhile */
	bool out_hold;
	unsigned jb_min_ms, jb_max_ms; /* 0 = defaults */
	int resample_quality;	       /* < 0 = default */
};

struct xcode_stats {
	uint64_t in_packets, in_dropped; /* dropped: malformed, unknown PT, late, dup,
					 * oversize (jb counts each) */
	uint64_t out_packets, out_bytes;
	uint64_t dtmf_in, dtmf_out;
	uint64_t decode_errors, plc_frames, fec_frames;
	uint32_t out_ssrc;
	uint32_t out_ts; /* timestamp of the next frame */
	struct jb_stats jb;
};

/* The longest receiver fmtp a transcoder keeps (xcode_config_of). */
#define XCODE_FMTP_MAX 320

/* 0 with *out set, or -EINVAL / -ENOMEM. */
int xcode_new(const struct xcode_config *cfg, struct xcode **out)
	__attribute__((warn_unused_result));
void xcode_free(struct xcode *x);

/* Hand over one received RTP packet. 0, or -EINVAL (malformed / not ours:
 * dropped and counted). */
int xcode_push(struct xcode *x, const uint8_t *pkt, size_t len, uint64_t now_ms);
/* Produce the next outgoing RTP packet due at @now_ms into @out. Returns its
 * length, 0 when nothing is due (call again after the next push or tick), or
 * -ENOBUFS when @cap is too small. */
int xcode_pull(struct xcode *x, uint64_t now_ms, uint8_t *out, size_t cap);
/* An RTCP sender report for the output stream (RFC 3550 §6.4.1: SR with no
 * report block + SDES CNAME), every XCODE_SR_INTERVAL_MS once output has
 * started; its RTP timestamp is the output clock at @now_ms, @ntp the wall
 * clock at the same instant (NTP format). Returns the length, 0 when none is
 * due, -ENOBUFS. */
#define XCODE_SR_INTERVAL_MS 5000
int xcode_rtcp_pull(struct xcode *x, uint64_t now_ms, uint64_t ntp, uint8_t *out, size_t cap);
/* The same with one report block @rb (the relay's reception of the far
 * side's stream: generate-RTCP) when @rb is not NULL. */
struct rtcp_report_block;
int xcode_rtcp_pull_block(struct xcode *x, uint64_t now_ms, uint64_t ntp,
			  const struct rtcp_report_block *rb, uint8_t *out, size_t cap);
/* Time (ms) at which the next frame is due, 0 when idle. */
uint64_t xcode_next_due(const struct xcode *x);
/* What the owner's periodic pulls can still get out of @x with nothing
 * pushed meanwhile: XCODE_WAKE_RUNNING (its output clock runs or an event
 * waits: pull at every tick, the pulls decide what is due), a time in ms
 * (only the next RTCP sender report is pending: xcode_rtcp_pull gives nothing
 * before it), or 0 (nothing at all until the next push: an idle transcoder
 * needs no pulls). */
#define XCODE_WAKE_RUNNING UINT64_MAX
uint64_t xcode_next_wake(const struct xcode *x);
/* Mute the decoded audio (silence media): the encoder is fed silence, so the
 * output carries the output codec's silence on the same clock. */
void xcode_set_silence(struct xcode *x, bool on);
void xcode_stats(const struct xcode *x, struct xcode_stats *out);
/* The payload type the transcoder decodes (its configuration: any thread). */
uint8_t xcode_in_pt(const struct xcode *x);
/* The configuration @x was made with (immutable, so any thread holding @x
 * alive may read it); out_fmtp points into @x. The out_continue fields are
 * left clear: see xcode_out_state. */
void xcode_config_of(const struct xcode *x, struct xcode_config *cfg);
/* Where the output stream is: its SSRC, the next sequence number and the
 * next timestamp. Owner only (or while the owner is held). */
void xcode_out_state(const struct xcode *x, uint32_t *ssrc, uint16_t *seq, uint32_t *ts);
/* Continue the output stream at sequence number @seq and timestamp @ts (the
 * SSRC stays), the next packet marked as after a gap, and end out_hold.
 * Owner only. */
void xcode_out_seek(struct xcode *x, uint16_t seq, uint32_t ts);

#endif
