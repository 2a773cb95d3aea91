// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb pages, one instance per size the kernel offers.  The supervisor
 * reserves a pool for each combination (twice the region: every COW takes
 * a huge page of its own) and gives it back afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define HUGETLB_DIR "/sys/kernel/mm/hugepages"

static int hugetlb_enumerate(const struct backing_ops *ops, struct backing *out,
			     int max)
{
	DIR *d = opendir(HUGETLB_DIR);
	struct dirent *e;
	unsigned long long kb;
	int n = 0;

	while (d && (e = readdir(d)) && n < max)
		if (sscanf(e->d_name, "hugepages-%llukB", &kb) == 1)
			family_member(ops, kb, &out[n++]);
	if (d)
		closedir(d);
	return n;
}

static bool hugetlb_owns(const struct backing_ops *ops, const char *name,
			 struct backing *out)
{
	return family_owns(ops, name, 64, out);
}

static int hugetlb_setup(const struct backing *b, size_t pages, char *why,
			 int len)
{
	uint64_t need = pages * PAGE_SZ / b->size * 2 + 1;
	char path[160], val[32], got[32];
	int ret;

	snprintf(path, sizeof(path),
		 HUGETLB_DIR "/hugepages-%llukB/nr_hugepages",
		 (unsigned long long)(b->size >> 10));
	if (knob_read(path, got, sizeof(got))) {
		snprintf(why, len, "no %s huge pages on this kernel", b->name);
		return 1;
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long)need);
	ret = knob_set(path, val);
	if (ret) {
		snprintf(why, len, "%s: %s", path, strerror(-ret));
		return -1;
	}
	if (knob_read(path, got, sizeof(got)) ||
	    strtoull(got, NULL, 10) < need) {
		snprintf(
			why, len,
			"could reserve %s of %llu %s pages (memory too fragmented)",
			got, (unsigned long long)need, b->name);
		return 1;
	}
	return 0;
}

static int hugetlb_map(struct sc *sc, char *why, int len)
{
	int shift = __builtin_ctzll(sc->bk->size);
	void *p = mmap(NULL, sc->len, PROT_READ | PROT_WRITE,
		       region_map_type() | MAP_ANONYMOUS | MAP_HUGETLB |
			       (shift << MAP_HUGE_SHIFT),
		       -1, 0);

	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap %s: %s", sc->bk->name,
			 strerror(errno));
		return errno == ENOMEM ? 1 : -1;
	}
	sc->buf = p;
	return 0;
}

static int hugetlb_verify(struct sc *sc, char *why, int len)
{
	return require_flagged(sc, KPF_HUGE, "hugetlb (KPF_HUGE)", why, len);
}

const struct backing_ops bk_hugetlb = {
	.name = "hugetlb",
	.desc = "hugetlb pages of each size the kernel offers (pool reserved per combination)",
	.kind = BK_HUGETLB,
	.enumerate = hugetlb_enumerate,
	.owns = hugetlb_owns,
	.setup = hugetlb_setup,
	.map = hugetlb_map,
	.verify = hugetlb_verify,
};
