// SPDX-License-Identifier: GPL-2.0
/* The parent populates and forks; the child writes: every page is shared. */
#include "bench.h"

const struct scenario_ops sc_cow_child = {
	.name = "cow-child",
	.desc = "parent populates N pages and forks; the child writes one byte per page",
	.backings = BK_ANON | BK_SWAP | BK_HUGETLB | BK_FILE | BK_KSM,
	.params = pages_param,
	.nparams = 1,
	.populate = POP_WRITE,
	.share = &share_child_writes,
	.expect = EXP_SHARED,
};
