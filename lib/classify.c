// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth (DESIGN.md §4): the outcome of a page comes from the PFNs
 * alone; the class comes from the outcome, what the scenario knew about the
 * page, and what the parties that hold a reference to it saw.
 */
#include "classify.h"

const char *const cow_class_names[NCLASS] = {
	"reuse",      "necessary_copy", "unnecessary_copy",
	"missed_cow", "wrong_cow",
};

const char *const pg_event_names[NEVENT] = {
	"populate", "no_fault",	    "fork_copy",   "unshare_copy",
	"swapin",   "swapin_reuse", "swapin_copy", "collapse",
	"migrated", "reclaimed",    "unexplained",
};

const char *const pg_outcome_names[PG_NR] = {
	"untouched", "populate",  "copy",	  "reuse",	 "no_fault",
	"kept",	     "swapin",	  "swapin_reuse", "swapin_copy", "collapse",
	"migrated",  "reclaimed", "gone",
};

static bool present(uint64_t e)
{
	return e & PM_PRESENT;
}

static bool same_pfn(uint64_t a, uint64_t b)
{
	return PM_PFN(a) == PM_PFN(b);
}

/*
 * A swapped-out page written: reused if the writer now maps the reference
 * (the swap-cache folio an observer saw, or the page the other mapper
 * faulted in from the same swap entry after the window), else copied.
 */
static enum pg_outcome swapin_outcome(const struct page_view *v)
{
	uint64_t ref = v->ref_pfn;

	if (!ref && present(v->o_after) && (v->o_before & PM_SWAP))
		ref = PM_PFN(v->o_after);
	if (!ref)
		return PG_SWAPIN;
	return PM_PFN(v->w_after) == ref ? PG_SWAPIN_REUSE : PG_SWAPIN_COPY;
}

static enum pg_outcome kept_outcome(const struct page_view *v)
{
	if (!v->written)
		return PG_UNTOUCHED;
	if (v->faulted < 0)
		return PG_KEPT;
	return v->faulted ? PG_REUSE : PG_NO_FAULT;
}

enum pg_outcome page_outcome(const struct page_view *v)
{
	if (!present(v->w_after) && present(v->w_before))
		return v->w_after & PM_SWAP ? PG_RECLAIMED : PG_GONE;
	if (!present(v->w_after))
		return PG_UNTOUCHED;
	if (v->w_before & PM_SWAP)
		return swapin_outcome(v);
	if (present(v->w_before) && same_pfn(v->w_before, v->w_after))
		return kept_outcome(v);
	if (!present(v->w_before) || (v->w_flags & KPF_ZERO_PAGE))
		return PG_POPULATE;
	/* A COW changes only the writer's PFN (DESIGN.md §4). */
	if (present(v->o_before) && present(v->o_after) &&
	    !same_pfn(v->o_before, v->o_after))
		return PG_MIGRATED;
	if ((v->w_flags_after & KPF_THP) && !(v->w_flags & KPF_THP))
		return PG_COLLAPSE;
	return PG_COPY;
}

static bool is_copy(enum pg_outcome o)
{
	return o == PG_COPY || o == PG_SWAPIN_COPY;
}

/*
 * What the parties that hold a reference saw, whatever the PFNs and the
 * expectation say: our pin holder lost the write (wrong COW), another
 * party saw it (missed COW: a page believed ours was not).
 */
static int observed_class(const struct page_view *v)
{
	if (v->expect == EXP_OWN_PIN && v->pin_lost)
		return CLS_WRONG;
	if (v->other_saw)
		return CLS_MISSED;
	return -1;
}

/*
 * A shared page nobody saw written was copied (necessary).  A MAP_PRIVATE
 * file page that was not mapped yet is copied from the page cache on its
 * first write.
 */
static int shared_class(enum pg_outcome o)
{
	if (is_copy(o) || o == PG_POPULATE || o == PG_SWAPIN)
		return CLS_NECESSARY;
	return -1;
}

/* Our pinned page, seen intact by its holder and by nobody else. */
static int own_pin_class(enum pg_outcome o)
{
	if (o == PG_REUSE)
		return CLS_REUSE;
	if (o == PG_NO_FAULT || o == PG_KEPT)
		return NCLASS; /* an event, or undecided */
	return -1;
}

static int exclusive_class(enum pg_outcome o)
{
	if (o == PG_COPY || o == PG_SWAPIN_COPY)
		return CLS_UNNECESSARY;
	if (o == PG_REUSE || o == PG_SWAPIN_REUSE)
		return CLS_REUSE;
	if (o == PG_NO_FAULT || o == PG_KEPT || o == PG_SWAPIN)
		return NCLASS; /* an event, or undecided */
	return -1;
}

/* The class of a written page, NCLASS for none, -1 if unexplained. */
static int page_class(const struct page_view *v, enum pg_outcome o)
{
	int cls;

	/* the zero page replaced: an allocation, whoever else maps it */
	if (o == PG_POPULATE && (v->w_flags & KPF_ZERO_PAGE) && !v->other_saw)
		return NCLASS;
	cls = observed_class(v);
	if (cls >= 0)
		return cls;
	switch (v->expect) {
	case EXP_SHARED:
		return shared_class(o);
	case EXP_OWN_PIN:
		return own_pin_class(o);
	case EXP_EXCLUSIVE:
		return exclusive_class(o);
	case EXP_FRESH:
		return o == PG_POPULATE ? NCLASS : -1;
	}
	return -1;
}

/* Outcomes that are events of their own, beside any class. */
static void count_event(enum pg_outcome o, struct tally *t)
{
	switch (o) {
	case PG_POPULATE:
		t->events[EV_POPULATE]++;
		break;
	case PG_NO_FAULT:
		t->events[EV_NO_FAULT]++;
		break;
	case PG_SWAPIN:
		t->events[EV_SWAPIN]++;
		break;
	case PG_SWAPIN_REUSE:
		t->events[EV_SWAPIN_REUSE]++;
		break;
	case PG_SWAPIN_COPY:
		t->events[EV_SWAPIN_COPY]++;
		break;
	case PG_COLLAPSE:
		t->events[EV_COLLAPSE]++;
		break;
	case PG_MIGRATED:
		t->events[EV_MIGRATED]++;
		break;
	case PG_RECLAIMED:
		t->events[EV_RECLAIMED]++;
		break;
	default:
		break;
	}
}

/*
 * Copy or reuse, as the PFNs say; else undecided.  A shared file page
 * first written, or a shared swap entry written with no reference, was
 * copied when nobody saw the write (its class says necessary copy).
 */
static void count_copy_reuse(enum pg_outcome o, int cls, struct tally *t)
{
	if (is_copy(o) ||
	    (cls == CLS_NECESSARY && (o == PG_POPULATE || o == PG_SWAPIN)))
		t->copies++;
	else if (o == PG_REUSE || o == PG_SWAPIN_REUSE)
		t->reuses++;
	else if (o == PG_KEPT || o == PG_SWAPIN)
		t->undecided++;
}

enum pg_outcome classify_page(const struct page_view *v, struct tally *t)
{
	enum pg_outcome o = page_outcome(v);
	int cls;

	if (present(v->o_before) && present(v->w_before) &&
	    !(v->w_before & PM_SWAP) && !same_pfn(v->o_before, v->w_before))
		t->events[EV_FORK_COPY]++;
	count_event(o, t);
	if (o == PG_GONE) {
		t->events[EV_UNEXPLAINED]++;
		return o;
	}
	if (!v->written) {
		/*
		 * collateral: a neighbour in the same folio was copied with
		 * the page written.  Shared or not, no write needed it.
		 */
		if (o == PG_COPY) {
			t->copies++;
			t->classes[CLS_UNNECESSARY]++;
		}
		return o;
	}
	if (o == PG_MIGRATED || o == PG_COLLAPSE || o == PG_RECLAIMED) {
		/* the PFNs void the repetition; what was seen still counts */
		cls = observed_class(v);
		if (cls >= 0)
			t->classes[cls]++;
		return o;
	}
	cls = page_class(v, o);
	if (cls < 0)
		t->events[EV_UNEXPLAINED]++;
	else if (cls < NCLASS)
		t->classes[cls]++;
	count_copy_reuse(o, cls, t);
	return o;
}
