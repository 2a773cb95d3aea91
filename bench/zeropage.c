// SPDX-License-Identifier: GPL-2.0
/*
 * A read fault maps the shared zero page (the huge zero page on thp); the
 * write then allocates: a populate, not a copy.
 */
#include "bench.h"

const struct scenario_ops sc_zeropage = {
	.name = "zeropage",
	.desc = "read maps the zero page, then a write replaces it (allocation, not copy)",
	.backings = BK_ANON,
	.params = pages_param,
	.nparams = 1,
	.populate = POP_READ,
	.share = &share_none,
	.expect = EXP_FRESH,
};
