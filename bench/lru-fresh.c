// SPDX-License-Identifier: GPL-2.0
/*
 * Pages populated on the other CPU just before fork(); the child leaves;
 * the parent writes on its own CPU.  The pages are exclusive again, but
 * fork() cleared PageAnonExclusive, so do_wp_page() decides by the
 * reference count (wp_can_reuse_anon_folio()).  A page still in the
 * populating CPU's per-CPU LRU batch holds one more reference, and
 * lru_add_drain() there drains only the local CPU: such a page is copied,
 * and the copy is unnecessary.
 *
 * drain = 1: the child exits on the populating CPU, and exit_mmap()'s
 * lru_add_drain() empties that CPU's batch; drain = 0: it moves to the
 * writer's CPU first and drains the wrong one.  How many pages were still
 * off the LRU before the write (kpageflags) is in the record.
 */
#include <stdio.h>

#include "../lib/pagemap.h"
#include "../lib/topo.h"
#include "bench.h"

#define KPF_LRU (1ULL << 5)

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
	FLAG_PARAM(
		"drain",
		"1: the child exits on the populating CPU (its exit drains that CPU's LRU batch)"),
};

static const struct share share_fresh = {
	.other = OTHER_PROCESS,
	.other_leaves = true,
	.populate_on_other = true,
};

static int fresh_init(struct sc *sc, char *why, int len)
{
	if (sc->writer_cpu != sc->other_cpu)
		return 0;
	snprintf(why, len,
		 "lru-fresh needs two CPUs (writer and other on CPU %d)",
		 sc->writer_cpu);
	return 1;
}

static int fresh_prepare(struct sc *sc, enum role r, char *why, int len)
{
	if (r != ROLE_OTHER || kv_get(sc->params, "drain", 0))
		return 0;
	if (topo_pin(sc->writer_cpu)) {
		snprintf(why, len, "cannot move the child to CPU %d",
			 sc->writer_cpu);
		return -1;
	}
	return 0;
}

/* The writer's view before the window: pages not on an LRU list yet. */
static int fresh_observe(struct sc *sc, enum role r, struct page_view *pv,
			 char *why, int len)
{
	long n = 0;
	size_t i;

	if (r != ROLE_WRITER)
		return 0;
	for (i = 0; i < sc->pages; i++)
		n += (pv[i].w_before & PM_PRESENT) &&
		     !(pv[i].w_flags & KPF_LRU);
	sc->priv = (void *)n;
	if (n || kv_get(sc->params, "drain", 0))
		return 0;
	/* drain = 0 exists to write pages an LRU batch still holds */
	snprintf(
		why, len,
		"no page was off the LRU before the write: the LRU batch had drained (drain = 0 tests nothing)");
	return 1;
}

static void fresh_extra(struct sc *sc, struct kvset *extra)
{
	kv_set(extra, "off_lru_before", (long)sc->priv);
	kv_set(extra, "populate_cpu", sc->other_cpu);
	kv_set(extra, "write_cpu", sc->writer_cpu);
}

const struct scenario_ops sc_lru_fresh = {
	.name = "lru-fresh",
	.desc = "populated on CPU A just before fork; the child leaves; the parent writes on CPU B (LRU batch refs)",
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_fresh,
	.expect = EXP_EXCLUSIVE,
	.init = fresh_init,
	.prepare = fresh_prepare,
	.observe = fresh_observe,
	.extra = fresh_extra,
};
