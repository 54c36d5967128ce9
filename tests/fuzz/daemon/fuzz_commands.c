/* fuzz_commands.c: whole ng messages through the daemon's command handler:
 * decode, validate, offer/answer (SDP parse, port pairs, sockets, dataplane
 * parameters, SDP rewrite), delete/query/list/statistics. Nothing may crash or
 * leak; every reply must start with the cookie. Calls are dropped every few
 * inputs so the port range never runs dry. Uses a real dataplane (one worker)
 * and real sockets on 127.0.0.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/call.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "dataplane/dataplane.h"
#include "daemon/interfaces.h"
#include "lib/log.h"
#include "lib/loop.h"

static struct rtprelay_config cfg;
static struct ifaces ifs;
static struct calls calls;
static struct daemon_ctx ctx;
static char reply[1 << 16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	config_defaults(&cfg);
	cfg.port_min = 51000;
	cfg.port_max = 51999;
	cfg.delete_delay = 0;
	if (config_finish(&cfg, err, sizeof(err)) || dp_start(1) ||
	    ifaces_init(&ifs, &cfg) || calls_init(&calls, &cfg, &ifs))
		abort();
	log_set_level(LOG_LVL_ERR);
	ctx = (struct daemon_ctx){.calls = &calls, .ifs = &ifs, .cfg = &cfg,
				  .started_ms = loop_now_ms()};
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned n;
	struct sockaddr_storage from = {.ss_family = AF_UNIX};
	size_t len = commands_handle(&ctx, data, size, &from, reply, sizeof(reply));

	if (len > sizeof(reply))
		abort();
	if (len) {
		const uint8_t *sp = memchr(data, ' ', size);
		if (!sp || memcmp(reply, data, (size_t)(sp - data) + 1) != 0)
			abort();	/* a reply always echoes the cookie */
	}
	if (++n % 64 == 0 || calls.count > 200) {
		/* the quarantine clock: pretend time passed so ports come back */
		calls_free(&calls, loop_now_ms() + 100000);
		if (calls_init(&calls, &cfg, &ifs))
			abort();
	}
	return 0;
}
