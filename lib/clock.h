/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_CLOCK_H
#define COWBENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Timestamps are TSC ticks when the TSC is invariant (constant_tsc and
 * nonstop_tsc), nanoseconds from CLOCK_MONOTONIC otherwise.  rdtsc is
 * fenced on both sides so that the timed work can neither start early nor
 * retire late around it.
 */
struct clock_info {
	const char *source; /* "tsc" or "clock_monotonic" */
	double ns_per_tick;
	double pair_ns; /* median cost of one back-to-back read pair */
	double pair_ns_p99;
};

extern struct clock_info cb_clock;
extern int cb_clock_tsc;

static inline uint64_t clk_now(void)
{
	struct timespec ts;
	uint32_t lo, hi;

	if (cb_clock_tsc) {
		__asm__ volatile("lfence; rdtsc; lfence"
				 : "=a"(lo), "=d"(hi)::"memory");
		return ((uint64_t)hi << 32) | lo;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline double clk_ns(uint64_t ticks)
{
	return ticks * cb_clock.ns_per_tick;
}

/* Pick the source, calibrate it and measure its own read cost. */
void clock_init(void);
uint64_t mono_ns(void);
/*
 * The calling thread's run time in ns (0 if unknown).  With
 * CONFIG_PARAVIRT_TIME_ACCOUNTING it excludes steal, so wall minus run
 * time is what the thread lost to other tasks, interrupts and the host.
 */
uint64_t thread_run_ns(void);

#endif
