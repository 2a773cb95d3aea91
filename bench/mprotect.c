// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect(PROT_READ) and back to PROT_READ|PROT_WRITE, then one write per
 * page: the Copy-on-Pin paper's write-fault-duration benchmark.
 * change_pte_range() maps an exclusive anonymous page writable again at
 * once (can_change_pte_writable(): PageAnonExclusive), so the write takes
 * no fault; a page shared with a forked child stays write-protected and
 * its write copies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

static int protect_pair(struct sc *sc, enum role r, char *why, int len)
{
	return r == ROLE_WRITER ? mprotect_round_trip(sc, why, len) : 0;
}

#define MPROTECT_OPS                                                \
	.params = pages_param, .nparams = 1, .populate = POP_WRITE, \
	.prepare = protect_pair

const struct scenario_ops sc_mprotect = {
	.name = "mprotect",
	.desc = "exclusive pages, mprotect RO then RW, one write per page (no fault expected)",
	.share = &share_none,
	.backings = BK_ANON,
	.expect = EXP_EXCLUSIVE,
	.rehearse = true,
	MPROTECT_OPS,
};

const struct scenario_ops sc_mprotect_fork = {
	.name = "mprotect-fork",
	.desc = "fork, then the parent's mprotect RO then RW and one write per page (copies)",
	.share = &share_parent_writes,
	/* the swapped ones too: a swap entry shared by fork */
	.backings = BK_ANON | BK_SWAP,
	.expect = EXP_SHARED,
	MPROTECT_OPS,
};
