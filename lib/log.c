/*
 * log.c: leveled logging. Lines go to stderr prefixed with the syslog priority
 * ("<6>") so journald files them at the right level when run under systemd, and
 * with a level word when stderr is a terminal. One write(2) per line so lines from
 * different threads do not interleave.
 */
#include "lib/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static atomic_int max_level = LOG_LVL_INFO;

void log_set_level(int level)
{
	atomic_store(&max_level, level);
}

int log_get_level(void)
{
	return atomic_load_explicit(&max_level, memory_order_relaxed);
}

int log_level_parse(const char *s)
{
	static const char *const names[] = { "emerg",	"alert",  "crit", "error",
					     "warning", "notice", "info", "debug" };

	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "err") == 0)
		return LOG_LVL_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

const char *log_kv(char *buf, size_t cap, const char *v)
{
	const unsigned char *s = (const unsigned char *)(v ? v : "");
	size_t n = 0;
	bool plain = *s != '\0';

	for (const unsigned char *c = s; *c && plain; c++)
		plain = *c > ' ' && *c != '"' && *c != '\\' && *c != '=' && *c != 0x7f;
	if (plain)
		return (const char *)s;
	if (cap < 8)
		return "\"\"";
	buf[n++] = '"';
	for (; *s && n + 6 < cap; s++) {
		if (*s == '"' || *s == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)*s;
		} else if (*s < ' ' || *s == 0x7f) {
			n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *s);
		} else {
			buf[n++] = (char)*s;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const words[] = { "EMERG", "ALERT",	"CRIT", "ERR",
					     "WARN",  "NOTICE", "INFO", "DEBUG" };
	char line[1024];
	int n;
	va_list ap;

	if (level > log_get_level())
		return;
	if (level < 0 || level > 7)
		level = LOG_LVL_ERR;
	if (isatty(STDERR_FILENO))
		n = snprintf(line, sizeof(line), "[%s] ", words[level]);
	else
		n = snprintf(line, sizeof(line), "<%d>", level);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
