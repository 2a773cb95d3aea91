/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BENCH_H
#define COWBENCH_BENCH_H

#include "../lib/scenario.h"
#include "../workloads/workloads.h"

/* The region size every fault scenario takes: "pages" 4 KiB pages. */
extern const struct param_spec pages_param[1];
/* The same, as the first row of a scenario's own params[]. */
#define PAGES_PARAM                                                         \
	{                                                                   \
		.name = "pages", .type = CFG_INT, .min = 1, .max = 1 << 26, \
		.def = { 512 }, .ndef = 1,                                  \
		.desc = "4 KiB pages in the region, one write each",        \
	}

extern const struct scenario_ops sc_cow_child, sc_cow_parent,
	sc_reuse_after_exit, sc_first_touch, sc_zeropage, sc_fork_latency,
	sc_file_private;
extern const struct scenario_ops sc_pinned_fork, sc_remote_flush, sc_hw;

extern const struct backing_ops bk_base, bk_thp, bk_hugetlb, bk_swap_zram;

#endif
