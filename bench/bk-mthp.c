// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-size THP: one instance per anonymous folio size under
 * /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/ other than the PMD
 * size (that is 'thp').  For each combination the supervisor sets that
 * size to 'madvise' and every other size to 'never' (undone afterwards);
 * the region is MADV_HUGEPAGE.  Verified from kpageflags: each naturally
 * aligned N kB of the region is one folio of exactly that order - a head
 * at a PFN aligned to it, then its tails at consecutive PFNs.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define MTHP_DIR "/sys/kernel/mm/transparent_hugepage"

static uint64_t pmd_kb(void)
{
	char buf[32];

	if (knob_read(MTHP_DIR "/hpage_pmd_size", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10) >> 10;
}

/* A size anonymous memory can use: it has an 'enabled' knob. */
static bool anon_size(uint64_t kb)
{
	char path[160];

	snprintf(path, sizeof(path), MTHP_DIR "/hugepages-%llukB/enabled",
		 (unsigned long long)kb);
	return access(path, F_OK) == 0;
}

static int by_size(const void *a, const void *b)
{
	const struct backing *x = a, *y = b;

	return (x->size > y->size) - (x->size < y->size);
}

static int mthp_enumerate(const struct backing_ops *ops, struct backing *out,
			  int max)
{
	DIR *d = opendir(MTHP_DIR);
	struct dirent *e;
	unsigned long long kb, pmd = pmd_kb();
	int n = 0;

	while (d && (e = readdir(d)) && n < max)
		if (sscanf(e->d_name, "hugepages-%llukB", &kb) == 1 &&
		    kb != pmd && anon_size(kb))
			family_member(ops, kb, &out[n++]);
	if (d)
		closedir(d);
	qsort(out, n, sizeof(*out), by_size);
	return n;
}

static bool mthp_owns(const struct backing_ops *ops, const char *name,
		      struct backing *out)
{
	return family_owns(ops, name, 8, out);
}

static int set_size(uint64_t kb, const char *mode, char *why, int len)
{
	char path[160];
	int ret;

	snprintf(path, sizeof(path), MTHP_DIR "/hugepages-%llukB/enabled",
		 (unsigned long long)kb);
	ret = knob_set(path, mode);
	if (ret)
		snprintf(why, len, "%s: %s", path, strerror(-ret));
	return ret;
}

/* This size on MADV_HUGEPAGE regions, every other size off. */
static int mthp_setup(const struct backing *b, size_t pages, char *why, int len)
{
	struct backing all[32];
	uint64_t pmd = pmd_kb();
	int i, n = mthp_enumerate(b->ops, all, 32), ret = 0;

	(void)pages;
	if (!anon_size(b->size >> 10)) {
		snprintf(why, len, "no anonymous %s folios on this kernel",
			 b->name);
		return 1;
	}
	for (i = 0; !ret && i < n; i++)
		ret = set_size(all[i].size >> 10,
			       all[i].size == b->size ? "madvise" : "never",
			       why, len);
	if (!ret && pmd && anon_size(pmd))
		ret = set_size(pmd, "never", why, len);
	return ret ? -1 : 0;
}

static int mthp_map(struct sc *sc, char *why, int len)
{
	return map_anon(sc, MADV_HUGEPAGE, why, len);
}

/* Pages [i, i + n) are one folio of n pages: a head, then its tails. */
static bool one_folio(const uint64_t *pm, const uint64_t *fl, size_t i,
		      size_t n)
{
	uint64_t head = PM_PFN(pm[i]);
	size_t j;

	if (!(pm[i] & PM_PRESENT) || head % n ||
	    (fl[i] & (KPF_THP | KPF_COMPOUND_HEAD)) !=
		    (KPF_THP | KPF_COMPOUND_HEAD))
		return false;
	for (j = 1; j < n; j++)
		if (!(pm[i + j] & PM_PRESENT) ||
		    PM_PFN(pm[i + j]) != head + j ||
		    !(fl[i + j] & KPF_COMPOUND_TAIL))
			return false;
	return true;
}

static int mthp_verify(struct sc *sc, char *why, int len)
{
	size_t n = sc->bk->unit_pages, i, good = 0;
	uint64_t *pm, *fl;
	int ret;

	if (sc->ops->populate == POP_READ) {
		snprintf(
			why, len,
			"%s: a read fault maps the 4 KiB zero page, and writing it allocates a 4 KiB page, never an mTHP",
			sc->bk->name);
		return 1;
	}
	pm = xcalloc(sc->pages, 8);
	fl = xcalloc(sc->pages, 8);
	ret = pagemap_snap(sc->buf, sc->pages, pm, fl, 1);
	for (i = 0; !ret && i < sc->pages; i += n)
		good += one_folio(pm, fl, i, n);
	free(pm);
	free(fl);
	if (ret) {
		snprintf(why, len, "pagemap/kpageflags: %s", strerror(-ret));
		return -1;
	}
	if (good == sc->pages / n)
		return 0;
	snprintf(why, len, "%zu of %zu %s ranges are one folio of that order",
		 good, sc->pages / n, sc->bk->name);
	return 1;
}

const struct backing_ops bk_mthp = {
	.name = "mthp",
	.desc = "anonymous multi-size THP, one instance per size but the PMD's (that size 'madvise', the others 'never')",
	.kind = BK_ANON | BK_THP,
	.warm = WARM_HUGE,
	.extra = anon_huge_extra,
	.enumerate = mthp_enumerate,
	.owns = mthp_owns,
	.setup = mthp_setup,
	.map = mthp_map,
	.verify = mthp_verify,
};
