/*
 * commands.h: ng command dispatch: bytes of one message in, bytes of its reply
 * out. Decodes (bencode or JSON), validates, runs ping/offer/answer/delete/
 * query/list/statistics against the call table, and encodes the reply in the
 * request's encoding. Any failure becomes `result: error` + `error-reason`;
 * a message without a readable cookie gets no reply (logged). Control thread.
 */
#ifndef RTPRELAY_COMMANDS_H
#define RTPRELAY_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct calls;
struct ifaces;
struct ng_server;
struct rtprelay_config;

struct daemon_ctx {
	struct calls *calls;
	struct ifaces *ifs;
	const struct rtprelay_config *cfg;
	struct ng_server *srv;		/* for statistics; may be NULL */
	uint64_t started_ms;
	uint64_t cmd_counts[8];		/* per enum ng_command */
	uint64_t cmd_errors;
};

/* ng_handler_fn for server.h: @ctx is a struct daemon_ctx. */
size_t commands_handle(void *ctx, const uint8_t *msg, size_t len,
		       const struct sockaddr_storage *from, char *out, size_t cap);

#endif
