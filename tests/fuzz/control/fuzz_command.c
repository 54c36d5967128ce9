/*
 * fuzz_command.c: a whole ng datagram: framing, decoding (bencode or JSON),
 * request validation, and an error/ok reply in the request's encoding, as the
 * daemon does it. Must never crash, leak, or produce a reply that does not
 * decode.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/ngmsg.h"
#include "control/ngrequest.h"

static void reply(struct arena *a, const struct ng_msg *msg, const struct ng_request *req,
		  int rc, const char *err)
{
	static char buf[8 * NG_MAX_MESSAGE];	/* JSON escapes expand up to 6x */
	struct ng_node *d = ng_new_dict(a), *w;
	struct ng_msg back;
	long n;

	if (!d)
		return;
	if (rc < 0) {
		ng_dict_add_str(a, d, "result", "error");
		ng_dict_add_str(a, d, "error-reason", err ? err : "?");
	} else {
		ng_dict_add_str(a, d, "result", "ok");
		w = ng_dict_add_list(a, d, "warnings");
		for (unsigned i = 0; w && i < req->n_warnings; i++)
			ng_list_add(w, ng_new_cstr(a, req->warnings[i]));
		if (req->call_id)
			ng_dict_add_str(a, d, "call-id", req->call_id);
	}
	n = ng_msg_encode(msg->cookie, msg->cookie_len, msg->enc, d, buf, sizeof(buf));
	/* JSON cannot carry a non-UTF-8 call-id echoed back: a refusal, not a crash */
	if (n == -EINVAL && msg->enc == NG_ENC_JSON)
		return;
	if (n < 0)
		abort();
	if (ng_msg_decode(a, (const uint8_t *)buf, (size_t)n, &back, NULL) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	struct ng_request req;
	struct ng_msg msg;
	const char *err = NULL;
	int rc;

	if (!a)
		return 0;
	arena_set_cap(a, 64 * 1024 * 1024);
	rc = ng_msg_decode(a, data, size, &msg, &err);
	if (rc == 0) {
		rc = ng_request_parse(a, msg.dict, &req, &err);
		if (rc == 0 && req.n_warnings > NG_MAX_WARNINGS)
			abort();
		if (rc < 0 && !err)
			abort();	/* every error has a reason for the reply */
	}
	if (msg.cookie)
		reply(a, &msg, &req, rc, err);
	arena_free(a);
	return 0;
}
