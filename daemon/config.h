/*
 * config.h: rtprelayd configuration: one INI file (libinih) plus command-line
 * overrides. Every key of the file is also a `--key=value` (or `--key value`)
 * option; a value given on the command line replaces the file's (for the list
 * keys `interface`, `listen-ng`, `listen-tcp`, `allow-from`: the whole list).
 *
 * Keys (section [rtprelay]; [rtpengine] and keys before any section are read
 * too, so an rtpengine config section can be reused):
 *   interface      [NAME/]ADDR[!ADVERTISED], several (repeat, or separate with ; , or
 *                  blanks); IPv4 and IPv6. Default 127.0.0.1. First = default.
 *   listen-ng      UDP control: ADDR:PORT, [V6]:PORT or PORT (= 127.0.0.1:PORT)
 *   listen-tcp     TCP control, same syntax
 *   listen-unix    path of a unix stream socket for control
 *   allow-from     addresses allowed to send control commands; required when a
 *                  control listener binds to a non-loopback address
 *   port-min/max   media port range (even start, inclusive)
 *   timeout, silent-timeout, final-timeout, delete-delay (seconds; 0 = off/now)
 *   max-sessions   0 = unlimited;  num-threads  0 = one per CPU
 *   max-load       refuse new calls while the 1-minute load average exceeds
 *                  this (decimal; 0 = off)
 *   max-cpu        refuse new calls while the CPU usage in % exceeds this
 *                  (decimal 0..100; 0 = off)
 *   max-bandwidth  refuse new calls while the media received exceeds this many
 *                  bytes per second (0 = off); see daemon/admission.h
 *   log-level      name or 0..7
 *   offload        yes|no: eBPF kernel fast path + nftables notrack (default no)
 *   opus-complexity  0..10, Opus encoder complexity when transcoding (default 5)
 *   resample-quality 0..10, resampler quality when transcoding between rates
 *                  (default 3)
 *   listen-http    HTTP listener for /metrics and the status page: ADDR:PORT,
 *                  [V6]:PORT or PORT (= 127.0.0.1:PORT); off when not given
 *   http-token     token every HTTP request must carry (Authorization: Bearer,
 *                  or ?token=); required when listen-http is not loopback
 *   recording-dir  absolute directory of call recordings (none = recording off)
 *   recording-method pcap | wav | all (pcap and wav) (default pcap)
 *   recording-format eth | raw: pcap frames with an Ethernet header or bare IP
 *                  (default eth)
 *   recording-notify command run as CMD <metadata.json> <file>... once a
 *                  recording is complete
 *   recording-ring-kb recording ring per worker in KiB, 64..1048576 (default 8192)
 *   recording-kernel-ring-kb the eBPF program's ring for recorded kernel
 *                  streams in KiB, 4..1048576, rounded up to a power of two
 *                  (default 4096); 0 = recorded streams stay in user space
 *   takeover-socket unix socket a successor connects to for a takeover
 *                  (daemon/takeover.h); none = no takeover unless --takeover
 *   takeover       take over from the daemon listening at this path, then
 *                  listen there (SIGUSR2 starts a successor this way)
 *   media-dir      absolute directory play media reads files from (none = refused)
 *   dtls-cert-cipher prime256v1 | RSA: the key of the daemon's DTLS certificate
 *                  (rtpengine's key; default prime256v1, ECDSA P-256; ec/ecdsa
 *                  accepted for prime256v1)
 *   dtls-rsa-key-size RSA modulus bits when RSA, 1024..8192 (default 2048)
 *   dtls-certificate PEM file with the DTLS certificate to use instead of a
 *                  fresh self-signed one (with dtls-private-key): an
 *                  active/standby pair shares one, so a=fingerprint stays the
 *                  same across a failover (docs/failover.md)
 *   dtls-private-key PEM file with its private key (unencrypted)
 *   redis          [PASSWORD@]HOST:PORT[/DB]: Redis-backed active/standby
 *                  (daemon/repl.h); off when not given. HOST is an IPv4/IPv6
 *                  address or a name, DB 0..15 (default 0)
 *   redis-role     active | standby (default active)
 *   redis-auth     password Redis asks for (AUTH); also PASSWORD@ in `redis`
 * Errors name the key and, for the file, the line.
 */
#ifndef RTPRELAY_CONFIG_H
#define RTPRELAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define CFG_MAX_IFACES 8
#define CFG_MAX_LISTEN 4
#define CFG_MAX_ALLOW  16
#define CFG_NAME_MAX   32
#define CFG_PATH_MAX   512 /* a file path in the config */
#define CFG_ADDR_MAX   64

struct cfg_interface {
	char name[CFG_NAME_MAX];       /* "default" when not named */
	char addr[CFG_ADDR_MAX];       /* local address, text */
	char advertised[CFG_ADDR_MAX]; /* what goes into SDP (= addr unless '!') */
	int family;		       /* AF_INET / AF_INET6 */
	struct sockaddr_storage sa;    /* addr, port 0 */
};

struct cfg_listen {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct rtprelay_config {
	struct cfg_interface ifaces[CFG_MAX_IFACES];
	unsigned n_ifaces;
	struct cfg_listen listen_ng[CFG_MAX_LISTEN];
	unsigned n_listen_ng;
	struct cfg_listen listen_tcp[CFG_MAX_LISTEN];
	unsigned n_listen_tcp;
	char listen_unix[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* takeover (daemon/takeover.h): where this daemon listens for a
	 * successor, and where it takes over from ("" = none) */
	char takeover_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char takeover_from[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_storage allow_from[CFG_MAX_ALLOW];
	unsigned n_allow_from;
	uint16_t port_min, port_max;
	/* receive buffer of every media socket the port pool opens, bytes; 0 =
	 * the kernel's default (daemon/sockbuf.h) */
	unsigned socket_buffer;
	unsigned timeout;	 /* no media for this long -> delete (s) */
	unsigned silent_timeout; /* same, for calls on hold / one-way (s) */
	unsigned final_timeout;	 /* hard cap on call age, 0 = off (s) */
	unsigned delete_delay;	 /* default delay of a delete (s) */
	unsigned max_sessions;	 /* 0 = unlimited */
	double max_load;	 /* 1-minute load average, 0 = off */
	double max_cpu;		 /* CPU usage in percent, 0 = off */
	uint64_t max_bandwidth;	 /* received media bytes/s, 0 = off */
	unsigned num_threads;	 /* 0 = one per CPU */
	int log_level;
	bool offload;		   /* kernel fast path (kernel-offload/) */
	unsigned opus_complexity;  /* Opus encoder complexity 0..10 */
	unsigned resample_quality; /* speexdsp resampler quality 0..10 */
	/* recording (recording/recorder.h): the directory every file stays in
	 * (absolute, no trailing '/'; empty = recording off), the outputs
	 * (enum rec_method), pcap frames with an Ethernet header or bare IP,
	 * the command run when a recording is complete (empty = none), the
	 * ring per worker in KiB */
	char recording_dir[512];
	unsigned recording_methods;
	bool recording_eth;
	char recording_notify[512];
	unsigned recording_ring_kb;
	unsigned recording_kernel_ring_kb;
	/* play media: the directory files are read from (absolute; empty =
	 * play media refused) */
	char media_dir[512];
	bool dtls_cert_rsa;	    /* dtls-cert-cipher = RSA */
	unsigned dtls_rsa_key_size; /* its bits */
	/* dtls-certificate / dtls-private-key: PEM files of a certificate to
	 * use instead of a fresh one (both or neither; empty = not given) */
	char dtls_certificate[CFG_PATH_MAX];
	char dtls_private_key[CFG_PATH_MAX];
	bool foreground;
	char config_file[512];
	bool has_listen_http; /* listen-http given */
	struct cfg_listen listen_http;
	char http_token[129]; /* "" = none */
	/* Redis-backed active/standby (daemon/repl.h): off unless has_redis */
	bool has_redis;
	char redis_host[256];
	uint16_t redis_port;
	unsigned redis_db;
	bool redis_standby; /* redis-role = standby */
	char redis_auth[129];
};

/* Fill @c with the built-in defaults (no interface yet: config_finish adds
 * 127.0.0.1 if none is given). */
void config_defaults(struct rtprelay_config *c);

/* Parse INI text @text (NUL-terminated) into @c. Returns 0, or -EINVAL with
 * "line N: key 'k': reason" in @err. Used by config_load and the fuzzer. */
int config_parse_string(struct rtprelay_config *c, const char *text, char *err, size_t errlen);

/* Set one key from its text value (shared by the file and the command line).
 * Returns 0 or -EINVAL with the reason in @err. */
int config_set(struct rtprelay_config *c, const char *key, const char *value, char *err,
	       size_t errlen);

/* The whole thing: defaults, then --config FILE (if any), then every other
 * command-line option in order, then consistency checks. Returns 0, 1 if
 * --help/--version was handled (exit 0), or -EINVAL with a message in @err. */
int config_load(struct rtprelay_config *c, int argc, char **argv, char *err, size_t errlen);

/* Consistency checks and defaults that depend on several keys. */
int config_finish(struct rtprelay_config *c, char *err, size_t errlen);

/* Interface by name; NULL if none. */
const struct cfg_interface *config_interface(const struct rtprelay_config *c, const char *name);

/* Parse "ADDR:PORT", "[V6]:PORT" or "PORT" into @sa. 0 or -EINVAL. */
int config_parse_hostport(const char *s, struct sockaddr_storage *sa, socklen_t *len);

#endif
