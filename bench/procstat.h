/* procstat.h: CPU time and memory of a process and of the whole machine, and the
 * machine's input-queue drops and inter-processor interrupts, from /proc. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

/* Whole-machine CPU. The busy fields of /proc/stat (user, system, softirq, ...) are
 * sampled at the scheduler tick (CONFIG_TICK_CPU_ACCOUNTING, HZ=250 here): a load paced
 * by a timer, like the generator's 0.5 ms pacer, is phase-locked to the tick and gets
 * charged nearly always or nearly never (98 % or 1.5 % of a core for the same 25 % load).
 * Idle and iowait are measured at every idle entry and exit (NO_HZ), so busy time is taken
 * as elapsed time on every online core minus idle and iowait: user, nice, system, irq,
 * softirq and steal, exactly, whatever the tick saw. */
#define SYS_CPU_CORES 16 /* cores reported one by one */

struct sys_cpu {
	uint64_t t_ns;       /* CLOCK_MONOTONIC when read */
	uint64_t idle_ns;    /* idle + iowait over all cores (measured, not sampled) */
	uint64_t tick_busy_ns; /* user+nice+system+irq+softirq+steal as the tick sampled it */
	uint64_t softirq_ns; /* softirq alone, tick-sampled (kernel fast paths land here) */
	unsigned ncpu;       /* cpuN lines in /proc/stat: online cores */
	uint64_t core_idle_ns[SYS_CPU_CORES]; /* idle + iowait of cpu0, cpu1, ... */
};

/* utime+stime of every thread of pid, in ns; -errno when the process is gone. */
int64_t proc_cpu_ns(pid_t pid);
/* Resident set size of pid in KiB; -errno when unreadable. */
int64_t proc_rss_kb(pid_t pid);
/* CPU time of every user-space process but `self` and `skip` (0: none): utime + stime +
 * cutime + cstime summed over /proc, in ns. Kernel threads are left in the machine's busy
 * time (ksoftirqd and workers carry network work). The difference of two reads is the
 * other processes' CPU in between, also for those that started or ended in between (an
 * ended process is in its parent's cutime once reaped). For a machine shared with other
 * work: machine busy minus this is what the bench's own processes and the kernel did.
 * Clock-tick resolution per process (10 ms). */
int64_t others_cpu_ns(pid_t self, pid_t skip);

/* Packets dropped because a core's input backlog was full (netdev_max_backlog; the
 * queue of veth, loopback and RPS), summed over cores from /proc/net/softnet_stat:
 * machine-wide, whatever the namespace. -errno when unreadable. */
int64_t softnet_drops(void);

/* Inter-processor interrupts received so far, all cores: function calls (CAL: RPS
 * kicks a remote core's backlog with one) plus rescheduling (RES: a wake-up of a task on
 * another core), from /proc/interrupts. In a VM each one is costly. -errno on failure. */
int64_t ipi_count(void);

/* Whole-machine CPU times from /proc/stat; 0 or -errno. */
int sys_cpu_read(struct sys_cpu *out);
/* Busy time of every core between two reads: ncpu x elapsed - idle - iowait (ns; 0 when
 * the core count changed in between or a read failed). */
int64_t sys_cpu_busy_ns(const struct sys_cpu *a, const struct sys_cpu *b);
/* The same for cpu number `core` alone (online, < SYS_CPU_CORES; else meaningless). */
int64_t sys_cpu_core_busy_ns(const struct sys_cpu *a, const struct sys_cpu *b, unsigned core);

#endif
