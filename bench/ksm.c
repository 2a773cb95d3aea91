// SPDX-License-Identifier: GPL-2.0
/*
 * Writes to KSM-merged pages.  A KSM page is shared by every mapper of its
 * content, so each write must copy (do_wp_page() counts COW_KSM and never
 * reuses a KSM folio).  With unmerge = 1 the region is MADV_UNMERGEABLE
 * first: break_ksm() unshares every page into an exclusive anonymous page,
 * still write-protected, whose write fault must then reuse it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/pagemap.h"
#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
	FLAG_PARAM(
		"unmerge",
		"1: MADV_UNMERGEABLE before the writes (exclusive pages again)"),
};

static bool unmerged(const struct sc *sc)
{
	return kv_get(sc->params, "unmerge", 0);
}

static int ksm_init(struct sc *sc, char *why, int len)
{
	long n;

	if (!unmerged(sc))
		return 0;
	if (madvise(sc->buf, sc->len, MADV_UNMERGEABLE)) {
		snprintf(why, len, "MADV_UNMERGEABLE: %s", strerror(errno));
		return -1;
	}
	n = count_flagged(sc, KPF_KSM, why, len);
	if (n < 0)
		return -1;
	if (n) {
		snprintf(why, len,
			 "%ld of %zu pages still KSM after MADV_UNMERGEABLE", n,
			 sc->pages);
		return -1;
	}
	return 0;
}

static enum expect ksm_expect(struct sc *sc, size_t i,
			      const struct page_view *v)
{
	(void)i;
	(void)v;
	return unmerged(sc) ? EXP_EXCLUSIVE : EXP_SHARED;
}

const struct scenario_ops sc_ksm = {
	.name = "ksm",
	.desc = "one write per KSM-merged page (each must copy: cow_ksm), or after MADV_UNMERGEABLE (reuse)",
	.backings = BK_KSM,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_none,
	.expect = EXP_SHARED,
	.init = ksm_init,
	.expect_page = ksm_expect,
};
