// SPDX-License-Identifier: GPL-2.0
/*
 * COW faults in a multithreaded writer.  The parent populates and forks
 * (the child holds every page); then T threads of the parent (the
 * harness's thread writers, share.writers), each pinned to a CPU of its
 * own and released together, write their own slice of "pages" pages.
 * Every copy replaces a present PTE while other CPUs run the mm, so the
 * fault must flush their TLBs (flush_tlb_mm_range() -> flush_tlb_multi()):
 * the counts show the flushes each side saw, and the per-write latency
 * against threads = 1 what they cost.  A writer that is done spins on a
 * plain load until all are (never PAUSE, a yield or a sleep: a CPU that
 * leaves the mm goes lazy and is no longer sent the IPI).
 */
#include <stdio.h>

#include "../lib/topo.h"
#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
	{
		.name = "threads",
		.type = CFG_INT,
		.min = 1,
		.max = MAX_WRITERS,
		.def = { 1, 2 },
		.ndef = 2,
		.desc = "writer threads, one per CPU, each writing its own \"pages\" (1: the baseline)",
	},
};

static const struct share share_threads = {
	.other = OTHER_PROCESS,
	.writers = "threads",
};

static size_t flush_pages(const struct kvset *p)
{
	return (size_t)(kv_get(p, "pages", 0) * kv_get(p, "threads", 1));
}

/*
 * The baseline needs a second CPU too: threads = 1 must differ from the
 * others only in the flushes (the harness skips more threads than CPUs).
 */
static int flush_init(struct sc *sc, char *why, int len)
{
	int cpus[2];

	(void)sc;
	if (topo_cpus(cpus, 2) >= 2)
		return 0;
	snprintf(why, len, "a remote flush needs a second CPU, hwloc sees one");
	return 1;
}

const struct scenario_ops sc_remote_flush = {
	.name = "remote-flush",
	.desc = "fork; T parent threads, one per CPU, write their own pages at once: remote TLB flushes per COW",
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_threads,
	.expect = EXP_SHARED,
	.region_pages = flush_pages,
	.init = flush_init,
};
