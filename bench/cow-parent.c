// SPDX-License-Identifier: GPL-2.0
/* The parent writes while its forked child is alive and idle. */
#include "bench.h"

const struct scenario_ops sc_cow_parent = {
	.name = "cow-parent",
	.desc = "parent populates N pages and forks; the parent writes while the child idles",
	.backings = BK_ANON | BK_SWAP | BK_HUGETLB | BK_FILE | BK_KSM,
	.params = pages_param,
	.nparams = 1,
	.populate = POP_WRITE,
	.share = &share_parent_writes,
	.expect = EXP_SHARED,
};
