// SPDX-License-Identifier: GPL-2.0
/*
 * The child exits without writing: the parent's pages are exclusive again
 * but still write-protected, so each write faults and should reuse.
 */
#include "bench.h"

const struct scenario_ops sc_reuse_after_exit = {
	.name = "reuse-after-exit",
	.desc = "fork; the child exits without writing; the parent writes (reuse expected)",
	.backings = BK_ANON | BK_SWAP | BK_HUGETLB,
	.params = pages_param,
	.nparams = 1,
	.populate = POP_WRITE,
	.share = &share_child_exits,
	.expect = EXP_EXCLUSIVE,
};
