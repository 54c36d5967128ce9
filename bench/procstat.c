/* procstat.c: readers for /proc/PID/stat, /proc/PID/status, /proc/stat, every process's
 * stat (others_cpu_ns), /proc/net/softnet_stat and /proc/interrupts. All reads are into
 * fixed buffers; the stat line is parsed after the last ')' because the command name
 * may contain spaces and parentheses. */
#include "bench/procstat.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

static uint64_t tick_ns(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
}

int64_t proc_cpu_ns(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime(14) stime(15) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		   &st) != 2)
		return -EINVAL;
	return (int64_t)((ut + st) * tick_ns());
}

#define PF_KTHREAD_FLAG 0x00200000u /* linux/sched.h PF_KTHREAD */

int64_t others_cpu_ns(pid_t self, pid_t skip)
{
	unsigned long long sum = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned long long ut, st, cut, cst;
		char path[64], buf[2048], *p;
		unsigned flags;
		pid_t pid;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid = (pid_t)atoi(e->d_name);
		if (pid == self || pid == skip)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (read_file(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
			continue; /* gone meanwhile */
		/* state ppid pgrp session tty tpgid flags(7) minflt cminflt majflt cmajflt
		 * utime(12) stime cutime cstime */
		if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu %llu %llu",
			   &flags, &ut, &st, &cut, &cst) != 5 || (flags & PF_KTHREAD_FLAG))
			continue;
		sum += ut + st + cut + cst;
	}
	closedir(d);
	return (int64_t)(sum * tick_ns());
}

int64_t proc_rss_kb(pid_t pid)
{
	char path[64], buf[4096], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	p = strstr(buf, "VmRSS:");
	if (!p)
		return -EINVAL;
	return strtoll(p + 6, NULL, 10);
}

int sys_cpu_read(struct sys_cpu *out)
{
	unsigned long long v[8] = {0};
	char buf[32768], *p;
	struct timespec ts;
	ssize_t n;
	uint64_t t = tick_ns();

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = read_file("/proc/stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return -EINVAL;
	out->t_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* user nice system idle iowait irq softirq steal */
	out->tick_busy_ns = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * t;
	out->idle_ns = (v[3] + v[4]) * t;
	out->softirq_ns = v[6] * t;
	out->ncpu = 0;
	for (p = strstr(buf, "\ncpu"); p; p = strstr(p + 4, "\ncpu")) {
		unsigned c;

		if (p[4] < '0' || p[4] > '9')
			continue;
		if (sscanf(p + 1, "cpu%u %*u %*u %*u %llu %llu", &c, &v[3], &v[4]) == 3 &&
		    c < SYS_CPU_CORES)
			out->core_idle_ns[c] = (v[3] + v[4]) * t;
		out->ncpu++;
	}
	return out->ncpu ? 0 : -EINVAL;
}

int64_t sys_cpu_busy_ns(const struct sys_cpu *a, const struct sys_cpu *b)
{
	if (!a->ncpu || a->ncpu != b->ncpu || b->t_ns < a->t_ns)
		return 0;
	return (int64_t)(a->ncpu * (b->t_ns - a->t_ns)) - (int64_t)(b->idle_ns - a->idle_ns);
}

int64_t sys_cpu_core_busy_ns(const struct sys_cpu *a, const struct sys_cpu *b, unsigned core)
{
	if (core >= SYS_CPU_CORES || a->ncpu != b->ncpu || b->t_ns < a->t_ns)
		return 0;
	return (int64_t)(b->t_ns - a->t_ns) -
	       (int64_t)(b->core_idle_ns[core] - a->core_idle_ns[core]);
}

int64_t softnet_drops(void)
{
	char buf[16384];
	unsigned long long sum = 0, processed, dropped;
	ssize_t n = read_file("/proc/net/softnet_stat", buf, sizeof(buf));

	if (n < 0)
		return n;
	/* one line per core, hex: processed dropped time_squeeze ... */
	for (char *p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (sscanf(p, "%llx %llx", &processed, &dropped) == 2)
			sum += dropped;
	return (int64_t)sum;
}

/* Sum of the per-core counts of the /proc/interrupts row starting with `name:`. */
static int64_t irq_row_sum(const char *buf, const char *name)
{
	size_t len = strlen(name);
	unsigned long long sum = 0, v;
	const char *p = buf;

	while ((p = strstr(p, name))) {
		if (p[len] == ':' && (p == buf || p[-1] == ' ' || p[-1] == '\n'))
			break;
		p += len;
	}
	if (!p)
		return -ENOENT;
	p += len + 1;
	for (;;) {
		char *end;

		v = strtoull(p, &end, 10);
		if (end == p)
			break;
		sum += v;
		p = end;
	}
	return (int64_t)sum;
}

int64_t ipi_count(void)
{
	char buf[32768]; /* one row per interrupt, one column per core */
	ssize_t n = read_file("/proc/interrupts", buf, sizeof(buf));
	int64_t cal, res;

	if (n < 0)
		return n;
	cal = irq_row_sum(buf, "CAL");
	res = irq_row_sum(buf, "RES");
	return cal < 0 || res < 0 ? -ENOENT : cal + res;
}
