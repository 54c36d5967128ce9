/*
 * rec_path.c: recording file names inside recording-dir (rec_path.h).
 */
#include "recording/rec_path.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t n;
	bool full;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->n + len >= REC_PATH_MAX) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	o->buf[o->n] = '\0';
}

/* Every component of @p[0..len) is a real name: not empty, ".", "..";
 * no control bytes or backslashes. */
static bool clean(const char *p, size_t len, bool allow_leading_slash)
{
	size_t start = 0;

	if (len == 0)
		return false;
	if (p[0] == '/') {
		if (!allow_leading_slash)
			return false;
		start = 1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			return false;
	for (size_t i = start; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t cl = i - start;
		if (cl == 0 || (cl == 1 && p[start] == '.') ||
		    (cl == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

/* @p (absolute or relative) into @o, inside @dir. */
static int inside(struct out *o, const char *dir, const char *p, size_t len, const char **err)
{
	size_t dl = strlen(dir);

	if (!clean(p, len, true)) {
		*err = "Recording path refused: empty, '.' or '..' component, or control characters";
		return -EINVAL;
	}
	if (p[0] == '/') {
		if (len <= dl + 1 || strncmp(p, dir, dl) || p[dl] != '/') {
			*err = "Recording path refused: outside recording-dir";
			return -EINVAL;
		}
		put(o, p, len);
	} else {
		put(o, dir, dl);
		put(o, "/", 1);
		put(o, p, len);
	}
	return 0;
}

static void put_call_id(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len && i < 128; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			  c == '@' || c == '+';
		/* a leading '.' would make a hidden (or "..") name */
		put(o, ok && !(i == 0 && c == '.') ? &c : "_", 1);
	}
	if (!len)
		put(o, "_", 1);
}

int rec_path_build(const struct rec_path_in *in, char *out, const char **err)
{
	struct out o = { out, 0, false };
	char expanded[REC_PATH_MAX];
	struct out e = { expanded, 0, false };
	int rc;

	out[0] = '\0';
	if (in->file)
		rc = inside(&o, in->dir, in->file, in->file_len, err);
	else {
		const char *pat = in->pattern ? in->pattern : REC_PATTERN_DEFAULT;
		size_t pl = in->pattern ? in->pattern_len : strlen(REC_PATTERN_DEFAULT);
		struct tm tm;
		char num[8];

		gmtime_r(&in->now, &tm);
		expanded[0] = '\0';
		for (size_t i = 0; i < pl; i++) {
			if (pat[i] != '%') {
				put(&e, &pat[i], 1);
				continue;
			}
			if (++i == pl) {
				*err = "Recording pattern refused: ends in '%'";
				return -EINVAL;
			}
			int v = -1, w = 2;
			switch (pat[i]) {
			case '%':
				put(&e, "%", 1);
				break;
			case 'c':
				put_call_id(&e, in->call_id, in->call_id_len);
				break;
			case 'r':
				put(&e, in->rand, strlen(in->rand));
				break;
			case 'Y':
				v = tm.tm_year + 1900, w = 4;
				break;
			case 'm':
				v = tm.tm_mon + 1;
				break;
			case 'd':
				v = tm.tm_mday;
				break;
			case 'H':
				v = tm.tm_hour;
				break;
			case 'M':
				v = tm.tm_min;
				break;
			case 'S':
				v = tm.tm_sec;
				break;
			default:
				*err = "Recording pattern refused: unknown %-sequence (%c %r %Y %m %d %H "
				       "%M %S %%)";
				return -EINVAL;
			}
			if (v >= 0) {
				snprintf(num, sizeof(num), "%0*d", w, v % 10000);
				put(&e, num, strlen(num));
			}
		}
		if (e.full) {
			*err = "Recording path too long";
			return -EINVAL;
		}
		if (in->subdir) {
			if (in->subdir_len && in->subdir[in->subdir_len - 1] == '/') {
				rc = inside(&o, in->dir, in->subdir, in->subdir_len - 1, err);
			} else {
				rc = inside(&o, in->dir, in->subdir, in->subdir_len, err);
			}
			if (rc)
				return rc;
			if (expanded[0] == '/' || !clean(expanded, e.n, false)) {
				*err = "Recording pattern refused: empty, '.' or '..' component, or "
				       "control characters";
				return -EINVAL;
			}
			put(&o, "/", 1);
			put(&o, expanded, e.n);
			rc = 0;
		} else {
			rc = inside(&o, in->dir, expanded, e.n, err);
		}
	}
	if (rc)
		return rc;
	if (o.full) {
		*err = "Recording path too long";
		return -EINVAL;
	}
	return 0;
}
