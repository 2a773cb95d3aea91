// SPDX-License-Identifier: GPL-2.0
/*
 * The outcome and class table on synthetic page views: every outcome and
 * every class, and each correctness class also with its oracle input
 * broken, to show the test would catch it.
 */
#include <string.h>

#include "../../lib/classify.h"
#include "../../lib/pagemap.h"
#include "unit.h"

#define P(pfn) (PM_PRESENT | (pfn))
#define SWP (PM_SWAP | 0x1234)

/* A written page: writer before/after, other mapper before/after. */
static struct page_view pv(uint64_t wb, uint64_t wa, uint64_t ob, uint64_t oa,
			   enum expect e)
{
	struct page_view v;

	memset(&v, 0, sizeof(v));
	v.w_before = wb;
	v.w_after = wa;
	v.o_before = ob;
	v.o_after = oa;
	v.expect = e;
	v.written = 1;
	v.faulted = 1;
	return v;
}

static void outcomes(void)
{
	struct page_view v = pv(0, 0, 0, 0, EXP_FRESH);

	CHECK_EQ(page_outcome(&v), PG_UNTOUCHED);
	v = pv(0, P(7), 0, 0, EXP_FRESH);
	CHECK_EQ(page_outcome(&v), PG_POPULATE);
	v = pv(P(1), P(9), 0, 0, EXP_FRESH);
	v.w_flags = KPF_ZERO_PAGE;
	CHECK_EQ(page_outcome(&v), PG_POPULATE);
	v = pv(P(5), P(5), 0, 0, EXP_EXCLUSIVE);
	CHECK_EQ(page_outcome(&v), PG_REUSE);
	v.faulted = 0;
	CHECK_EQ(page_outcome(&v), PG_NO_FAULT);
	v.faulted = -1;
	CHECK_EQ(page_outcome(&v), PG_KEPT);
	v.written = 0;
	CHECK_EQ(page_outcome(&v), PG_UNTOUCHED);
	v = pv(P(5), P(6), P(5), P(5), EXP_SHARED);
	CHECK_EQ(page_outcome(&v), PG_COPY);
	/* every mapper's PFN changed: migration, not a COW */
	v = pv(P(5), P(6), P(5), P(8), EXP_SHARED);
	CHECK_EQ(page_outcome(&v), PG_MIGRATED);
	v = pv(P(5), P(9), 0, 0, EXP_EXCLUSIVE);
	v.w_flags_after = KPF_THP;
	CHECK_EQ(page_outcome(&v), PG_COLLAPSE);
	v = pv(SWP, P(5), 0, 0, EXP_EXCLUSIVE);
	CHECK_EQ(page_outcome(&v), PG_SWAPIN);
	v.ref_pfn = 5;
	CHECK_EQ(page_outcome(&v), PG_SWAPIN_REUSE);
	v.ref_pfn = 6;
	CHECK_EQ(page_outcome(&v), PG_SWAPIN_COPY);
	v = pv(P(5), 0, 0, 0, EXP_EXCLUSIVE);
	CHECK_EQ(page_outcome(&v), PG_GONE);
	/* swapped out under the window: reclaim, not a kernel verdict */
	v = pv(P(5), SWP, 0, 0, EXP_EXCLUSIVE);
	CHECK_EQ(page_outcome(&v), PG_RECLAIMED);
	/* the PFN field is bits 0-54: flag bits do not make a copy */
	v = pv(P(5) | PM_EXCLUSIVE, P(5) | PM_FILE, 0, 0, EXP_EXCLUSIVE);
	CHECK_EQ(page_outcome(&v), PG_REUSE);
}

static struct tally one(struct page_view v)
{
	struct tally t;

	memset(&t, 0, sizeof(t));
	classify_page(&v, &t);
	return t;
}

static int only_class(const struct tally *t, int cls)
{
	int i, n = 0;

	for (i = 0; i < NCLASS; i++)
		n += t->classes[i];
	return n == 1 && t->classes[cls] == 1 && !t->events[EV_UNEXPLAINED];
}

static void every_class(void)
{
	struct page_view v = pv(P(5), P(5), 0, 0, EXP_EXCLUSIVE);
	struct tally t = one(v);

	CHECK(only_class(&t, CLS_REUSE) && t.reuses == 1 && !t.copies);
	v = pv(P(5), P(6), P(5), P(5), EXP_SHARED);
	t = one(v);
	CHECK(only_class(&t, CLS_NECESSARY) && t.copies == 1);
	v = pv(P(5), P(6), 0, 0, EXP_EXCLUSIVE);
	t = one(v);
	CHECK(only_class(&t, CLS_UNNECESSARY) && t.copies == 1);
	/* shared, kept, and the other party saw our byte */
	v = pv(P(5), P(5), P(5), P(5), EXP_SHARED);
	v.other_saw = 1;
	t = one(v);
	CHECK(only_class(&t, CLS_MISSED));
	/* our own pin, copied away: the pin holder lost the write */
	v = pv(P(5), P(6), 0, 0, EXP_OWN_PIN);
	v.pin_lost = 1;
	t = one(v);
	CHECK(only_class(&t, CLS_WRONG) && t.copies == 1);
	v = pv(P(5), P(5), 0, 0, EXP_OWN_PIN);
	t = one(v);
	CHECK(only_class(&t, CLS_REUSE));
	/* our pin, fork left it shared and the child saw our write */
	v = pv(P(5), P(5), P(5), P(5), EXP_OWN_PIN);
	v.other_saw = 1;
	t = one(v);
	CHECK(only_class(&t, CLS_MISSED));
}

/* Each correctness class flips when its oracle input is broken. */
static void broken_oracle(void)
{
	struct page_view v = pv(P(5), P(5), P(5), P(5), EXP_SHARED);
	struct tally t;

	/* nobody saw the write on a kept shared page: unexplained, not ok */
	t = one(v);
	CHECK(!t.classes[CLS_MISSED] && t.events[EV_UNEXPLAINED] == 1);
	/* an observer that saw a copied page is not a copy that worked */
	v = pv(P(5), P(6), P(5), P(5), EXP_SHARED);
	v.other_saw = 1;
	t = one(v);
	CHECK(t.classes[CLS_MISSED] == 1 && !t.classes[CLS_NECESSARY]);
	/* own pin copied, but told the pin saw it: no wrong COW claimed */
	v = pv(P(5), P(6), 0, 0, EXP_OWN_PIN);
	t = one(v);
	CHECK(!t.classes[CLS_WRONG] && t.events[EV_UNEXPLAINED] == 1);
	/* a pin lost on a kept page is still a wrong COW */
	v = pv(P(5), P(5), 0, 0, EXP_OWN_PIN);
	v.pin_lost = 1;
	t = one(v);
	CHECK(only_class(&t, CLS_WRONG));
	/* a copy where an allocation was expected */
	v = pv(P(5), P(6), 0, 0, EXP_FRESH);
	t = one(v);
	CHECK(t.events[EV_UNEXPLAINED] == 1);
}

static void events(void)
{
	struct page_view v = pv(0, P(7), 0, 0, EXP_FRESH);
	struct tally t = one(v);

	CHECK(t.events[EV_POPULATE] == 1 && !t.events[EV_UNEXPLAINED]);
	v = pv(P(5), P(5), 0, 0, EXP_EXCLUSIVE);
	v.faulted = 0;
	t = one(v);
	CHECK(t.events[EV_NO_FAULT] == 1 && !t.classes[CLS_REUSE] && !t.reuses);
	/* the child's PFN differs from the parent's before any write */
	v = pv(P(5), P(5), P(9), P(9), EXP_EXCLUSIVE);
	t = one(v);
	CHECK(t.events[EV_FORK_COPY] == 1 && t.classes[CLS_REUSE] == 1);
	v = pv(P(5), P(6), P(5), P(8), EXP_SHARED);
	t = one(v);
	CHECK(t.events[EV_MIGRATED] == 1 && !t.copies);
	v = pv(SWP, P(5), SWP, 0, EXP_SHARED);
	t = one(v);
	CHECK(t.events[EV_SWAPIN] == 1 && t.classes[CLS_NECESSARY] == 1 &&
	      t.copies == 1);
	v = pv(SWP, P(5), 0, 0, EXP_EXCLUSIVE);
	v.ref_pfn = 5;
	t = one(v);
	CHECK(t.events[EV_SWAPIN_REUSE] == 1 && !t.events[EV_UNEXPLAINED]);
	/* a MAP_PRIVATE file page not mapped yet: copied from the cache */
	v = pv(0, P(7), 0, 0, EXP_SHARED);
	t = one(v);
	CHECK(only_class(&t, CLS_NECESSARY) && t.copies == 1);
	/* a neighbour in a copied folio, not written itself */
	v = pv(P(5), P(6), P(5), P(5), EXP_SHARED);
	v.written = 0;
	t = one(v);
	CHECK(t.copies == 1 && t.classes[CLS_UNNECESSARY] == 1);
	v = pv(P(5), 0, 0, 0, EXP_EXCLUSIVE);
	t = one(v);
	CHECK(t.events[EV_UNEXPLAINED] == 1);
	/* the zero page replaced: an allocation, shared with a child or not */
	v = pv(P(1), P(9), P(1), P(1), EXP_SHARED);
	v.w_flags = KPF_ZERO_PAGE;
	t = one(v);
	CHECK(t.events[EV_POPULATE] == 1 && !t.copies &&
	      !t.classes[CLS_NECESSARY] && !t.events[EV_UNEXPLAINED]);
	v.expect = EXP_EXCLUSIVE;
	t = one(v);
	CHECK(t.events[EV_POPULATE] == 1 && !t.events[EV_UNEXPLAINED]);
}

/* Issue 14 (2): what a party saw counts on a migrated or collapsed page. */
static void seen_whatever_the_pfns(void)
{
	struct page_view v = pv(P(5), P(6), P(5), P(8), EXP_SHARED);
	struct tally t;

	v.other_saw = 1;
	t = one(v);
	CHECK(t.events[EV_MIGRATED] == 1 && only_class(&t, CLS_MISSED));
	v = pv(P(5), P(9), 0, 0, EXP_OWN_PIN);
	v.w_flags_after = KPF_THP;
	v.pin_lost = 1;
	t = one(v);
	CHECK(t.events[EV_COLLAPSE] == 1 && only_class(&t, CLS_WRONG));
	/* a page believed exclusive that another party saw: missed COW */
	v = pv(P(5), P(5), 0, 0, EXP_EXCLUSIVE);
	v.faulted = 0;
	v.other_saw = 1;
	t = one(v);
	CHECK(only_class(&t, CLS_MISSED) && t.events[EV_NO_FAULT] == 1);
	/* nothing seen: no class, and the repetition is void elsewhere */
	v = pv(P(5), P(9), 0, 0, EXP_OWN_PIN);
	v.w_flags_after = KPF_THP;
	v.pin_lost = 0;
	t = one(v);
	CHECK(t.events[EV_COLLAPSE] == 1 && !t.classes[CLS_WRONG] &&
	      !t.classes[CLS_REUSE]);
}

/* Issue 14 (4, 5): what the PFNs cannot tell is undecided, not a reuse. */
static void undecided(void)
{
	struct page_view v = pv(SWP, P(5), 0, 0, EXP_EXCLUSIVE);
	struct tally t = one(v);

	/* swapped in, no swap-cache folio known: copy or reuse unknown */
	CHECK(t.undecided == 1 && !tally_decided(&t) && !t.copies &&
	      !t.reuses && !t.events[EV_UNEXPLAINED]);
	v.ref_pfn = 5;
	t = one(v);
	CHECK(tally_decided(&t) && t.reuses == 1 && only_class(&t, CLS_REUSE));
	v.ref_pfn = 6;
	t = one(v);
	CHECK(tally_decided(&t) && t.copies == 1 &&
	      only_class(&t, CLS_UNNECESSARY));
	/* PFN kept with no fault sample: neither a reuse nor a no_fault */
	v = pv(P(5), P(5), 0, 0, EXP_EXCLUSIVE);
	v.faulted = -1;
	t = one(v);
	CHECK(t.undecided == 1 && !t.reuses && !t.classes[CLS_REUSE] &&
	      !t.events[EV_NO_FAULT]);
	v.expect = EXP_OWN_PIN;
	t = one(v);
	CHECK(t.undecided == 1 && !t.reuses && !t.classes[CLS_REUSE]);
	/* with the sample it is decided */
	v.faulted = 1;
	t = one(v);
	CHECK(tally_decided(&t) && t.reuses == 1);
	/* undecided: reuse, unnecessary copy and no_fault are unknown */
	v = pv(SWP, P(5), 0, 0, EXP_EXCLUSIVE);
	t = one(v);
	CHECK(!class_decided(&t, CLS_REUSE) &&
	      !class_decided(&t, CLS_UNNECESSARY) &&
	      class_decided(&t, CLS_MISSED) &&
	      !event_decided(&t, EV_NO_FAULT) && event_decided(&t, EV_SWAPIN));
}

/* A shared swap entry: the other mapper's page after the window decides. */
static void swapin_by_other(void)
{
	struct page_view v = pv(SWP, P(5), SWP, P(9), EXP_SHARED);
	struct tally t = one(v);

	CHECK(t.events[EV_SWAPIN_COPY] == 1 && t.copies == 1 &&
	      only_class(&t, CLS_NECESSARY));
	/* the same folio on both sides, the other saw the write */
	v = pv(SWP, P(5), SWP, P(5), EXP_SHARED);
	v.other_saw = 1;
	t = one(v);
	CHECK(t.events[EV_SWAPIN_REUSE] == 1 && t.reuses == 1 &&
	      only_class(&t, CLS_MISSED));
	/* a pin lost on a page whose PFN was kept: wrong COW, no copy */
	v = pv(P(5), P(5), 0, 0, EXP_OWN_PIN);
	v.pin_lost = 1;
	t = one(v);
	CHECK(only_class(&t, CLS_WRONG) && !t.copies && t.reuses == 1);
}

static void hidden_pfns(void)
{
	const uint64_t shown[3] = { P(1), 0, SWP }, hidden[3] = { P(1), P(0) };

	CHECK(!pagemap_hidden(shown, 3, 1));
	CHECK(pagemap_hidden(hidden, 3, 1));
}

const struct unit_test classify_tests[] = {
	{ "classify: the outcome of one page view", outcomes },
	{ "classify: each of the five classes", every_class },
	{ "classify: each verdict flips when its oracle is broken",
	  broken_oracle },
	{ "classify: events beside the classes", events },
	{ "classify: a missed or wrong COW counts on a migrated page",
	  seen_whatever_the_pfns },
	{ "classify: copy or reuse unknown is undecided, never a reuse",
	  undecided },
	{ "classify: a shared swap entry is decided by the other mapper's page",
	  swapin_by_other },
	{ "pagemap: present entries with PFN 0 are hidden PFNs", hidden_pfns },
};
const int nr_classify_tests =
	sizeof(classify_tests) / sizeof(classify_tests[0]);
