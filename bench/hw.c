// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware counters (libpfm4: cycles, instructions, dTLB load and store
 * misses; $COWBENCH_HW_EVENTS) around the two outcomes of a write fault on
 * a fork-shared page: a copy (reuse = 0: the child still maps the page) or
 * a reuse (reuse = 1: the child dropped it with MADV_DONTNEED before the
 * window, so the parent's write-protected page is exclusive again).  Every
 * counting record carries counts.hw; this scenario is the pair on the same
 * sharing, counted only, and the recorded skip where no cpu PMU exists.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/counters.h"
#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
	{
		.name = "reuse",
		.type = CFG_INT,
		.min = 0,
		.max = 1,
		.def = { 0, 1 },
		.ndef = 2,
		.desc = "0: the child holds the pages (copy); 1: it dropped them (reuse)",
	},
};

static bool reuse(const struct sc *sc)
{
	return kv_get(sc->params, "reuse", 0);
}

static int hw_init(struct sc *sc, char *why, int len)
{
	const char *no = hw_probe();

	(void)sc;
	if (!no)
		return 0;
	snprintf(why, len, "%s", no);
	return 1;
}

static int hw_prepare(struct sc *sc, enum role r, char *why, int len)
{
	if (r != ROLE_OTHER || !reuse(sc))
		return 0;
	if (!madvise(sc->buf, sc->len, MADV_DONTNEED))
		return 0;
	snprintf(why, len, "MADV_DONTNEED in the child: %s", strerror(errno));
	return -1;
}

static enum expect hw_expect(struct sc *sc, size_t i, const struct page_view *v)
{
	(void)i;
	(void)v;
	return reuse(sc) ? EXP_EXCLUSIVE : EXP_SHARED;
}

const struct scenario_ops sc_hw = {
	.name = "hw",
	.desc = "hardware counters (dTLB misses, cycles, instructions) around a COW copy vs a reuse",
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_parent_writes,
	.passes = 1u << PASS_COUNTING,
	.init = hw_init,
	.prepare = hw_prepare,
	.expect_page = hw_expect,
};
