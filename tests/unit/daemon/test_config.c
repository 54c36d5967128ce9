/* test_config.c: the config file and the command line: good files, errors with
 * key and line, command-line overrides, interface syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "recording/recorder.h"
#include "lib/log.h"

static char cfg_path[64];

static void write_file(const char *text)
{
	strcpy(cfg_path, "/tmp/rtprelay-cfg-XXXXXX");
	int fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(struct rtprelay_config *c, char *err, int n, ...)
{
	char *argv[16] = {"rtprelayd"};
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	return config_load(c, n + 1, argv, err, 512);
}

static void defaults_are_loopback(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	assert_int_equal(load(&c, err, 0), 0);
	assert_int_equal(c.n_ifaces, 1);
	assert_string_equal(c.ifaces[0].addr, "127.0.0.1");
	assert_int_equal(c.n_listen_ng, 1);
	struct sockaddr_in *sin = (struct sockaddr_in *)&c.listen_ng[0].sa;
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(ntohs(sin->sin_port), 2223);
	assert_int_equal(c.port_min % 2, 0);
	assert_int_equal(c.opus_complexity, 5);
	assert_int_equal(c.resample_quality, 3);
}

/* Recording keys: an absolute directory (trailing '/' dropped), the
 * methods and formats by name; a relative directory, "/" or an unknown
 * method are errors naming the key. */
static void recording_keys(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	assert_int_equal(load(&c, err, 0), 0);
	assert_string_equal(c.recording_dir, "");
	assert_int_equal(c.recording_methods, REC_PCAP);
	assert_true(c.recording_eth);
	assert_int_equal(load(&c, err, 5, (char *)"--recording-dir=/var/rec/",
			      (char *)"--recording-method=all", (char *)"--recording-format=raw",
			      (char *)"--recording-notify=/bin/true", (char *)"--recording-ring-kb=10"),
			 0);
	assert_string_equal(c.recording_dir, "/var/rec");
	assert_int_equal(c.recording_methods, REC_PCAP | REC_WAV);
	assert_false(c.recording_eth);
	assert_string_equal(c.recording_notify, "/bin/true");
	assert_int_equal(c.recording_ring_kb, 64); /* raised to the least */
	assert_int_equal(c.recording_kernel_ring_kb, 4096); /* default */
	assert_int_equal(load(&c, err, 1, (char *)"--recording-kernel-ring-kb=2"), 0);
	assert_int_equal(c.recording_kernel_ring_kb, 4); /* one page at least */
	assert_int_equal(load(&c, err, 1, (char *)"--recording-kernel-ring-kb=0"), 0);
	assert_int_equal(c.recording_kernel_ring_kb, 0); /* off: user space copies */
	assert_int_not_equal(load(&c, err, 1, (char *)"--recording-kernel-ring-kb=2000000"), 0);
	assert_non_null(strstr(err, "recording-kernel-ring-kb"));
	assert_int_equal(load(&c, err, 1, (char *)"--recording-method=wav"), 0);
	assert_int_equal(c.recording_methods, REC_WAV);
	assert_int_not_equal(load(&c, err, 1, (char *)"--recording-dir=rel/dir"), 0);
	assert_non_null(strstr(err, "recording-dir"));
	assert_int_not_equal(load(&c, err, 1, (char *)"--recording-dir=/"), 0);
	assert_int_not_equal(load(&c, err, 1, (char *)"--recording-method=proc"), 0);
	assert_non_null(strstr(err, "recording-method"));
	assert_int_not_equal(load(&c, err, 1, (char *)"--recording-format=pcapng"), 0);
}

/* DTLS certificate keys, rtpengine's names: dtls-cert-cipher prime256v1
 * (default) or RSA, dtls-rsa-key-size bounded; anything else names the key. */
static void dtls_keys(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	assert_int_equal(load(&c, err, 0), 0);
	assert_false(c.dtls_cert_rsa);
	assert_int_equal(c.dtls_rsa_key_size, 2048);
	assert_int_equal(load(&c, err, 2, (char *)"--dtls-cert-cipher=RSA",
			      (char *)"--dtls-rsa-key-size=3072"),
			 0);
	assert_true(c.dtls_cert_rsa);
	assert_int_equal(c.dtls_rsa_key_size, 3072);
	assert_int_equal(load(&c, err, 1, (char *)"--dtls_cert_cipher=prime256v1"), 0);
	assert_false(c.dtls_cert_rsa);
	assert_int_not_equal(load(&c, err, 1, (char *)"--dtls-cert-cipher=dsa"), 0);
	assert_non_null(strstr(err, "dtls-cert-cipher"));
	assert_int_not_equal(load(&c, err, 1, (char *)"--dtls-rsa-key-size=512"), 0);
	assert_non_null(strstr(err, "dtls-rsa-key-size"));
	assert_int_not_equal(load(&c, err, 1, (char *)"--dtls-rsa-key-size=16384"), 0);
	assert_non_null(strstr(err, "dtls-rsa-key-size"));
}

static void good_file(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	write_file("# comment\n[rtprelay]\n"
		   "interface = pub/127.0.0.1!192.0.2.1; priv/::1\n"
		   "listen-ng = 127.0.0.1:12222\nlisten-tcp = [::1]:12223\n"
		   "listen-unix = /tmp/x.sock\nport-min = 31001\nport-max = 31999\n"
		   "timeout = 30\nsilent-timeout = 600\nfinal-timeout = 7200\n"
		   "delete-delay = 0\nmax-sessions = 10\nnum-threads = 2\nlog-level = debug\n"
		   "opus-complexity = 10\nresample-quality = 8\n"
		   "max-load = 2.5\nmax-cpu = 90\nmax-bandwidth = 12500000000\n"
		   "[other]\nunrelated = 1\n");
	assert_int_equal(load(&c, err, 2, (char *)"--config", cfg_path), 0);
	unlink(cfg_path);
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[0].name, "pub");
	assert_string_equal(c.ifaces[0].advertised, "192.0.2.1");
	assert_string_equal(c.ifaces[1].name, "priv");
	assert_int_equal(c.ifaces[1].family, AF_INET6);
	assert_string_equal(c.ifaces[1].advertised, "::1");
	assert_int_equal(c.listen_tcp[0].sa.ss_family, AF_INET6);
	assert_string_equal(c.listen_unix, "/tmp/x.sock");
	assert_int_equal(c.port_min, 31002);	/* rounded to even */
	assert_int_equal(c.port_max, 31999);
	assert_int_equal(c.timeout, 30);
	assert_int_equal(c.silent_timeout, 600);
	assert_int_equal(c.final_timeout, 7200);
	assert_int_equal(c.delete_delay, 0);
	assert_int_equal(c.max_sessions, 10);
	assert_true(c.max_load == 2.5);
	assert_true(c.max_cpu == 90.0);
	assert_true(c.max_bandwidth == 12500000000ull);
	assert_int_equal(c.num_threads, 2);
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.opus_complexity, 10);
	assert_int_equal(c.resample_quality, 8);
}

static void opus_complexity_is_bounded(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	assert_int_equal(load(&c, err, 1, (char *)"--opus-complexity=0"), 0);
	assert_int_equal(c.opus_complexity, 0);
	assert_int_equal(load(&c, err, 1, (char *)"--opus-complexity=11"), -EINVAL);
	assert_non_null(strstr(err, "opus-complexity"));
	assert_int_equal(load(&c, err, 1, (char *)"--resample-quality=11"), -EINVAL);
	assert_non_null(strstr(err, "resample-quality"));
}

static void bad_value_names_key_and_line(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	write_file("[rtprelay]\ntimeout = 5\n\nport-min = lots\n");
	assert_int_equal(load(&c, err, 2, (char *)"--config", cfg_path), -EINVAL);
	unlink(cfg_path);
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "port-min"));
}

static void unknown_key_and_syntax_errors(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	write_file("[rtprelay]\nno-such-key = 1\n");
	assert_int_equal(load(&c, err, 2, (char *)"--config", cfg_path), -EINVAL);
	unlink(cfg_path);
	assert_non_null(strstr(err, "line 2"));
	assert_non_null(strstr(err, "no-such-key"));

	write_file("[rtprelay]\ntimeout = 5\nthis line has no equals sign\n");
	assert_int_equal(load(&c, err, 2, (char *)"--config", cfg_path), -EINVAL);
	unlink(cfg_path);
	assert_non_null(strstr(err, "line 3"));

	write_file("[rtprelay]\ninterface = 300.1.2.3\n");
	assert_int_equal(load(&c, err, 2, (char *)"--config", cfg_path), -EINVAL);
	unlink(cfg_path);
	assert_non_null(strstr(err, "interface"));

	assert_int_equal(load(&c, err, 1, (char *)"--config=/nonexistent/x.conf"), -EINVAL);
	assert_non_null(strstr(err, "/nonexistent/x.conf"));
}

static void command_line_overrides_file(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	write_file("[rtprelay]\ntimeout = 5\ninterface = a/127.0.0.2\nport-min = 30000\n");
	assert_int_equal(load(&c, err, 5, (char *)"--timeout=9", (char *)"--config", cfg_path,
			      (char *)"--interface", (char *)"b/127.0.0.3"), 0);
	unlink(cfg_path);
	assert_int_equal(c.timeout, 9);
	assert_int_equal(c.port_min, 30000);
	assert_int_equal(c.n_ifaces, 1);	/* the command line list replaces the file's */
	assert_string_equal(c.ifaces[0].name, "b");
	assert_int_equal(load(&c, err, 2, (char *)"--foreground", (char *)"--max_sessions=3"), 0);
	assert_true(c.foreground);
	assert_int_equal(c.max_sessions, 3);
}

/* socket-buffer: 1 MiB by default, 0 (the kernel's default) and any byte
 * count up to 256 MiB taken, more is an error naming the bound. */
static void socket_buffer_key(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	assert_int_equal(load(&c, err, 0), 0);
	assert_int_equal(c.socket_buffer, 1048576);
	assert_int_equal(load(&c, err, 1, (char *)"--socket-buffer=0"), 0);
	assert_int_equal(c.socket_buffer, 0);
	assert_int_equal(load(&c, err, 1, (char *)"--socket-buffer=268435456"), 0);
	assert_int_equal(c.socket_buffer, 268435456);
	assert_int_not_equal(load(&c, err, 1, (char *)"--socket-buffer=268435457"), 0);
	assert_non_null(strstr(err, "socket-buffer"));
	assert_non_null(strstr(err, "0..268435456"));
	assert_int_not_equal(load(&c, err, 1, (char *)"--socket-buffer=-1"), 0);
	assert_int_not_equal(load(&c, err, 1, (char *)"--socket-buffer=1M"), 0);
}

static void bad_command_line(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	assert_int_equal(load(&c, err, 1, (char *)"--bogus=1"), -EINVAL);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(load(&c, err, 1, (char *)"--timeout"), -EINVAL);
	assert_non_null(strstr(err, "timeout"));
	assert_int_equal(load(&c, err, 1, (char *)"--num-threads=-1"), -EINVAL);
	assert_non_null(strstr(err, "num-threads"));
	assert_int_equal(load(&c, err, 2, (char *)"--port-min=40000", (char *)"--port-max=40000"),
			 -EINVAL);
	assert_non_null(strstr(err, "port-max"));
	assert_int_equal(load(&c, err, 1, (char *)"--listen-ng=10.1.2.3:2223"), -EINVAL);
	assert_non_null(strstr(err, "allow-from"));
	assert_int_equal(load(&c, err, 2, (char *)"--listen-ng=10.1.2.3:2223",
			      (char *)"--allow-from=10.1.2.4"), 0);
	assert_int_equal(load(&c, err, 1, (char *)"--listen-ng=::1:5"), -EINVAL);
	/* admission limits: decimal, bounded, no sign/exponent/inf/nan */
	assert_int_equal(load(&c, err, 3, (char *)"--max-load=0.0001", (char *)"--max-cpu=99.5",
			      (char *)"--max-bandwidth=1"),
			 0);
	assert_true(c.max_load == 0.0001 && c.max_cpu == 99.5 && c.max_bandwidth == 1);
	static const char *const bad[] = { "--max-load=-1",    "--max-load=nan",
					   "--max-load=1e3",   "--max-load=inf",
					   "--max-load=",      "--max-cpu=100.5",
					   "--max-cpu=0x10",   "--max-bandwidth=-1",
					   "--max-bandwidth=1.5", "--max-bandwidth=99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(load(&c, err, 1, (char *)bad[i]), -EINVAL);
		assert_non_null(strstr(err, "max-"));
	}
}

static void http_listener_keys(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	/* off unless given; a bare port is loopback */
	assert_int_equal(load(&c, err, 0), 0);
	assert_false(c.has_listen_http);
	assert_int_equal(load(&c, err, 1, (char *)"--listen-http=9103"), 0);
	assert_true(c.has_listen_http);
	assert_int_equal(c.listen_http.sa.ss_family, AF_INET);
	assert_int_equal(ntohl(((struct sockaddr_in *)&c.listen_http.sa)->sin_addr.s_addr),
			 INADDR_LOOPBACK);
	assert_int_equal(ntohs(((struct sockaddr_in *)&c.listen_http.sa)->sin_port), 9103);
	assert_string_equal(c.http_token, "");
	/* beyond loopback only with a token */
	assert_int_equal(load(&c, err, 1, (char *)"--listen-http=0.0.0.0:9103"), -EINVAL);
	assert_non_null(strstr(err, "http-token"));
	assert_int_equal(load(&c, err, 2, (char *)"--listen-http=[::]:9103",
			      (char *)"--http-token=abc"),
			 0);
	assert_string_equal(c.http_token, "abc");
	assert_int_equal(load(&c, err, 1, (char *)"--listen-http=x:y"), -EINVAL);
	assert_non_null(strstr(err, "listen-http"));
	/* tokens: no blanks, bounded */
	assert_int_equal(load(&c, err, 1, (char *)"--http-token=a b"), -EINVAL);
	assert_non_null(strstr(err, "http-token"));
	char longtok[200] = "--http-token=";
	memset(longtok + 13, 'x', 150);
	longtok[163] = '\0';
	assert_int_equal(load(&c, err, 1, longtok), -EINVAL);
}

static void parse_string_for_fuzzer(void **state)
{
	(void)state;
	struct rtprelay_config c;
	char err[512] = "";

	config_defaults(&c);
	assert_int_equal(config_parse_string(&c, "timeout=7\nlisten_ng=9999\n", err, sizeof(err)), 0);
	assert_int_equal(c.timeout, 7);
	assert_int_equal(config_parse_string(&c, "[rtpengine]\nlog-level=99\n", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	assert_non_null(strstr(err, "log-level"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_loopback),
		cmocka_unit_test(good_file),
		cmocka_unit_test(opus_complexity_is_bounded),
		cmocka_unit_test(bad_value_names_key_and_line),
		cmocka_unit_test(http_listener_keys),
		cmocka_unit_test(unknown_key_and_syntax_errors),
		cmocka_unit_test(command_line_overrides_file),
		cmocka_unit_test(bad_command_line),
		cmocka_unit_test(socket_buffer_key),
		cmocka_unit_test(parse_string_for_fuzzer),
		cmocka_unit_test(recording_keys),
		cmocka_unit_test(dtls_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
