// SPDX-License-Identifier: GPL-2.0
/*
 * The shared zero page: every page of the region is read-faulted, never
 * written, before the share.  A scenario that populates by writing gets its
 * pages dropped (MADV_DONTNEED) and read-faulted again, so that whatever the
 * scenario, the window writes over the zero page: an allocation, not a copy
 * (classify.c), whether or not another process maps the zero page too.
 * zeropage-huge is the same with the huge zero page: a read fault of a
 * MADV_HUGEPAGE region maps it by a PMD (THP use_zero_page, set to 1 for
 * the combination), and a write replaces the whole PMD.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define USE_ZERO_PAGE "/sys/kernel/mm/transparent_hugepage/use_zero_page"

static bool huge(const struct sc *sc)
{
	return sc->bk->ops == &bk_zeropage_huge;
}

static int map_read_again(struct sc *sc, char *why, int len)
{
	if (madvise(sc->buf, sc->len, MADV_DONTNEED)) {
		snprintf(why, len, "MADV_DONTNEED: %s", strerror(errno));
		return -1;
	}
	/* a file's page cache has no zero page to simulate away */
	read_fault(sc->buf, sc->pages, !(sc->bk->ops->kind & BK_FILE));
	return 0;
}

static int zero_map(struct sc *sc, char *why, int len)
{
	return map_anon(sc, huge(sc) ? MADV_HUGEPAGE : MADV_NOHUGEPAGE, why,
			len);
}

static int zero_check(struct sc *sc, char *why, int len)
{
	if (huge(sc))
		return require_flagged(sc, KPF_ZERO_PAGE | KPF_THP,
				       "the huge zero page", why, len);
	return require_flagged(sc, KPF_ZERO_PAGE, "the zero page", why, len);
}

/* The huge zero page is THP's to give: use_zero_page on for the combination. */
static int huge_setup(const struct backing *b, size_t pages, char *why, int len)
{
	int ret;

	(void)b;
	(void)pages;
	if (access(USE_ZERO_PAGE, F_OK)) {
		snprintf(why, len, "no %s (no THP)", USE_ZERO_PAGE);
		return 1;
	}
	ret = knob_set(USE_ZERO_PAGE, "1");
	if (ret)
		snprintf(why, len, "%s = 1: %s", USE_ZERO_PAGE, strerror(-ret));
	return ret ? -1 : 0;
}

/* What a read maps, whatever the scenario populated, then checked. */
int read_mapped(struct sc *sc, int (*check)(struct sc *, char *, int),
		char *why, int len)
{
	int ret = 0;

	if (sc->ops->populate != POP_READ)
		ret = map_read_again(sc, why, len);
	return ret ? ret : check(sc, why, len);
}

/* An unpopulated region is checked after the window: it was, before. */
int read_mapped_verify(struct sc *sc, int (*check)(struct sc *, char *, int),
		       char *why, int len)
{
	return sc->ops->populate == POP_NONE ? 0 : check(sc, why, len);
}

static int zero_after_populate(struct sc *sc, char *why, int len)
{
	return read_mapped(sc, zero_check, why, len);
}

static int zero_verify(struct sc *sc, char *why, int len)
{
	return read_mapped_verify(sc, zero_check, why, len);
}

const struct backing_ops bk_zeropage = {
	.name = "zeropage",
	.desc = "the shared zero page: read-faulted (written pages dropped and read again) before the share",
	.kind = BK_ANON,
	.warm = WARM_BASE,
	.extra = anon_huge_extra,
	.unit_pages = 1,
	.fault_pages = 1,
	.map = zero_map,
	.after_populate = zero_after_populate,
	.verify = zero_verify,
};

const struct backing_ops bk_zeropage_huge = {
	.name = "zeropage-huge",
	.desc = "the huge zero page: a MADV_HUGEPAGE region read-faulted (written pages dropped and read again) before the share",
	.kind = BK_ANON,
	.warm = WARM_HUGE,
	.extra = anon_huge_extra,
	.unit_pages = PMD_SZ / PAGE_SZ,
	.fault_pages = PMD_SZ / PAGE_SZ,
	.setup = huge_setup,
	.map = zero_map,
	.after_populate = zero_after_populate,
	.verify = zero_verify,
};
