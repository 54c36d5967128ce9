/*
 * ngrequest.c: an ng dictionary into a validated struct ng_request.
 *
 * Walks the dictionary once, in order; each member is dispatched on its
 * normalised key (see ngflags.c for the spelling rules and for the flags list).
 * Later members override earlier ones. Unknown keys and unusable values become
 * warnings; only an unknown command or a missing required key is an error, with
 * the error-reason rtpengine gives so proxies log the same text.
 */
#include "control/ngrequest.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "control/ngflags.h"

static const struct {
	const char *name; /* canonical */
	enum ng_command cmd;
} commands[] = {
	{ "ping", NG_CMD_PING },
	{ "offer", NG_CMD_OFFER },
	{ "answer", NG_CMD_ANSWER },
	{ "delete", NG_CMD_DELETE },
	{ "query", NG_CMD_QUERY },
	{ "list", NG_CMD_LIST },
	{ "statistics", NG_CMD_STATISTICS },
	{ "block media", NG_CMD_BLOCK_MEDIA },
	{ "unblock media", NG_CMD_UNBLOCK_MEDIA },
	{ "silence media", NG_CMD_SILENCE_MEDIA },
	{ "unsilence media", NG_CMD_UNSILENCE_MEDIA },
	{ "block DTMF", NG_CMD_BLOCK_DTMF },
	{ "unblock DTMF", NG_CMD_UNBLOCK_DTMF },
	{ "play DTMF", NG_CMD_PLAY_DTMF },
	{ "start recording", NG_CMD_START_RECORDING },
	{ "stop recording", NG_CMD_STOP_RECORDING },
	{ "pause recording", NG_CMD_PAUSE_RECORDING },
	{ "play media", NG_CMD_PLAY_MEDIA },
	{ "stop media", NG_CMD_STOP_MEDIA },
	{ "drain", NG_CMD_DRAIN },
	{ "reload", NG_CMD_RELOAD },
};

const char *ng_command_name(enum ng_command cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return "?";
}

/* A scalar member as bytes: strings as they are, integers printed. */
static bool scalar(struct arena *a, const struct ng_node *n, const char **s, size_t *len)
{
	if (n->type == NG_STR) {
		*s = n->str;
		*len = n->str_len;
		return true;
	}
	if (n->type == NG_INT) {
		*s = arena_printf(a, "%" PRId64, n->num);
		*len = *s ? strlen(*s) : 0;
		return *s != NULL;
	}
	return false;
}

/* Apply @fn to every string of list @l (a lone string counts as a list of one). */
static void each_string(struct arena *a, struct ng_request *req, const struct ng_node *l,
			const char *what,
			void (*fn)(struct arena *, struct ng_request *, const char *, size_t))
{
	const struct ng_node *c;
	const char *s;
	size_t len;

	if (l->type != NG_LIST) {
		if (scalar(a, l, &s, &len))
			fn(a, req, s, len);
		else
			ngf_warn(a, req, "'%s' is not a list of strings, ignored", what);
		return;
	}
	for (c = l->child; c; c = c->next) {
		if (scalar(a, c, &s, &len))
			fn(a, req, s, len);
		else
			ngf_warn(a, req, "non-string element in '%s' ignored", what);
	}
}

static void codec_dict(struct arena *a, struct ng_request *req, const struct ng_node *d)
{
	char op[NGF_MAX_NAME + 1];
	const struct ng_node *m, *c;
	const char *s;
	size_t len;

	for (m = d->child; m; m = m->next) {
		if (m->key_len > NGF_MAX_NAME || memchr(m->key, '\0', m->key_len)) {
			ngf_warn(a, req, "unknown codec option ignored");
			continue;
		}
		ngf_normalize(op, m->key, m->key_len);
		if (!strcmp(op, "ptime") && scalar(a, m, &s, &len)) {
			ngf_key_value(a, req, "ptime", s, len);
			continue;
		}
		if (m->type == NG_LIST) {
			for (c = m->child; c; c = c->next)
				if (!scalar(a, c, &s, &len) || !ngf_codec(a, req, op, s, len))
					break;
		} else {
			c = scalar(a, m, &s, &len) && !ngf_codec(a, req, op, s, len) ? m : NULL;
		}
		if (c)
			ngf_warn(a, req, "codec option '%s' ignored",
				 ngf_quote(a, req, m->key, m->key_len));
	}
}

/* "moh": { "file" | "blob" | "db-id": ..., "mode": ..., "connection": ... };
 * daemon/moh.c judges the values. */
static void moh_dict(struct arena *a, struct ng_request *req, const struct ng_node *d)
{
	char k[NGF_MAX_NAME + 1];
	const struct ng_node *m;
	const char *s;
	size_t len;

	req->moh = true;
	for (m = d->child; m; m = m->next) {
		const char **slot = NULL;

		if (m->key_len > NGF_MAX_NAME || memchr(m->key, '\0', m->key_len) ||
		    !scalar(a, m, &s, &len)) {
			ngf_warn(a, req, "moh option ignored");
			continue;
		}
		ngf_normalize(k, m->key, m->key_len);
		if (!strcmp(k, "file"))
			slot = &req->moh_file;
		else if (!strcmp(k, "mode"))
			slot = &req->moh_mode;
		else if (!strcmp(k, "connection"))
			slot = &req->moh_connection;
		else if (!strcmp(k, "db-id"))
			req->moh_source = "db-id";
		else if (!strcmp(k, "blob") || !strcmp(k, "blob64")) {
			req->moh_blob = arena_strndup(a, s, len); /* binary: length kept */
			req->moh_blob_len = req->moh_blob ? len : 0;
			req->moh_blob64 = k[4] == '6';
		} else
			ngf_warn(a, req, "unknown moh option '%s' ignored",
				 ngf_quote(a, req, m->key, m->key_len));
		if (slot)
			*slot = ngf_text(a, req, "moh", s, len);
	}
}

/* "direction": [ "from-interface", "to-interface" ]; empty = default. */
static void direction_list(struct arena *a, struct ng_request *req, const struct ng_node *l)
{
	const struct ng_node *c = l->child;
	const char *s;
	size_t len;

	for (unsigned i = 0; c; c = c->next, i++) {
		if (i >= 2) {
			ngf_warn(a, req, "more than two directions given, extra ignored");
			return;
		}
		if (scalar(a, c, &s, &len))
			req->direction[i] = ngf_text(a, req, "direction", s, len);
	}
}

static void received_from(struct arena *a, struct ng_request *req, const struct ng_node *l)
{
	const struct ng_node *f = l->child, *ad = f ? f->next : NULL;

	if (l->count != 2 || f->type != NG_STR || ad->type != NG_STR ||
	    !(ng_str_eq(f, "IP4") || ng_str_eq(f, "IP6"))) {
		ngf_warn(a, req, "'received-from' must be [\"IP4\"|\"IP6\", address], ignored");
		return;
	}
	req->received_from_addr = ngf_text(a, req, "received-from", ad->str, ad->str_len);
	req->received_from_family = req->received_from_addr ? f->str : NULL;
}

/* A list or dictionary under a key nothing above reads: what ngf_known says
 * of the key (not implemented: warned; rtprelay's default: nothing to do). */
static void other_member(struct arena *a, struct ng_request *req, const char *nkey,
			 const struct ng_node *m)
{
	const struct ngf_known *k = ngf_lookup(nkey, strlen(nkey), NGF_DICT);

	if (k && k->support == NGF_NOT_IMPLEMENTED)
		ngf_warn(a, req, "key '%s' is accepted but not implemented", k->name);
	else if (!k || k->support != NGF_DEFAULT)
		ngf_warn(a, req, "unknown key '%s' ignored", ngf_quote(a, req, m->key, m->key_len));
}

/* One element of "supports": a feature of the proxy that changes our replies. */
static void supports_item(struct arena *a, struct ng_request *req, const char *s, size_t len)
{
	char n[NGF_MAX_NAME + 1];

	if (len <= NGF_MAX_NAME) {
		ngf_normalize(n, s, len);
		if (!strcmp(n, "load-limit")) {
			req->supports_load_limit = true;
			return;
		}
	}
	ngf_warn(a, req, "unknown 'supports' value '%s' ignored", ngf_quote(a, req, s, len));
}

static void list_member(struct arena *a, struct ng_request *req, const char *nkey,
			const struct ng_node *m)
{
	if (!strcmp(nkey, "flags"))
		each_string(a, req, m, nkey, ngf_flag);
	else if (!strcmp(nkey, "replace"))
		each_string(a, req, m, nkey, ngf_replace);
	else if (!strcmp(nkey, "rtcp-mux"))
		each_string(a, req, m, nkey, ngf_rtcp_mux);
	else if (!strcmp(nkey, "bundle"))
		each_string(a, req, m, nkey, ngf_bundle);
	else if (!strcmp(nkey, "sdes"))
		each_string(a, req, m, nkey, ngf_sdes);
	else if (!strcmp(nkey, "osrtp"))
		each_string(a, req, m, nkey, ngf_osrtp);
	else if (!strcmp(nkey, "dtls") || !strcmp(nkey, "dtls-reverse"))
		each_string(a, req, m, nkey, ngf_dtls);
	else if (!strcmp(nkey, "direction"))
		direction_list(a, req, m);
	else if (!strcmp(nkey, "received-from"))
		received_from(a, req, m);
	else if (!strcmp(nkey, "supports"))
		each_string(a, req, m, nkey, supports_item);
	else if (!strcmp(nkey, "frequency") || !strcmp(nkey, "frequencies"))
		each_string(a, req, m, nkey, ngf_frequency);
	else if (!strcmp(nkey, "from-tags"))
		each_string(a, req, m, nkey, ngf_from_tag);
	else if (!strcmp(nkey, "t.38") || !strcmp(nkey, "t38"))
		ngf_t38(a, req, m->child && m->child->type == NG_STR ? m->child->str : "",
			m->child && m->child->type == NG_STR ? m->child->str_len : 0);
	else
		other_member(a, req, nkey, m);
}

static void member(struct arena *a, struct ng_request *req, const struct ng_node *m)
{
	char nkey[NGF_MAX_NAME + 1];
	const char *s;
	size_t len;

	if (m->key_len > NGF_MAX_NAME || memchr(m->key, '\0', m->key_len)) {
		ngf_warn(a, req, "unknown key '%s' ignored", ngf_quote(a, req, m->key, m->key_len));
		return;
	}
	ngf_normalize(nkey, m->key, m->key_len);
	if (!strcmp(nkey, "command"))
		return;
	if (m->type == NG_LIST) {
		list_member(a, req, nkey, m);
	} else if (m->type == NG_DICT) {
		if (!strcmp(nkey, "codec"))
			codec_dict(a, req, m);
		else if (!strcmp(nkey, "moh"))
			moh_dict(a, req, m);
		else
			other_member(a, req, nkey, m);
	} else if (!strcmp(nkey, "flags") || !strcmp(nkey, "replace") ||
		   !strcmp(nkey, "rtcp-mux") || !strcmp(nkey, "bundle") ||
		   !strcmp(nkey, "supports")) {
		list_member(a, req, nkey, m); /* a lone string where a list belongs */
	} else if (scalar(a, m, &s, &len) && !ngf_key_value(a, req, nkey, s, len)) {
		ngf_warn(a, req, "unknown key '%s' ignored", ngf_quote(a, req, m->key, m->key_len));
	}
}

static int validate(const struct ng_request *req, const char **err)
{
	bool sdp_cmd = req->cmd == NG_CMD_OFFER || req->cmd == NG_CMD_ANSWER;

	if (sdp_cmd && (!req->sdp || req->sdp_len == 0))
		*err = "No SDP body in message";
	else if ((sdp_cmd || req->cmd == NG_CMD_DELETE || req->cmd == NG_CMD_QUERY ||
		  req->cmd == NG_CMD_START_RECORDING || req->cmd == NG_CMD_STOP_RECORDING ||
		  req->cmd == NG_CMD_PAUSE_RECORDING || req->cmd == NG_CMD_PLAY_MEDIA ||
		  req->cmd == NG_CMD_STOP_MEDIA) &&
		 !req->call_id)
		*err = "No call-id in message";
	else if (sdp_cmd && !req->from_tag)
		*err = "No from-tag in message";
	else if (req->cmd == NG_CMD_ANSWER && !req->to_tag)
		*err = "No to-tag in message";
	else if ((req->cmd == NG_CMD_OFFER || req->cmd == NG_CMD_PLAY_MEDIA) && req->refuse)
		*err = req->refuse;
	else
		return 0;
	return -EINVAL;
}

int ng_request_parse(struct arena *a, const struct ng_node *dict, struct ng_request *req,
		     const char **err)
{
	const struct ng_node *cmd, *m;
	const char *dummy;
	size_t i;

	if (!err)
		err = &dummy;
	memset(req, 0, sizeof(*req));
	req->delete_delay = -1;
	req->tos = NG_TOS_DEFAULT;
	req->limit = -1;
	req->sip_code = -1;
	if (!dict || dict->type != NG_DICT) {
		*err = "Invalid dictionary";
		return -EINVAL;
	}
	cmd = ng_dict_get(dict, "command");
	if (!cmd || cmd->type != NG_STR) {
		*err = "Dictionary contains no key \"command\""; /* rtpengine's words */
		return -EINVAL;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (cmd->str_len == strlen(commands[i].name) &&
		    !strncasecmp(cmd->str, commands[i].name, cmd->str_len))
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		*err = "Unknown command";
		return -EINVAL;
	}
	req->cmd = commands[i].cmd;
	for (m = dict->child; m; m = m->next)
		member(a, req, m);
	return validate(req, err);
}
