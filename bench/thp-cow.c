// SPDX-License-Identifier: GPL-2.0
/*
 * COW of large folios after fork, on every large-folio backing (PMD THP,
 * PTE-mapped THP, each mTHP size): one write per folio (all_pages = 0) or
 * one per 4 KiB page (1), by
 *   thp-cow-child   the child, while the parent keeps the folio mapped;
 *   thp-cow-exit    the parent, after the child exited without writing
 *                   (whole-folio reuse of PTE-mapped folios since 6.15);
 *   thp-cow-parent  the parent, while the child lives.
 * Three sharing patterns, one set of hooks.  The record's extra says how
 * many bytes were copied per byte written (from the writer's PFNs), and
 * the window's vmstat delta how many PMDs were split.
 */
#include <stdlib.h>

#include "../lib/pagemap.h"
#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region (whole folios)"),
	{
		.name = "all_pages",
		.type = CFG_INT,
		.min = 0,
		.max = 1,
		.def = { 0 },
		.ndef = 1,
		.desc = "0: one byte per folio; 1: one byte per 4 KiB page",
	},
};

struct thp_cow {
	size_t stride; /* pages between two writes */
	uint64_t *before; /* the writer's PFNs, counting pass */
};

static size_t stride_of(const struct sc *sc)
{
	return kv_get(sc->params, "all_pages", 0) ? 1 : sc->bk->unit_pages;
}

static size_t tc_nops(const struct sc *sc)
{
	return sc->pages / stride_of(sc);
}

static int tc_init(struct sc *sc, char *why, int len)
{
	struct thp_cow *t = xcalloc(1, sizeof(*t));

	(void)why;
	(void)len;
	t->stride = stride_of(sc);
	sc->priv = t;
	return 0;
}

static void tc_op(struct sc *sc, size_t i)
{
	struct thp_cow *t = sc->priv;

	((volatile char *)sc->buf)[i * t->stride * PAGE_SZ] = (char)WRITE_BYTE;
}

static bool tc_writes(struct sc *sc, size_t i)
{
	return i % ((struct thp_cow *)sc->priv)->stride == 0;
}

static int tc_prepare(struct sc *sc, enum role r, char *why, int len)
{
	struct thp_cow *t = sc->priv;

	(void)why;
	(void)len;
	if (r != ROLE_WRITER || sc->pass != PASS_COUNTING)
		return 0;
	t->before = xcalloc(sc->pages, 8);
	return pagemap_snap(sc->buf, sc->pages, t->before, NULL, 1) ? -1 : 0;
}

/* Pages whose PFN the window changed, copied for nops one-byte writes. */
static void tc_extra(struct sc *sc, struct kvset *extra)
{
	struct thp_cow *t = sc->priv;
	uint64_t *after = xcalloc(sc->pages, 8);
	size_t i, copied = 0;

	if (t->before && !pagemap_snap(sc->buf, sc->pages, after, NULL, 1)) {
		for (i = 0; i < sc->pages; i++)
			copied += (t->before[i] & PM_PRESENT) &&
				  (after[i] & PM_PRESENT) &&
				  PM_PFN(t->before[i]) != PM_PFN(after[i]);
		kv_set(extra, "pages_copied", copied);
		kv_set(extra, "bytes_copied_per_byte_written",
		       copied * PAGE_SZ / sc->nops);
	}
	free(after);
}

#define THP_COW(nm, sh, exp, what)                                       \
	{                                                                \
		.name = nm, .desc = what, .backings = BK_THP,            \
		.params = params, .nparams = ARRAY_SIZE(params),         \
		.populate = POP_WRITE, .share = sh, .expect = exp,       \
		.nops = tc_nops, .init = tc_init, .prepare = tc_prepare, \
		.op = tc_op, .writes = tc_writes, .extra = tc_extra,     \
	}

const struct scenario_ops sc_thp_cow_child = THP_COW(
	"thp-cow-child", &share_child_writes, EXP_SHARED,
	"fork; the child writes one byte per large folio (or per page)");
const struct scenario_ops sc_thp_cow_exit = THP_COW(
	"thp-cow-exit", &share_child_exits, EXP_EXCLUSIVE,
	"fork; the child exits; the parent writes one byte per large folio (or per page)");
const struct scenario_ops sc_thp_cow_parent = THP_COW(
	"thp-cow-parent", &share_parent_writes, EXP_SHARED,
	"fork; the parent writes one byte per large folio (or per page) while the child lives");
