/*
 * server.c: ng control transports (see server.h).
 *
 * Owns: the listening sockets, the stream connections (each with bounded input
 * and output buffers), the UDP reply cache, and one reply buffer shared by all
 * (the handler runs to completion before the next message is read). Every
 * socket is non-blocking; a slow stream client only grows its own output
 * buffer up to a bound, then it is dropped.
 */
#include "control/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/ngframe.h"
#include "control/ngmsg.h"
#include "control/ngdict.h"
#include "control/replycache.h"
#include "control/udp_dst.h"
#include "lib/log.h"
#include "lib/loop.h"

#define MAX_LISTENERS  16
#define STREAM_IN_MAX  (NG_MAX_MESSAGE + NG_MAX_COOKIE + 64)
#define STREAM_OUT_MAX (2 * NG_STREAM_REPLY_MAX)
#define UDP_BATCH      64

enum lkind {
	L_UDP,
	L_TCP,
	L_UNIX
};

struct listener {
	struct loop_watch w;
	enum lkind kind;
	struct ng_server *srv;
};

struct conn {
	struct loop_watch w;
	struct ng_server *srv;
	struct sockaddr_storage peer;
	uint8_t *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	struct conn *prev, *next;
};

struct ng_server {
	struct loop *loop;
	ng_handler_fn fn;
	void *ctx;
	struct listener listeners[MAX_LISTENERS];
	unsigned n_listeners;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct conn *conns;
	unsigned n_conns;
	struct reply_cache *cache;
	struct sockaddr_storage allow[16];
	unsigned n_allow;
	char *reply;	/* NG_STREAM_REPLY_MAX */
	uint8_t *dgram; /* 64 KiB receive buffer */
	struct ng_server_stats st;
};

static void addr_text(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "unix");
	}
}

struct ng_server *ng_server_new(struct loop *l, ng_handler_fn fn, void *ctx)
{
	struct ng_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = l;
	s->fn = fn;
	s->ctx = ctx;
	s->cache = reply_cache_new(NG_CACHE_ENTRIES, NG_CACHE_BYTES, NG_CACHE_TTL_MS);
	s->reply = malloc(NG_STREAM_REPLY_MAX);
	s->dgram = malloc(65536);
	if (!s->cache || !s->reply || !s->dgram) {
		ng_server_free(s);
		return NULL;
	}
	return s;
}

static void conn_close(struct conn *c)
{
	struct ng_server *s = c->srv;

	loop_del(s->loop, &c->w);
	close(c->w.fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	free(c->in);
	free(c->out);
	free(c);
}

void ng_server_free(struct ng_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	for (unsigned i = 0; i < s->n_listeners; i++) {
		loop_del(s->loop, &s->listeners[i].w);
		close(s->listeners[i].w.fd);
	}
	if (s->unix_path[0])
		unlink(s->unix_path);
	reply_cache_free(s->cache);
	free(s->reply);
	free(s->dgram);
	free(s);
}

void ng_server_allow(struct ng_server *s, const struct sockaddr_storage *addrs, unsigned n)
{
	if (n > sizeof(s->allow) / sizeof(s->allow[0]))
		n = sizeof(s->allow) / sizeof(s->allow[0]);
	memcpy(s->allow, addrs, n * sizeof(*addrs));
	s->n_allow = n;
}

static bool allowed(const struct ng_server *s, const struct sockaddr_storage *from)
{
	if (s->n_allow == 0 || from->ss_family == AF_UNIX)
		return true;
	for (unsigned i = 0; i < s->n_allow; i++) {
		const struct sockaddr_storage *a = &s->allow[i];
		if (a->ss_family != from->ss_family)
			continue;
		if (a->ss_family == AF_INET &&
		    ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
			    ((const struct sockaddr_in *)from)->sin_addr.s_addr)
			return true;
		if (a->ss_family == AF_INET6 &&
		    memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			   &((const struct sockaddr_in6 *)from)->sin6_addr, 16) == 0)
			return true;
	}
	return false;
}

/* Cookie of a raw message: bytes before the first space; 0 if none usable. */
static size_t raw_cookie(const uint8_t *msg, size_t len)
{
	for (size_t i = 0; i < len && i <= NG_MAX_COOKIE; i++)
		if (msg[i] == ' ')
			return i;
	return 0;
}

/* An error reply built without decoding the message (stream framing errors,
 * oversize datagrams): in JSON if the body looks like JSON, else bencode. */
static size_t raw_error(const uint8_t *msg, size_t len, const char *reason, char *out, size_t cap)
{
	size_t cl = raw_cookie(msg, len);
	int n;

	if (cl == 0)
		return 0;
	if (cl + 1 < len && msg[cl + 1] == '{')
		n = snprintf(out, cap, "%.*s {\"result\":\"error\",\"error-reason\":\"%s\"}",
			     (int)cl, (const char *)msg, reason);
	else
		n = snprintf(out, cap, "%.*s d6:result5:error12:error-reason%zu:%se", (int)cl,
			     (const char *)msg, strlen(reason), reason);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- UDP ---- */

static void udp_one(struct ng_server *s, int fd, size_t len, bool trunc,
		    const struct sockaddr_storage *from, socklen_t fromlen,
		    const struct udp_dst *dst, uint64_t now)
{
	char who[64];
	size_t cl = raw_cookie(s->dgram, len), rlen;
	const char *cached;

	s->st.requests++;
	if (!allowed(s, from)) {
		addr_text(from, who, sizeof(who));
		log_warn("ng: command from %s dropped: not in allow-from", who);
		s->st.dropped++;
		return;
	}
	if (cl == 0) {
		addr_text(from, who, sizeof(who));
		log_warn("ng: %zu-byte datagram from %s without a cookie dropped", len, who);
		s->st.dropped++;
		return;
	}
	cached = reply_cache_get(s->cache, (const char *)s->dgram, cl, from, now, &rlen);
	if (cached) {
		s->st.cache_hits++;
		log_debug("ng: retransmission of cookie %.*s answered from the cache", (int)cl,
			  (const char *)s->dgram);
		if (udp_dst_reply(fd, cached, rlen, from, fromlen, dst) < 0)
			log_warn("ng: sendto: %s", strerror(errno));
		return;
	}
	if (trunc)
		rlen = raw_error(s->dgram, len, "Message too large", s->reply, NG_UDP_MAX);
	else
		rlen = s->fn(s->ctx, s->dgram, len, from, s->reply, NG_UDP_MAX);
	if (rlen == 0) {
		s->st.dropped++;
		return;
	}
	if (reply_cache_put(s->cache, (const char *)s->dgram, cl, from, s->reply, rlen, now))
		log_warn("ng: reply not cached (%zu bytes)", rlen);
	if (udp_dst_reply(fd, s->reply, rlen, from, fromlen, dst) < 0)
		log_warn("ng: sendto: %s", strerror(errno));
}

static void on_udp(struct loop_watch *w, uint32_t events)
{
	struct listener *l = w->data;
	struct ng_server *s = l->srv;
	uint64_t now = loop_now_ms();

	(void)events;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		struct udp_dst dst;
		socklen_t fromlen = sizeof(from);
		bool cut;
		memset(&from, 0, sizeof(from));
		/* the reply leaves from the address the command was sent to */
		ssize_t n = udp_dst_recv(w->fd, s->dgram, 65535, &from, &fromlen, &dst, &cut);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("ng: recvmsg: %s", strerror(errno));
			return;
		}
		bool trunc = cut || n > 65535 || (size_t)n > NG_MAX_MESSAGE;
		udp_one(s, w->fd, n > 65535 ? 65535 : (size_t)n, trunc, &from, fromlen, &dst, now);
	}
}

/* ---- streams (TCP, unix) ---- */

static int conn_queue(struct conn *c, const char *data, size_t len)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > STREAM_OUT_MAX)
		return -ENOBUFS;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		char *n = realloc(c->out, cap);
		if (!n)
			return -ENOMEM;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

/* Write what is queued. 0, or -errno when the connection is dead. */
static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->w.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	return loop_mod(c->srv->loop, &c->w, EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0));
}

/* Handle every complete message in the input buffer. -1: close the connection. */
static int conn_process(struct conn *c)
{
	struct ng_server *s = c->srv;
	size_t off = 0;
	int rc = 0;

	while (off < c->in_len) {
		size_t skip, rlen;
		long n = ng_frame_len(c->in + off, c->in_len - off,
				      NG_MAX_MESSAGE + NG_MAX_COOKIE + 1, &skip);
		if (n == 0) {
			off += skip;
			break;
		}
		off += skip;
		if (n < 0) {
			s->st.errors++;
			rlen = raw_error(c->in + off, c->in_len - off,
					 n == -E2BIG ? "Message too large" : "Malformed message",
					 s->reply, NG_STREAM_REPLY_MAX);
			if (rlen)
				conn_queue(c, s->reply, rlen);
			rc = -1; /* cannot find the next message boundary */
			break;
		}
		s->st.requests++;
		rlen = s->fn(s->ctx, c->in + off, (size_t)n, &c->peer, s->reply,
			     NG_STREAM_REPLY_MAX);
		off += (size_t)n;
		if (rlen && conn_queue(c, s->reply, rlen)) {
			rc = -1;
			break;
		}
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (conn_flush(c))
		return -1;
	return rc;
}

static void on_conn(struct loop_watch *w, uint32_t events)
{
	struct conn *c = w->data;

	if (events & EPOLLOUT) {
		if (conn_flush(c)) {
			conn_close(c);
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		if (c->in_len == STREAM_IN_MAX) {
			/* conn_process would have consumed a complete message */
			conn_close(c);
			return;
		}
		ssize_t n = recv(w->fd, c->in + c->in_len, STREAM_IN_MAX - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EOF: answer what is complete, then close (flush best effort) */
			conn_process(c);
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		if (conn_process(c) < 0) {
			conn_close(c);
			return;
		}
	}
}

/* Serve connected stream socket @fd from @peer: watched for input. The
 * connection, or NULL with @fd closed. */
static struct conn *conn_add(struct ng_server *s, int fd, const struct sockaddr_storage *peer)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c)
		c->in = malloc(STREAM_IN_MAX);
	if (!c || !c->in) {
		if (c)
			free(c);
		close(fd);
		return NULL;
	}
	c->srv = s;
	c->peer = *peer;
	c->w = (struct loop_watch){ .fd = fd, .cb = on_conn, .data = c };
	if (loop_add(s->loop, &c->w, EPOLLIN)) {
		free(c->in);
		free(c);
		close(fd);
		return NULL;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	return c;
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	struct listener *l = w->data;
	struct ng_server *s = l->srv;

	(void)events;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		char who[64];
		memset(&peer, 0, sizeof(peer));
		int fd = accept4(w->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("ng: accept: %s", strerror(errno));
			return;
		}
		if (l->kind == L_UNIX)
			peer.ss_family = AF_UNIX;
		addr_text(&peer, who, sizeof(who));
		if (!allowed(s, &peer) || s->n_conns >= NG_MAX_CONNS) {
			log_warn("ng: connection from %s refused (%s)", who,
				 s->n_conns >= NG_MAX_CONNS ? "too many" : "not in allow-from");
			close(fd);
			continue;
		}
		if (!conn_add(s, fd, &peer))
			continue;
		log_debug("ng: connection from %s", who);
	}
}

/* ---- listeners ---- */

static int add_listener(struct ng_server *s, int fd, enum lkind kind)
{
	struct listener *l;
	int rc;

	if (s->n_listeners >= MAX_LISTENERS) {
		close(fd);
		return -ENOSPC;
	}
	l = &s->listeners[s->n_listeners];
	l->kind = kind;
	l->srv = s;
	l->w = (struct loop_watch){ .fd = fd, .cb = kind == L_UDP ? on_udp : on_accept, .data = l };
	rc = loop_add(s->loop, &l->w, EPOLLIN);
	if (rc) {
		close(fd);
		return rc;
	}
	s->n_listeners++;
	return 0;
}

static int bind_inet(const struct sockaddr *sa, socklen_t len, int type)
{
	int one = 1, fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* TCP: skip TIME_WAIT. Never for UDP, where it would let a second daemon
	 * share the port and steal half of the commands. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, len) || (type == SOCK_STREAM && listen(fd, 128))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int ng_server_listen_udp(struct ng_server *s, const struct sockaddr *sa, socklen_t len)
{
	char who[64];
	int fd = bind_inet(sa, len, SOCK_DGRAM);

	addr_text((const struct sockaddr_storage *)sa, who, sizeof(who));
	if (fd < 0) {
		log_err("ng: cannot listen on udp %s: %s", who, strerror(-fd));
		return fd;
	}
	int rcv = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	int e = udp_dst_enable(fd, sa->sa_family);
	if (e)
		log_warn("ng: udp %s: replies may leave from another address: %s", who,
			 strerror(-e));
	log_notice("ng: listening on udp %s", who);
	return add_listener(s, fd, L_UDP);
}

int ng_server_listen_tcp(struct ng_server *s, const struct sockaddr *sa, socklen_t len)
{
	char who[64];
	int fd = bind_inet(sa, len, SOCK_STREAM);

	addr_text((const struct sockaddr_storage *)sa, who, sizeof(who));
	if (fd < 0) {
		log_err("ng: cannot listen on tcp %s: %s", who, strerror(-fd));
		return fd;
	}
	log_notice("ng: listening on tcp %s", who);
	return add_listener(s, fd, L_TCP);
}

/* Make @sun's path free for bind(): nothing there, or a socket nobody listens
 * on any more (left by a daemon that did not exit cleanly), which is removed.
 * A socket some process answers on, or anything that is not a socket, stays
 * and is an error. */
static int unix_path_claim(const struct sockaddr_un *sun)
{
	const char *path = sun->sun_path;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		log_err("ng: cannot listen on unix %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("ng: cannot listen on unix %s: the path exists and is not a socket; "
			"not removing it",
			path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = rc ? errno : 0;
	close(fd);
	if (rc && e == ECONNREFUSED) {
		log_notice("ng: unix %s: stale socket (nobody listens), replacing it", path);
		if (unlink(path) && errno != ENOENT) {
			e = errno;
			log_err("ng: cannot remove stale unix socket %s: %s", path, strerror(e));
			return -e;
		}
		return 0;
	}
	if (!rc || e == EAGAIN || e == EINPROGRESS) { /* a listener took or queued us */
		log_err("ng: cannot listen on unix %s: another process (a running rtprelayd?) "
			"accepts connections there",
			path);
		return -EADDRINUSE;
	}
	log_err("ng: cannot listen on unix %s: probing the existing socket failed: %s", path,
		strerror(e));
	return -e;
}

int ng_server_listen_unix(struct ng_server *s, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path) || s->unix_path[0])
		return -EINVAL;
	strcpy(sun.sun_path, path);
	rc = unix_path_claim(&sun);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 128)) {
		int e = -errno;
		log_err("ng: cannot listen on unix %s: %s", path, strerror(errno));
		close(fd);
		return e;
	}
	strcpy(s->unix_path, path);
	log_notice("ng: listening on unix %s", path);
	return add_listener(s, fd, L_UNIX);
}

void ng_server_tick(struct ng_server *s, uint64_t now_ms)
{
	reply_cache_expire(s->cache, now_ms);
}

void ng_server_get_stats(const struct ng_server *s, struct ng_server_stats *out)
{
	*out = s->st;
	out->conns = s->n_conns;
	out->cache_entries = reply_cache_count(s->cache);
}

/* ---- takeover ---- */

void ng_server_pause(struct ng_server *s, bool on)
{
	for (unsigned i = 0; i < s->n_listeners; i++) {
		int rc = 0;
		if (on)
			loop_del(s->loop, &s->listeners[i].w);
		else
			rc = loop_add(s->loop, &s->listeners[i].w, EPOLLIN);
		if (rc)
			log_err("ng: cannot watch a listener again: %s", strerror(-rc));
	}
	for (struct conn *c = s->conns; c; c = c->next) {
		int rc = 0;
		if (on)
			loop_del(s->loop, &c->w);
		else
			rc = loop_add(s->loop, &c->w,
				      EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0));
		if (rc)
			log_err("ng: cannot watch a connection again: %s", strerror(-rc));
	}
}

unsigned ng_server_listen_fds(const struct ng_server *s, int *fds, int *kinds, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_listeners && n < max; i++, n++) {
		fds[n] = s->listeners[i].w.fd;
		kinds[n] = s->listeners[i].kind == L_UDP   ? NG_LISTEN_UDP
			   : s->listeners[i].kind == L_TCP ? NG_LISTEN_TCP
							   : NG_LISTEN_UNIX;
	}
	return n;
}

const char *ng_server_unix_path(const struct ng_server *s)
{
	return s->unix_path;
}

int ng_server_adopt(struct ng_server *s, int fd, enum ng_listen_kind kind, const char *path)
{
	switch (kind) {
	case NG_LISTEN_UDP: {
		/* an inherited listener of an older process may lack the option */
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
			udp_dst_enable(fd, sa.ss_family);
		return add_listener(s, fd, L_UDP);
	}
	case NG_LISTEN_TCP:
		return add_listener(s, fd, L_TCP);
	case NG_LISTEN_UNIX:
		if (!path || !path[0] || strlen(path) >= sizeof(s->unix_path) || s->unix_path[0])
			break;
		strcpy(s->unix_path, path);
		return add_listener(s, fd, L_UNIX);
	}
	close(fd);
	return -EINVAL;
}

void ng_server_conn_each(const struct ng_server *s, ng_conn_fn fn, void *ctx)
{
	for (const struct conn *c = s->conns; c; c = c->next)
		fn(ctx, c->w.fd, c->peer.ss_family == AF_UNIX ? NG_LISTEN_UNIX : NG_LISTEN_TCP,
		   c->in, c->in_len, c->out ? c->out + c->out_off : NULL, c->out_len - c->out_off);
}

int ng_server_adopt_conn(struct ng_server *s, int fd, enum ng_listen_kind kind, const uint8_t *in,
			 size_t in_len, const char *out, size_t out_len)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int type = 0, dom = 0, acc = 1;
	socklen_t l = sizeof(type);
	size_t skip;
	struct conn *c;

	memset(&peer, 0, sizeof(peer));
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l);
	l = sizeof(dom);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l);
	l = sizeof(acc);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l);
	/* a connected stream socket of its kind; the input is the start of
	 * a request (what was complete has been answered), both buffers
	 * within the bounds a connection of ours keeps */
	if (type != SOCK_STREAM || acc || getpeername(fd, (struct sockaddr *)&peer, &pl) ||
	    (kind == NG_LISTEN_UNIX) != (dom == AF_UNIX) ||
	    (kind != NG_LISTEN_UNIX && kind != NG_LISTEN_TCP) || in_len > STREAM_IN_MAX ||
	    out_len > STREAM_OUT_MAX ||
	    (in_len && ng_frame_len(in, in_len, NG_MAX_MESSAGE + NG_MAX_COOKIE + 1, &skip) != 0)) {
		close(fd);
		return -EINVAL;
	}
	if (kind == NG_LISTEN_UNIX)
		peer.ss_family = AF_UNIX;
	if (!allowed(s, &peer) || s->n_conns >= NG_MAX_CONNS) {
		close(fd);
		return -EPERM;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		close(fd);
		return -errno;
	}
	c = conn_add(s, fd, &peer);
	if (!c)
		return -ENOMEM;
	memcpy(c->in, in, in_len);
	c->in_len = in_len;
	if (out_len && (conn_queue(c, out, out_len) || conn_flush(c))) {
		conn_close(c);
		return -ENOMEM;
	}
	return 0;
}

void ng_server_cache_each(const struct ng_server *s, uint64_t now_ms, reply_cache_fn fn, void *ctx)
{
	reply_cache_each(s->cache, now_ms, fn, ctx);
}

int ng_server_cache_put(struct ng_server *s, const char *cookie, size_t cookie_len,
			const struct sockaddr_storage *from, const char *reply, size_t len,
			uint64_t now_ms)
{
	return reply_cache_put(s->cache, cookie, cookie_len, from, reply, len, now_ms);
}
