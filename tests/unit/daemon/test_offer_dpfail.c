/* test_offer_dpfail.c: when the data plane refuses the parameters of an
 * offer/answer (dp_endpoints_set fails: -ENOMEM, -EXDEV), the reply is
 * `result: error` with the reason, and no call is left half updated: a new
 * call is not created, an existing one is deleted with its sockets (and the
 * transcoders made for it), and the call table stays usable.
 *
 * dp_endpoints_set is wrapped at link time (-Wl,--wrap) to fail on demand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/call.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "dataplane/dataplane.h"
#include "daemon/interfaces.h"

int __real_dp_endpoints_set(struct dp_endpoint *const *eps, const struct dp_endpoint_params *ps,
			    unsigned n);
int __wrap_dp_endpoints_set(struct dp_endpoint *const *eps, const struct dp_endpoint_params *ps,
			    unsigned n);

static int fail_rc;	/* what the wrapped dp_endpoints_set returns; 0 = the real one */
static unsigned set_calls;

int __wrap_dp_endpoints_set(struct dp_endpoint *const *eps, const struct dp_endpoint_params *ps,
			    unsigned n)
{
	set_calls++;
	return fail_rc ? fail_rc : __real_dp_endpoints_set(eps, ps, n);
}

static struct rtprelay_config cfg;
static struct ifaces ifs;
static struct calls calls;
static struct daemon_ctx ctx;
static char reply[65536];

static const char *sdp_a =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
static const char *sdp_b_g722 =
	"v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\na=sendrecv\r\n";

/* One ng request (bencode); returns the reply text. @extra: more dict items. */
static const char *ng(const char *cmd, const char *cid, const char *to_tag, const char *sdp,
		      const char *extra)
{
	static char msg[8192];
	int n = snprintf(msg, sizeof(msg), "ck d7:command%zu:%s7:call-id%zu:%s8:from-tag1:a",
			 strlen(cmd), cmd, strlen(cid), cid);
	if (to_tag)
		n += snprintf(msg + n, sizeof(msg) - n, "6:to-tag%zu:%s", strlen(to_tag), to_tag);
	if (sdp)
		n += snprintf(msg + n, sizeof(msg) - n, "3:sdp%zu:%s", strlen(sdp), sdp);
	n += snprintf(msg + n, sizeof(msg) - n, "%se", extra ? extra : "");
	size_t len = commands_handle(&ctx, (const uint8_t *)msg, (size_t)n, NULL, reply,
				     sizeof(reply) - 1);
	assert_true(len > 0);
	reply[len] = '\0';
	return reply;
}

static unsigned pairs_used(void)
{
	unsigned used, total;

	ifaces_port_usage(&ifs, &used, &total);
	return used;
}

static void expect_error(const char *r, const char *reason)
{
	assert_non_null(strstr(r, "6:result5:error"));
	assert_non_null(strstr(r, "12:error-reason"));
	assert_non_null(strstr(r, reason));
}

static void new_call_is_not_created(void **state)
{
	(void)state;
	fail_rc = -ENOMEM;
	expect_error(ng("offer", "new", NULL, sdp_a, NULL),
		     "Failed to set up media forwarding: Cannot allocate memory");
	assert_true(set_calls > 0);
	assert_null(call_find(&calls, "new"));
	assert_int_equal(calls.count, 0);
	assert_int_equal(pairs_used(), 0);
	fail_rc = 0;
	assert_non_null(strstr(ng("offer", "new", NULL, sdp_a, NULL), "6:result2:ok"));
	assert_non_null(call_find(&calls, "new"));
	assert_non_null(strstr(ng("delete", "new", NULL, NULL, "12:delete-delayi0e"),
			       "6:result2:ok"));
	assert_int_equal(calls.count, 0);
}

static void existing_call_is_deleted_not_half_updated(void **state)
{
	(void)state;
	fail_rc = 0;
	assert_non_null(strstr(ng("offer", "old", NULL, sdp_a, NULL), "6:result2:ok"));
	assert_non_null(strstr(ng("answer", "old", "b", sdp_a, NULL), "6:result2:ok"));
	assert_int_equal(pairs_used(), 2);
	fail_rc = -EXDEV;
	expect_error(ng("offer", "old", "b", sdp_a, NULL), "Failed to set up media forwarding");
	assert_null(call_find(&calls, "old"));
	assert_int_equal(pairs_used(), 0);
	assert_non_null(strstr(ng("query", "old", NULL, NULL, NULL), "6:result5:error"));
	fail_rc = 0;
}

/* The answer made two transcoders that the data plane never got: they are
 * freed with the call (LeakSanitizer in the sanitizer build). */
static void failed_transcoding_answer(void **state)
{
	(void)state;
	fail_rc = 0;
	assert_non_null(strstr(ng("offer", "tc", NULL, sdp_a, "5:codecd9:transcodel4:G722ee"),
			       "6:result2:ok"));
	fail_rc = -ENOMEM;
	expect_error(ng("answer", "tc", "b", sdp_b_g722, NULL), "Failed to set up media forwarding");
	assert_null(call_find(&calls, "tc"));
	assert_int_equal(calls_transcoded_media(&calls), 0);
	assert_int_equal(pairs_used(), 0);
	fail_rc = 0;
}

static int setup(void **state)
{
	char err[512];
	char *argv[] = {"rtprelayd", "--interface=127.0.0.1", "--port-min=47000",
			"--port-max=47999", "--num-threads=1"};

	(void)state;
	if (config_load(&cfg, 5, argv, err, sizeof(err))) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	if (dp_start(1) || ifaces_init(&ifs, &cfg) || calls_init(&calls, &cfg, &ifs))
		return -1;
	ctx = (struct daemon_ctx){.calls = &calls, .ifs = &ifs, .cfg = &cfg};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	calls_free(&calls, 0);
	ifaces_free(&ifs);
	dp_stop();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_call_is_not_created),
		cmocka_unit_test(existing_call_is_deleted_not_half_updated),
		cmocka_unit_test(failed_transcoding_answer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
