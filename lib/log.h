/*
 * log.h: leveled logging to stderr (journald picks it up under systemd).
 * Never call from the per-packet path.
 */
#ifndef RTPRELAY_LOG_H
#define RTPRELAY_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Set the most verbose level printed (default LOG_LVL_INFO). */
void log_set_level(int level);
int log_get_level(void);
/* Parse "debug"/"info"/"notice"/"warning"/"error" or a syslog number 0..7; -1 if bad. */
int log_level_parse(const char *s);

/* @v as the value of a key=value pair in a log line (journal-friendly):
 * as it is when it is non-empty and has no blank, quote, backslash, '=' or
 * control character; otherwise in double quotes with \" \\ and \xNN
 * escapes. Written into @buf (truncated to @cap) unless returned as is. */
const char *log_kv(char *buf, size_t cap, const char *v);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_get_level() >= LOG_LVL_DEBUG)        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
