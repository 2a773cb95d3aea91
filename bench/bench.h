/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BENCH_H
#define COWBENCH_BENCH_H

#include "../lib/scenario.h"
#include "../workloads/workloads.h"

/* The region size every fault scenario takes: "pages" 4 KiB pages. */
extern const struct param_spec pages_param[1];

extern const struct scenario_ops sc_cow_child, sc_cow_parent,
	sc_reuse_after_exit, sc_first_touch, sc_zeropage, sc_fork_latency,
	sc_file_private;

extern const struct backing_ops bk_base, bk_thp, bk_hugetlb, bk_swap_zram;

#endif
