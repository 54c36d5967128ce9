/*
 * bundle.c: a=group:BUNDLE in the SDP rtprelay writes (daemon/bundle.h).
 */
#include "daemon/bundle.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "daemon/call.h"

/* The value of a session-level "a=group:BUNDLE <mids>" line @l (after the
 * semantics and its blank), or NULL; *len its length without the line end. */
static const char *group_mids(const struct sdp_str *l, size_t *len)
{
	size_t n = l->len;

	while (n && (l->s[n - 1] == '\n' || l->s[n - 1] == '\r'))
		n--;
	if (n < 15 || strncasecmp(l->s, "a=group:BUNDLE", 14) ||
	    (l->s[14] != ' ' && l->s[14] != '\t'))
		return NULL;
	*len = n - 15;
	return l->s + 15;
}

/* Does a session-level BUNDLE group of @s name @mid ("" = is there any)? */
static bool session_bundles(const struct sdp_session *s, const char *mid)
{
	unsigned end = s->n_media ? s->media[0].first_line : s->n_lines;
	size_t ml = strlen(mid);

	for (unsigned i = 0; i < end && i < s->n_lines; i++) {
		size_t len, pos = 0;
		const char *v = group_mids(&s->lines[i], &len);

		if (!v)
			continue;
		if (!ml)
			return true;
		/* the mids are tokens separated by blanks */
		while (pos < len) {
			size_t tok = pos;

			while (tok < len && v[tok] != ' ' && v[tok] != '\t')
				tok++;
			if (tok - pos == ml && !memcmp(v + pos, mid, ml))
				return true;
			pos = tok + 1;
		}
	}
	return false;
}

void bundle_note(const struct sdp_session *s, struct call_media *sm)
{
	sm->bundled = sm->mid[0] && session_bundles(s, sm->mid);
}

int bundle_rewrite(struct arena *a, enum ng_command cmd, const struct sdp_session *s,
		   const struct call_media *sender, const struct call_media *receiver,
		   struct sdp_rewrite *rw)
{
	bool ice = false;
	unsigned n = 0, pick = 0;

	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++)
		if (rw->media[i].keep && rw->media[i].ice)
			ice = true;
	/* a party without ICE from rtprelay is a plain SIP endpoint */
	rw->drop_bundle = !ice;
	if (cmd != NG_CMD_ANSWER || !ice || session_bundles(s, ""))
		return 0;
	for (unsigned i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
		if (rw->media[i].keep && rw->media[i].port && receiver[i].bundled) {
			n++;
			pick = i;
		}
	}
	if (n != 1)
		return 0;
	/* the section's mid as the answer names it: the answerer's, or the
	 * offerer's carried back */
	rw->bundle_attr = arena_printf(a, "a=group:BUNDLE %s",
				       sender[pick].mid[0] ? sender[pick].mid : receiver[pick].mid);
	return rw->bundle_attr ? 0 : -ENOMEM;
}
