/*
 * dtls_media.h: DTLS-SRTP (RFC 5763, RFC 5764, RFC 8842) on a call's media,
 * control side (docs/architecture.md, DTLS-SRTP).
 *
 * rtprelay terminates DTLS on every leg that speaks it, with one
 * certificate per daemon (dtls/dtls.h), and keys the leg's SRTP from the
 * handshake (dp_endpoint_srtp); it never passes a party's DTLS lines on.
 * A party speaks DTLS-SRTP with rtprelay when the SDP it gets has a
 * UDP/TLS/RTP/SAVP[F] profile and DTLS is not off. An RTP/SAVP[F] party is
 * offered DTLS-SRTP alongside SDES (a=fingerprint and a=crypto; SDES-off:
 * DTLS alone) and its answer picks one: a=fingerprint DTLS, a=crypto SDES;
 * an RTP/SAVP[F] offer with a=fingerprint is answered with DTLS. Either
 * profile's offer with both is answered with DTLS, with SDES under
 * SDES-prefer (daemon/sdes.h). Roles (a=setup):
 *   - rtprelay offers: actpass (DTLS=passive: passive, DTLS=active:
 *     active); the answer's a=setup decides (active: rtprelay is the
 *     server, passive: the client);
 *   - rtprelay answers: active, the client (RFC 5763 5), to an actpass or
 *     passive offerer; passive to an active one; DTLS=passive makes it
 *     passive towards an actpass offerer (what configs for browsers use).
 * The handshake runs on the control thread: the data plane queues each DTLS
 * datagram (dataplane/dp_dtls.c) and the output leaves the stream's socket.
 * Until it completes the party's media is refused (DP_SRTP_PARTY without
 * keys); a changed fingerprint or a=tls-id from the party is a DTLS restart:
 * a new handshake, whose keys replace the old ones when it completes (media
 * keeps flowing on the old ones until then). A handshake that does not
 * complete in DTLS_HANDSHAKE_MAX_MS fails (logged once per stream).
 * A party that multiplexes RTCP has one association (on the RTP port); one
 * that does not has a second on its RTCP port (RFC 5764 4.1), same role and
 * fingerprint, whose keys key SRTCP once it finished (the RTP
 * association's until then, so a peer that skips it still gets SRTCP).
 * rtprelay's a=tls-id (RFC 8842) names the association(s) of the media and
 * changes whenever a restart makes new ones.
 * Control thread only.
 */
#ifndef RTPRELAY_DTLS_MEDIA_H
#define RTPRELAY_DTLS_MEDIA_H

#include <stdbool.h>

#include "control/ngdict.h"
#include "control/ngrequest.h"
#include "lib/arena.h"
#include "lib/loop.h"
#include "sdp/sdp.h"
#include "dtls/dtls.h"
#include "srtp/sr_stream.h"

struct call_media;
struct call_party;
struct dp_endpoint_params;

/* The daemon's certificate (ECDSA P-256, or RSA of @rsa_bits with @rsa:
 * the config's dtls-cert-cipher) and the data plane's DTLS queue on @l. 0
 * or -errno (logged). */
int dtls_media_init(struct loop *l, bool rsa, unsigned rsa_bits);
void dtls_media_fini(void);
/* Retransmissions and timeouts; every tick. */
void dtls_media_tick(uint64_t now_ms);
/* How many handshakes are under way with their peers now (dtls/dtls.h
 * dtls_conn_in_flight): a takeover waits for them (daemon/takeover.h),
 * since none can be carried to another process. */
unsigned dtls_media_in_flight(void);

/* The party's DTLS lines (a=fingerprint, a=setup, a=tls-id; media level,
 * else session level) of media @m of @s into @cm; in an answer to a DTLS
 * offer of rtprelay's, the role. 0, or -EINVAL/-ENOMEM with *err. */
int dtls_note_sender(struct arena *a, const struct ng_request *req, const struct sdp_session *s,
		     const struct sdp_media *m, struct call_media *cm, const char **err);
/* Whether the receiver @rm speaks DTLS-SRTP with rtprelay (@out_proto: its
 * profile in the SDP it gets) and its role. 0, or -EINVAL/-ENOMEM. */
int dtls_for_receiver(const struct ng_request *req, struct call_media *rm, const char *out_proto,
		      const char **err);
/* rtprelay's a=setup/a=fingerprint lines for @rm into @mr (the sender's
 * DTLS lines, @had_dtls, go in any case). */
void dtls_rewrite(struct arena *a, const struct ng_request *req, const struct call_media *rm,
		  bool had_dtls, struct sdp_media_rewrite *mr);
/* Whether DTLS-SRTP can be offered (the daemon has a certificate). */
bool dtls_media_available(void);
/* Whether rtprelay offered (or speaks) DTLS-SRTP to @m's party. */
bool dtls_media_offered(const struct call_media *m);
/* Whether section @m of @s (or the session) has an a=fingerprint. */
bool dtls_sdp_fingerprint(const struct sdp_session *s, const struct sdp_media *m);
/* Whether section @m of @s (or the session) has DTLS lines. */
bool dtls_sdp_has(const struct sdp_session *s, const struct sdp_media *m);
bool dtls_sdp_session_has(const struct sdp_session *s);
/* When @m's party speaks DTLS-SRTP: its keys (suite NONE and *pending
 * until a handshake completed) replace what SDES gave, and DP_DTLS with the
 * association's id goes into @p (RTP component). */
void dtls_keys(const struct call_media *m, struct sr_keys *out, bool *pending);
void dtls_publish(const struct call_media *m, struct dp_endpoint_params *p);
/* The RTCP component of a party that does not multiplex RTCP has its own
 * association (RFC 5764 4.1): once it finished, its keys replace @out (the
 * RTP association's until then); DP_DTLS with its id goes into @p. */
void dtls_keys_rtcp(const struct call_media *m, struct sr_keys *out);
void dtls_publish_rtcp(const struct call_media *m, struct dp_endpoint_params *p);
/* After the data plane has the parameters: start the handshakes whose role
 * and peer fingerprint are known (rtprelay as client sends its hello). */
void dtls_media_start(struct call_party *p, uint64_t now_ms);
/* The SRTP suite a finished handshake chose, NULL = none. */
const char *dtls_suite_name(const struct call_media *m);
/* query: a "DTLS" dictionary in @d for @m's RTP stream, or with @rtcp its
 * RTCP stream when that has an association of its own (state, role, the
 * peer's fingerprint hash, the SRTP profile, rtprelay's tls-id, counters).
 * 0 or -ENOMEM. */
int dtls_query(struct arena *a, struct ng_node *d, const struct call_media *m, bool rtcp);
void dtls_media_free(struct call_media *m);

/* Carrying a media's DTLS-SRTP to another process (daemon/call_snapshot.h:
 * takeover, Redis standby): the roles, the peer's fingerprint and tls-id,
 * rtprelay's a=setup and tls-id, and per component the SRTP keys and
 * profile a finished handshake exported. The DTLS association itself does
 * not move: the restored media is keyed as before without a handshake, and
 * a DTLS restart of the peer (or a changed fingerprint/tls-id in an
 * offer/answer) makes a new one with this process's certificate. */
#define DTLS_MEDIA_TLS_ID_MAX 255
#define DTLS_MEDIA_OUR_TLS_ID 24 /* rtprelay's a=tls-id: this many tls-id-chars */
struct dtls_media_saved {
	bool on, role_known, client, peer_has_fp;
	enum dtls_setup ours, peer_setup;
	enum dtls_hash hash; /* of rtprelay's a=fingerprint */
	struct dtls_fingerprint peer_fp;
	char peer_tls_id[DTLS_MEDIA_TLS_ID_MAX + 1];
	char tls_id[DTLS_MEDIA_OUR_TLS_ID + 1];
	struct {
		bool keyed;
		struct sr_keys keys;
		enum dtls_profile profile;
	} as[2]; /* RTP, RTCP */
};
/* @m's state into @out; false when @m has none. */
bool dtls_media_save(const struct call_media *m, struct dtls_media_saved *out);
/* Give @m (with none yet) the state @in, after checking it: 0, -EINVAL
 * with *why, or -ENOMEM. */
int dtls_media_restore(struct call_media *m, const struct dtls_media_saved *in, const char **why);
/* The daemon's certificate and key as PEM (dtls/dtls.h dtls_cert_pem). */
int dtls_media_cert_pem(char **pem, size_t *len) __attribute__((warn_unused_result));
/* Use the certificate and key in @pem from now on (another process's, or
 * the config's dtls-certificate/dtls-private-key): 0, -EINVAL with *why,
 * or -EBUSY while any media has DTLS state (its associations use the old
 * one). */
int dtls_media_set_cert_pem(const char *pem, size_t len, const char **why);
/* The same from PEM files (dtls-certificate, dtls-private-key; together at
 * most DTLS_PEM_MAX bytes). 0 or -errno (logged, naming the file). */
int dtls_media_load_cert(const char *cert_path, const char *key_path);

#endif
