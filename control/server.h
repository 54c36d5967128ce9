/*
 * server.h: the ng control listeners (UDP, TCP, unix stream socket) and the
 * UDP reply cache. The server moves bytes; what a message means is the
 * handler's business (daemon/commands.c). Runs on the control thread's loop.
 *
 * UDP: one datagram = one message; a datagram whose (cookie, source) was
 * answered within the last ~30 s gets the cached reply, the handler is not
 * called. Streams: messages back to back, framed as in ngframe.h; a stream
 * that is not ng, or a message over the limit, gets an error reply and is
 * closed. When an allow list is set, other sources are dropped (logged).
 */
#ifndef RTPRELAY_SERVER_H
#define RTPRELAY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "control/replycache.h"

struct loop;
struct ng_server;

/* Handle one message (@msg[0..len), not NUL-terminated) from @from; write the
 * whole reply ("<cookie> <dict>") into @out (at most @cap bytes). Returns the
 * reply length, 0 for "no reply" (nothing usable to reply to). */
typedef size_t (*ng_handler_fn)(void *ctx, const uint8_t *msg, size_t len,
				const struct sockaddr_storage *from, char *out, size_t cap);

#define NG_UDP_MAX	    65507      /* largest UDP payload (IPv4) */
#define NG_STREAM_REPLY_MAX (4u << 20) /* largest reply over TCP/unix */
#define NG_CACHE_TTL_MS	    30000
#define NG_CACHE_ENTRIES    8192
#define NG_CACHE_BYTES	    (32u << 20)
#define NG_MAX_CONNS	    256

struct ng_server_stats {
	uint64_t requests, cache_hits, dropped, errors;
	unsigned conns, cache_entries;
};

struct ng_server *ng_server_new(struct loop *l, ng_handler_fn fn, void *ctx);
/* Drop the listeners and connections (unlinks the unix socket path). */
void ng_server_free(struct ng_server *s);
/* Bind and watch. 0 or -errno (logged with the address). */
int ng_server_listen_udp(struct ng_server *s, const struct sockaddr *sa, socklen_t len);
int ng_server_listen_tcp(struct ng_server *s, const struct sockaddr *sa, socklen_t len);
/* A socket left at @path by a daemon that is gone (connect() refused) is
 * replaced; a socket something still accepts on (another running daemon),
 * or a path that is not a socket, is left alone and is an error
 * (-EADDRINUSE, -EEXIST), logged. */
int ng_server_listen_unix(struct ng_server *s, const char *path);
/* Only accept commands from these addresses (any port); n = 0: anyone. Unix
 * socket clients are always accepted (file permissions guard them). */
void ng_server_allow(struct ng_server *s, const struct sockaddr_storage *addrs, unsigned n);
/* Periodic: expire cached replies. */
void ng_server_tick(struct ng_server *s, uint64_t now_ms);
void ng_server_get_stats(const struct ng_server *s, struct ng_server_stats *out);

/* Takeover (daemon/takeover.h): the listeners go to the next process. */
enum ng_listen_kind {
	NG_LISTEN_UDP = 1,
	NG_LISTEN_TCP = 2,
	NG_LISTEN_UNIX = 3,
};
/* Stop reading every listener and connection (@on), or read them again:
 * meanwhile datagrams and connections wait in the kernel. */
void ng_server_pause(struct ng_server *s, bool on);
/* The listening sockets (still owned by @s) and their kinds; at most @max. */
unsigned ng_server_listen_fds(const struct ng_server *s, int *fds, int *kinds, unsigned max);
/* The unix listener's path ("" = none). */
const char *ng_server_unix_path(const struct ng_server *s);
/* Serve listening socket @fd (inherited) of @kind; @path for NG_LISTEN_UNIX
 * (unlinked by ng_server_free). 0 or -errno; @fd is closed on failure. */
int ng_server_adopt(struct ng_server *s, int fd, enum ng_listen_kind kind, const char *path);
/* The open stream connections (TCP, unix), so they go on in the next
 * process: @fn gets each one's socket (still owned by @s), its kind, the
 * start of a request not complete yet and the reply bytes not written yet. */
typedef void (*ng_conn_fn)(void *ctx, int fd, enum ng_listen_kind kind, const uint8_t *in,
			   size_t in_len, const char *out, size_t out_len);
void ng_server_conn_each(const struct ng_server *s, ng_conn_fn fn, void *ctx);
/* Serve stream connection @fd (inherited) of @kind (NG_LISTEN_TCP or
 * NG_LISTEN_UNIX) with @in as the start of its next request and @out still
 * to be written. 0 or -errno: -EINVAL (not a connected stream socket of
 * that kind, a buffer over its bound, or @in holding a complete or
 * malformed request), -EPERM (not in allow-from, or NG_MAX_CONNS open),
 * -ENOMEM; @fd is closed on failure. */
int ng_server_adopt_conn(struct ng_server *s, int fd, enum ng_listen_kind kind, const uint8_t *in,
			 size_t in_len, const char *out, size_t out_len);
/* The reply cache's live entries, oldest first, and adding one as if its
 * command had just been answered here. */
void ng_server_cache_each(const struct ng_server *s, uint64_t now_ms, reply_cache_fn fn, void *ctx);
int ng_server_cache_put(struct ng_server *s, const char *cookie, size_t cookie_len,
			const struct sockaddr_storage *from, const char *reply, size_t len,
			uint64_t now_ms);

#endif
