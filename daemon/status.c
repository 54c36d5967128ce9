/*
 * status.c: see status.h.
 */
#include "daemon/status.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/call.h"
#include "daemon/commands.h"
#include "daemon/dtls_media.h"
#include "daemon/interfaces.h"
#include "daemon/operate.h"
#include "daemon/quality.h"
#include "daemon/sdes.h"
#include "dataplane/dataplane.h"

/* "ADDR:PORT" ("[V6]:PORT"), "" for no address. */
static void addr_text(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "";

	out[0] = '\0';
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(s->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(s->sin6_port));
	}
}

static void kv_str(struct strbuf *b, const char *k, const char *v, bool comma)
{
	strbuf_printf(b, "%s\"%s\":", comma ? "," : "", k);
	strbuf_json_str(b, v);
}

static void media_json(struct strbuf *b, const struct call_media *m, const struct call_media *peer)
{
	struct dp_stats ds;
	char local[64] = "", remote[64] = "", sdp[64] = "";
	const char *path = "none";
	int mos10 = -1;
	/* the party's own suite, else its peer's: either way this leg's RTP is
	 * decrypted or encrypted in user space (kernel-offload/README.md) */
	const char *suite = sdes_suite_name(m);
	const char *peer_suite = peer ? sdes_suite_name(peer) : NULL;

	if (!suite)
		suite = dtls_suite_name(m);
	if (peer && !peer_suite)
		peer_suite = dtls_suite_name(peer);
	memset(&ds, 0, sizeof(ds));
	if (m->pair && m->rtp.ep) {
		bool srtp = suite || peer_suite;

		dp_endpoint_stats(m->rtp.ep, &ds);
		path = m->xcode				  ? (srtp ? "transcode+SRTP" : "transcode")
		       : dp_endpoint_in_kernel(m->rtp.ep) ? "kernel"
		       : srtp				  ? "userspace+SRTP"
							  : "userspace";
		mos10 = quality_mos10(m, peer, &ds);
	}
	if (m->ifc && m->pair)
		snprintf(local, sizeof(local), strchr(m->ifc->cfg->addr, ':') ? "[%s]:%u" : "%s:%u",
			 m->ifc->cfg->addr, m->pair);
	addr_text(ds.remote.ss_family ? &ds.remote : &m->rtp.remote, remote, sizeof(remote));
	addr_text(&m->rtp.remote, sdp, sizeof(sdp));
	strbuf_printf(b, "{\"index\":%u", m->index);
	kv_str(b, "type", m->type, true);
	kv_str(b, "protocol", m->proto, true);
	kv_str(b, "codecs", m->codec_names, true);
	kv_str(b, "path", path, true);
	kv_str(b, "crypto", suite ? suite : "", true);
	kv_str(b, "local", local, true);
	kv_str(b, "remote", remote, true);
	kv_str(b, "sdp_remote", sdp, true);
	strbuf_printf(b,
		      ",\"latched\":%s,\"packets\":%llu,\"bytes\":%llu,\"errors\":%llu,"
		      "\"forwarded\":%llu,\"expected\":%llu,\"lost\":%llu,\"loss_pct\":%.2f,"
		      "\"jitter_ms\":%.2f,\"ssrc\":%u,",
		      ds.latched ? "true" : "false", (unsigned long long)ds.packets,
		      (unsigned long long)ds.bytes, (unsigned long long)ds.errors,
		      (unsigned long long)ds.forwarded, (unsigned long long)ds.expected,
		      (unsigned long long)ds.lost, quality_loss_pct(&ds), ds.jitter_ms, ds.ssrc);
	if (mos10 >= 0)
		strbuf_printf(b, "\"mos\":%.1f}", mos10 / 10.0);
	else
		strbuf_puts(b, "\"mos\":null}");
}

static void party_json(struct strbuf *b, const struct call_party *p)
{
	bool first = true;

	strbuf_puts(b, "{");
	kv_str(b, "tag", call_party_tag(p), false);
	kv_str(b, "label", p->label ? p->label : "", true);
	kv_str(b, "peer", p->peer ? call_party_tag(p->peer) : "", true);
	strbuf_puts(b, ",\"media\":[");
	for (unsigned i = 0; i < p->n_media; i++) {
		const struct call_media *m = &p->media[i];
		const struct call_media *peer = p->peer && i < p->peer->n_media &&
								p->peer->media[i].used
							? &p->peer->media[i]
							: NULL;

		if (!m->used)
			continue;
		if (!first)
			strbuf_puts(b, ",");
		first = false;
		media_json(b, m, peer);
	}
	strbuf_puts(b, "]}");
}

void status_render(struct strbuf *b, const struct daemon_ctx *d, const struct operate *op,
		   uint64_t now_ms)
{
	const struct calls *cs = d->calls;
	unsigned n = 0;

	strbuf_printf(b,
		      "{\"generated\":%lld,\"uptime_s\":%llu,\"calls_count\":%u,"
		      "\"calls_shown\":%u,\"draining\":%s,\"calls\":[",
		      (long long)time(NULL), (unsigned long long)((now_ms - d->started_ms) / 1000),
		      cs->count, cs->count < STATUS_MAX_CALLS ? cs->count : STATUS_MAX_CALLS,
		      op && operate_draining(op) ? "true" : "false");
	for (const struct call *c = cs->head; c && n < STATUS_MAX_CALLS; c = c->next, n++) {
		if (n)
			strbuf_puts(b, ",");
		strbuf_puts(b, "{");
		kv_str(b, "call_id", c->call_id, false);
		kv_str(b, "state",
		       c->delete_at_ms ? "deleting"
		       : c->answered   ? "answered"
				       : "offered",
		       true);
		strbuf_printf(b, ",\"created\":%lld,\"age_s\":%llu,\"parties\":[",
			      (long long)c->created,
			      (unsigned long long)((now_ms - c->created_ms) / 1000));
		for (unsigned i = 0; i < c->n_parties; i++) {
			if (i)
				strbuf_puts(b, ",");
			party_json(b, c->parties[i]);
		}
		strbuf_puts(b, "]}");
	}
	strbuf_puts(b, "]}\n");
}
