/* fuzz_takeover.c: what an old daemon answers a successor (daemon/takeover.h),
 * as the successor reads it. The input is a run of messages, each a 2-byte
 * big-endian length and that many bytes, sent one datagram each over the
 * unix SOCK_SEQPACKET socket the successor connects to (a thread plays the
 * old daemon; no descriptors travel). Nothing may crash or leak; whatever
 * was taken over is dropped before the next input. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/server.h"
#include "daemon/call.h"
#include "daemon/config.h"
#include "daemon/interfaces.h"
#include "daemon/takeover.h"
#include "dataplane/dataplane.h"
#include "lib/log.h"
#include "lib/loop.h"

static struct rtprelay_config cfg;
static struct ifaces ifs;
static struct calls calls;
static struct loop *lp;
static int lfd = -1;
static char path[108];

static size_t nothing(void *ctx, const uint8_t *msg, size_t len,
		      const struct sockaddr_storage *from, char *out, size_t cap)
{
	(void)ctx, (void)msg, (void)len, (void)from, (void)out, (void)cap;
	return 0;
}

struct feed {
	const uint8_t *data;
	size_t size;
};

/* The old daemon: take the HELLO, send the messages, close. */
static void *old_daemon(void *arg)
{
	struct feed *f = arg;
	uint8_t hello[64];
	int s = accept(lfd, NULL, NULL);
	size_t off = 0;

	if (s < 0)
		return NULL;
	if (recv(s, hello, sizeof(hello), 0) > 0) {
		while (off + 2 <= f->size) {
			size_t n = (size_t)f->data[off] << 8 | f->data[off + 1];
			off += 2;
			if (n > f->size - off)
				n = f->size - off;
			if (send(s, f->data + off, n, MSG_NOSIGNAL) < 0)
				break;
			off += n;
		}
	}
	close(s);
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char err[256];

	(void)argc;
	(void)argv;
	config_defaults(&cfg);
	cfg.port_min = 53000;
	cfg.port_max = 53999;
	if (config_finish(&cfg, err, sizeof(err)) || dp_start(1) || ifaces_init(&ifs, &cfg) ||
	    calls_init(&calls, &cfg, &ifs))
		abort();
	lp = loop_new();
	snprintf(path, sizeof(path), "/tmp/fuzz-takeover-%d.sock", (int)getpid());
	unlink(path);
	strcpy(sun.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (!lp || lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) || listen(lfd, 4))
		abort();
	log_set_level(LOG_LVL_ERR - 1); /* every input fails somewhere: not logged */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f = { data, size };
	struct ng_server *srv = ng_server_new(lp, nothing, NULL);
	/* offload: HELLO asks for the kernel maps, so T_OFFLOAD is read too (no
	 * descriptors travel here: the maps are refused, nothing is loaded) */
	struct takeover_env env = { .loop = lp, .calls = &calls, .srv = srv, .offload = true };
	struct takeover_result res;
	pthread_t th;

	if (!srv || pthread_create(&th, NULL, old_daemon, &f))
		abort();
	if (takeover_receive(path, &env, &res)) {
		dp_resume(); /* a failed takeover leaves the workers held */
	} else if (res.http_fd >= 0) {
		close(res.http_fd);
	}
	pthread_join(th, NULL);
	ng_server_free(srv);
	calls_free(&calls, loop_now_ms() + 100000);
	ifaces_free(&ifs);
	if (ifaces_init(&ifs, &cfg) || calls_init(&calls, &cfg, &ifs))
		abort();
	return 0;
}
