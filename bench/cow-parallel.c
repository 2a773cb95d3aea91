// SPDX-License-Identifier: GPL-2.0
/*
 * N children write the parent's populated region at once, each every page,
 * in order or in a random order of its own (vm-scalability's anon-cow-seq
 * and anon-cow-rand).  A description: the harness forks the N writers
 * (share.writers), each with its own page table, window and page view,
 * pinned to a CPU of its own and released together; child k writes byte k
 * of each page, so the parent's reads tell whose write leaked into its
 * memory.  The copies are exact: N x pages on a kernel that copies each
 * shared page once.
 */
#include <signal.h>
#include <stdlib.h>

#include "bench.h"

static const struct param_spec params[] = {
	PAGES_PARAM("4 KiB pages in the region, each written by every child"),
	{
		.name = "children",
		.type = CFG_INT,
		.min = 1,
		.max = MAX_WRITERS,
		.def = { 1, 2 },
		.ndef = 2,
		.desc = "children writing at once (at most the online CPUs)",
	},
	{
		.name = "random",
		.type = CFG_INT,
		.min = 0,
		.max = 1,
		.def = { 0, 1 },
		.ndef = 2,
		.desc = "0: each child writes in page order; 1: in a random order",
	},
};

static const struct share share_children = {
	.other = OTHER_PROCESS,
	.child_writes = true,
	.writers = "children",
};

/*
 * Test faults on writer 1 alone: mute-writer (it writes nothing: under
 * MAP_SHARED only writer 0's writes may be blamed), writer-dies (killed
 * at its first write: the pass is an error at once, not a timeout).
 */
struct cp_priv {
	bool mute, dies;
	size_t idx[];
};

/* Each child's own order (a Fisher-Yates shuffle seeded by its index). */
static int cp_prepare(struct sc *sc, enum role r, char *why, int len)
{
	unsigned int seed = (unsigned int)sc->writer + 1;
	struct cp_priv *cp;
	size_t *idx, i, j, t;

	(void)why;
	(void)len;
	if (r != ROLE_WRITER)
		return 0;
	cp = xcalloc(1, sizeof(*cp) + sc->pages * sizeof(*idx));
	cp->mute = sc->writer == 1 && test_fault("mute-writer");
	cp->dies = sc->writer == 1 && test_fault("writer-dies");
	idx = cp->idx;
	for (i = 0; i < sc->pages; i++)
		idx[i] = i;
	for (i = sc->pages; kv_get(sc->params, "random", 0) && i > 1; i--) {
		j = (size_t)rand_r(&seed) % i;
		t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
	sc->priv = cp;
	return 0;
}

static void cp_op(struct sc *sc, size_t i)
{
	const struct cp_priv *cp = sc->priv;

	if (cp->dies)
		raise(SIGKILL);
	if (!cp->mute)
		((volatile char *)sc->buf)[cp->idx[i] * PAGE_SZ + sc->byte] =
			(char)WRITE_BYTE;
}

static void cp_cleanup(struct sc *sc, enum role r)
{
	if (r == ROLE_WRITER)
		free(sc->priv);
}

const struct scenario_ops sc_cow_parallel = {
	.name = "cow-parallel",
	.desc = "N children write every page of the parent's region at once, in order or at random (anon-cow-seq/rand)",
	.backings = BK_ANON,
	.params = params,
	.nparams = ARRAY_SIZE(params),
	.populate = POP_WRITE,
	.share = &share_children,
	.expect = EXP_SHARED,
	.prepare = cp_prepare,
	.op = cp_op,
	.cleanup = cp_cleanup,
};
