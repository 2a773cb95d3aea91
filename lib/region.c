// SPDX-License-Identifier: GPL-2.0
/* Helpers the scenario files and backings share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagemap.h"
#include "scenario.h"
#include "supervise.h"

/*
 * The test fault "shared" maps the region MAP_SHARED: nothing is ever
 * copied, so every observer must see every write (a missed COW per page).
 */
int region_map_type(void)
{
	return test_fault("shared") ? MAP_SHARED : MAP_PRIVATE;
}

int map_anon(struct sc *sc, int advice, char *why, int len)
{
	size_t span = sc->len + PMD_SZ;
	int type = region_map_type();
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       type | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *al;

	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap %zu bytes: %s", sc->len,
			 strerror(errno));
		return -1;
	}
	/* 2 MiB aligned, whatever the backing: the same layout for all. */
	al = (char *)(((uintptr_t)p + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (al > p)
		munmap(p, al - p);
	if (p + span > al + sc->len)
		munmap(al + sc->len, p + span - (al + sc->len));
	if (madvise(al, sc->len, advice)) {
		snprintf(why, len, "madvise: %s", strerror(errno));
		return -1;
	}
	sc->buf = al;
	return 0;
}

/* The test fault "shared" maps shmem: its PMD-mapped THPs are counted apart. */
int64_t smaps_anon_huge_kb(const void *addr)
{
	const char *field =
		test_fault("shared") ? "ShmemPmdMapped:" : "AnonHugePages:";
	char *text = slurp("/proc/self/smaps", NULL), *p, *line;
	size_t flen = strlen(field);
	uintptr_t a = (uintptr_t)addr;
	int64_t kb = -1;
	int in = 0;

	for (p = text; p && *p; p = line) {
		unsigned long lo, hi;

		line = strchr(p, '\n');
		line = line ? line + 1 : NULL;
		if (sscanf(p, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(p, field, flen)) {
			kb = strtoll(p + flen, NULL, 10);
			break;
		}
	}
	free(text);
	return kb;
}

/*
 * Page i of the region in a PMD-size folio: each run of run pages starts at
 * a folio's head and goes on in PFN order (run 512: a whole THP at its own
 * offsets; 1: heads only).  0, or why not.
 */
static int pmd_folio_page(const uint64_t *pm, const uint64_t *fl, size_t i,
			  size_t run, char *why, int len)
{
	const size_t n = PMD_SZ / PAGE_SZ;
	size_t h = i / run * run;
	long got;

	if (!(pm[i] & PM_PRESENT) || !(fl[i] & KPF_THP))
		return snprintf(why, len, "page %zu: not in a THP folio", i), 1;
	if (h != i && PM_PFN(pm[i]) != PM_PFN(pm[h]) + (i - h))
		return snprintf(
			       why, len,
			       "page %zu: not at its offset in the folio of page %zu",
			       i, h),
		       1;
	if (h != i)
		return 0;
	got = !(fl[i] & KPF_COMPOUND_HEAD) ? 0 : folio_pages(PM_PFN(pm[i]), n);
	if (got < 0)
		return snprintf(why, len, "kpageflags: %s", strerror(-got)), -1;
	if ((size_t)got == n && !(PM_PFN(pm[i]) % n))
		return 0;
	snprintf(
		why, len,
		"page %zu: a %ld kB folio, not a 2 MiB THP (an mTHP size took the fault)",
		i, got * 4);
	return 1;
}

int require_pmd_folio_runs(struct sc *sc, size_t run, char *why, int len)
{
	uint64_t *pm = xcalloc(sc->pages, 8), *fl = xcalloc(sc->pages, 8);
	int ret = pagemap_snap(sc->buf, sc->pages, pm, fl, 1);
	size_t i;

	if (ret)
		snprintf(why, len, "pagemap/kpageflags: %s", strerror(-ret));
	for (i = 0; !ret && i < sc->pages; i++)
		ret = pmd_folio_page(pm, fl, i, run, why, len);
	free(pm);
	free(fl);
	return ret;
}

int require_pmd_folios(struct sc *sc, bool heads, char *why, int len)
{
	return require_pmd_folio_runs(sc, heads ? 1 : PMD_SZ / PAGE_SZ, why,
				      len);
}

void anon_huge_extra(struct sc *sc, enum role r, struct kvset *extra)
{
	int64_t kb = smaps_anon_huge_kb(sc->buf);

	if (kb >= 0) /* not if this party unmapped it */
		kv_set(extra,
		       r == ROLE_WRITER ? "anon_huge_kb" :
					  "observer_anon_huge_kb",
		       kb);
}

int share_with_leaving_child(char *why, int len)
{
	int st;
	pid_t pid = fork_tied();

	if (!pid)
		_exit(0);
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		return 0;
	snprintf(why, len, "fork: %s", strerror(errno));
	return -1;
}

int mprotect_round_trip(struct sc *sc, char *why, int len)
{
	if (!mprotect(sc->buf, sc->len, PROT_READ) &&
	    !mprotect(sc->buf, sc->len, PROT_READ | PROT_WRITE))
		return 0;
	snprintf(why, len, "mprotect: %s", strerror(errno));
	return -1;
}

long count_pagemap(struct sc *sc, uint64_t bits)
{
	uint64_t *pm = xcalloc(sc->pages, 8);
	long n = pagemap_snap(sc->buf, sc->pages, pm, NULL, 1) ? -1 : 0;
	size_t i;

	for (i = 0; n >= 0 && i < sc->pages; i++)
		n += (pm[i] & bits) == bits;
	free(pm);
	return n;
}

long count_flagged(struct sc *sc, uint64_t want, char *why, int len)
{
	uint64_t *pm = xcalloc(sc->pages, 8), *fl = xcalloc(sc->pages, 8);
	long n = -1;
	size_t i;
	int ret = pagemap_snap(sc->buf, sc->pages, pm, fl, 1);

	if (!ret && pagemap_hidden(pm, sc->pages, 1))
		ret = -EPERM;
	if (!ret) {
		for (n = 0, i = 0; i < sc->pages; i++)
			n += (fl[i] & want) == want;
	} else {
		snprintf(why, len, "pagemap/kpageflags: %s%s", strerror(-ret),
			 ret == -EPERM ? " (PFNs need CAP_SYS_ADMIN)" : "");
	}
	free(pm);
	free(fl);
	return n;
}

int require_flagged(struct sc *sc, uint64_t want, const char *what, char *why,
		    int len)
{
	long n = count_flagged(sc, want, why, len);

	if (n < 0)
		return -1;
	if ((size_t)n == sc->pages)
		return 0;
	snprintf(why, len, "%ld of %zu pages are %s", n, sc->pages, what);
	return 1;
}

bool same_page(const struct page_view *v)
{
	return (v->o_before & PM_PRESENT) && (v->w_before & PM_PRESENT) &&
	       PM_PFN(v->o_before) == PM_PFN(v->w_before);
}
