/*
 * takeover.h: a new rtprelayd takes over from the running one without
 * losing a packet (docs/architecture.md, Takeover).
 *
 * The running daemon listens on a unix SOCK_SEQPACKET socket
 * (`takeover-socket`, mode 0600, only its own user may connect). The new
 * one (`--takeover PATH`) connects and says HELLO; the old one lets DTLS
 * handshakes in flight finish (at most TAKEOVER_DTLS_WAIT_MS), stops
 * reading (ng listeners and connections, then every data-plane worker: what
 * arrives waits in the kernel's socket buffers), and sends its listening
 * sockets (SCM_RIGHTS), its DTLS certificate and key (PEM; a successor
 * uses it, so a=fingerprint stays the same; an older daemon sends none and
 * the successor keeps its own), one message per call (its snapshot record,
 * daemon/call_snapshot.h, with the call's media sockets), the ng reply
 * cache, the open ng TCP/unix connections (if HELLO asks for them: with
 * the start of a request not read completely and a reply not written
 * completely) and END. The new one restores, starts reading, and ACKs; the old
 * one exits without tearing anything down. If the new one goes away or
 * says something wrong before its ACK, the old one reads again and carries
 * on. Every message is a fixed header (magic, protocol version, type,
 * payload length, number of descriptors) and a bencode payload; both sides
 * check every field, and a bad message ends the hand-over with a log line.
 */
#ifndef RTPRELAY_TAKEOVER_H
#define RTPRELAY_TAKEOVER_H

#include <stdbool.h>
#include <stdint.h>

#define TAKEOVER_PROTO	      1		 /* protocol version in every header */
#define TAKEOVER_TIMEOUT_MS   10000	 /* longest wait for one message */
#define TAKEOVER_ACK_MS	      60000	 /* longest wait for the new one's ACK */
#define TAKEOVER_MAX_FDS      250	 /* descriptors per message (SCM_MAX_FD 253) */
#define TAKEOVER_MAX_MSG      (1u << 20) /* bytes per message at most */
/* Longest the old daemon lets DTLS handshakes in flight finish before it
 * hands over (below TAKEOVER_TIMEOUT_MS, which the successor waits). */
#define TAKEOVER_DTLS_WAIT_MS 3000

struct loop;
struct calls;
struct ng_server;
struct httpd;

/* What a hand-over moves, in either process. */
struct takeover_env {
	struct loop *loop;
	struct calls *calls;
	struct ng_server *srv;
	struct httpd *http; /* NULL: no HTTP listener */
	/* offload = yes: the successor asks for the kernel maps and loads
	 * its program on them (dp_offload_adopt) with these media ports */
	bool offload;
	uint16_t port_min, port_max;
};

/* What the new process got besides calls and listeners (takeover_receive). */
struct takeover_result {
	int http_fd; /* the HTTP listener, -1 = none */
	unsigned calls, refused, cache, conns;
};

struct takeover;

/* Old side: listen at @path (a stale socket there is replaced). NULL on
 * failure (logged). */
struct takeover *takeover_listen(const char *path, const struct takeover_env *env);
/* The same for the successor after a takeover: the old daemon's listener
 * at @path is replaced at once (it is about to exit). */
struct takeover *takeover_listen_replace(const char *path, const struct takeover_env *env);
/* Close the listener (the path stays unless @unlink_path). */
void takeover_free(struct takeover *t, bool unlink_path);
/* Did a successor take over (the daemon should exit now, leaving every
 * socket and kernel entry to it)? */
bool takeover_handed_over(const struct takeover *t);

/* New side: connect to @path, take everything over into @env (calls,
 * ng listeners, reply cache), and ACK. 0, or a negative errno (logged):
 * then the data plane is left held (its workers must not read the sockets
 * the old daemon reads again) and the caller exits at once, without
 * tearing down (the ng unix listener's path is the old daemon's). */
int takeover_receive(const char *path, const struct takeover_env *env, struct takeover_result *res)
	__attribute__((warn_unused_result));

/* SIGUSR2: start a successor, this binary as it is on disk now with the
 * same arguments and `--takeover=@path` (replacing any earlier one), in a
 * process of its own (double fork: the old daemon never waits for it).
 * 0 or -errno. */
int takeover_spawn(const char *path, int argc, char **argv) __attribute__((warn_unused_result));

/* Tell systemd (Type=notify, $NOTIFY_SOCKET) @state, e.g. "READY=1" or
 * "MAINPID=123"; nothing without $NOTIFY_SOCKET. */
void takeover_sd_notify(const char *state);

#endif
