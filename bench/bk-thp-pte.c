// SPDX-License-Identifier: GPL-2.0
/*
 * A PMD-sized THP mapped by 512 PTEs: populated as a PMD THP, then the PMD
 * mapping of each 2 MiB is split (not the folio) by an mprotect of one
 * 4 KiB page to read-only and back; the VMA merges again.  Verified: every
 * page is still at its offset in a 2 MiB THP folio (KPF_THP alone would
 * take an mTHP folio too) and none is PMD-mapped (smaps AnonHugePages 0).
 * A write fault maps one PTE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/pagemap.h"
#include "bench.h"

/* Only a populated THP can be PTE-mapped before the window. */
int thp_needs_write(struct sc *sc, char *why, int len)
{
	if (sc->ops->populate == POP_WRITE)
		return 0;
	snprintf(
		why, len, "%s: %s", sc->bk->name,
		sc->ops->populate == POP_READ ?
			"a read fault maps the huge zero page, not a THP folio" :
			"the region is not populated before the window, so no THP exists to split");
	return 1;
}

int pte_after_populate(struct sc *sc, char *why, int len)
{
	size_t off;
	int ret = thp_needs_write(sc, why, len);

	for (off = 0; !ret && off < sc->len; off += PMD_SZ)
		if (mprotect(sc->buf + off, PAGE_SZ, PROT_READ) ||
		    mprotect(sc->buf + off, PAGE_SZ, PROT_READ | PROT_WRITE)) {
			snprintf(why, len, "mprotect: %s", strerror(errno));
			ret = -1;
		}
	/* or khugepaged may collapse it back to a PMD before the window */
	if (!ret && madvise(sc->buf, sc->len, MADV_NOHUGEPAGE)) {
		snprintf(why, len, "madvise(MADV_NOHUGEPAGE): %s",
			 strerror(errno));
		ret = -1;
	}
	return ret;
}

int pte_verify(struct sc *sc, char *why, int len)
{
	int64_t kb;
	int ret = thp_needs_write(sc, why, len);

	if (!ret)
		ret = require_pmd_folios(sc, false, why, len);
	kb = ret ? 0 : smaps_anon_huge_kb(sc->buf);
	if (kb) {
		snprintf(why, len,
			 "PMD mapping not split: smaps AnonHugePages %lld kB",
			 (long long)kb);
		return 1;
	}
	return ret;
}

const struct backing_ops bk_thp_pte = PTE_THP_BACKING(
	"thp-pte",
	"2 MiB THP folios mapped by PTEs (PMD split by mprotect, folio kept; KPF_THP, AnonHugePages 0)",
	PMD_SZ / PAGE_SZ, pte_after_populate, pte_verify);
