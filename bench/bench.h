/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BENCH_H
#define COWBENCH_BENCH_H

#include "../lib/scenario.h"
#include "../workloads/workloads.h"

/* The region size every fault scenario takes: "pages" 4 KiB pages. */
#define PAGES_PARAM                                                         \
	{                                                                   \
		.name = "pages", .type = CFG_INT, .min = 1, .max = 1 << 26, \
		.def = { 512 }, .ndef = 1,                                  \
		.desc = "4 KiB pages in the region, one write each",        \
	}
extern const struct param_spec pages_param[1];
/* A 0/1 parameter of a scenario, both values by default. */
#define FLAG_PARAM(n, d)                                        \
	{                                                       \
		.name = n, .type = CFG_INT, .min = 0, .max = 1, \
		.def = { 0, 1 }, .ndef = 2, .desc = d,          \
	}

extern const struct scenario_ops sc_cow_child, sc_cow_parent,
	sc_reuse_after_exit, sc_first_touch, sc_zeropage, sc_fork_latency,
	sc_file_private;
extern const struct scenario_ops sc_ksm, sc_swapin, sc_swapin_child,
	sc_mprotect, sc_mprotect_fork, sc_vmsplice, sc_lru_fresh;

extern const struct backing_ops bk_base, bk_thp, bk_hugetlb, bk_swap_zram;
extern const struct backing_ops bk_ksm;

#endif
