/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_BENCH_H
#define COWBENCH_BENCH_H

#include "../lib/scenario.h"

#define BK_BASE (1u << 0)
#define BK_THP (1u << 1)
#define BK_ANON (BK_BASE | BK_THP)

/* The region size every fault scenario takes: "pages" 4 KiB pages. */
extern const struct param_spec pages_param[1];

extern const struct scenario_ops sc_cow_child, sc_cow_parent,
	sc_reuse_after_exit, sc_first_touch, sc_zeropage, sc_fork_latency,
	sc_file_private;

#endif
