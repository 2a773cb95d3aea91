// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "util.h"

struct clock_info cb_clock = { "clock_monotonic", 1.0, 0, 0 };
int cb_clock_tsc;

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t thread_run_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int tsc_invariant(void)
{
	char *info = slurp("/proc/cpuinfo", NULL);
	char *flags;
	int ok = 0;

	if (!info)
		return 0;
	flags = strstr(info, "\nflags");
	if (flags) {
		char *eol = strchr(flags + 1, '\n');

		if (eol)
			*eol = '\0';
		ok = strstr(flags, " constant_tsc") &&
		     strstr(flags, " nonstop_tsc");
	}
	free(info);
	return ok;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void calibrate_tsc(void)
{
	uint64_t t0, c0, t1, c1;
	struct timespec d = { 0, 50 * 1000 * 1000 };

	t0 = mono_ns();
	c0 = clk_now();
	nanosleep(&d, NULL);
	t1 = mono_ns();
	c1 = clk_now();
	cb_clock.ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

#define PAIRS 20001

void clock_init(void)
{
	uint64_t *d = xmalloc(PAIRS * sizeof(*d));
	int i;

	if (tsc_invariant()) {
		cb_clock_tsc = 1;
		cb_clock.source = "tsc";
		calibrate_tsc();
	}
	for (i = 0; i < PAIRS; i++) {
		uint64_t a = clk_now();

		d[i] = clk_now() - a;
	}
	qsort(d, PAIRS, sizeof(*d), cmp_u64);
	cb_clock.pair_ns = clk_ns(d[PAIRS / 2]);
	cb_clock.pair_ns_p99 = clk_ns(d[PAIRS * 99 / 100]);
	free(d);
}
