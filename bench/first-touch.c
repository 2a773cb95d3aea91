// SPDX-License-Identifier: GPL-2.0
/* First write to fresh anonymous memory: the no-COW baseline. */
#include "bench.h"

const struct scenario_ops sc_first_touch = {
	.name = "first-touch",
	.desc = "first write to fresh anonymous memory (no COW: the baseline)",
	.backings = BK_ANON,
	.params = pages_param,
	.nparams = 1,
	.populate = POP_NONE,
	.share = &share_none,
	.expect = EXP_FRESH,
};
