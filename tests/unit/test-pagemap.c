// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "../../lib/classify.h"
#include "../../lib/pagemap.h"
#include "unit.h"

#define P(pfn) (PM_PRESENT | (pfn))
#define SWP (PM_SWAP | 0x1234)

static void outcomes(void)
{
	CHECK_EQ(pagemap_outcome(0, 0, 0), PG_UNTOUCHED);
	CHECK_EQ(pagemap_outcome(0, P(7), 0), PG_POPULATE);
	CHECK_EQ(pagemap_outcome(P(1), P(9), KPF_ZERO_PAGE), PG_POPULATE);
	CHECK_EQ(pagemap_outcome(P(5), P(5), KPF_ANON), PG_SAME);
	CHECK_EQ(pagemap_outcome(P(5), P(6), KPF_ANON), PG_COPY);
	CHECK_EQ(pagemap_outcome(P(5) | PM_EXCLUSIVE, P(5), KPF_ANON), PG_SAME);
	CHECK_EQ(pagemap_outcome(SWP, P(5), 0), PG_SWAPIN);
	CHECK_EQ(pagemap_outcome(P(5), 0, KPF_ANON), PG_GONE);
	/* the PFN field is bits 0-54: flag bits do not make a copy */
	CHECK_EQ(pagemap_outcome(P(5) | PM_EXCLUSIVE, P(5) | PM_FILE, 0),
		 PG_SAME);
}

/* A synthetic pair of snapshots of eight pages, as a counting pass sees. */
static void diff_of_snapshots(void)
{
	const uint64_t before[8] = { P(10), P(11), P(12), P(13),
				     0,	    P(1),  SWP,	  P(17) };
	const uint64_t after[8] = { P(20), P(11), P(22), P(13),
				    P(30), P(31), P(32), P(17) };
	const uint64_t flags[8] = { 0, 0, 0, 0, 0, KPF_ZERO_PAGE, 0, 0 };
	const uint8_t saw[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	struct tally t;
	int i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < 8; i++)
		classify_page(pagemap_outcome(before[i], after[i], flags[i]),
			      i < 2  ? EXP_SHARED :
			      i < 4  ? EXP_EXCLUSIVE :
			      i < 6  ? EXP_FRESH :
			      i == 6 ? EXP_EXCLUSIVE :
				       EXP_SHARED,
			      saw[i], false, &t);
	CHECK_EQ(t.copies, 2); /* pages 0 and 2 */
	CHECK_EQ(t.reuses, 3); /* pages 1, 3, 7 */
	CHECK_EQ(t.classes[CLS_NECESSARY], 1);
	CHECK_EQ(t.classes[CLS_MISSED], 1); /* page 1: kept, other saw it */
	CHECK_EQ(t.classes[CLS_UNNECESSARY], 1); /* page 2 */
	CHECK_EQ(t.classes[CLS_REUSE], 1); /* page 3 */
	CHECK_EQ(t.populate, 2); /* first touch and zero page */
	CHECK_EQ(t.swapin, 1);
	CHECK_EQ(t.unexplained, 1); /* page 7: shared, kept, nobody saw */
}

static void every_class(void)
{
	struct tally t;

	memset(&t, 0, sizeof(t));
	classify_page(PG_SAME, EXP_EXCLUSIVE, false, false, &t);
	classify_page(PG_COPY, EXP_SHARED, false, false, &t);
	classify_page(PG_COPY, EXP_EXCLUSIVE, false, false, &t);
	classify_page(PG_SAME, EXP_SHARED, true, false, &t);
	classify_page(PG_COPY, EXP_OWN_PIN, false, true, &t);
	CHECK_EQ(t.classes[CLS_REUSE], 1);
	CHECK_EQ(t.classes[CLS_NECESSARY], 1);
	CHECK_EQ(t.classes[CLS_UNNECESSARY], 1);
	CHECK_EQ(t.classes[CLS_MISSED], 1);
	CHECK_EQ(t.classes[CLS_WRONG], 1);
	CHECK_EQ(t.copies, 3);
	CHECK_EQ(t.reuses, 2);
	/* a pinned page copied while its holder still sees the write: cost only */
	classify_page(PG_COPY, EXP_OWN_PIN, false, false, &t);
	CHECK_EQ(t.classes[CLS_UNNECESSARY], 2);
	/* a page that vanished, or a copy the other side saw: unexplained */
	classify_page(PG_GONE, EXP_SHARED, false, false, &t);
	classify_page(PG_COPY, EXP_SHARED, true, false, &t);
	CHECK_EQ(t.unexplained, 2);
	CHECK(!strcmp(cow_class_names[CLS_WRONG], "wrong_cow"));
}

const struct unit_test pagemap_tests[] = {
	{ "pagemap: outcome of one page from two entries", outcomes },
	{ "pagemap: diff of synthetic snapshots into classes",
	  diff_of_snapshots },
	{ "classify: each of the five classes and the unexplained",
	  every_class },
};
const int nr_pagemap_tests = sizeof(pagemap_tests) / sizeof(pagemap_tests[0]);
