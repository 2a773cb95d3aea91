// SPDX-License-Identifier: GPL-2.0
/*
 * THPs swapped out: a PMD-mapped THP, a PTE-mapped THP, and single PTEs of
 * THPs (the thp, thp-pte and thp-single backings), each verified as that
 * shape after populate and then paged out (MADV_PAGEOUT) to a zram swap
 * device the supervisor sets up per combination.  Every page must then be
 * a swap entry, or the combination is a skip: reclaim may split the folio
 * first or keep it whole (THP_SWAP), both are what the kernel does.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/knobs.h"
#include "bench.h"

/* The THP shape each one pages out, by the backing's name. */
static const struct thp_shape {
	const char *name;
	int (*map)(struct sc *sc, char *why, int len);
	int (*after_populate)(struct sc *sc, char *why, int len);
	int (*verify)(struct sc *sc, char *why, int len);
	size_t mem_per_page; /* what a page of the region holds in memory */
} shapes[] = {
	{ "swapped-thp", thp_map, NULL, thp_verify, PAGE_SZ },
	{ "swapped-thp-pte", thp_map, pte_after_populate, pte_verify, PAGE_SZ },
	/* base pages, each replaced by the head of a THP */
	{ "swapped-thp-single", swap_map, single_after_populate, single_verify,
	  PMD_SZ },
};

static const struct thp_shape *shape_of(const struct backing_ops *ops)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++)
		if (!strcmp(shapes[i].name, ops->name))
			return &shapes[i];
	return NULL;
}

static int swap_thp_setup(const struct backing *b, size_t pages, char *why,
			  int len)
{
	const struct thp_shape *t = shape_of(b->ops);
	int ret = 0;

	if (t->mem_per_page == PMD_SZ)
		ret = single_setup(b, pages, why, len);
	/* whole folios may go to swap: room for all of them, twice */
	return ret ? ret :
		     zram_swap_setup(pages * t->mem_per_page * 2 + (16 << 20),
				     why, len);
}

static int swap_thp_map(struct sc *sc, char *why, int len)
{
	return shape_of(sc->bk->ops)->map(sc, why, len);
}

static int swap_thp_after_populate(struct sc *sc, char *why, int len)
{
	const struct thp_shape *t = shape_of(sc->bk->ops);
	int ret = thp_needs_write(sc, why, len);

	if (!ret && t->after_populate)
		ret = t->after_populate(sc, why, len);
	if (!ret)
		ret = t->verify(sc, why, len);
	return ret ? ret : swap_page_out(sc, why, len);
}

#define SWAPPED_THP(var, nm, what, unit)                           \
	const struct backing_ops var = {                           \
		.name = nm,                                        \
		.desc = what                                       \
		" paged out (MADV_PAGEOUT) to a zram swap device", \
		.kind = BK_SWAP,                                   \
		.warm = WARM_BASE,                                 \
		.unit_pages = 1,                                   \
		.fault_pages = 1,                                  \
		.setup = swap_thp_setup,                           \
		.map = swap_thp_map,                               \
		.after_populate = swap_thp_after_populate,         \
		.verify = swap_verify,                             \
		.extra = swap_extra,                               \
	}

SWAPPED_THP(bk_swap_thp, "swapped-thp", "PMD-mapped 2 MiB THPs",
	    PMD_SZ / PAGE_SZ);
SWAPPED_THP(bk_swap_thp_pte, "swapped-thp-pte", "PTE-mapped 2 MiB THPs",
	    PMD_SZ / PAGE_SZ);
SWAPPED_THP(bk_swap_thp_single, "swapped-thp-single",
	    "single PTEs of 2 MiB THPs (one THP per page)", 1);
