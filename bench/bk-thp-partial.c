// SPDX-License-Identifier: GPL-2.0
/*
 * Two PTE-mapped THPs that only part of the process maps or shares, the
 * shapes mm/ reaches through mremap() and MADV_DONTFORK:
 *
 * thp-partial-mremap: each 1 MiB of the region is the lower half of its own
 *   2 MiB THP folio, moved here by mremap(); the upper half stays mapped at
 *   the folio's old place.  The folio is mapped in two VMAs, by PTEs, at an
 *   address whose offset in 2 MiB is not its own.  Verified: each 1 MiB
 *   piece is pages 0..255 of a 2 MiB folio, in order.
 *
 * thp-partial-shared: each THP of the region had only its first page shared
 *   with a child that has exited (MADV_DONTFORK on the other 511 pages
 *   around a fork, then MADV_DOFORK): the VMA split of MADV_DONTFORK split
 *   the PMD; the folio carries the history of a partial share.  Verified
 *   as thp-pte (each page at its offset in a 2 MiB folio, no PMD mapping).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/pagemap.h"
#include "bench.h"

#define HALF_SZ (PMD_SZ / 2)

/* A THP region twice the size, its lower halves filled like ours. */
static int mremap_after_populate(struct sc *sc, char *why, int len)
{
	struct sc tmp = *sc;
	size_t k, n = sc->len / HALF_SZ;
	int ret = thp_needs_write(sc, why, len);

	tmp.len = n * PMD_SZ;
	tmp.buf = NULL;
	if (!ret)
		ret = thp_map(&tmp, why, len);
	for (k = 0; !ret && k < n; k++) {
		char *src = tmp.buf + k * PMD_SZ, *dst = sc->buf + k * HALF_SZ;

		memcpy(src, dst, HALF_SZ);
		/* MREMAP_FIXED unmaps our old piece first */
		if (mremap(src, HALF_SZ, HALF_SZ, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst) == MAP_FAILED) {
			snprintf(why, len, "mremap: %s", strerror(errno));
			ret = -1;
		}
	}
	/* the upper halves stay mapped for the pass; the exit unmaps them */
	return ret;
}

static int mremap_verify(struct sc *sc, char *why, int len)
{
	int ret = thp_needs_write(sc, why, len);

	return ret ? ret :
		     require_pmd_folio_runs(sc, HALF_SZ / PAGE_SZ, why, len);
}

/* Share page 0 of each THP with a child that exits at once. */
static int share_first_pages(struct sc *sc, int advice, char *why, int len)
{
	size_t off;

	for (off = 0; off < sc->len; off += PMD_SZ)
		if (madvise(sc->buf + off + PAGE_SZ, PMD_SZ - PAGE_SZ,
			    advice)) {
			snprintf(why, len, "madvise: %s", strerror(errno));
			return -1;
		}
	return 0;
}

static int shared_after_populate(struct sc *sc, char *why, int len)
{
	int ret = thp_needs_write(sc, why, len);

	if (!ret)
		ret = share_first_pages(sc, MADV_DONTFORK, why, len);
	if (!ret)
		ret = share_with_leaving_child(why, len);
	if (ret)
		return ret;
	ret = share_first_pages(sc, MADV_DOFORK, why, len);
	/* or khugepaged may collapse it back to a PMD before the window */
	if (!ret && madvise(sc->buf, sc->len, MADV_NOHUGEPAGE)) {
		snprintf(why, len, "madvise(MADV_NOHUGEPAGE): %s",
			 strerror(errno));
		ret = -1;
	}
	return ret;
}

const struct backing_ops bk_thp_partial_mremap = PTE_THP_BACKING(
	"thp-partial-mremap",
	"each 1 MiB the lower half of a 2 MiB THP folio moved here by mremap() (upper half mapped elsewhere; PTE-mapped)",
	HALF_SZ / PAGE_SZ, mremap_after_populate, mremap_verify);

const struct backing_ops bk_thp_partial_shared = PTE_THP_BACKING(
	"thp-partial-shared",
	"2 MiB THPs whose first page only was shared with a child that exited (MADV_DONTFORK on the rest; PTE-mapped)",
	PMD_SZ / PAGE_SZ, shared_after_populate, pte_verify);
