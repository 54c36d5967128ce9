/* ngclient.h: a blocking ng client over UDP (bencode), one request in flight. */
#ifndef BENCH_NGCLIENT_H
#define BENCH_NGCLIENT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define NG_REPLY_MAX 65536

struct ng_client {
	int fd;
	uint32_t seq;
	uint32_t cookie_base;
	int timeout_ms;
	int tries;
	char reply[NG_REPLY_MAX];
};

/* Parses "A.B.C.D:PORT" (IPv4, port 1..65535) for --ng options. 0 or -EINVAL. */
int ng_parse_hostport(const char *s, struct in_addr *a, uint16_t *p);

/* Connects a UDP socket to addr:port (host order). 0 or -errno. */
int ng_client_open(struct ng_client *c, struct in_addr addr, uint16_t port);
void ng_client_close(struct ng_client *c);

/* Sends "<cookie> <dict>" and waits for the reply carrying the same cookie, retrying
 * (same cookie) tries times with timeout_ms each. On success *dict points into c->reply
 * (valid until the next call). Returns 0, -ETIMEDOUT or another -errno. */
int ng_client_call(struct ng_client *c, const char *dict, size_t len, const char **out,
		   size_t *out_len);

/* Convenience: 0 when the reply's "result" is "ok" (or "pong"), else -EPROTO and, if
 * reason is not NULL, copies "error-reason" into it. */
int ng_reply_ok(const char *dict, size_t len, char *reason, size_t reason_cap);

#endif
