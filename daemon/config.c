/*
 * config.c: defaults, the INI file (libinih) and command-line overrides.
 *
 * One table of keys drives both sources so that "every key is also an option"
 * cannot drift. Values are validated when set; errors carry the key (and the
 * file line) and the daemon exits non-zero on them. List keys (interface,
 * listen-ng, listen-tcp, allow-from) accumulate within one source; a list given
 * on the command line replaces the file's.
 */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codecs/resample.h"
#include "daemon/sockbuf.h"
#include "dtls/dtls.h"
#include "recording/recorder.h"
#include "lib/log.h"

enum key_kind {
	K_UINT,
	K_PORT,
	K_IFACE,
	K_LISTEN_NG,
	K_LISTEN_TCP,
	K_UNIX,
	K_ALLOW,
	K_LOG,
	K_BOOL,
	K_DOUBLE, /* a decimal number in 0..max */
	K_U64,	  /* an integer in 0..CFG_U64_MAX */
	K_LISTEN_HTTP,
	K_HTTP_TOKEN,
	K_REC_DIR,
	K_REC_METHOD,
	K_REC_FORMAT,
	K_REC_NOTIFY,
	K_MEDIA_DIR,
	K_DTLS_CIPHER,
	K_REDIS,
	K_REDIS_ROLE,
	K_REDIS_AUTH,
	K_SOCK_PATH, /* a unix socket path into the char array at off */
	K_FILE,	     /* an absolute file path into a CFG_PATH_MAX array at off */
};

/* Largest K_U64 value: far above any link's bytes per second, and far below
 * where a rate computed from it could overflow. */
#define CFG_U64_MAX 1000000000000000ull

struct key_desc {
	const char *name;
	enum key_kind kind;
	size_t off;   /* K_UINT/K_PORT: offset of the field */
	unsigned max; /* K_UINT: largest value */
};

#define OFF(f) offsetof(struct rtprelay_config, f)

static const struct key_desc keys[] = {
	{ "interface", K_IFACE, 0, 0 },
	{ "listen-ng", K_LISTEN_NG, 0, 0 },
	{ "listen-tcp", K_LISTEN_TCP, 0, 0 },
	{ "listen-tcp-ng", K_LISTEN_TCP, 0, 0 }, /* rtpengine's name */
	{ "listen-unix", K_UNIX, 0, 0 },
	{ "allow-from", K_ALLOW, 0, 0 },
	{ "port-min", K_PORT, OFF(port_min), 0 },
	{ "port-max", K_PORT, OFF(port_max), 0 },
	{ "socket-buffer", K_UINT, OFF(socket_buffer), SOCKBUF_MAX },
	{ "timeout", K_UINT, OFF(timeout), 86400 * 365 },
	{ "silent-timeout", K_UINT, OFF(silent_timeout), 86400 * 365 },
	{ "final-timeout", K_UINT, OFF(final_timeout), 86400 * 365 },
	{ "delete-delay", K_UINT, OFF(delete_delay), 86400 },
	{ "max-sessions", K_UINT, OFF(max_sessions), 10000000 },
	{ "num-threads", K_UINT, OFF(num_threads), 256 },
	{ "log-level", K_LOG, 0, 0 },
	{ "offload", K_BOOL, OFF(offload), 0 },
	{ "opus-complexity", K_UINT, OFF(opus_complexity), 10 },
	{ "resample-quality", K_UINT, OFF(resample_quality), 10 },
	{ "max-load", K_DOUBLE, OFF(max_load), 1000000 },
	{ "max-cpu", K_DOUBLE, OFF(max_cpu), 100 },
	{ "max-bandwidth", K_U64, OFF(max_bandwidth), 0 },
	{ "listen-http", K_LISTEN_HTTP, 0, 0 },
	{ "http-token", K_HTTP_TOKEN, 0, 0 },
	{ "recording-dir", K_REC_DIR, 0, 0 },
	{ "recording-method", K_REC_METHOD, 0, 0 },
	{ "recording-format", K_REC_FORMAT, 0, 0 },
	{ "recording-notify", K_REC_NOTIFY, 0, 0 },
	{ "recording-ring-kb", K_UINT, OFF(recording_ring_kb), 1048576 },
	{ "recording-kernel-ring-kb", K_UINT, OFF(recording_kernel_ring_kb), 1048576 },
	{ "media-dir", K_MEDIA_DIR, 0, 0 },
	{ "dtls-cert-cipher", K_DTLS_CIPHER, 0, 0 },
	{ "dtls-rsa-key-size", K_UINT, OFF(dtls_rsa_key_size), DTLS_RSA_BITS_MAX },
	{ "dtls-certificate", K_FILE, OFF(dtls_certificate), 0 },
	{ "dtls-private-key", K_FILE, OFF(dtls_private_key), 0 },
	{ "redis", K_REDIS, 0, 0 },
	{ "redis-role", K_REDIS_ROLE, 0, 0 },
	{ "redis-auth", K_REDIS_AUTH, 0, 0 },
	{ "takeover-socket", K_SOCK_PATH, OFF(takeover_socket), 0 },
	{ "takeover", K_SOCK_PATH, OFF(takeover_from), 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

void config_defaults(struct rtprelay_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port_min = 30000;
	c->port_max = 40000;
	c->socket_buffer = SOCKBUF_DEFAULT;
	c->timeout = 60;
	c->silent_timeout = 3600;
	c->final_timeout = 0;
	c->delete_delay = 30;
	c->max_sessions = 0;
	c->num_threads = 0;
	c->log_level = LOG_LVL_INFO;
	c->opus_complexity = 5; /* codecs/README.md: measured CPU against quality */
	c->resample_quality = RESAMPLE_DEFAULT_QUALITY;
	c->recording_methods = REC_PCAP;
	c->recording_eth = true;
	c->recording_ring_kb = 8192;
	c->recording_kernel_ring_kb = 4096;
	c->dtls_cert_rsa = false; /* ECDSA P-256, as rtpengine's default prime256v1 */
	c->dtls_rsa_key_size = DTLS_RSA_BITS_DEFAULT;
}

static const struct key_desc *find_key(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	/* rtpengine also accepts underscores in option names */
	char tmp[64];
	size_t n = strlen(name);
	if (n >= sizeof(tmp))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		tmp[i] = name[i] == '_' ? '-' : name[i];
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, tmp) == 0)
			return &keys[i];
	return NULL;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* A plain decimal number ("0.5", "12"): no sign, exponent, hex, inf or nan. */
static int parse_double(const char *s, unsigned max, double *out)
{
	char *end;
	double v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if ((*p < '0' || *p > '9') && *p != '.')
			return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0) || v > (double)max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > CFG_U64_MAX)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *sa, int *family)
{
	memset(sa, 0, sizeof(*sa));
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int config_parse_hostport(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[CFG_ADDR_MAX];
	const char *port_s;
	unsigned port;
	int fam;

	if (strchr(s, ':') == NULL) { /* bare port: loopback */
		host[0] = '\0';
		port_s = s;
		snprintf(host, sizeof(host), "127.0.0.1");
	} else if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		port_s = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (strchr(s, ':') != colon || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL; /* bare IPv6 needs brackets */
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port_s = colon + 1;
	}
	if (parse_uint(port_s, 65535, &port) || port == 0)
		return -EINVAL;
	if (parse_addr(host, sa, &fam))
		return -EINVAL;
	if (fam == AF_INET) {
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
	}
	return 0;
}

/* One "[NAME/]ADDR[!ADV]" item. */
static int add_iface(struct rtprelay_config *c, const char *item, char *err, size_t errlen)
{
	struct cfg_interface ifc;
	char buf[CFG_NAME_MAX + 2 * CFG_ADDR_MAX + 4];
	char *addr = buf, *adv, *slash;
	int fam2;
	struct sockaddr_storage tmp;

	memset(&ifc, 0, sizeof(ifc));
	if (strlen(item) >= sizeof(buf)) {
		snprintf(err, errlen, "interface '%.40s...' too long", item);
		return -EINVAL;
	}
	strcpy(buf, item);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!buf[0] || strlen(buf) >= CFG_NAME_MAX) {
			snprintf(err, errlen, "interface '%s': bad name", item);
			return -EINVAL;
		}
		strcpy(ifc.name, buf);
		addr = slash + 1;
	} else {
		strcpy(ifc.name, "default");
	}
	adv = strchr(addr, '!');
	if (adv)
		*adv++ = '\0';
	if (strlen(addr) >= CFG_ADDR_MAX || parse_addr(addr, &ifc.sa, &ifc.family)) {
		snprintf(err, errlen, "interface '%s': '%s' is not an IPv4/IPv6 address", item,
			 addr);
		return -EINVAL;
	}
	strcpy(ifc.addr, addr);
	if (adv) {
		if (strlen(adv) >= CFG_ADDR_MAX || parse_addr(adv, &tmp, &fam2)) {
			snprintf(err, errlen, "interface '%s': advertised '%s' is not an address",
				 item, adv);
			return -EINVAL;
		}
		strcpy(ifc.advertised, adv);
	} else {
		strcpy(ifc.advertised, addr);
	}
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		if (strcmp(c->ifaces[i].name, ifc.name) == 0 && c->ifaces[i].family == ifc.family) {
			snprintf(err, errlen,
				 "interface '%s': name '%s' given twice for one family", item,
				 ifc.name);
			return -EINVAL;
		}
	}
	if (c->n_ifaces >= CFG_MAX_IFACES) {
		snprintf(err, errlen, "more than %d interfaces", CFG_MAX_IFACES);
		return -EINVAL;
	}
	c->ifaces[c->n_ifaces++] = ifc;
	return 0;
}

/* Apply @fn to each item of a list value (separators: ; , blanks). */
static int each_item(struct rtprelay_config *c, const char *value, char *err, size_t errlen,
		     int (*fn)(struct rtprelay_config *, const char *, char *, size_t))
{
	char buf[1024];
	char *save = NULL, *tok;
	int n = 0, rc;

	if (strlen(value) >= sizeof(buf)) {
		snprintf(err, errlen, "value too long");
		return -EINVAL;
	}
	strcpy(buf, value);
	for (tok = strtok_r(buf, ";, \t", &save); tok; tok = strtok_r(NULL, ";, \t", &save)) {
		rc = fn(c, tok, err, errlen);
		if (rc)
			return rc;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty value");
		return -EINVAL;
	}
	return 0;
}

static int add_listen(struct cfg_listen *arr, unsigned *n, const char *item, char *err,
		      size_t errlen)
{
	if (*n >= CFG_MAX_LISTEN) {
		snprintf(err, errlen, "more than %d addresses", CFG_MAX_LISTEN);
		return -EINVAL;
	}
	if (config_parse_hostport(item, &arr[*n].sa, &arr[*n].len)) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT, [IPV6]:PORT or PORT", item);
		return -EINVAL;
	}
	(*n)++;
	return 0;
}

static int add_listen_ng(struct rtprelay_config *c, const char *item, char *err, size_t errlen)
{
	return add_listen(c->listen_ng, &c->n_listen_ng, item, err, errlen);
}

static int add_listen_tcp(struct rtprelay_config *c, const char *item, char *err, size_t errlen)
{
	return add_listen(c->listen_tcp, &c->n_listen_tcp, item, err, errlen);
}

static int add_allow(struct rtprelay_config *c, const char *item, char *err, size_t errlen)
{
	int fam;

	if (c->n_allow_from >= CFG_MAX_ALLOW) {
		snprintf(err, errlen, "more than %d addresses", CFG_MAX_ALLOW);
		return -EINVAL;
	}
	if (parse_addr(item, &c->allow_from[c->n_allow_from], &fam)) {
		snprintf(err, errlen, "'%s' is not an IPv4/IPv6 address", item);
		return -EINVAL;
	}
	c->n_allow_from++;
	return 0;
}

/* `redis`: [PASSWORD@]HOST:PORT[/DB], rtpengine's syntax. HOST may be a name,
 * an IPv4 address or a [bracketed] IPv6 one; resolved when connecting. */
static int parse_redis(struct rtprelay_config *c, const char *value, char *err, size_t errlen)
{
	const char *at = strrchr(value, '@'), *hp = at ? at + 1 : value, *colon, *slash, *h_end;
	const char *h = hp;
	unsigned port, db = 0;
	size_t hl;

	if (at && ((size_t)(at - value) >= sizeof(c->redis_auth) || at == value)) {
		snprintf(err, errlen, "password empty or longer than %zu bytes",
			 sizeof(c->redis_auth) - 1);
		return -EINVAL;
	}
	slash = strchr(hp, '/');
	if (*hp == '[') {
		h = hp + 1;
		h_end = strchr(h, ']');
		if (!h_end || h_end[1] != ':')
			goto bad;
		colon = h_end + 1;
	} else {
		colon = strchr(hp, ':');
		if (!colon || (slash && slash < colon))
			goto bad;
		h_end = colon;
	}
	hl = (size_t)(h_end - h);
	if (!hl || hl >= sizeof(c->redis_host) || memchr(h, '/', hl))
		goto bad;
	char num[16];
	size_t pl = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
	if (!pl || pl >= sizeof(num))
		goto bad;
	memcpy(num, colon + 1, pl);
	num[pl] = '\0';
	if (parse_uint(num, 65535, &port) || port == 0)
		goto bad;
	if (slash && parse_uint(slash + 1, 15, &db))
		goto bad;
	memcpy(c->redis_host, h, hl);
	c->redis_host[hl] = '\0';
	c->redis_port = (uint16_t)port;
	c->redis_db = db;
	if (at) {
		memcpy(c->redis_auth, value, (size_t)(at - value));
		c->redis_auth[at - value] = '\0';
	}
	c->has_redis = true;
	return 0;
bad:
	/* the value is not echoed: it may carry a password */
	snprintf(err, errlen, "not [PASSWORD@]HOST:PORT[/DB] (port 1..65535, db 0..15)");
	return -EINVAL;
}

static int set_key(struct rtprelay_config *c, const struct key_desc *k, const char *value,
		   char *err, size_t errlen)
{
	unsigned v;
	int lvl;
	double dv;
	uint64_t u64;

	switch (k->kind) {
	case K_DOUBLE:
		if (parse_double(value, k->max, &dv)) {
			snprintf(err, errlen, "'%s' is not a decimal number in 0..%u", value,
				 k->max);
			return -EINVAL;
		}
		*(double *)((char *)c + k->off) = dv;
		return 0;
	case K_U64:
		if (parse_u64(value, &u64)) {
			snprintf(err, errlen, "'%s' is not a number in 0..%llu", value,
				 CFG_U64_MAX);
			return -EINVAL;
		}
		*(uint64_t *)((char *)c + k->off) = u64;
		return 0;
	case K_UINT:
		if (parse_uint(value, k->max, &v)) {
			snprintf(err, errlen, "'%s' is not a number in 0..%u", value, k->max);
			return -EINVAL;
		}
		*(unsigned *)((char *)c + k->off) = v;
		return 0;
	case K_PORT:
		if (parse_uint(value, 65535, &v) || v < 1024) {
			snprintf(err, errlen, "'%s' is not a port in 1024..65535", value);
			return -EINVAL;
		}
		*(uint16_t *)((char *)c + k->off) = (uint16_t)v;
		return 0;
	case K_IFACE:
		return each_item(c, value, err, errlen, add_iface);
	case K_LISTEN_NG:
		return each_item(c, value, err, errlen, add_listen_ng);
	case K_LISTEN_TCP:
		return each_item(c, value, err, errlen, add_listen_tcp);
	case K_ALLOW:
		return each_item(c, value, err, errlen, add_allow);
	case K_SOCK_PATH:
		if (!value[0] || strlen(value) >= sizeof(c->takeover_socket)) {
			snprintf(err, errlen, "path empty or longer than %zu",
				 sizeof(c->takeover_socket) - 1);
			return -EINVAL;
		}
		strcpy((char *)c + k->off, value);
		return 0;
	case K_FILE:
		if (value[0] != '/' || strlen(value) >= CFG_PATH_MAX) {
			snprintf(err, errlen, "not an absolute path of at most %u bytes",
				 CFG_PATH_MAX - 1);
			return -EINVAL;
		}
		strcpy((char *)c + k->off, value);
		return 0;
	case K_UNIX:
		if (!value[0] || strlen(value) >= sizeof(c->listen_unix)) {
			snprintf(err, errlen, "path empty or longer than %zu",
				 sizeof(c->listen_unix) - 1);
			return -EINVAL;
		}
		strcpy(c->listen_unix, value);
		return 0;
	case K_LISTEN_HTTP:
		if (config_parse_hostport(value, &c->listen_http.sa, &c->listen_http.len)) {
			snprintf(err, errlen, "'%s' is not ADDR:PORT, [V6]:PORT or PORT", value);
			return -EINVAL;
		}
		c->has_listen_http = true;
		return 0;
	case K_HTTP_TOKEN:
		if (strlen(value) >= sizeof(c->http_token) || strpbrk(value, " \t\r\n")) {
			snprintf(err, errlen, "longer than %zu bytes or contains blanks",
				 sizeof(c->http_token) - 1);
			return -EINVAL;
		}
		strcpy(c->http_token, value);
		return 0;
	case K_REC_DIR:
	case K_MEDIA_DIR:
	case K_REC_NOTIFY: {
		size_t n = strlen(value);
		char *dst = k->kind == K_REC_DIR     ? c->recording_dir
			    : k->kind == K_MEDIA_DIR ? c->media_dir
						     : c->recording_notify;
		while (k->kind != K_REC_NOTIFY && n > 1 && value[n - 1] == '/')
			n--;
		if (n >= sizeof(c->recording_dir) || (n && value[0] != '/')) {
			snprintf(err, errlen, "not an absolute path shorter than %zu",
				 sizeof(c->recording_dir));
			return -EINVAL;
		}
		memcpy(dst, value, n);
		dst[n] = '\0';
		return 0;
	}
	case K_REDIS:
		return parse_redis(c, value, err, errlen);
	case K_REDIS_ROLE:
		if (strcasecmp(value, "active") && strcasecmp(value, "standby")) {
			snprintf(err, errlen, "'%s' is not active or standby", value);
			return -EINVAL;
		}
		c->redis_standby = !strcasecmp(value, "standby");
		return 0;
	case K_REDIS_AUTH:
		if (!value[0] || strlen(value) >= sizeof(c->redis_auth)) {
			snprintf(err, errlen, "empty or longer than %zu bytes",
				 sizeof(c->redis_auth) - 1);
			return -EINVAL;
		}
		strcpy(c->redis_auth, value);
		return 0;
	case K_REC_METHOD:
		if (!strcasecmp(value, "pcap"))
			c->recording_methods = REC_PCAP;
		else if (!strcasecmp(value, "wav"))
			c->recording_methods = REC_WAV;
		else if (!strcasecmp(value, "all"))
			c->recording_methods = REC_PCAP | REC_WAV;
		else {
			snprintf(err, errlen, "'%s' is not pcap, wav or all", value);
			return -EINVAL;
		}
		return 0;
	case K_DTLS_CIPHER:
		/* rtpengine's names, and the obvious short ones */
		if (!strcasecmp(value, "prime256v1") || !strcasecmp(value, "ec") ||
		    !strcasecmp(value, "ecdsa")) {
			c->dtls_cert_rsa = false;
			return 0;
		}
		if (!strcasecmp(value, "rsa")) {
			c->dtls_cert_rsa = true;
			return 0;
		}
		snprintf(err, errlen, "'%s' is not prime256v1 or RSA", value);
		return -EINVAL;
	case K_REC_FORMAT:
		if (!strcasecmp(value, "eth") || !strcasecmp(value, "raw")) {
			c->recording_eth = !strcasecmp(value, "eth");
			return 0;
		}
		snprintf(err, errlen, "'%s' is not eth or raw", value);
		return -EINVAL;
	case K_LOG:
		lvl = log_level_parse(value);
		if (lvl < 0) {
			snprintf(err, errlen, "'%s' is not a level (error..debug or 0..7)", value);
			return -EINVAL;
		}
		c->log_level = lvl;
		return 0;
	case K_BOOL:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
		    !strcasecmp(value, "on") || !strcmp(value, "1"))
			*(bool *)((char *)c + k->off) = true;
		else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") ||
			 !strcasecmp(value, "off") || !strcmp(value, "0"))
			*(bool *)((char *)c + k->off) = false;
		else {
			snprintf(err, errlen, "'%s' is not yes or no", value);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

int config_set(struct rtprelay_config *c, const char *key, const char *value, char *err,
	       size_t errlen)
{
	const struct key_desc *k = find_key(key);
	char why[256];
	int rc;

	if (!k) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -EINVAL;
	}
	rc = set_key(c, k, value, why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "key '%s': %s", key, why);
	return rc;
}

struct ini_ctx {
	struct rtprelay_config *c;
	char err[320];
	bool failed;
};

static int on_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;
	char why[300];

	if (section[0] && strcasecmp(section, "rtprelay") != 0 &&
	    strcasecmp(section, "rtpengine") != 0)
		return 1; /* other programs' sections in a shared file */
	if (config_set(ctx->c, name, value, why, sizeof(why)) == 0)
		return 1;
	if (!ctx->failed) {
		ctx->failed = true;
		snprintf(ctx->err, sizeof(ctx->err), "%s", why);
	}
	return 0;
}

static int ini_result(struct ini_ctx *ctx, int rc, const char *what, char *err, size_t errlen)
{
	if (rc == 0)
		return 0;
	if (rc == -1)
		snprintf(err, errlen, "%s: cannot open: %s", what, strerror(errno));
	else if (rc < 0)
		snprintf(err, errlen, "%s: out of memory", what);
	else if (ctx->failed)
		snprintf(err, errlen, "%s: line %d: %s", what, rc, ctx->err);
	else
		snprintf(err, errlen, "%s: line %d: syntax error (expected key = value)", what, rc);
	return -EINVAL;
}

int config_parse_string(struct rtprelay_config *c, const char *text, char *err, size_t errlen)
{
	struct ini_ctx ctx = { .c = c };

	return ini_result(&ctx, ini_parse_string(text, on_ini_line, &ctx), "config", err, errlen);
}

static int parse_file(struct rtprelay_config *c, const char *path, char *err, size_t errlen)
{
	struct ini_ctx ctx = { .c = c };

	return ini_result(&ctx, ini_parse(path, on_ini_line, &ctx), path, err, errlen);
}

const struct cfg_interface *config_interface(const struct rtprelay_config *c, const char *name)
{
	for (unsigned i = 0; i < c->n_ifaces; i++)
		if (strcmp(c->ifaces[i].name, name) == 0)
			return &c->ifaces[i];
	return NULL;
}

static bool is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

int config_finish(struct rtprelay_config *c, char *err, size_t errlen)
{
	char e2[64];

	if (c->n_ifaces == 0 && add_iface(c, "127.0.0.1", e2, sizeof(e2)))
		return -EINVAL;
	if (c->port_min & 1)
		c->port_min++; /* RTP ports are even */
	if (c->port_max < c->port_min + 1) {
		snprintf(err, errlen,
			 "key 'port-max': %u leaves no even/odd port pair above "
			 "port-min %u",
			 c->port_max, c->port_min);
		return -EINVAL;
	}
	if (c->recording_dir[0] && !strcmp(c->recording_dir, "/")) {
		snprintf(err, errlen, "key 'recording-dir': not the root directory");
		return -EINVAL;
	}
	if (c->dtls_rsa_key_size < DTLS_RSA_BITS_MIN) {
		snprintf(err, errlen, "key 'dtls-rsa-key-size': %u..%u bits", DTLS_RSA_BITS_MIN,
			 DTLS_RSA_BITS_MAX);
		return -EINVAL;
	}
	if (c->recording_ring_kb < 64)
		c->recording_ring_kb = 64;
	/* one page: the least a BPF ring has; 0 = recorded streams stay in user space */
	if (c->recording_kernel_ring_kb && c->recording_kernel_ring_kb < 4)
		c->recording_kernel_ring_kb = 4;
	if (c->n_listen_ng == 0 && c->n_listen_tcp == 0 && !c->listen_unix[0])
		add_listen_ng(c, "2223", e2, sizeof(e2));
	for (unsigned i = 0; i < c->n_listen_ng + c->n_listen_tcp; i++) {
		const struct cfg_listen *l = i < c->n_listen_ng
						     ? &c->listen_ng[i]
						     : &c->listen_tcp[i - c->n_listen_ng];
		if (!is_loopback(&l->sa) && c->n_allow_from == 0) {
			snprintf(err, errlen,
				 "key '%s': a control listener on a non-loopback "
				 "address needs 'allow-from' (the proxies' addresses)",
				 i < c->n_listen_ng ? "listen-ng" : "listen-tcp");
			return -EINVAL;
		}
	}
	/* the status page shows call-ids and addresses: beyond loopback only
	 * with a token */
	if (c->has_listen_http && !is_loopback(&c->listen_http.sa) && !c->http_token[0]) {
		snprintf(err, errlen,
			 "key 'listen-http': a listener on a non-loopback address needs "
			 "'http-token'");
		return -EINVAL;
	}
	return 0;
}

static void usage(void)
{
	printf("usage: rtprelayd [--config FILE] [--foreground] [--KEY=VALUE ...]\n"
	       "keys:");
	for (size_t i = 0; i < N_KEYS; i++)
		printf(" %s", keys[i].name);
	printf("\n");
}

/* Split argv[*i] into key/value ("--k=v" or "--k v"); advances *i for the latter. */
static int cli_kv(int argc, char **argv, int *i, char *key, size_t keylen, const char **value)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);

	if (n >= keylen)
		return -EINVAL;
	memcpy(key, a, n);
	key[n] = '\0';
	if (eq) {
		*value = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return -ENOENT;
		*value = argv[++*i];
	}
	return 0;
}

static int cli_apply(struct rtprelay_config *c, int argc, char **argv, char *err, size_t errlen)
{
	unsigned cleared = 0;

	for (int i = 1; i < argc; i++) {
		char key[64];
		const char *value;
		const struct key_desc *k;

		if (strcmp(argv[i], "--foreground") == 0 || strcmp(argv[i], "-f") == 0) {
			c->foreground = true;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s'", argv[i]);
			return -EINVAL;
		}
		int rc = cli_kv(argc, argv, &i, key, sizeof(key), &value);
		if (rc) {
			snprintf(err, errlen, "option '%s': %s", argv[i],
				 rc == -ENOENT ? "needs a value" : "too long");
			return -EINVAL;
		}
		if (strcmp(key, "config") == 0 || strcmp(key, "config-file") == 0)
			continue;
		k = find_key(key);
		if (!k) {
			snprintf(err, errlen, "unknown option '--%s'", key);
			return -EINVAL;
		}
		/* a list on the command line replaces the file's list */
		if (!(cleared & (1u << k->kind))) {
			cleared |= 1u << k->kind;
			if (k->kind == K_IFACE)
				c->n_ifaces = 0;
			else if (k->kind == K_LISTEN_NG)
				c->n_listen_ng = 0;
			else if (k->kind == K_LISTEN_TCP)
				c->n_listen_tcp = 0;
			else if (k->kind == K_ALLOW)
				c->n_allow_from = 0;
		}
		char why[300];
		if (set_key(c, k, value, why, sizeof(why))) {
			snprintf(err, errlen, "option '--%s': %s", key, why);
			return -EINVAL;
		}
	}
	return 0;
}

int config_load(struct rtprelay_config *c, int argc, char **argv, char *err, size_t errlen)
{
	const char *file = NULL;

	config_defaults(c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 1;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("rtprelayd 0.1.0\n");
			return 1;
		}
		if (strncmp(argv[i], "--config", 8) == 0) {
			const char *a = argv[i] + 8;
			if (strncmp(a, "-file", 5) == 0)
				a += 5;
			if (*a == '=') {
				file = a + 1;
			} else if (*a == '\0' && i + 1 < argc) {
				file = argv[++i];
			} else {
				snprintf(err, errlen, "option '%s' needs a file", argv[i]);
				return -EINVAL;
			}
		}
	}
	if (file) {
		if (strlen(file) >= sizeof(c->config_file)) {
			snprintf(err, errlen, "config file name too long");
			return -EINVAL;
		}
		strcpy(c->config_file, file);
		if (parse_file(c, file, err, errlen))
			return -EINVAL;
	}
	if (cli_apply(c, argc, argv, err, errlen))
		return -EINVAL;
	return config_finish(c, err, errlen);
}
