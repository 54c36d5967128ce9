/* ngclient.c: blocking UDP ng client for the bench. Replies with a stale cookie (a late
 * answer to an earlier retransmission) are dropped, never mistaken for the current one. */
#include "bench/ngclient.h"

#include "bench/benc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int ng_client_open(struct ng_client *c, struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr};

	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(c->fd);
		c->fd = -1;
		return e;
	}
	c->seq = 0;
	c->cookie_base = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	if (!c->timeout_ms)
		c->timeout_ms = 1000;
	if (!c->tries)
		c->tries = 3;
	return 0;
}

void ng_client_close(struct ng_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Waits for a datagram whose cookie matches; 0, -ETIMEDOUT or -errno. */
static int wait_reply(struct ng_client *c, const char *cookie, size_t clen, size_t *got)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	for (;;) {
		int r = poll(&p, 1, c->timeout_ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, c->reply, sizeof(c->reply) - 1, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			return -errno;
		}
		if ((size_t)n > clen && memcmp(c->reply, cookie, clen) == 0 &&
		    c->reply[clen] == ' ') {
			*got = (size_t)n;
			return 0;
		}
	}
}

int ng_client_call(struct ng_client *c, const char *dict, size_t len, const char **out,
		   size_t *out_len)
{
	char msg[NG_REPLY_MAX], cookie[32];
	int clen = snprintf(cookie, sizeof(cookie), "%x_%u", c->cookie_base, ++c->seq);
	size_t got = 0;
	int r = -ETIMEDOUT;

	if (len + (size_t)clen + 1 > sizeof(msg))
		return -EMSGSIZE;
	memcpy(msg, cookie, (size_t)clen);
	msg[clen] = ' ';
	memcpy(msg + clen + 1, dict, len);
	for (int t = 0; t < c->tries; t++) {
		if (send(c->fd, msg, len + (size_t)clen + 1, 0) < 0 && errno != ECONNREFUSED)
			return -errno;
		r = wait_reply(c, cookie, (size_t)clen, &got);
		if (r == 0) {
			*out = c->reply + clen + 1;
			*out_len = got - (size_t)clen - 1;
			return 0;
		}
		if (r != -ETIMEDOUT)
			return r;
	}
	return r;
}

int ng_reply_ok(const char *dict, size_t len, char *reason, size_t reason_cap)
{
	const char *v;
	size_t n;

	if (benc_dict_str(dict, len, "result", &v, &n) == 0 &&
	    ((n == 2 && memcmp(v, "ok", 2) == 0) || (n == 4 && memcmp(v, "pong", 4) == 0)))
		return 0;
	if (reason && reason_cap) {
		reason[0] = 0;
		if (benc_dict_str(dict, len, "error-reason", &v, &n) == 0) {
			if (n >= reason_cap)
				n = reason_cap - 1;
			memcpy(reason, v, n);
			reason[n] = 0;
		} else {
			snprintf(reason, reason_cap, "%.*s", (int)(len > 120 ? 120 : len), dict);
		}
	}
	return -EPROTO;
}

int ng_parse_hostport(const char *s, struct in_addr *a, uint16_t *p)
{
	char host[64];
	const char *c = strrchr(s, ':');
	unsigned long v;

	if (!c || (size_t)(c - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	v = strtoul(c + 1, NULL, 10);
	if (v == 0 || v > 65535 || inet_pton(AF_INET, host, a) != 1)
		return -EINVAL;
	*p = (uint16_t)v;
	return 0;
}
