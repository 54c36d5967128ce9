/*
 * compat_table.c: prints README's rtpengine compatibility table (markdown)
 * from the code itself: every ng command rtpengine has, marked implemented
 * when control/ngrequest.c knows it, and every flag and key of ngf_known[]
 * (control/ngflags.c) with its status and its reader or reason.
 * scripts/compat_table.py puts the output into README.md and checks it.
 */
#include <stdio.h>
#include <string.h>

#include "control/ngflags.h"
#include "control/ngrequest.h"

/* rtpengine's commands (docs/ng_control_protocol.md), and why rtprelay
 * refuses the ones it does not know. */
static const struct {
	const char *name, *why;
} rtpengine_commands[] = {
	{ "ping", NULL },
	{ "offer", NULL },
	{ "answer", NULL },
	{ "delete", NULL },
	{ "query", NULL },
	{ "list", NULL },
	{ "statistics", NULL },
	{ "start recording", NULL },
	{ "stop recording", NULL },
	{ "pause recording", NULL },
	{ "start forwarding", "no PCM forwarding to a recording daemon (files only)" },
	{ "stop forwarding", "no PCM forwarding to a recording daemon (files only)" },
	{ "block DTMF", NULL },
	{ "unblock DTMF", NULL },
	{ "block media", NULL },
	{ "unblock media", NULL },
	{ "silence media", NULL },
	{ "unsilence media", NULL },
	{ "play media", NULL },
	{ "stop media", NULL },
	{ "play DTMF", NULL },
	{ "publish", "no pub/sub (WebRTC conferencing)" },
	{ "subscribe request", "no pub/sub (WebRTC conferencing)" },
	{ "subscribe answer", "no pub/sub (WebRTC conferencing)" },
	{ "unsubscribe", "no pub/sub (WebRTC conferencing)" },
	{ "inject start", "no DTMF injection" },
	{ "inject stop", "no DTMF injection" },
	{ "connect", "no pub/sub (WebRTC conferencing)" },
	{ "create", "no pub/sub (WebRTC conferencing)" },
	{ "create answer", "no pub/sub (WebRTC conferencing)" },
	{ "mesh", "no pub/sub (WebRTC conferencing)" },
};

/* Every command ngrequest.c knows: the enum is contiguous from NG_CMD_PING and
 * ng_command_name() answers "?" past its end. */
static bool implemented(const char *name)
{
	for (int c = NG_CMD_PING; c <= NG_CMD_LAST; c++)
		if (!strcmp(ng_command_name((enum ng_command)c), name))
			return true;
	return false;
}

static const char *forms(unsigned f)
{
	static char buf[64];

	buf[0] = 0;
	if (f & NGF_FLAG)
		strcat(buf, "flag");
	if (f & NGF_DICT)
		strcat(buf, buf[0] ? ", key" : "key");
	if (f & NGF_KV)
		strcat(buf, ", key=value");
	if (f & NGF_PREFIX)
		strcat(buf, ", key-value");
	return buf;
}

/* Markdown cells must not hold '|'. */
static void cell(const char *s)
{
	for (; s && *s; s++)
		fputs(*s == '|' ? "/" : (char[]){ *s, 0 }, stdout);
}

int main(void)
{
	size_t nc = sizeof(rtpengine_commands) / sizeof(rtpengine_commands[0]);
	int bad = 0;

	puts("| command | rtprelay | why not |");
	puts("|---|---|---|");
	for (size_t i = 0; i < nc; i++) {
		bool ok = implemented(rtpengine_commands[i].name);
		printf("| `%s` | %s | ", rtpengine_commands[i].name,
		       ok ? "implemented" : "refused (error reply)");
		cell(ok ? "" : rtpengine_commands[i].why);
		puts(" |");
		bad |= ok == (rtpengine_commands[i].why != NULL);
	}
	puts("");
	puts("| flag or key | form | rtprelay | where, or why not |");
	puts("|---|---|---|---|");
	for (size_t i = 0; i < ngf_n_known; i++) {
		const struct ngf_known *k = &ngf_known[i];
		static const char *const st[] = { "implemented", "default behaviour",
						  "not implemented: warned",
						  "refused (error reply)" };
		printf("| `%s` | %s | %s | ", k->name, forms(k->forms), st[k->support]);
		cell(k->where && *k->where ? k->where : "(no reason recorded)");
		puts(" |");
	}
	/* a command marked both ways is a table error */
	return bad;
}
