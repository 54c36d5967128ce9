/* test_call_snapshot.c: a call's snapshot (daemon/call_snapshot.h) restores
 * into another call table as the same call: writing the restored call gives
 * the same bytes (round trip), and its parties, ports, SDES keys and ICE
 * credentials are those of the original; a transcoded call restores with
 * its transcoders (same codecs and payload types) and, when written with the
 * data plane held, the same output SSRC, sequence number and timestamp; a
 * DTLS-SRTP call with its roles, fingerprint and tls-ids, and exported keys
 * restore with their profile. Version 1 and 2 records still restore; the
 * last SRTCP indexes of version 3 restore and are checked field by field. A record cut at any length, of
 * another version, with a forged field or for a call that exists is refused,
 * and leaves no call, port or socket behind. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/call.h"
#include "daemon/call_snapshot.h"
#include "daemon/commands.h"
#include "daemon/codec_negotiate.h"
#include "daemon/config.h"
#include "daemon/dtls_media.h"
#include "daemon/ice.h"
#include "daemon/interfaces.h"
#include "daemon/sdes.h"
#include "daemon/stream_ref.h"
#include "codecs/transcode.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"
#include "lib/loop.h"

static struct rtprelay_config cfg;
static struct ifaces ifs, ifs_b;
static struct calls calls, calls_b; /* the old process's table, the new one's */
static struct daemon_ctx ctx;
static char reply[65536];
static struct loop *lp; /* for the DTLS certificate's queue */

static const char *sdp_a =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 5000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
static const char *sdp_b =
	"v=0\r\no=- 2 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
static const char *sdp_pcmu =
	"v=0\r\no=- 4 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 5002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
static const char *sdp_pcma =
	"v=0\r\no=- 5 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6002 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\na=sendrecv\r\n";
static const char *sdp_dtls =
	"v=0\r\no=- 6 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 7002 UDP/TLS/RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=setup:actpass\r\n"
	"a=fingerprint:sha-256 00:07:0E:15:1C:23:2A:31:38:3F:46:4D:54:5B:62:69:70:77:7E:85:8C:93:9A:A1:A8:AF:B6:BD:C4:CB:D2:D9\r\n"
	"a=tls-id:abcdefghijklmnopqrstuvwxyz\r\na=rtcp-mux\r\na=sendrecv\r\n";
static const char *sdp_srtp =
	"v=0\r\no=- 3 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 7000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n"
	"a=sendrecv\r\n";

/* A bundling WebRTC-like party: audio and video on one port, ICE, the MID
 * header extension, a=ssrc for audio; and a phone with a port per media. */
static const char *sdp_bundle =
	"v=0\r\no=- 8 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v\r\n"
	"m=audio 7100 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:a\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:HmAd\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=ssrc:1111 cname:web\r\n"
	"a=sendrecv\r\n"
	"m=video 7100 RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\na=mid:v\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:HmAd\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtpmap:96 VP8/90000\r\n"
	"a=sendrecv\r\n";
static const char *sdp_av =
	"v=0\r\no=- 9 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6100 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
	"m=video 6102 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=sendrecv\r\n";

/* One ng request (bencode) to the old table; the reply text. */
static const char *ng(const char *cmd, const char *cid, const char *to_tag, const char *sdp,
		      const char *extra)
{
	static char msg[8192];
	int n = snprintf(msg, sizeof(msg), "ck d7:command%zu:%s7:call-id%zu:%s8:from-tag1:a",
			 strlen(cmd), cmd, strlen(cid), cid);
	if (to_tag)
		n += snprintf(msg + n, sizeof(msg) - n, "6:to-tag%zu:%s", strlen(to_tag), to_tag);
	if (sdp)
		n += snprintf(msg + n, sizeof(msg) - n, "3:sdp%zu:%s", strlen(sdp), sdp);
	n += snprintf(msg + n, sizeof(msg) - n, "%se", extra ? extra : "");
	size_t len = commands_handle(&ctx, (const uint8_t *)msg, (size_t)n, NULL, reply,
				     sizeof(reply) - 1);
	assert_true(len > 0);
	reply[len] = '\0';
	return reply;
}

static unsigned pairs_used(const struct ifaces *i)
{
	unsigned used, total;

	ifaces_port_usage(i, &used, &total);
	return used;
}

/* The sockets of the new process: a fresh UDP socket per local address (the
 * old table still holds the real ports); fail_after > 0 makes the n-th and
 * later calls fail. */
static unsigned sock_calls, fail_after;

static int get_sock(void *c, const struct sockaddr_storage *local, int *fd)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	(void)c;
	assert_int_equal(local->ss_family, AF_INET);
	assert_int_not_equal(ntohs(((const struct sockaddr_in *)local)->sin_port), 0);
	if (fail_after && ++sock_calls >= fail_after)
		return -EMFILE;
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&any, sizeof(any)), 0);
	return 0;
}

static const struct call_snapshot_sockets socks = { .get = get_sock };

static char *snapshot(const char *cid, size_t *len)
{
	struct call *c = call_find(&calls, cid);
	struct strbuf b;

	assert_non_null(c);
	strbuf_init(&b, CALL_SNAPSHOT_MAX);
	assert_int_equal(call_snapshot_write(c, &b), 0);
	return strbuf_take(&b, len);
}

static void set_up_calls(void)
{
	assert_non_null(strstr(ng("offer", "plain", NULL, sdp_a, "5:labell6:callere"),
			       "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "plain", "b", sdp_b, NULL), "6:result2:ok"));
	assert_non_null(strstr(ng("offer", "srtp", NULL, sdp_srtp, "3:ICE5:force"),
			       "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "srtp", "b", sdp_srtp, NULL), "6:result2:ok"));
	/* PCMU offerer, PCMA answerer: transcoded both ways */
	assert_non_null(strstr(ng("offer", "xcode", NULL, sdp_pcmu, "5:codecd9:transcodel4:PCMAee"),
			       "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "xcode", "b", sdp_pcma, NULL), "6:result2:ok"));
	/* a DTLS-SRTP party (rtprelay the server) and a plain one */
	assert_non_null(strstr(ng("offer", "dtls", NULL, sdp_dtls, "5:flagsl7:RTP/AVPe"),
			       "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "dtls", "b", sdp_b, "4:DTLS7:passive"),
			       "6:result2:ok"));
}

/* The two media's DTLS state is the same. */
static void same_dtls(const struct call_media *x, const struct call_media *y)
{
	struct dtls_media_saved a, b;

	assert_int_equal(dtls_media_save(x, &a), dtls_media_save(y, &b));
	assert_memory_equal(&a, &b, sizeof(a));
}

/* The two media's transcoders have the same configuration. */
static void same_xcode(const struct call_media *x, const struct call_media *y)
{
	struct xcode_config a, b;

	assert_int_equal(!x->xcode, !y->xcode);
	if (!x->xcode)
		return;
	xcode_config_of(x->xcode, &a);
	xcode_config_of(y->xcode, &b);
	assert_ptr_equal(a.in_codec, b.in_codec);
	assert_ptr_equal(a.out_codec, b.out_codec);
	assert_int_equal(a.in_pt, b.in_pt);
	assert_int_equal(a.out_pt, b.out_pt);
	assert_int_equal(a.in_dtmf_pt, b.in_dtmf_pt);
	assert_int_equal(a.out_dtmf_pt, b.out_dtmf_pt);
	assert_int_equal(a.in_ptime, b.in_ptime);
	assert_int_equal(a.out_ptime, b.out_ptime);
	assert_int_equal(a.out_fmtp_len, b.out_fmtp_len);
}

static void same_media(const struct call_media *x, const struct call_media *y)
{
	struct sr_keys kx, ky;
	bool px, py;

	assert_int_equal(x->pair, y->pair);
	assert_int_equal(x->index, y->index);
	assert_string_equal(x->proto, y->proto);
	assert_memory_equal(&x->rtp.remote, &y->rtp.remote, sizeof(x->rtp.remote));
	assert_memory_equal(&x->rtcp.remote, &y->rtcp.remote, sizeof(x->rtcp.remote));
	assert_memory_equal(x->pts, y->pts, sizeof(x->pts));
	assert_int_equal(x->n_pt_kinds, y->n_pt_kinds);
	assert_int_equal(x->event_pt, y->event_pt);
	assert_int_equal(x->n_rec_codecs, y->n_rec_codecs);
	same_xcode(x, y);
	same_dtls(x, y);
	sdes_keys(x, &kx, &px);
	sdes_keys(y, &ky, &py);
	assert_int_equal(px, py);
	assert_true(sr_keys_equal(&kx, &ky));
	assert_int_equal(!x->ice, !y->ice);
	if (x->ice) {
		assert_string_equal(x->ice->ufrag, y->ice->ufrag);
		assert_string_equal(x->ice->pwd, y->ice->pwd);
		assert_string_equal(x->ice->remote_ufrag, y->ice->remote_ufrag);
	}
}

static void round_trip(void **state)
{
	(void)state;
	set_up_calls();
	const char *ids[] = { "plain", "srtp", "xcode", "dtls" };
	for (unsigned k = 0; k < 4; k++) {
		size_t len, len2;
		char *rec = snapshot(ids[k], &len);
		struct call *c = call_find(&calls, ids[k]), *r = NULL;
		struct strbuf b;

		assert_int_equal(call_snapshot_restore(&calls_b, rec, len, &socks, &r), 0);
		assert_non_null(r);
		assert_ptr_equal(call_find(&calls_b, ids[k]), r);
		strbuf_init(&b, CALL_SNAPSHOT_MAX);
		assert_int_equal(call_snapshot_write(r, &b), 0);
		char *rec2 = strbuf_take(&b, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(rec, rec2, len);
		assert_int_equal(r->n_parties, c->n_parties);
		for (unsigned pi = 0; pi < c->n_parties; pi++) {
			const struct call_party *p = c->parties[pi], *q = r->parties[pi];
			assert_string_equal(call_party_tag(p), call_party_tag(q));
			assert_int_equal(p->n_media, q->n_media);
			for (unsigned i = 0; i < p->n_media; i++)
				same_media(&p->media[i], &q->media[i]);
		}
		assert_string_equal(call_party_by_label(r, "caller") ? "y" : "n",
				    call_party_by_label(c, "caller") ? "y" : "n");
		free(rec);
		free(rec2);
	}
	/* the SRTP call really carries keys, the ICE leg credentials */
	struct call *s = call_find(&calls_b, "srtp");
	struct sr_keys k;
	bool pending;
	sdes_keys(&s->parties[0]->media[0], &k, &pending);
	assert_int_equal(k.suite, SR_AES_CM_128_HMAC_SHA1_80);
	assert_false(pending);
	assert_int_equal(pairs_used(&ifs_b), pairs_used(&ifs));
	assert_int_equal(calls_b.count, 4);
	/* the DTLS call: the party's role, fingerprint and tls-ids */
	struct dtls_media_saved dv;
	assert_true(dtls_media_save(&call_find(&calls_b, "dtls")->parties[0]->media[0], &dv));
	assert_true(dv.on && dv.role_known && dv.peer_has_fp);
	assert_false(dv.client);
	assert_int_equal(dv.peer_setup, DTLS_SETUP_ACTPASS);
	assert_string_equal(dv.peer_tls_id, "abcdefghijklmnopqrstuvwxyz");
	assert_int_equal(strlen(dv.tls_id), DTLS_MEDIA_OUR_TLS_ID);
	assert_int_equal(dv.peer_fp.len, 32);
	/* the transcoded call: PCMU from the offerer out as PCMA at the
	 * answerer's ptime, and back; telephone-event mapped both ways */
	struct call *x = call_find(&calls_b, "xcode");
	struct xcode_config xc;
	assert_non_null(x->parties[0]->media[0].xcode);
	assert_non_null(x->parties[1]->media[0].xcode);
	xcode_config_of(x->parties[0]->media[0].xcode, &xc);
	assert_string_equal(xc.in_codec->name, "PCMU");
	assert_string_equal(xc.out_codec->name, "PCMA");
	assert_int_equal(xc.out_pt, 8);
	assert_int_equal(xc.out_ptime, 30);
	assert_int_equal(xc.in_dtmf_pt, 101);
	assert_int_equal(xc.out_dtmf_pt, 101);
	/* the negotiation went along: the answer repeated to the restored call
	 * gives the offerer its own codec again and keeps transcoding */
	assert_true(codecneg_transcoding(x->parties[0]->media[0].codecs));
	ctx.calls = &calls_b;
	ctx.ifs = &ifs_b;
	const char *rep = ng("answer", "xcode", "b", sdp_pcma, NULL);
	assert_non_null(strstr(rep, "6:result2:ok"));
	assert_non_null(strstr(rep, "PCMU/8000"));
	assert_null(strstr(rep, "PCMA"));
	ctx.calls = &calls;
	ctx.ifs = &ifs;
	assert_non_null(x->parties[0]->media[0].xcode);
	assert_non_null(x->parties[1]->media[0].xcode);
}

/* The value of integer key @k ("3:key") in record @rec, -1 if absent. */
static long long rec_int(const char *rec, size_t len, const char *k)
{
	const char *at = memmem(rec, len, k, strlen(k));

	if (!at || at[strlen(k)] != 'i')
		return -1;
	return strtoll(at + strlen(k) + 1, NULL, 10);
}

/* Written with the data plane held, a transcoder's output stream is
 * recorded and the successor's transcoder continues it: the restored call
 * written again (held again, before it sent anything) names the same SSRC,
 * next sequence number and timestamp. */
static void xcode_output_continues(void **state)
{
	size_t len, len2;
	char *rec, *rec2;
	struct call *r;

	(void)state;
	call_destroy(&calls_b, call_find(&calls_b, "xcode"), 0, "test");
	assert_int_equal(dp_sync(), 0);
	/* its ports rest in quarantine: restore into a third table */
	struct ifaces ifs_c;
	struct calls calls_c;
	assert_int_equal(ifaces_init(&ifs_c, &cfg), 0);
	assert_int_equal(calls_init(&calls_c, &cfg, &ifs_c), 0);
	assert_int_equal(dp_pause(), 0);
	rec = snapshot("xcode", &len);
	dp_resume();
	assert_true(rec_int(rec, len, "8:out ssrc") > 0);
	assert_true(rec_int(rec, len, "7:out seq") >= 0);
	assert_true(rec_int(rec, len, "6:out ts") >= 0);
	assert_int_equal(call_snapshot_restore(&calls_c, rec, len, &socks, &r), 0);
	assert_int_equal(dp_sync(), 0);
	assert_int_equal(dp_pause(), 0);
	struct strbuf b;
	strbuf_init(&b, CALL_SNAPSHOT_MAX);
	assert_int_equal(call_snapshot_write(r, &b), 0);
	dp_resume();
	rec2 = strbuf_take(&b, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(rec, rec2, len);
	free(rec2);
	calls_free(&calls_c, 0);
	ifaces_free(&ifs_c);
	free(rec);
}

/* Restore @rec (len) into the new table and expect @want, with nothing left. */
static void refused(const char *rec, size_t len, int want)
{
	unsigned before = calls_b.count, ports = pairs_used(&ifs_b);

	assert_int_equal(call_snapshot_restore(&calls_b, rec, len, &socks, NULL), want);
	assert_int_equal(calls_b.count, before);
	assert_int_equal(pairs_used(&ifs_b), ports);
}

static void truncated_refused(void **state)
{
	size_t len;
	char *rec = snapshot("srtp", &len);

	(void)state;
	assert_int_equal(dp_sync(), 0);
	log_set_level(LOG_LVL_ERR); /* one warning per cut */
	sock_calls = 0;
	for (size_t cut = 0; cut < len; cut++)
		refused(rec, cut, -EINVAL);
	log_set_level(LOG_LVL_INFO);
	free(rec);
}

/* @rec with the first @from replaced by @to (a copy, same length or not). */
static char *forge(const char *rec, size_t len, const char *from, const char *to, size_t *out_len)
{
	const char *at = memmem(rec, len, from, strlen(from));
	char *f;

	assert_non_null(at);
	*out_len = len - strlen(from) + strlen(to);
	f = malloc(*out_len);
	assert_non_null(f);
	memcpy(f, rec, (size_t)(at - rec));
	memcpy(f + (at - rec), to, strlen(to));
	memcpy(f + (at - rec) + strlen(to), at + strlen(from),
	       len - (size_t)(at - rec) - strlen(from));
	return f;
}

static void forged_refused(void **state)
{
	/* the original is gone from the new table so that only the forgery
	 * can be the reason for a refusal */
	static const struct {
		const char *from, *to;
	} cases[] = {
		{ "7:versioni3e", "7:versioni4e" },	/* a newer version */
		{ "7:versioni3e", "7:versioni0e" },	/* no such version */
		{ "7:versioni3e", "7:version1:3" },	/* version of the wrong type */
		{ "4:peeri1e", "4:peeri5e" },		/* a peer that is not there */
		{ "4:peeri1e", "4:peeri0e" },		/* its own peer */
		{ "5:suitei1e", "5:suitei99e" },	/* no such SRTP suite */
		{ "9:interface7:default", "9:interface7:nothere" }, /* unknown interface */
		{ "4:bitsi", "4:bitsi9999" },		/* unknown media bits */
		{ "8:dp flagsi", "8:dp flagsi4096" },	/* a flag no command sets */
		{ "6:master30:", "6:master29:" },	/* key of the wrong length */
		{ "4:tagsl1:ae", "4:tagsle" },		/* a party without tags */
		{ "7:call-id4:srtp", "7:call-id0:" },	/* empty call-id */
		{ "5:ufrag8:", "5:ufrag7:" },		/* short ICE ufrag */
	};
	size_t len;
	char *rec = snapshot("srtp", &len);
	struct call *old = call_find(&calls_b, "srtp");

	(void)state;
	call_destroy(&calls_b, old, 0, "test");
	assert_int_equal(dp_sync(), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t fl;
		char *f = forge(rec, len, cases[i].from, cases[i].to, &fl);
		refused(f, fl, -EINVAL);
		free(f);
	}
	refused("i5e", 3, -EINVAL);	       /* not a dictionary */
	refused("d3:fooi1ee", 10, -EINVAL);    /* no version */
	refused("d7:versioni1ee", 14, -EINVAL); /* nothing else */
	refused("d7:versioni2ee", 14, -EINVAL);
	/* a call that exists here */
	size_t pl;
	char *plain = snapshot("plain", &pl);
	refused(plain, pl, -EEXIST);
	free(plain);
	/* its ports rest in quarantine here since it was deleted: refused */
	refused(rec, len, -ENOSPC);
	free(rec);
	/* the sockets cannot be had: the error, and nothing kept */
	assert_non_null(strstr(ng("offer", "third", NULL, sdp_a, NULL), "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "third", "b", sdp_b, NULL), "6:result2:ok"));
	rec = snapshot("third", &len);
	fail_after = 2;
	sock_calls = 0;
	refused(rec, len, -EMFILE);
	fail_after = 0;
	/* and the untouched record still restores */
	assert_int_equal(call_snapshot_restore(&calls_b, rec, len, &socks, NULL), 0);
	assert_non_null(call_find(&calls_b, "third"));
	free(rec);
}

/* Forged transcoder fields of the transcoded call's record are refused. */
static void xcode_forged_refused(void **state)
{
	static const struct {
		const char *from, *to;
	} cases[] = {
		{ "8:in codec4:PCMU", "8:in codec4:XXXX" },  /* a codec not here */
		{ "8:in clocki8000e", "8:in clocki8001e" },   /* PCMU at another clock */
		{ "5:in pti0e", "5:in pti128e" },	      /* payload type out of range */
		{ "10:in dtmf pti101e", "10:in dtmf pti-2e" }, /* below "none" */
		{ "8:in ptimei20e", "8:in ptimei9999e" },     /* absurd ptime */
		{ "11:in channelsi1e", "11:in channelsi9e" }, /* channels */
		{ "10:complexity", "10:complexitz" },	      /* a field missing */
		{ "4:fmtp0:", "4:fmtpi0e" },		      /* fmtp of the wrong type */
		{ "5:xcoded", "5:xcodel" },		      /* not a dictionary */
		{ "7:versioni3e", "7:versioni1e" },	      /* a transcoder in a v1 record */
		{ "3:enc4:PCMA", "3:enc0:" },		      /* negotiation: no encoding */
		{ "11:offer ptimei", "11:offer ptimei99999" }, /* negotiation: absurd ptime */
		{ "5:addedl", "5:addedi0e4:xxxxl" },	      /* negotiation: added missing */
	};
	size_t len;
	char *rec = snapshot("xcode", &len);

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t fl;
		char *f = forge(rec, len, cases[i].from, cases[i].to, &fl);
		refused(f, fl, -EINVAL);
		free(f);
	}
	free(rec);
	/* a version 1 record of a transcoded call (its marker) is refused */
	size_t l1, l2;
	char *p = snapshot("plain", &len);
	char *v1 = forge(p, len, "7:versioni3e", "7:versioni1e", &l1);
	char *v1x = forge(v1, l1, "5:indexi1e", "5:indexi1e11:transcodingi1e", &l2);
	call_destroy(&calls_b, call_find(&calls_b, "plain"), 0, "test");
	assert_int_equal(dp_sync(), 0);
	refused(v1x, l2, -EINVAL);
	free(p);
	free(v1);
	free(v1x);
}

/* Forged DTLS fields of the DTLS call's record are refused. */
static void dtls_forged_refused(void **state)
{
	static const struct {
		const char *from, *to;
	} cases[] = {
		{ "16:peer fingerprint103:sha-256 00", "16:peer fingerprint103:sha-999 00" },
		{ "16:peer fingerprint103:sha-256 00:", "16:peer fingerprint103:sha-256 00;" },
		{ "6:tls-id24:", "6:tls-id0:5:dummy24:" }, /* an empty tls-id */
		{ "5:setupi", "5:setupi9" },	    /* a=setup out of range */
		{ "4:hashi2e", "4:hashi7e" },	    /* no such hash */
		{ "6:clienti0e", "6:clienti2e" },   /* not a boolean */
		{ "4:dtlsd", "4:dtlsl" },	    /* not a dictionary */
		{ "7:versioni3e", "7:versioni1e" }, /* DTLS state in a version 1 record */
	};
	size_t len;
	char *rec = snapshot("dtls", &len);

	(void)state;
	call_destroy(&calls_b, call_find(&calls_b, "dtls"), 0, "test");
	assert_int_equal(dp_sync(), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t fl;
		char *f = forge(rec, len, cases[i].from, cases[i].to, &fl);
		refused(f, fl, -EINVAL);
		free(f);
	}
	/* version 1's marker for DTLS media it could not carry */
	size_t l1, l2;
	char *v1 = forge(rec, len, "7:versioni3e", "7:versioni1e", &l1);
	char *v1m = forge(v1, l1, "4:dtlsd", "4:dtlsi1e11:dtls-unusedd", &l2);
	refused(v1m, l2, -EINVAL);
	free(v1);
	free(v1m);
	free(rec);
}

/* DTLS keys a handshake exported restore with their profile; keys that do
 * not fit the profile, a bad tls-id or a second state are refused. */
static void dtls_keys_restore(void **state)
{
	struct call_media m, m2;
	struct dtls_media_saved sv, back;
	struct sr_keys k;
	bool pending = true;
	const char *why;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&m2, 0, sizeof(m2));
	memset(&sv, 0, sizeof(sv));
	sv.on = sv.role_known = sv.peer_has_fp = true;
	sv.ours = DTLS_SETUP_PASSIVE;
	sv.peer_setup = DTLS_SETUP_ACTPASS;
	sv.hash = DTLS_SHA256;
	sv.peer_fp.hash = DTLS_SHA256;
	sv.peer_fp.len = 32;
	memset(sv.peer_fp.md, 0xab, 32);
	memcpy(sv.tls_id, "ABCDEFGHIJKLMNOPQRSTUVWX", DTLS_MEDIA_OUR_TLS_ID + 1);
	sv.as[0].keyed = true;
	sv.as[0].profile = DTLS_AES128_CM_SHA1_80;
	sv.as[0].keys.suite = SR_AES_CM_128_HMAC_SHA1_80;
	memset(sv.as[0].keys.local.master, 1, 30);
	memset(sv.as[0].keys.remote.master, 2, 30);
	assert_int_equal(dtls_media_restore(&m, &sv, &why), 0);
	dtls_keys(&m, &k, &pending);
	assert_false(pending);
	assert_true(sr_keys_equal(&k, &sv.as[0].keys));
	assert_true(dtls_media_save(&m, &back));
	assert_memory_equal(&back, &sv, sizeof(sv));
	assert_int_equal(dtls_media_restore(&m, &sv, &why), -EINVAL); /* twice */
	dtls_media_free(&m);
	/* keys of another suite than the profile names */
	sv.as[0].profile = DTLS_AEAD_AES_128_GCM;
	assert_int_equal(dtls_media_restore(&m2, &sv, &why), -EINVAL);
	assert_string_equal(why, "keys that do not fit their SRTP profile");
	sv.as[0].profile = DTLS_AES128_CM_SHA1_80;
	sv.tls_id[3] = '!';
	assert_int_equal(dtls_media_restore(&m2, &sv, &why), -EINVAL);
	sv.tls_id[3] = 'D';
	sv.tls_id[10] = '\0';
	assert_int_equal(dtls_media_restore(&m2, &sv, &why), -EINVAL);
	assert_null(m2.dtls);
}

/* Version 1 and 2 records (what earlier releases write) restore. */
/* A bundled call restores with its bundle: which socket carries each media
 * towards the bundling party, the MID extension id and the a=ssrc values
 * the bundle socket demultiplexes by. A lead naming a media the party does
 * not have is refused. */
static void bundle_restores(void **state)
{
	(void)state;
	assert_non_null(strstr(ng("offer", "bundle", NULL, sdp_bundle,
				  "3:ICE6:remove8:rtcp-muxl5:demuxe"),
			       "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "bundle", "b", sdp_av, "3:ICE5:force"),
			       "6:result2:ok"));
	assert_non_null(strstr(reply, "a=group:BUNDLE a v"));
	size_t len;
	char *rec = snapshot("bundle", &len);
	struct call *c = call_find(&calls, "bundle"), *r = NULL;

	assert_int_equal(call_snapshot_restore(&calls_b, rec, len, &socks, &r), 0);
	const struct call_party *p = c->parties[0], *q = r->parties[0];
	assert_int_equal(p->media[0].bundle_lead, 1);
	assert_int_equal(p->media[1].bundle_lead, 1);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(q->media[i].bundle_lead, p->media[i].bundle_lead);
		assert_int_equal(q->media[i].mid_ext, 3);
		assert_int_equal(q->media[i].n_ssrcs, p->media[i].n_ssrcs);
		assert_memory_equal(q->media[i].ssrcs, p->media[i].ssrcs,
				    sizeof(q->media[i].ssrcs[0]) * q->media[i].n_ssrcs);
	}
	assert_int_equal(q->media[0].n_ssrcs, 1);
	assert_int_equal(q->media[0].ssrcs[0], 1111);
	call_destroy(&calls_b, r, 0, "test");
	assert_int_equal(dp_sync(), 0);
	size_t fl;
	char *f = forge(rec, len, "11:bundle leadi1e", "11:bundle leadi7e", &fl);
	refused(f, fl, -EINVAL);
	free(f);
	f = forge(rec, len, "5:ssrcsli1111ee", "5:ssrcsli-1ee", &fl);
	refused(f, fl, -EINVAL);
	free(f);
	free(rec);
}

/* The bundling party's answer to a phone's audio+video offer (mids 0 1). */
static const char *sdp_bundle_ans =
	"v=0\r\no=- 10 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
	"m=audio 7200 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:HmAd\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=sendrecv\r\n"
	"m=video 7200 RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\na=mid:1\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:HmAd\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=rtpmap:96 VP8/90000\r\na=sendrecv\r\n";

/* A phone's audio+video offered with bundle=require to a bundling party:
 * that party's media restore with bundle_only set (a re-offer to it still
 * writes a=bundle-only); a value other than 0 or 1 is refused. */
static void bundle_only_restores(void **state)
{
	(void)state;
	assert_non_null(strstr(ng("offer", "bonly", NULL, sdp_av, "3:ICE5:force6:bundlel7:requiree8:rtcp-muxl5:offere"),
			       "6:result2:ok"));
	assert_non_null(strstr(reply, "a=bundle-only"));
	assert_non_null(strstr(ng("answer", "bonly", "b", sdp_bundle_ans, NULL), "6:result2:ok"));
	size_t len, fl;
	char *rec = snapshot("bonly", &len);
	struct call *c = call_find(&calls, "bonly"), *r = NULL;
	const struct call_party *p = c->parties[1];

	assert_true(p->media[1].bundle_only);
	assert_non_null(memmem(rec, len, "11:bundle onlyi1e", 17));
	assert_int_equal(call_snapshot_restore(&calls_b, rec, len, &socks, &r), 0);
	const struct call_party *q = r->parties[1];
	for (unsigned pi = 0; pi < 2; pi++)
		for (unsigned i = 0; i < 2; i++)
			assert_int_equal(r->parties[pi]->media[i].bundle_only,
					 c->parties[pi]->media[i].bundle_only);
	assert_true(q->media[1].bundle_only);
	assert_false(r->parties[0]->media[1].bundle_only);
	call_destroy(&calls_b, r, 0, "test");
	assert_int_equal(dp_sync(), 0);
	static const char *bad[] = { "11:bundle onlyi2e", "11:bundle onlyi-1e",
				     "11:bundle only1:1" };
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char *f = forge(rec, len, "11:bundle onlyi1e", bad[k], &fl);
		refused(f, fl, -EINVAL);
		free(f);
	}
	free(rec);
}

/* The same party answering without BUNDLE, each section at a port of its
 * own (RFC 9143 7.3.3): its video restores as answered outside the bundle
 * (still on the bundle's port, sent to its own address); a value other than
 * 0 or 1 is refused. */
static const char *sdp_split_ans =
	"v=0\r\no=- 10 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"m=audio 7200 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\na=rtcp-mux\r\na=sendrecv\r\n"
	"m=video 7202 RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\na=mid:1\r\na=rtcp-mux\r\n"
	"a=rtpmap:96 VP8/90000\r\na=sendrecv\r\n";

static void bundle_split_restores(void **state)
{
	(void)state;
	assert_non_null(strstr(ng("offer", "bsplit", NULL, sdp_av, "3:ICE5:force6:bundlel7:requiree8:rtcp-muxl5:offere"),
			       "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "bsplit", "b", sdp_split_ans, NULL), "6:result2:ok"));
	size_t len, fl;
	char *rec = snapshot("bsplit", &len);
	struct call *c = call_find(&calls, "bsplit"), *r = NULL;
	const struct call_party *p = c->parties[1];

	assert_false(p->media[0].bundle_split);
	assert_true(p->media[1].bundle_split);
	assert_int_equal(p->media[1].bundle_lead, 1);
	assert_non_null(memmem(rec, len, "12:bundle spliti1e", 18));
	assert_int_equal(call_snapshot_restore(&calls_b, rec, len, &socks, &r), 0);
	for (unsigned pi = 0; pi < 2; pi++)
		for (unsigned i = 0; i < 2; i++)
			assert_int_equal(r->parties[pi]->media[i].bundle_split,
					 c->parties[pi]->media[i].bundle_split);
	assert_true(r->parties[1]->media[1].bundle_split);
	call_destroy(&calls_b, r, 0, "test");
	assert_int_equal(dp_sync(), 0);
	static const char *bad[] = { "12:bundle spliti2e", "12:bundle split1:1" };
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char *f = forge(rec, len, "12:bundle spliti1e", bad[k], &fl);
		refused(f, fl, -EINVAL);
		free(f);
	}
	free(rec);
}

static void version1_restores(void **state)
{
	static const char *older[] = { "7:versioni1e", "7:versioni2e" };

	(void)state;
	for (unsigned v = 0; v < 2; v++) {
		size_t len, fl;
		char *rec, *f;
		struct ifaces ifs_c;
		struct calls calls_c;
		struct call *r;

		assert_int_equal(ifaces_init(&ifs_c, &cfg), 0);
		assert_int_equal(calls_init(&calls_c, &cfg, &ifs_c), 0);
		rec = snapshot("plain", &len);
		f = forge(rec, len, "7:versioni3e", older[v], &fl);
		assert_int_equal(call_snapshot_restore(&calls_c, f, fl, &socks, &r), 0);
		assert_non_null(call_find(&calls_c, "plain"));
		assert_int_equal(r->n_parties, 2);
		calls_free(&calls_c, 0);
		ifaces_free(&ifs_c);
		free(f);
		free(rec);
	}
}

/* The media of @c whose RTP goes through a transcoder. */
static struct call_media *xcode_media(struct call *c)
{
	for (unsigned pi = 0; pi < c->n_parties; pi++)
		for (unsigned i = 0; i < c->parties[pi]->n_media; i++)
			if (c->parties[pi]->media[i].xcode)
				return &c->parties[pi]->media[i];
	fail_msg("no transcoded media");
	return NULL;
}

/* A Redis active writes records without holding the workers: the worker's
 * sample of the transcoder's output (dp_endpoint_sample_*) becomes the
 * record's reference point; the restored transcoder has the same SSRC and
 * holds its output until the takeover continues it (dp_endpoint_xcode_seek)
 * at the sequence number and timestamp it is given. A version 2 record
 * still restores; an out ref in one, or out of bounds, is refused. */
static void xcode_out_ref_restores(void **state)
{
	struct call *c = call_find(&calls, "xcode"), *r;
	struct call_media *m, *rm;
	struct dp_stream_sample smp;
	uint32_t ssrc, ts;
	uint16_t seq;
	size_t len, fl;
	char *rec, *f, from[64], to[64];
	struct ifaces ifs_c;
	struct calls calls_c;

	(void)state;
	assert_non_null(c);
	m = xcode_media(c);
	assert_int_equal(dp_endpoint_sample_request(m->rtp.ep), 0);
	assert_int_equal(dp_sync(), 0);
	assert_true(dp_endpoint_sample_read(m->rtp.ep, &smp));
	assert_true(smp.xcode);
	assert_true(smp.wall_ms > 0);
	assert_int_equal(dp_pause(), 0);
	assert_true(dp_endpoint_xcode_out(m->rtp.ep, &ssrc, &seq, &ts));
	dp_resume();
	/* nothing was sent: the sample is where the stream is */
	assert_int_equal(smp.ssrc, ssrc);
	assert_int_equal(smp.seq, seq);
	assert_int_equal(smp.ts, ts);
	assert_false(smp.have_roc); /* plain RTP out */
	stream_ref_from_sample(&m->out_ref, smp.ssrc, smp.seq, smp.ts, false, 0, smp.wall_ms);
	rec = snapshot("xcode", &len); /* workers running: no exact place */
	assert_int_equal(rec_int(rec, len, "8:out ssrc"), -1);
	assert_non_null(memmem(rec, len, "7:out refd", 10));
	assert_int_equal(rec_int(rec, len, "11:ref ext seq"), smp.seq);

	assert_int_equal(ifaces_init(&ifs_c, &cfg), 0);
	assert_int_equal(calls_init(&calls_c, &cfg, &ifs_c), 0);
	assert_int_equal(call_snapshot_restore(&calls_c, rec, len, &socks, &r), 0);
	rm = xcode_media(r);
	assert_true(rm->out_pending);
	assert_true(rm->out_ref.set);
	assert_int_equal(rm->out_ref.ssrc, smp.ssrc);
	assert_int_equal(rm->out_ref.index, smp.seq);
	assert_int_equal(rm->out_ref.ts, smp.ts);
	assert_int_equal(rm->out_ref.wall_ms, smp.wall_ms);
	assert_int_equal(dp_sync(), 0);
	assert_int_equal(dp_pause(), 0);
	assert_true(dp_endpoint_xcode_out(rm->rtp.ep, &ssrc, &seq, &ts));
	dp_resume();
	assert_int_equal(ssrc, smp.ssrc); /* the same SSRC */
	assert_int_equal(dp_endpoint_xcode_seek(rm->rtp.ep, 4321, 987654, true, 3), 0);
	assert_int_equal(dp_sync(), 0);
	assert_int_equal(dp_pause(), 0);
	assert_true(dp_endpoint_xcode_out(rm->rtp.ep, &ssrc, &seq, &ts));
	dp_resume();
	assert_int_equal(ssrc, smp.ssrc);
	assert_int_equal(seq, 4321);
	assert_int_equal(ts, 987654);
	calls_free(&calls_c, 0);
	ifaces_free(&ifs_c);

	/* the reference in a version 2 record, or out of bounds: refused */
	f = forge(rec, len, "7:versioni3e", "7:versioni2e", &fl);
	refused(f, fl, -EINVAL);
	free(f);
	snprintf(from, sizeof(from), "11:ref ext seqi%ue", (unsigned)smp.seq);
	snprintf(to, sizeof(to), "11:ref ext seqi%llue", 1ULL << 48);
	f = forge(rec, len, from, to, &fl);
	refused(f, fl, -EINVAL);
	free(f);
	snprintf(from, sizeof(from), "8:ref ssrci%ue", (unsigned)smp.ssrc);
	f = forge(rec, len, from, "8:ref ssrci0e", &fl);
	refused(f, fl, -EINVAL);
	free(f);
	f = forge(rec, len, "11:ref wall ms", "11:ref wall mz", &fl);
	refused(f, fl, -EINVAL);
	free(f);
	free(rec);
	m->out_ref.set = false;
}

/* A version 2 record (what the previous release writes) restores. */
static void version2_restores(void **state)
{
	size_t len, fl;
	char *rec, *f;
	struct ifaces ifs_c;
	struct calls calls_c;
	struct call *r;

	(void)state;
	assert_int_equal(ifaces_init(&ifs_c, &cfg), 0);
	assert_int_equal(calls_init(&calls_c, &cfg, &ifs_c), 0);
	rec = snapshot("xcode", &len);
	f = forge(rec, len, "7:versioni3e", "7:versioni2e", &fl);
	assert_int_equal(call_snapshot_restore(&calls_c, f, fl, &socks, &r), 0);
	assert_false(xcode_media(r)->out_pending);
	calls_free(&calls_c, 0);
	ifaces_free(&ifs_c);
	free(f);
	free(rec);
}


/* The last SRTCP index of an SSRC (version 3) restores with its counter;
 * one without a counter, twice, out of range, of a bad direction, of the
 * wrong length or type, or in a version 2 record is refused. The SRTP
 * call's record gets the entries forged in before its first media's
 * "bits" (no packet went through it here). */
struct entry {
	uint8_t dir;
	uint32_t ssrc, v;
};

static size_t put_entries(char *o, const char *key, const struct entry *e, unsigned n)
{
	size_t k = (size_t)sprintf(o, "%zu:%s%u:", strlen(key), key, 9 * n);

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)o + k + 9 * i;
		p[0] = e[i].dir;
		for (int j = 0; j < 4; j++) {
			p[1 + j] = (uint8_t)(e[i].ssrc >> (24 - 8 * j));
			p[5 + j] = (uint8_t)(e[i].v >> (24 - 8 * j));
		}
	}
	return k + 9 * n;
}

/* Restore @rec with @ins (n bytes) before the first "4:bitsi", as @version;
 * the result, and the restored call deleted again. */
static int restore_with(const char *rec, size_t len, const char *ins, size_t n, char version)
{
	const char *at = memmem(rec, len, "4:bitsi", 7);
	char *f = malloc(len + n);
	struct ifaces ifs_c;
	struct calls calls_c;
	int rc;

	assert_non_null(at);
	assert_non_null(f);
	memcpy(f, rec, (size_t)(at - rec));
	memcpy(f + (at - rec), ins, n);
	memcpy(f + (at - rec) + n, at, len - (size_t)(at - rec));
	char *v = memmem(f, len + n, "7:versioni3e", 12);
	assert_non_null(v);
	v[10] = version;
	assert_int_equal(ifaces_init(&ifs_c, &cfg), 0);
	assert_int_equal(calls_init(&calls_c, &cfg, &ifs_c), 0);
	rc = call_snapshot_restore(&calls_c, f, len + n, &socks, NULL);
	assert_int_equal(calls_c.count, rc == 0 ? 1 : 0);
	assert_int_equal(dp_sync(), 0);
	calls_free(&calls_c, 0);
	ifaces_free(&ifs_c);
	free(f);
	return rc;
}

static void srtcp_index_fields(void **state)
{
	static const struct entry roc[1] = { { 1, 0x01020304, 0 } };
	static const struct {
		struct entry e[2];
		unsigned n;
	} bad[] = {
		{ { { 1, 0x01020305, 300 } }, 1 },		      /* no counter for it */
		{ { { 1, 0x01020304, 300 }, { 1, 0x01020304, 301 } }, 2 }, /* twice */
		{ { { 0, 0x01020304, 300 } }, 1 },		      /* other direction */
		{ { { 1, 0x01020304, 0 } }, 1 },		      /* index 0 */
		{ { { 1, 0x01020304, 0x7fffffff } }, 1 },	      /* beyond 2^31 - 128 */
		{ { { 2, 0x01020304, 300 } }, 1 },		      /* no such direction */
	};
	static const struct entry good[1] = { { 1, 0x01020304, 300 } };
	char ins[256];
	size_t len, n;
	char *rec;

	(void)state;
	rec = snapshot("srtp", &len);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = put_entries(ins, "rtp srtp rocs", roc, 1);
		n += put_entries(ins + n, "rtp srtcp index", bad[i].e, bad[i].n);
		assert_int_equal(restore_with(rec, len, ins, n, '3'), -EINVAL);
	}
	n = put_entries(ins, "rtp srtp rocs", roc, 1);
	n += put_entries(ins + n, "rtp srtcp index", good, 1);
	assert_int_equal(restore_with(rec, len, ins, n - 1, '3'), -EINVAL); /* cut short */
	assert_int_equal(restore_with(rec, len, ins, n, '2'), -EINVAL); /* not in version 2 */
	assert_int_equal(restore_with(rec, len, ins, n, '3'), 0);
	n = put_entries(ins, "rtp srtp rocs", roc, 1);
	n += (size_t)sprintf(ins + n, "15:rtp srtcp indexi300e");
	assert_int_equal(restore_with(rec, len, ins, n, '3'), -EINVAL); /* not a string */
	free(rec);
}

static int setup(void **state)
{
	char err[512];
	char *argv[] = { "rtprelayd", "--interface=127.0.0.1", "--port-min=46000",
			 "--port-max=46999", "--num-threads=1" };

	(void)state;
	if (config_load(&cfg, 5, argv, err, sizeof(err))) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	lp = loop_new();
	if (!lp || dp_start(1) || dtls_media_init(lp, false, 0) || ifaces_init(&ifs, &cfg) || calls_init(&calls, &cfg, &ifs) ||
	    ifaces_init(&ifs_b, &cfg) || calls_init(&calls_b, &cfg, &ifs_b))
		return -1;
	ctx = (struct daemon_ctx){ .calls = &calls, .ifs = &ifs, .cfg = &cfg };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	calls_free(&calls, 0);
	calls_free(&calls_b, 0);
	ifaces_free(&ifs);
	ifaces_free(&ifs_b);
	dtls_media_fini();
	dp_stop();
	loop_free(lp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(truncated_refused),
		cmocka_unit_test(forged_refused),
		cmocka_unit_test(xcode_output_continues),
		cmocka_unit_test(xcode_forged_refused),
		cmocka_unit_test(version1_restores),
		cmocka_unit_test(xcode_out_ref_restores),
		cmocka_unit_test(version2_restores),
		cmocka_unit_test(srtcp_index_fields),
		cmocka_unit_test(dtls_forged_refused),
		cmocka_unit_test(dtls_keys_restore),
		cmocka_unit_test(bundle_restores),
		cmocka_unit_test(bundle_only_restores),
		cmocka_unit_test(bundle_split_restores),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
