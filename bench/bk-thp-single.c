// SPDX-License-Identifier: GPL-2.0
/*
 * One PTE of a THP: every 4 KiB page of the region is the only mapped
 * subpage (the head) of a 2 MiB THP folio of its own.  After populate,
 * for each page a THP is faulted in a scratch area, its head page is
 * mremap()ed over the region's page and the other 511 subpages are
 * unmapped; the folio stays large (partially mapped, on the deferred split
 * queue).  So a region of N pages costs N x 2 MiB, and each of its pages
 * is a VMA of its own (the moved pages keep the scratch area's offsets).
 * Verified: every page is the head of a 2 MiB folio (KPF_THP,
 * KPF_COMPOUND_HEAD, 511 tails after it), hence each in a distinct folio.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/pagemap.h"
#include "bench.h"

int single_setup(const struct backing *b, size_t pages, char *why, int len)
{
	uint64_t need = pages * PMD_SZ, avail = mem_available();

	(void)b;
	if (avail && need > avail / 4) {
		snprintf(
			why, len,
			"thp-single takes a 2 MiB THP per page: %llu MiB for %zu pages, more than a quarter of MemAvailable",
			(unsigned long long)(need >> 20), pages);
		return 1;
	}
	return 0;
}

static int single_map(struct sc *sc, char *why, int len)
{
	return map_anon(sc, MADV_NOHUGEPAGE, why, len);
}

/* The head of one fresh THP at scratch, moved to page i of the region. */
static int move_head(struct sc *sc, char *scratch, size_t i, char *why, int len)
{
	scratch[0] = POP_BYTE;
	if (mremap(scratch, PAGE_SZ, PAGE_SZ, MREMAP_MAYMOVE | MREMAP_FIXED,
		   sc->buf + i * PAGE_SZ) == MAP_FAILED) {
		snprintf(why, len, "mremap: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int single_after_populate(struct sc *sc, char *why, int len)
{
	struct sc tmp = *sc;
	size_t i;
	int ret = thp_needs_write(sc, why, len);

	tmp.len = sc->pages * PMD_SZ;
	tmp.buf = NULL;
	if (!ret)
		ret = thp_map(&tmp, why, len);
	for (i = 0; !ret && i < sc->pages; i++)
		ret = move_head(sc, tmp.buf + i * PMD_SZ, i, why, len);
	if (tmp.buf)
		munmap(tmp.buf, tmp.len);
	return ret;
}

int single_verify(struct sc *sc, char *why, int len)
{
	int ret = thp_needs_write(sc, why, len);

	return ret ? ret : require_pmd_folios(sc, true, why, len);
}

const struct backing_ops bk_thp_single = {
	.name = "thp-single",
	.desc = "each page the only mapped subpage (head) of its own 2 MiB THP folio (2 MiB of memory per page)",
	.kind = BK_ANON,
	.warm = WARM_BASE,
	.extra = anon_huge_extra,
	.unit_pages = 1,
	.fault_pages = 1,
	.setup = single_setup,
	.map = single_map,
	.after_populate = single_after_populate,
	.verify = single_verify,
};
