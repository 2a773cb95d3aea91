// SPDX-License-Identifier: GPL-2.0
/*
 * Base pages and PMD-mapped THP.  Each maps the region and then checks that
 * it got what it asked for; anything else is a skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/knobs.h"
#include "../lib/pagemap.h"
#include "bench.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

static int base_map(struct sc *sc, char *why, int len)
{
	return map_anon(sc, MADV_NOHUGEPAGE, why, len);
}

static int base_verify(struct sc *sc, char *why, int len)
{
	int64_t kb = smaps_anon_huge_kb(sc->buf);

	if (sc->ops->populate == POP_READ)
		return require_flagged(sc, KPF_ZERO_PAGE,
				       "the zero page after the read faults",
				       why, len);
	if (kb != 0) {
		snprintf(
			why, len,
			"base pages asked for, smaps AnonHugePages shows %lld kB",
			(long long)kb);
		return 1;
	}
	return 0;
}

/* MADV_HUGEPAGE, or a skip if THP is off; also for the PTE-mapped ones. */
int thp_map(struct sc *sc, char *why, int len)
{
	char mode[32];

	if (knob_read(THP_ENABLED, mode, sizeof(mode))) {
		snprintf(why, len, "no THP support (%s missing)", THP_ENABLED);
		return 1;
	}
	if (!strcmp(mode, "never")) {
		snprintf(why, len,
			 "THP disabled (transparent_hugepage/enabled = never)");
		return 1;
	}
	return map_anon(sc, MADV_HUGEPAGE, why, len);
}

int thp_verify(struct sc *sc, char *why, int len)
{
	int64_t kb = smaps_anon_huge_kb(sc->buf);

	if (sc->ops->populate == POP_READ)
		return require_flagged(
			sc, KPF_ZERO_PAGE | KPF_THP,
			"the huge zero page after the read faults", why, len);
	if (kb * 1024 != (int64_t)sc->len) {
		snprintf(
			why, len,
			"PMD-mapped THP not obtained: asked for %zu kB, smaps AnonHugePages shows %lld kB",
			sc->len / 1024, (long long)kb);
		return 1;
	}
	return 0;
}

const struct backing_ops bk_base = {
	.name = "base",
	.desc = "4 KiB anonymous pages (MADV_NOHUGEPAGE)",
	.kind = BK_ANON | BK_PLAIN,
	.warm = WARM_BASE,
	.extra = anon_huge_extra,
	.unit_pages = 1,
	.fault_pages = 1,
	.map = base_map,
	.verify = base_verify,
};

const struct backing_ops bk_thp = {
	.name = "thp",
	.desc = "PMD-mapped 2 MiB THP (MADV_HUGEPAGE, verified in smaps)",
	.kind = BK_ANON | BK_THP,
	.warm = WARM_HUGE,
	.extra = anon_huge_extra,
	.unit_pages = PMD_SZ / PAGE_SZ,
	.fault_pages = PMD_SZ / PAGE_SZ,
	.map = thp_map,
	.verify = thp_verify,
};

/* A member of a family of page sizes: "<family>-<N>kB". */
void family_member(const struct backing_ops *ops, uint64_t kb,
		   struct backing *b)
{
	memset(b, 0, sizeof(*b));
	b->ops = ops;
	b->size = kb << 10;
	b->unit_pages = b->fault_pages = b->size / PAGE_SZ;
	snprintf(b->name, sizeof(b->name), "%s-%llukB", ops->name,
		 (unsigned long long)kb);
}

/* Does name spell a member, a power of two of at least min_kb? */
bool family_owns(const struct backing_ops *ops, const char *name,
		 uint64_t min_kb, struct backing *out)
{
	size_t n = strlen(ops->name);
	unsigned long long kb;
	char tail[4] = "";

	if (strncmp(name, ops->name, n) || name[n] != '-' ||
	    sscanf(name + n + 1, "%llu%3s", &kb, tail) != 2 ||
	    strcmp(tail, "kB") || !kb || (kb & (kb - 1)) || kb < min_kb)
		return false;
	family_member(ops, kb, out);
	return true;
}
