// SPDX-License-Identifier: GPL-2.0
/*
 * A page swapped out, then written: with read = 1 it is read back first
 * (the Copy-on-Pin paper's "swap" action) and the window is the write; with
 * read = 0 the write fault is itself the swap-in.
 *
 *   swapin        the page is exclusive: do_swap_page() maps an exclusive
 *                 swap entry writable even on a read fault (no_fault), and
 *                 never copies (swapin / swapin_reuse)
 *   swapin-child  fork() after the page-out: the child holds the swap
 *                 entry, so the writer must copy; the child then reads its
 *                 page, and the swap-cache folio it maps is the reference
 *
 * The outcome needs no trust in either: the PFNs, kpageflags and the
 * region's fault samples say what the kernel did.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../lib/pagemap.h"
#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, one write each"),
	FLAG_PARAM(
		"read",
		"1: read every page back in before the window, 0: the write swaps it in"),
};

/* What the writer saw, for the record. */
struct swapin_seen {
	long swapcache_before, exclusive_before, swapcache_after;
};

static int swapin_init(struct sc *sc, char *why, int len)
{
	(void)why;
	(void)len;
	sc->priv = xcalloc(1, sizeof(struct swapin_seen));
	return 0;
}

static int swapin_prepare(struct sc *sc, enum role r, char *why, int len)
{
	volatile char *buf = sc->buf;
	char sink = 0;
	size_t i;

	(void)why;
	(void)len;
	if (r != ROLE_WRITER || !kv_get(sc->params, "read", 0))
		return 0;
	for (i = 0; i < sc->pages; i++)
		sink ^= buf[i * PAGE_SZ];
	(void)sink;
	return 0;
}

/*
 * The child reads its page; its PFN after the read (o_after, which the
 * harness takes once we return) is the swap-cache folio classify compares
 * the writer's page with.
 */
static void observe_child(struct sc *sc, struct page_view *pv)
{
	volatile char *buf = sc->buf;
	size_t i;

	for (i = 0; i < sc->pages; i++)
		pv[i].other_saw = buf[i * PAGE_SZ] == (char)WRITE_BYTE;
}

/*
 * Alone, the writer knows the swap-cache folio only if it still maps one
 * (a copy is never in the swap cache: that page is the reference, reused);
 * a folio the fault took out of the swap cache is not known: the outcome
 * is then a plain swapin, and no reuse or copy is claimed.
 */
static void observe_writer(struct sc *sc, struct page_view *pv)
{
	struct swapin_seen *s = sc->priv;
	bool alone = sc->ops->share->other == OTHER_NONE;
	size_t i;

	for (i = 0; i < sc->pages; i++) {
		bool cached = pv[i].w_flags_after & KPF_SWAPCACHE;

		s->swapcache_before += (pv[i].w_before & PM_PRESENT) &&
				       (pv[i].w_flags & KPF_SWAPCACHE);
		s->exclusive_before += !!(pv[i].w_before & PM_EXCLUSIVE);
		s->swapcache_after += cached;
		if (alone && cached && (pv[i].w_before & PM_SWAP))
			pv[i].ref_pfn = PM_PFN(pv[i].w_after);
	}
}

static int swapin_observe(struct sc *sc, enum role r, struct page_view *pv,
			  char *why, int len)
{
	(void)why;
	(void)len;
	if (r == ROLE_OTHER)
		observe_child(sc, pv);
	else
		observe_writer(sc, pv);
	return 0;
}

static void swapin_extra(struct sc *sc, struct kvset *extra)
{
	struct swapin_seen *s = sc->priv;

	kv_set(extra, "swapcache_before", s->swapcache_before);
	kv_set(extra, "pm_exclusive_before", s->exclusive_before);
	kv_set(extra, "swapcache_after", s->swapcache_after);
}

#define SWAPIN_OPS                                                             \
	.backings = BK_SWAP, .params = params, .nparams = ARRAY_SIZE(params),  \
	.populate = POP_WRITE, .init = swapin_init, .prepare = swapin_prepare, \
	.observe = swapin_observe, .extra = swapin_extra

const struct scenario_ops sc_swapin = {
	.name = "swapin",
	.desc = "an exclusive page swapped out, (read back,) written: no_fault, swapin or swapin_reuse",
	.share = &share_none,
	.expect = EXP_EXCLUSIVE,
	SWAPIN_OPS,
};

const struct scenario_ops sc_swapin_child = {
	.name = "swapin-child",
	.desc = "swapped out, then fork: the child holds the swap entry; the parent's write must copy",
	.share = &share_parent_writes,
	.expect = EXP_SHARED,
	SWAPIN_OPS,
};
