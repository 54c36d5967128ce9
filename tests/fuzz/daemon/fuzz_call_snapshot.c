/* fuzz_call_snapshot.c: call snapshot records (daemon/call_snapshot.h) from
 * a hand-over or a Redis store, restored into a real call table with a real
 * data plane (one worker) and sockets on 127.0.0.1. Nothing may crash or
 * leak; a restored call is written again, and that record must restore
 * after the call is deleted (what one version writes, it reads). The table
 * and the port pools start afresh every few inputs. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/call.h"
#include "daemon/call_snapshot.h"
#include "daemon/config.h"
#include "daemon/interfaces.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"
#include "lib/loop.h"

static struct rtprelay_config cfg;
static struct ifaces ifs;
static struct calls calls;

static int get_sock(void *ctx, const struct sockaddr_storage *local, int *fd)
{
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	(void)ctx;
	(void)local;
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -1;
	if (bind(*fd, (struct sockaddr *)&any, sizeof(any))) {
		close(*fd);
		return -1;
	}
	return 0;
}

static const struct call_snapshot_sockets socks = { .get = get_sock };

static void fresh(void)
{
	calls_free(&calls, loop_now_ms());
	ifaces_free(&ifs);
	if (ifaces_init(&ifs, &cfg) || calls_init(&calls, &cfg, &ifs))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	config_defaults(&cfg);
	cfg.port_min = 52000;
	cfg.port_max = 52999;
	if (config_finish(&cfg, err, sizeof(err)) || dp_start(1) || ifaces_init(&ifs, &cfg) ||
	    calls_init(&calls, &cfg, &ifs))
		abort();
	log_set_level(LOG_LVL_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned n;
	struct call *c = NULL;

	if (call_snapshot_restore(&calls, (const char *)data, size, &socks, &c) == 0) {
		struct strbuf b;
		size_t len;
		char *again;

		strbuf_init(&b, CALL_SNAPSHOT_MAX);
		if (call_snapshot_write(c, &b))
			abort();
		again = strbuf_take(&b, &len);
		call_destroy(&calls, c, loop_now_ms(), "fuzz");
		fresh(); /* the ports rest in quarantine: new pools */
		if (call_snapshot_restore(&calls, again, len, &socks, NULL))
			abort();
		free(again);
	}
	if (++n % 64 == 0 || calls.count > 100)
		fresh();
	return 0;
}
