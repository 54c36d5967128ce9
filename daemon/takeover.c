/*
 * takeover.c: hand-over of sockets and calls between two rtprelayd
 * processes (takeover.h; the protocol is described in docs/architecture.md,
 * Takeover). The old side runs the whole hand-over inside the control
 * loop's callback for the connection, blocking with timeouts: ng commands
 * and media wait in the kernel meanwhile, which is the point.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/bencode.h"
#include "control/ngdict.h"
#include "control/server.h"
#include "daemon/call.h"
#include "daemon/call_snapshot.h"
#include "daemon/ice_family.h"
#include "daemon/callrec.h"
#include "daemon/dtls_media.h"
#include "daemon/takeover.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_offload.h"
#include "http/httpd.h"
#include "kernel-offload/offload_adopt.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/sockaddr.h"
#include "lib/strbuf.h"

#define MAGIC "RTPRTKO" /* 8 bytes with its NUL */

enum tko_type {
	T_HELLO = 1,	 /* new -> old: take over, please */
	T_LISTENERS = 2, /* old -> new: listening sockets, payload: kinds */
	T_CALL = 3,	 /* old -> new: one call's record, fds: its media sockets */
	T_CACHE = 4,	 /* old -> new: one cached ng reply */
	T_END = 5,	 /* old -> new: counts of what was sent */
	T_ACK = 6,	 /* new -> old: taken over, counts */
	T_OFFLOAD = 7,	 /* old -> new, first, only if HELLO asked for it: the
			  * kernel maps (fds: relay_streams, relay_stats), layout */
	T_CERT = 8,	 /* old -> new: the DTLS certificate and key (PEM), before the calls */
	T_CONN = 9,	 /* old -> new, only if HELLO asked for them: one open ng stream
			  * connection (fd) with its unread request and unwritten reply */
};

/* Listener kinds in T_LISTENERS (NG_LISTEN_* and the HTTP listener). */
#define K_HTTP 4

struct tko_hdr {
	char magic[8];
	uint32_t proto;
	uint32_t type;
	uint32_t len;	/* payload bytes after the header */
	uint32_t n_fds; /* SCM_RIGHTS descriptors with this message */
};

struct takeover {
	struct loop_watch w;
	struct takeover_env env;
	bool handed_over;
	/* a successor that waits for DTLS handshakes in flight to finish */
	struct loop_watch wait; /* timerfd, -1 = none */
	int wait_s;		/* its connection, -1 = none */
	pid_t wait_pid;
	bool wait_offload, wait_conns;
	uint64_t wait_until;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static uint64_t now_ms(void)
{
	return loop_now_ms();
}

static void close_all(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int send_msg(int s, enum tko_type type, const void *payload, size_t len, const int *fds,
		    unsigned n_fds)
{
	struct tko_hdr h = {
		.proto = TAKEOVER_PROTO, .type = type, .len = (uint32_t)len, .n_fds = n_fds
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	union {
		char buf[CMSG_SPACE(TAKEOVER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (n_fds > TAKEOVER_MAX_FDS || len > TAKEOVER_MAX_MSG - sizeof(h))
		return -E2BIG;
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	if (n_fds) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	if (sendmsg(s, &m, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* One message into buf (cap bytes): its header in *h, payload at buf,
 * descriptors into fds (*n_fds). Any fault closes what came with it and is
 * named in *why. */
static int recv_msg(int s, int timeout_ms, struct tko_hdr *h, uint8_t *buf, size_t cap, int *fds,
		    unsigned *n_fds, const char **why)
{
	union {
		char buf[CMSG_SPACE(TAKEOVER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = { { h, sizeof(*h) }, { buf, cap } };
	struct msghdr m = { .msg_iov = iov,
			    .msg_iovlen = 2,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t n;
	int rc;

	*n_fds = 0;
	rc = poll(&p, 1, timeout_ms);
	if (rc == 0) {
		*why = "timed out";
		return -ETIMEDOUT;
	}
	if (rc < 0) {
		*why = "poll failed";
		return -errno;
	}
	n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
	if (n < 0) {
		*why = "receive failed";
		return -errno;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (*n_fds + k > TAKEOVER_MAX_FDS) {
			int tmp[TAKEOVER_MAX_FDS];
			memcpy(tmp, CMSG_DATA(c),
			       k * sizeof(int) > sizeof(tmp) ? sizeof(tmp) : k * sizeof(int));
			close_all(tmp, k < TAKEOVER_MAX_FDS ? k : TAKEOVER_MAX_FDS);
			continue;
		}
		memcpy(fds + *n_fds, CMSG_DATA(c), k * sizeof(int));
		*n_fds += k;
	}
	*why = NULL;
	if (n == 0)
		*why = "the other side closed the connection";
	else if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		*why = "message or descriptors truncated";
	else if ((size_t)n < sizeof(*h))
		*why = "shorter than a header";
	else if (memcmp(h->magic, MAGIC, sizeof(h->magic)))
		*why = "not a takeover message (bad magic)";
	else if (h->proto != TAKEOVER_PROTO)
		*why = "another protocol version";
	else if (h->len != (size_t)n - sizeof(*h))
		*why = "payload length does not match";
	else if (h->n_fds != *n_fds)
		*why = "descriptor count does not match";
	if (*why) {
		close_all(fds, *n_fds);
		*n_fds = 0;
		return -EPROTO;
	}
	return 0;
}

/* Decode a bencode dictionary payload into @a. */
static const struct ng_node *payload_dict(struct arena *a, const uint8_t *buf, size_t len,
					  const char **why)
{
	struct ng_node *n = NULL;

	if (bencode_decode(a, buf, len, &n, why) || n->type != NG_DICT) {
		if (!*why)
			*why = "payload is not a dictionary";
		return NULL;
	}
	return n;
}

static int encode(struct arena *a, const struct ng_node *d, struct strbuf *out)
{
	char *buf = arena_alloc(a, TAKEOVER_MAX_MSG);
	long n;

	if (!buf)
		return -ENOMEM;
	n = bencode_encode(d, buf, TAKEOVER_MAX_MSG - sizeof(struct tko_hdr));
	if (n < 0)
		return (int)n;
	strbuf_add(out, buf, (size_t)n);
	return strbuf_ok(out) ? 0 : -ENOMEM;
}

/* ---- old side ---- */

struct cache_send {
	int s;
	unsigned n;
	int rc;
};

static void send_cached(void *ctx, const char *cookie, size_t cookie_len,
			const struct sockaddr_storage *from, const char *reply, size_t len)
{
	struct cache_send *cs = ctx;
	size_t flen = from->ss_family == AF_INET    ? sizeof(struct sockaddr_in)
		      : from->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_un);
	struct arena *a;
	struct ng_node *d;
	struct strbuf b;

	if (cs->rc)
		return;
	a = arena_new(len + cookie_len + 1024);
	d = a ? ng_new_dict(a) : NULL;
	strbuf_init(&b, TAKEOVER_MAX_MSG);
	if (!d || !ng_dict_add_strn(a, d, "cookie", cookie, cookie_len) ||
	    !ng_dict_add_strn(a, d, "from", (const char *)from, flen) ||
	    !ng_dict_add_strn(a, d, "reply", reply, len) || encode(a, d, &b))
		log_warn("takeover: a cached reply of %zu bytes is not handed over", len);
	else if ((cs->rc = send_msg(cs->s, T_CACHE, b.s, b.len, NULL, 0)) == 0)
		cs->n++;
	strbuf_free(&b);
	arena_free(a);
}

struct conn_send {
	int s;
	unsigned n;
	int rc;
};

/* One open ng TCP/unix connection, so the proxy's persistent connection
 * goes on in the successor. One that does not fit a message (a reply of
 * megabytes not yet written) closes with this process, as before. */
static void send_conn(void *ctx, int fd, enum ng_listen_kind kind, const uint8_t *in, size_t in_len,
		      const char *out, size_t out_len)
{
	struct conn_send *cs = ctx;
	struct arena *a;
	struct ng_node *d;
	struct strbuf b;

	if (cs->rc)
		return;
	if (in_len + out_len + 1024 > TAKEOVER_MAX_MSG) {
		log_warn("takeover: an ng connection with %zu bytes to write is not handed over",
			 out_len);
		return;
	}
	a = arena_new(in_len + out_len + 1024);
	d = a ? ng_new_dict(a) : NULL;
	strbuf_init(&b, TAKEOVER_MAX_MSG);
	if (!d || !ng_dict_add_int(a, d, "kind", kind) ||
	    !ng_dict_add_strn(a, d, "in", (const char *)in, in_len) ||
	    !ng_dict_add_strn(a, d, "out", out ? out : "", out_len) || encode(a, d, &b))
		log_warn("takeover: an ng connection is not handed over (no memory)");
	else if ((cs->rc = send_msg(cs->s, T_CONN, b.s, b.len, &fd, 1)) == 0)
		cs->n++;
	strbuf_free(&b);
	arena_free(a);
}

static int send_listeners(struct takeover *t, int s)
{
	int fds[TAKEOVER_MAX_FDS], kinds[TAKEOVER_MAX_FDS];
	uint8_t kb[TAKEOVER_MAX_FDS];
	unsigned n = ng_server_listen_fds(t->env.srv, fds, kinds, TAKEOVER_MAX_FDS - 1);
	struct arena *a = arena_new(4096);
	struct ng_node *d = a ? ng_new_dict(a) : NULL;
	struct strbuf b;
	int rc = -ENOMEM;

	if (t->env.http && httpd_listen_fd(t->env.http) >= 0) {
		fds[n] = httpd_listen_fd(t->env.http);
		kinds[n++] = K_HTTP;
	}
	for (unsigned i = 0; i < n; i++)
		kb[i] = (uint8_t)kinds[i];
	strbuf_init(&b, TAKEOVER_MAX_MSG);
	if (d && ng_dict_add_strn(a, d, "kinds", (const char *)kb, n) &&
	    ng_dict_add_str(a, d, "unix path", ng_server_unix_path(t->env.srv)) &&
	    !encode(a, d, &b))
		rc = send_msg(s, T_LISTENERS, b.s, b.len, fds, n);
	strbuf_free(&b);
	arena_free(a);
	return rc;
}

/* The media sockets of @c, in the order of its streams. */
static unsigned call_fds(const struct call *c, int *fds, unsigned max)
{
	unsigned n = 0;

	for (unsigned pi = 0; pi < c->n_parties; pi++) {
		const struct call_party *p = c->parties[pi];
		for (unsigned i = 0; i < p->n_media; i++) {
			const struct call_media *m = &p->media[i];
			if (!m->pair || !m->rtp.ep || !m->rtcp.ep)
				continue;
			if (n + 2 > max)
				return max + 1;
			fds[n++] = dp_endpoint_fd(m->rtp.ep);
			fds[n++] = dp_endpoint_fd(m->rtcp.ep);
			/* the second pair of the other family (daemon/ice_family.h) */
			const struct ice_family *f = ice_family_of(m);
			if (f && f->rtp.ep && f->rtcp.ep) {
				if (n + 2 > max)
					return max + 1;
				fds[n++] = dp_endpoint_fd(f->rtp.ep);
				fds[n++] = dp_endpoint_fd(f->rtcp.ep);
			}
		}
	}
	return n;
}

/* The kernel maps, for a successor that adopts them (HELLO's "offload"):
 * its program runs on them, so no offloaded stream leaves the kernel. */
static int send_offload(int s)
{
	int fds[OFFLOAD_ADOPT_NFDS];
	uint32_t layout;
	char p[48];
	int pl;

	if (offload_export(fds, &layout))
		return 0; /* nothing offloaded here: the successor starts afresh */
	pl = snprintf(p, sizeof(p), "d6:layouti%uee", (unsigned)layout);
	return send_msg(s, T_OFFLOAD, p, (size_t)pl, fds, OFFLOAD_ADOPT_NFDS);
}

/* Everything after HELLO; the workers and listeners are held. @offload:
 * the successor adopts the kernel maps. */
static int hand_over(struct takeover *t, int s, bool offload, bool conns, unsigned *n_calls,
		     const char **why)
{
	static uint8_t buf[4096];
	struct cache_send cs = { .s = s };
	struct conn_send ks = { .s = s };
	struct tko_hdr h;
	int fds[TAKEOVER_MAX_FDS];
	unsigned nf, skipped = 0;
	int rc;

	*n_calls = 0;
	rc = offload ? send_offload(s) : 0;
	if (rc) {
		*why = "cannot send the kernel maps";
		return rc;
	}
	rc = send_listeners(t, s);
	if (rc) {
		*why = "cannot send the listeners";
		return rc;
	}
	/* the successor answers with the same a=fingerprint, and a DTLS
	 * restart of a carried-over call finds the certificate the peer knows */
	char *pem = NULL;
	size_t pem_len = 0;
	if (!dtls_media_cert_pem(&pem, &pem_len)) {
		rc = send_msg(s, T_CERT, pem, pem_len, NULL, 0);
		explicit_bzero(pem, pem_len);
		free(pem);
		if (rc) {
			*why = "cannot send the DTLS certificate";
			return rc;
		}
	}
	for (struct call *c = t->env.calls->head; c; c = c->next) {
		struct strbuf b;
		strbuf_init(&b, CALL_SNAPSHOT_MAX);
		nf = call_fds(c, fds, TAKEOVER_MAX_FDS);
		rc = nf > TAKEOVER_MAX_FDS ? -E2BIG : call_snapshot_write(c, &b);
		if (rc) {
			log_warn("takeover: call-id=%s cannot be handed over: %s", c->call_id,
				 strerror(-rc));
			skipped++;
		} else {
			rc = send_msg(s, T_CALL, b.s, b.len, fds, nf);
			if (rc) {
				strbuf_free(&b);
				*why = "cannot send a call";
				return rc;
			}
			(*n_calls)++;
		}
		strbuf_free(&b);
	}
	ng_server_cache_each(t->env.srv, now_ms(), send_cached, &cs);
	if (cs.rc) {
		*why = "cannot send the reply cache";
		return cs.rc;
	}
	if (conns)
		ng_server_conn_each(t->env.srv, send_conn, &ks);
	if (ks.rc) {
		*why = "cannot send an ng connection";
		return ks.rc;
	}
	char end[128];
	int el = conns ? snprintf(end, sizeof(end),
				  "d5:cachei%ue5:callsi%ue5:connsi%ue7:skippedi%uee", cs.n,
				  *n_calls, ks.n, skipped)
		       : snprintf(end, sizeof(end), "d5:cachei%ue5:callsi%ue7:skippedi%uee", cs.n,
				  *n_calls, skipped);
	rc = send_msg(s, T_END, end, (size_t)el, NULL, 0);
	if (rc) {
		*why = "cannot send END";
		return rc;
	}
	rc = recv_msg(s, TAKEOVER_ACK_MS, &h, buf, sizeof(buf), fds, &nf, why);
	if (rc)
		return rc;
	if (h.type != T_ACK || nf) {
		close_all(fds, nf);
		*why = "expected ACK";
		return -EPROTO;
	}
	return 0;
}

/* The hand-over proper: stop reading, send everything, exit on the ACK. */
static void begin(struct takeover *t, int s, pid_t pid, bool offload, bool conns)
{
	unsigned n_calls = 0;
	const char *why = NULL;
	int rc;

	log_notice("takeover: pid %d takes over: stopping reading", (int)pid);
	uint64_t t0 = now_ms();
	ng_server_pause(t->env.srv, true);
	rc = dp_pause();
	if (rc) {
		ng_server_pause(t->env.srv, false);
		log_err("takeover: cannot hold the workers: %s; carrying on", strerror(-rc));
		close(s);
		return;
	}
	rc = hand_over(t, s, offload, conns, &n_calls, &why);
	close(s);
	if (rc) {
		dp_resume();
		ng_server_pause(t->env.srv, false);
		log_err("takeover: hand-over to pid %d failed: %s (%s); carrying on", (int)pid,
			why ? why : "?", strerror(-rc));
		return;
	}
	log_notice("takeover: %u calls handed over to pid %d in %llu ms; exiting", n_calls,
		   (int)pid, (unsigned long long)(now_ms() - t0));
	t->handed_over = true;
	loop_stop(t->env.loop);
}

static void wait_stop(struct takeover *t)
{
	if (t->wait.fd >= 0) {
		loop_del(t->env.loop, &t->wait);
		close(t->wait.fd);
	}
	t->wait.fd = -1;
	t->wait_s = -1;
}

/* Every WAIT_POLL_MS while waiting: go on once no handshake is in flight,
 * or the time is up (those still in flight start again in the successor). */
static void on_wait(struct loop_watch *w, uint32_t events)
{
	struct takeover *t = w->data;
	uint64_t exp;
	unsigned hs = dtls_media_in_flight();

	(void)events;
	if (read(w->fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		log_debug("takeover: timer: %s", strerror(errno));
	if (hs && now_ms() < t->wait_until)
		return;
	if (hs)
		log_warn("takeover: %u DTLS handshake(s) still in flight after %u ms: they start "
			 "again in the successor",
			 hs, TAKEOVER_DTLS_WAIT_MS);
	int s = t->wait_s;
	wait_stop(t);
	begin(t, s, t->wait_pid, t->wait_offload, t->wait_conns);
}

#define WAIT_POLL_MS 10
_Static_assert(TAKEOVER_DTLS_WAIT_MS + 1000 < TAKEOVER_TIMEOUT_MS,
	       "the successor waits for the first message longer than the old daemon waits");
static int wait_start(struct takeover *t, int s)
{
	struct itimerspec its = { .it_interval = { .tv_nsec = WAIT_POLL_MS * 1000000L },
				  .it_value = { .tv_nsec = WAIT_POLL_MS * 1000000L } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -errno;
	}
	t->wait = (struct loop_watch){ .fd = fd, .cb = on_wait, .data = t };
	if (loop_add(t->env.loop, &t->wait, EPOLLIN)) {
		close(fd);
		t->wait.fd = -1;
		return -EIO;
	}
	t->wait_s = s;
	t->wait_until = now_ms() + TAKEOVER_DTLS_WAIT_MS;
	return 0;
}

static void on_successor(struct loop_watch *w, uint32_t events)
{
	struct takeover *t = w->data;
	static uint8_t buf[4096];
	struct tko_hdr h;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fds[TAKEOVER_MAX_FDS], big = 4 << 20;
	unsigned nf;
	const char *why = NULL;
	struct timeval tv = { .tv_sec = TAKEOVER_TIMEOUT_MS / 1000 };
	int s, rc;

	(void)events;
	s = accept4(t->w.fd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		return;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		log_warn("takeover: refused a connection from uid %u", (unsigned)cred.uid);
		close(s);
		return;
	}
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = recv_msg(s, TAKEOVER_TIMEOUT_MS, &h, buf, sizeof(buf), fds, &nf, &why);
	if (!rc && (h.type != T_HELLO || nf)) {
		close_all(fds, nf);
		why = "expected HELLO";
		rc = -EPROTO;
	}
	bool offload = false, conns = false;
	if (!rc && h.len) { /* an empty HELLO (an older successor) asks for nothing */
		struct arena *a = arena_new(1024);
		const struct ng_node *d = a ? payload_dict(a, buf, h.len, &why) : NULL;
		int64_t v = 0;

		if (!d) {
			why = why ? why : "no memory";
			rc = -EPROTO;
		} else {
			if (ng_dict_get_int(d, "offload", &v))
				offload = v == 1;
			if (ng_dict_get_int(d, "conns", &v))
				conns = v == 1;
		}
		arena_free(a);
	}
	if (rc) {
		log_warn("takeover: refused a hand-over request from pid %d: %s; carrying on",
			 (int)cred.pid, why);
		close(s);
		return;
	}
	if (t->wait_s >= 0) {
		log_warn("takeover: refused pid %d: another successor is waiting", (int)cred.pid);
		close(s);
		return;
	}
	unsigned hs = dtls_media_in_flight();
	if (hs) {
		/* a handshake cannot go to another process (its state is inside
		 * OpenSSL), and a peer in the middle of one does not start again
		 * for a new hello: let them finish here first, everything still
		 * running, at most TAKEOVER_DTLS_WAIT_MS */
		if (wait_start(t, s)) {
			log_warn("takeover: cannot wait for DTLS handshakes: handing over now");
		} else {
			t->wait_pid = cred.pid;
			t->wait_offload = offload;
			t->wait_conns = conns;
			log_notice("takeover: pid %d takes over once %u DTLS handshake(s) in "
				   "flight have finished (at most %u ms)",
				   (int)cred.pid, hs, TAKEOVER_DTLS_WAIT_MS);
			return;
		}
	}
	begin(t, s, cred.pid, offload, conns);
}

static int bind_listener(const char *path, bool replace)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (!path[0] || strlen(path) >= sizeof(sun.sun_path))
		return -EINVAL;
	strcpy(sun.sun_path, path);
	if (!replace) {
		/* a daemon answering there is not ours to replace */
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	mode_t old = umask(0177); /* 0600: only this user hands over */
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc || listen(fd, 4)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static struct takeover *listen_at(const char *path, const struct takeover_env *env, bool replace)
{
	struct takeover *t = calloc(1, sizeof(*t));
	int fd, rc;

	if (!t)
		return NULL;
	fd = bind_listener(path, replace);
	if (fd < 0) {
		log_err("takeover: cannot listen on %s: %s", path, strerror(-fd));
		free(t);
		return NULL;
	}
	t->env = *env;
	t->wait.fd = t->wait_s = -1;
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->w = (struct loop_watch){ .fd = fd, .cb = on_successor, .data = t };
	rc = loop_add(env->loop, &t->w, EPOLLIN);
	if (rc) {
		close(fd);
		free(t);
		return NULL;
	}
	log_notice("takeover: a successor may take over at %s", path);
	return t;
}

struct takeover *takeover_listen(const char *path, const struct takeover_env *env)
{
	return listen_at(path, env, false);
}

void takeover_free(struct takeover *t, bool unlink_path)
{
	if (!t)
		return;
	if (t->wait_s >= 0)
		close(t->wait_s); /* a successor still waiting: it gives up */
	wait_stop(t);
	loop_del(t->env.loop, &t->w);
	close(t->w.fd);
	if (unlink_path)
		unlink(t->path);
	free(t);
}

bool takeover_handed_over(const struct takeover *t)
{
	return t && t->handed_over;
}

/* ---- new side ---- */

/* The media sockets that came with one call, matched by local address. */
struct call_socks {
	int *fds;
	unsigned n;
};

static int sock_for(void *ctx, const struct sockaddr_storage *local, int *fd)
{
	struct call_socks *cs = ctx;

	for (unsigned i = 0; i < cs->n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int type;
		socklen_t tl = sizeof(type);

		if (cs->fds[i] < 0 || getsockname(cs->fds[i], (struct sockaddr *)&ss, &sl) ||
		    getsockopt(cs->fds[i], SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_DGRAM ||
		    !sockaddr_same(&ss, local))
			continue;
		*fd = cs->fds[i];
		cs->fds[i] = -1; /* the call owns it now */
		return 0;
	}
	return -ENOENT;
}

static int adopt_listeners(const struct takeover_env *env, const uint8_t *buf, size_t len, int *fds,
			   unsigned nf, struct takeover_result *res, const char **why)
{
	struct arena *a = arena_new(4096);
	const struct ng_node *d = a ? payload_dict(a, buf, len, why) : NULL;
	const struct ng_node *kinds = d ? ng_dict_get(d, "kinds") : NULL;
	const char *upath = d ? ng_dict_get_str(d, "unix path", NULL) : NULL;
	int rc = -EPROTO;

	if (!a)
		return -ENOMEM;
	if (!d)
		goto out;
	if (!kinds || kinds->type != NG_STR || kinds->str_len != nf || !upath) {
		*why = "listeners: kinds or unix path missing or wrong";
		goto out;
	}
	for (unsigned i = 0; i < nf; i++) {
		uint8_t k = (uint8_t)kinds->str[i];
		int type = 0, dom = 0;
		socklen_t l = sizeof(type);
		getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &l);
		l = sizeof(dom);
		getsockopt(fds[i], SOL_SOCKET, SO_DOMAIN, &dom, &l);
		bool ok = (k == NG_LISTEN_UDP && type == SOCK_DGRAM && dom != AF_UNIX) ||
			  ((k == NG_LISTEN_TCP || k == K_HTTP) && type == SOCK_STREAM &&
			   dom != AF_UNIX) ||
			  (k == NG_LISTEN_UNIX && type == SOCK_STREAM && dom == AF_UNIX);
		if (!ok || (k == K_HTTP && res->http_fd >= 0)) {
			*why = "listeners: a socket is not of its kind";
			goto out;
		}
	}
	for (unsigned i = 0; i < nf; i++) {
		uint8_t k = (uint8_t)kinds->str[i];
		if (k == K_HTTP) {
			res->http_fd = fds[i];
		} else {
			rc = ng_server_adopt(env->srv, fds[i], (enum ng_listen_kind)k, upath);
			if (rc) {
				fds[i] = -1; /* closed by ng_server_adopt */
				*why = "listeners: cannot serve one";
				goto out;
			}
		}
		fds[i] = -1;
	}
	rc = 0;
out:
	arena_free(a);
	return rc;
}

static int take_cache(const struct takeover_env *env, const uint8_t *buf, size_t len,
		      const char **why)
{
	struct arena *a = arena_new(len + 1024);
	const struct ng_node *d = a ? payload_dict(a, buf, len, why) : NULL;
	size_t cl = 0, fl = 0, rl = 0;
	const char *cookie = d ? ng_dict_get_str(d, "cookie", &cl) : NULL;
	const char *from = d ? ng_dict_get_str(d, "from", &fl) : NULL;
	const char *reply = d ? ng_dict_get_str(d, "reply", &rl) : NULL;
	struct sockaddr_storage ss;
	int rc = -EPROTO;

	if (!a)
		return -ENOMEM;
	memset(&ss, 0, sizeof(ss));
	if (d && cookie && from && reply && cl > 0 && fl >= sizeof(sa_family_t) &&
	    fl <= sizeof(ss)) {
		memcpy(&ss, from, fl);
		if ((ss.ss_family == AF_INET && fl == sizeof(struct sockaddr_in)) ||
		    (ss.ss_family == AF_INET6 && fl == sizeof(struct sockaddr_in6)) ||
		    (ss.ss_family == AF_UNIX && fl == sizeof(struct sockaddr_un)))
			rc = 0;
	}
	if (rc)
		*why = d ? "cache: cookie, from or reply missing or wrong" : *why;
	else if (ng_server_cache_put(env->srv, cookie, cl, &ss, reply, rl, now_ms()))
		log_warn("takeover: a cached reply could not be kept");
	arena_free(a);
	return rc;
}

/* One open ng stream connection: kind, the start of a request and the
 * reply bytes not written yet (each checked by ng_server_adopt_conn), and
 * exactly its socket. The payload is read before the descriptor count is
 * checked, so a forged one is judged field by field. */
static int take_conn(const struct takeover_env *env, const uint8_t *buf, size_t len, int *fds,
		     unsigned nf, const char **why)
{
	struct arena *a = arena_new(len + 1024);
	const struct ng_node *d = a ? payload_dict(a, buf, len, why) : NULL;
	size_t il = 0, ol = 0;
	const char *in = d ? ng_dict_get_str(d, "in", &il) : NULL;
	const char *out = d ? ng_dict_get_str(d, "out", &ol) : NULL;
	int64_t kind = 0;
	int rc = -EPROTO;

	if (!a)
		return -ENOMEM;
	if (!d || !in || !out || !ng_dict_get_int(d, "kind", &kind) ||
	    (kind != NG_LISTEN_TCP && kind != NG_LISTEN_UNIX))
		*why = d ? "connection: kind, in or out missing or wrong" : *why;
	else if (nf != 1)
		*why = "connection: not exactly one socket";
	else
		rc = 0;
	if (!rc) {
		int e = ng_server_adopt_conn(env->srv, fds[0], (enum ng_listen_kind)kind,
					     (const uint8_t *)in, il, out, ol);
		fds[0] = -1; /* the server's now, or closed */
		if (e == -EINVAL) {
			*why = "connection: not a connection of its kind, or bad buffers";
			rc = -EPROTO;
		} else if (e) {
			log_warn("takeover: an ng connection could not be kept: %s", strerror(-e));
		}
	}
	arena_free(a);
	return rc;
}

int takeover_receive(const char *path, const struct takeover_env *env, struct takeover_result *res)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t *buf = malloc(TAKEOVER_MAX_MSG);
	int fds[TAKEOVER_MAX_FDS], big = 4 << 20, s = -1, rc;
	struct tko_hdr h;
	unsigned nf;
	const char *why = NULL;
	bool got_listeners = false, got_cert = false, paused = false, got_offload = false;
	bool adopt = false;
	uint64_t t0 = now_ms();

	memset(res, 0, sizeof(*res));
	res->http_fd = -1;
	if (!buf)
		return -ENOMEM;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		rc = -EINVAL;
		why = "path too long";
		goto fail;
	}
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun))) {
		rc = -errno;
		why = "cannot connect (is a daemon listening there?)";
		goto fail;
	}
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	/* with offload on, ask for the kernel maps (an older daemon ignores
	 * the payload and sends none) */
	/* and the open ng connections (an older daemon sends none) */
	rc = env->offload ? send_msg(s, T_HELLO, "d5:connsi1e7:offloadi1ee", 24, NULL, 0)
			  : send_msg(s, T_HELLO, "d5:connsi1ee", 12, NULL, 0);
	if (rc) {
		why = "cannot send HELLO";
		goto fail;
	}
	/* No worker reads a socket before its call is complete (an endpoint
	 * is watched from dp_endpoint_new on, its parameters come later):
	 * the restored calls' commands wait until dp_resume, and then run
	 * before any packet is read. */
	rc = dp_pause();
	if (rc) {
		why = "cannot hold the workers";
		goto fail;
	}
	paused = true;
	for (;;) {
		rc = recv_msg(s, TAKEOVER_TIMEOUT_MS, &h, buf, TAKEOVER_MAX_MSG, fds, &nf, &why);
		if (rc)
			goto fail;
		if (h.type == T_OFFLOAD && env->offload && !got_listeners && !got_offload) {
			struct arena *a = arena_new(1024);
			const struct ng_node *d = a ? payload_dict(a, buf, h.len, &why) : NULL;
			int64_t layout = -1;

			got_offload = true;
			if (d && ng_dict_get_int(d, "layout", &layout) && layout >= 0 &&
			    layout <= UINT32_MAX)
				adopt = dp_offload_adopt(fds, nf, (uint32_t)layout) == 0;
			else
				log_warn("takeover: kernel maps without a layout: not adopted");
			arena_free(a);
			close_all(fds, nf); /* adopted ones were duplicated */
		} else if (h.type == T_LISTENERS && !got_listeners) {
			got_listeners = true;
			/* before any call is restored, so its endpoints are
			 * known to the offload: on the adopted maps they find
			 * their kernel entries (dp_offload.h); on fresh maps
			 * (nothing adopted) they are offloaded again as new ones
			 * would be. Packets meanwhile wait in the held sockets. */
			if (env->offload && !adopt)
				log_notice("takeover: kernel maps not adopted; offloaded streams "
					   "start again on maps of our own");
			if (env->offload)
				(void)dp_offload_start(env->port_min, env->port_max);
			rc = adopt_listeners(env, buf, h.len, fds, nf, res, &why);
			close_all(fds, nf);
			if (rc)
				goto fail;
		} else if (h.type == T_CERT && got_listeners && !got_cert && !nf && !res->calls &&
			   !res->refused) {
			const char *cw = NULL;
			got_cert = true;
			rc = dtls_media_set_cert_pem((const char *)buf, h.len, &cw);
			explicit_bzero(buf, h.len);
			if (rc) {
				log_err("takeover: the DTLS certificate handed over: %s",
					cw ? cw : strerror(-rc));
				why = "a DTLS certificate that cannot be used";
				goto fail;
			}
		} else if (h.type == T_CALL && got_listeners) {
			struct call_socks cs = { .fds = fds, .n = nf };
			struct call_snapshot_sockets socks = { .get = sock_for, .ctx = &cs };
			struct call *c = NULL;
			if (call_snapshot_restore(env->calls, (const char *)buf, h.len, &socks, &c))
				res->refused++; /* logged with its reason */
			else {
				res->calls++;
				callrec_continue(c); /* a recorded call: its next file */
			}
			close_all(fds, nf); /* what the call did not take */
		} else if (h.type == T_CACHE && got_listeners && !nf) {
			rc = take_cache(env, buf, h.len, &why);
			if (rc)
				goto fail;
			res->cache++;
		} else if (h.type == T_CONN && got_listeners) {
			rc = take_conn(env, buf, h.len, fds, nf, &why);
			close_all(fds, nf);
			if (rc)
				goto fail;
			res->conns++;
		} else if (h.type == T_END && got_listeners && !nf) {
			struct arena *a = arena_new(1024);
			const struct ng_node *d = a ? payload_dict(a, buf, h.len, &why) : NULL;
			int64_t sent = -1, conns = 0;
			bool ok = d && ng_dict_get_int(d, "calls", &sent) &&
				  sent == (int64_t)(res->calls + res->refused);
			/* an older daemon counts no connections (and sends none) */
			if (ok && ng_dict_get_int(d, "conns", &conns))
				ok = conns == (int64_t)res->conns;
			arena_free(a);
			if (!ok) {
				rc = -EPROTO;
				why = why ? why : "END does not count the calls received";
				goto fail;
			}
			dp_offload_adopt_done();
			break;
		} else {
			close_all(fds, nf);
			rc = -EPROTO;
			why = "unexpected message";
			goto fail;
		}
	}
	{
		char ack[96];
		int al = snprintf(ack, sizeof(ack), "d5:callsi%ue7:refusedi%uee", res->calls,
				  res->refused);
		rc = send_msg(s, T_ACK, ack, (size_t)al, NULL, 0);
		if (rc) {
			why = "cannot send ACK";
			goto fail;
		}
	}
	close(s);
	free(buf);
	dp_resume();
	log_notice("takeover: took over %u calls (%u refused), %u cached replies, %u ng "
		   "connections in %llu ms",
		   res->calls, res->refused, res->cache, res->conns,
		   (unsigned long long)(now_ms() - t0));
	return 0;
fail:
	log_err("takeover from %s failed: %s (%s)", path, why ? why : "?", strerror(-rc));
	/* the workers stay held: they must not read the sockets the old
	 * daemon reads again; the caller exits */
	(void)paused;
	if (s >= 0)
		close(s);
	free(buf);
	return rc ? rc : -EPROTO;
}

struct takeover *takeover_listen_replace(const char *path, const struct takeover_env *env)
{
	return listen_at(path, env, true);
}

/* ---- starting a successor ---- */

int takeover_spawn(const char *path, int argc, char **argv)
{
	char exe[4096], arg[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	char **av = calloc((size_t)argc + 2, sizeof(*av));
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *del = " (deleted)";
	int ac = 0, status;
	pid_t pid;

	if (!av)
		return -ENOMEM;
	if (n <= 0) {
		free(av);
		return -errno;
	}
	exe[n] = '\0';
	/* an upgrade replaced the file: run what is at that path now */
	if ((size_t)n > strlen(del) && !strcmp(exe + n - strlen(del), del))
		exe[n - strlen(del)] = '\0';
	snprintf(arg, sizeof(arg), "--takeover=%s", path);
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "--takeover=", 11))
			continue;
		if (!strcmp(argv[i], "--takeover")) {
			i++; /* and its value */
			continue;
		}
		av[ac++] = argv[i];
	}
	av[ac++] = arg;
	av[ac] = NULL;
	pid = fork();
	if (pid < 0) {
		free(av);
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* the loop blocked them for signalfd */
		if (fork() == 0) {
			execv(exe, av);
			_exit(127);
		}
		_exit(0);
	}
	free(av);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	log_notice("takeover: started a successor: %s --takeover=%s", exe, path);
	return 0;
}

void takeover_sd_notify(const char *state)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!p || (p[0] != '/' && p[0] != '@') || strlen(p) >= sizeof(sun.sun_path))
		return;
	len = strlen(p);
	memcpy(sun.sun_path, p, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_warn("systemd notify: %s", strerror(errno));
	close(fd);
}
