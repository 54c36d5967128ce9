/*
 * offload_cli.c: a line-oriented driver for the offload API, for the
 * network-namespace tests and for trying the fast path by hand without the
 * daemon. Reads commands on stdin, answers one line each on stdout:
 *
 *   init IF[,IF...] PORT_MIN PORT_MAX     -> ok | err -ERRNO
 *   add LOCAL EXPECT|any SRC DST [strict] [rtcp-to-user] [if=N]
 *   del LOCAL
 *   read LOCAL   -> ok PACKETS BYTES LAST_SEEN_NS DROPPED_SOURCE SSRC SEQ
 *   exit         -> offload_exit, then the program ends (also on EOF)
 *
 * Addresses are A.B.C.D:PORT or [IPV6]:PORT. Not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-offload/offload.h"

#define CLI_MAX_IFS 16

static int parse_sa(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	size_t hlen;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (s[0] == '[' && hlen >= 2 && s[hlen - 1] == ']')
		s++, hlen -= 2;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

static int cmd_init(char *ifs, const char *pmin, const char *pmax)
{
	const char *names[CLI_MAX_IFS];
	size_t n = 0;
	char *save = NULL;

	if (!ifs || !pmin || !pmax)
		return -EINVAL;
	for (char *tok = strtok_r(ifs, ",", &save); tok && n < CLI_MAX_IFS;
	     tok = strtok_r(NULL, ",", &save))
		names[n++] = tok;
	return offload_init(names, n, (uint16_t)atoi(pmin), (uint16_t)atoi(pmax));
}

static int cmd_add(char **arg, int nargs)
{
	struct offload_stream s = {0};
	int err;

	if (nargs < 4)
		return -EINVAL;
	if ((err = parse_sa(arg[0], &s.local)) || (err = parse_sa(arg[2], &s.src)) ||
	    (err = parse_sa(arg[3], &s.dst)))
		return err;
	if (strcmp(arg[1], "any") && (err = parse_sa(arg[1], &s.expect)))
		return err;
	for (int i = 4; i < nargs; i++) {
		if (!strcmp(arg[i], "strict"))
			s.flags |= OFFLOAD_STRICT_SOURCE;
		else if (!strcmp(arg[i], "rtcp-to-user"))
			s.flags |= OFFLOAD_RTCP_TO_USER;
		else if (!strncmp(arg[i], "if=", 3))
			s.egress_ifindex = (uint32_t)atoi(arg[i] + 3);
		else
			return -EINVAL;
	}
	return offload_stream_add(&s);
}

static int cmd_read(const char *local)
{
	struct sockaddr_storage ss;
	struct offload_counters c;
	int err;

	if (!local || (err = parse_sa(local, &ss)))
		return -EINVAL;
	err = offload_stream_read(&ss, &c);
	if (!err)
		printf("ok %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %u\n",
		       c.packets, c.bytes, c.last_seen_ns, c.dropped_source, c.ssrc, c.seq);
	return err;
}

/* Runs one command line; 1 = printed its own "ok" line, 0 = print "ok". */
static int run(char *line, int *quit)
{
	char *arg[12], *save = NULL;
	int n = 0, err;
	struct sockaddr_storage ss;

	for (char *tok = strtok_r(line, " \t\n", &save); tok && n < 12;
	     tok = strtok_r(NULL, " \t\n", &save))
		arg[n++] = tok;
	if (n == 0)
		return -EINVAL;
	if (!strcmp(arg[0], "init"))
		return cmd_init(n > 1 ? arg[1] : NULL, n > 2 ? arg[2] : NULL, n > 3 ? arg[3] : NULL);
	if (!strcmp(arg[0], "add"))
		return cmd_add(arg + 1, n - 1);
	if (!strcmp(arg[0], "del"))
		return n > 1 && !parse_sa(arg[1], &ss) ? offload_stream_del(&ss) : -EINVAL;
	if (!strcmp(arg[0], "read")) {
		err = cmd_read(n > 1 ? arg[1] : NULL);
		return err ? err : 1;
	}
	if (!strcmp(arg[0], "exit")) {
		*quit = 1;
		return 0;
	}
	return -EINVAL;
}

int main(void)
{
	char line[512];
	int quit = 0, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!quit && fgets(line, sizeof(line), stdin)) {
		err = run(line, &quit);
		if (err < 0)
			printf("err %d\n", err);
		else if (err == 0)
			printf("ok\n");
	}
	offload_exit();
	return 0;
}
