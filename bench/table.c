// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "bench.h"

const struct param_spec pages_param[1] = { PAGES_PARAM };

const struct scenario_ops *const scenarios[] = {
	&sc_cow_child,	  &sc_cow_parent,  &sc_reuse_after_exit,
	&sc_first_touch,  &sc_zeropage,	   &sc_fork_latency,
	&sc_file_private, &sc_pinned_fork, &sc_remote_flush,
	&sc_hw,
};
const int nr_scenarios = ARRAY_SIZE(scenarios);

const struct backing_ops *const backing_families[] = {
	&bk_base,
	&bk_thp,
	&bk_hugetlb,
	&bk_swap_zram,
};
const int nr_backing_families = ARRAY_SIZE(backing_families);

const struct scenario_ops *scenario_find(const char *name)
{
	int i;

	for (i = 0; i < nr_scenarios; i++)
		if (!strcmp(scenarios[i]->name, name))
			return scenarios[i];
	return NULL;
}
