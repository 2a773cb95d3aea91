// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_COLLAPSE of a PTE-mapped THP around fork (the thp-pte backing): the
 * collapse copies the pages into a new THP folio, so a parent that wrote
 * to the collapsed THP must never show the child a byte, whatever part of
 * the THP fork shared.  shared = 0: collapsed before the fork (nothing
 * COW-shared yet); 1: collapsed after it, the whole THP shared; 2: only
 * the lower half shared (MADV_DONTFORK on the upper), 3: only the upper.
 * The parent writes every page; the child reads the half it maps.  A page
 * whose PFN differs between parent and child before the window (the
 * collapse's copy) is the parent's alone: its write is a reuse.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* linux/mman.h, 6.1; glibc 2.36 lacks it */
#endif

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region (whole THPs)"),
	{
		.name = "shared",
		.type = CFG_INT,
		.min = 0,
		.max = 3,
		.def = { 0, 1, 2, 3 },
		.ndef = 4,
		.desc = "0: collapse before fork; 1: after, all shared; 2: after, lower half shared; 3: upper half",
	},
};

static int shared(const struct sc *sc)
{
	return (int)kv_get(sc->params, "shared", 0);
}

/* The half of each THP fork does not share, or none ([lo, hi) of a THP). */
static void unshared(const struct sc *sc, size_t *lo, size_t *hi)
{
	size_t half = PMD_SZ / 2;

	*lo = shared(sc) == 2 ? half : 0;
	*hi = shared(sc) == 2 ? PMD_SZ : shared(sc) == 3 ? half : 0;
}

static int each_thp(struct sc *sc, int advice, char *why, int len)
{
	size_t lo, hi, off;

	unshared(sc, &lo, &hi);
	for (off = 0; hi && off < sc->len; off += PMD_SZ)
		if (madvise(sc->buf + off + lo, hi - lo, advice)) {
			snprintf(why, len, "madvise(%d): %s", advice,
				 strerror(errno));
			return -1;
		}
	return 0;
}

/* Collapse, and check that every THP is PMD-mapped again. */
static int collapse(struct sc *sc, char *why, int len)
{
	int64_t kb;

	if (madvise(sc->buf, sc->len, MADV_HUGEPAGE) ||
	    madvise(sc->buf, sc->len, MADV_COLLAPSE)) {
		snprintf(why, len, "MADV_COLLAPSE: %s", strerror(errno));
		return errno == EINVAL || errno == EAGAIN || errno == ENOMEM ?
			       1 :
			       -1;
	}
	kb = smaps_anon_huge_kb(sc->buf);
	if (kb == (int64_t)(sc->len >> 10))
		return 0;
	snprintf(why, len, "after MADV_COLLAPSE AnonHugePages %lld of %zu kB",
		 (long long)kb, sc->len >> 10);
	return 1;
}

/* A PMD-size THP mapped by PTEs: what MADV_COLLAPSE maps by a PMD again. */
static bool collapse_takes(const struct backing *b)
{
	return b->unit_pages == PMD_SZ / PAGE_SZ && b->fault_pages == 1;
}

static int collapse_init(struct sc *sc, char *why, int len)
{
	if (!shared(sc))
		return collapse(sc, why, len);
	return each_thp(sc, MADV_DONTFORK, why, len);
}

/* The parent, after the fork: the VMAs merged again, then collapse. */
static int collapse_prepare(struct sc *sc, enum role r, char *why, int len)
{
	if (r != ROLE_WRITER || !shared(sc))
		return 0;
	return each_thp(sc, MADV_DOFORK, why, len) ?: collapse(sc, why, len);
}

static enum expect collapse_expect(struct sc *sc, size_t i,
				   const struct page_view *v)
{
	(void)sc;
	(void)i;
	return same_page(v) ? EXP_SHARED : EXP_EXCLUSIVE;
}

/* The child reads the part of each THP it maps. */
static int collapse_observe(struct sc *sc, enum role r, struct page_view *pv,
			    char *why, int len)
{
	volatile char *buf = sc->buf;
	size_t lo, hi, i, off;

	(void)why;
	(void)len;
	if (r != ROLE_OTHER)
		return 0;
	unshared(sc, &lo, &hi);
	for (i = 0; i < sc->pages; i++) {
		off = i * PAGE_SZ % PMD_SZ;
		pv[i].other_saw = (off < lo || off >= hi) &&
				  buf[i * PAGE_SZ] == (char)WRITE_BYTE;
	}
	return 0;
}

const struct scenario_ops sc_collapse = {
	.name = "collapse",
	.desc = "MADV_COLLAPSE of a PTE-mapped THP before fork, or after it with the THP all, lower or upper half shared; the parent writes",
	.backings = BK_THP,
	.takes = collapse_takes,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_parent_writes,
	/* the collapse reshapes the backing on purpose: PMD-mapped again */
	.share_reshapes = true,
	.init = collapse_init,
	.prepare = collapse_prepare,
	.expect_page = collapse_expect,
	.observe = collapse_observe,
};
