// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "bench.h"

const struct param_spec pages_param[1] = {
	{
		.name = "pages",
		.type = CFG_INT,
		.min = 1,
		.max = 1 << 26,
		.def = { 512 },
		.ndef = 1,
		.desc = "4 KiB pages in the region, one write each",
	},
};

const struct scenario_ops *const scenarios[] = {
	&sc_cow_child, &sc_cow_parent,	 &sc_reuse_after_exit, &sc_first_touch,
	&sc_zeropage,  &sc_fork_latency, &sc_file_private,     &wl_dio,
	&wl_stream,    &wl_thpdb,
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
