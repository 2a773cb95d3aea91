// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "bench.h"

const struct param_spec pages_param[1] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
};

/* The workload drivers (workloads/), listed after the scenarios. */
#define WORKLOADS &wl_forksrv, &wl_snapshot, &wl_dio, &wl_stream, &wl_thpdb
static const struct scenario_ops *const workloads[] = { WORKLOADS };

static const struct scenario_ops *const scenarios[] = {
	&sc_cow_child,
	&sc_cow_parent,
	&sc_reuse_after_exit,
	&sc_first_touch,
	&sc_zeropage,
	&sc_fork_latency,
	&sc_file_private,
	&sc_thp_cow_child,
	&sc_thp_cow_exit,
	&sc_thp_cow_parent,
	&sc_cow_parallel,
	&sc_ksm,
	&sc_swapin,
	&sc_swapin_child,
	&sc_mprotect,
	&sc_mprotect_fork,
	&sc_vmsplice,
	&sc_vmsplice_parent,
	&sc_lru_fresh,
	&sc_collapse,
	&sc_hugetlb_rsvd,
	&sc_dio_race,
	&sc_pinned_fork,
	&sc_pinned_nofork,
	&sc_ro_pin_shared,
	&sc_ro_pin,
	&sc_remote_flush,
	&sc_hw,
	WORKLOADS,
};
static const struct backing_ops *const families[] = {
	&bk_base,
	&bk_thp,
	&bk_hugetlb,
	&bk_swap_zram,
	&bk_zeropage,
	&bk_zeropage_huge,
	&bk_swap_file,
	&bk_thp_pte,
	&bk_thp_single,
	&bk_mthp,
	&bk_file_private,
	&bk_memfd_private,
	&bk_ksm,
	&bk_thp_partial_mremap,
	&bk_thp_partial_shared,
	&bk_swap_thp,
	&bk_swap_thp_pte,
	&bk_swap_thp_single,
};
const struct registry cowbench_registry = {
	.scenarios = scenarios,
	.nr_scenarios = ARRAY_SIZE(scenarios),
	.first_workload = ARRAY_SIZE(scenarios) - ARRAY_SIZE(workloads),
	.families = families,
	.nr_families = ARRAY_SIZE(families),
};
