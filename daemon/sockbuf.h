/*
 * sockbuf.h: the receive buffer of media sockets (config `socket-buffer`).
 *
 * A worker busy for a few milliseconds (a transcoder, a large batch, a
 * preempted thread) leaves packets queued in the socket; the kernel's
 * default receive buffer (net.core.rmem_default, 208 KiB on most systems)
 * holds only a few hundred small RTP packets, and what does not fit is
 * dropped by the kernel. SO_RCVBUF asks for more; above
 * net.core.rmem_max only SO_RCVBUFFORCE (CAP_NET_ADMIN) gets it. The
 * memory is charged only for packets actually queued, so a large limit
 * costs nothing while the worker keeps up. Control thread only.
 */
#ifndef RTPRELAY_DAEMON_SOCKBUF_H
#define RTPRELAY_DAEMON_SOCKBUF_H

/* Default and bound of `socket-buffer` (bytes; 0 = the kernel's default). */
#define SOCKBUF_DEFAULT (1u << 20)
#define SOCKBUF_MAX	(256u << 20)

/* Ask for a receive buffer of @bytes on @fd (0: leave the kernel's). Tries
 * SO_RCVBUF, then SO_RCVBUFFORCE when the kernel gave less; logs once per
 * process (per size asked) when neither gives it, with what it gave. Never
 * fails the socket: returns the size the kernel reports (it doubles what
 * is asked, for its own overhead), or 0 when @bytes is 0 or it cannot be
 * read. */
int sockbuf_apply(int fd, unsigned bytes);

#endif
