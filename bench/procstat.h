/* procstat.h: CPU time and memory of a process and of the whole machine, from /proc. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct sys_cpu {
	uint64_t busy_ns;    /* user+nice+system+irq+softirq+steal over all cores */
	uint64_t softirq_ns; /* softirq alone (kernel fast paths land here) */
};

/* utime+stime of every thread of pid, in ns; -errno when the process is gone. */
int64_t proc_cpu_ns(pid_t pid);
/* Resident set size of pid in KiB; -errno when unreadable. */
int64_t proc_rss_kb(pid_t pid);
/* Whole-machine CPU times from /proc/stat; 0 or -errno. */
int sys_cpu_read(struct sys_cpu *out);

#endif
