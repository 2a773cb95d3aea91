/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_CLASSIFY_H
#define COWBENCH_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "pagemap.h"

/* DESIGN.md §4: the five classes of a write fault. */
enum cow_class {
	CLS_REUSE,
	CLS_NECESSARY,
	CLS_UNNECESSARY,
	CLS_MISSED,
	CLS_WRONG,
	NCLASS
};
extern const char *const cow_class_names[NCLASS];

/* Page events counted beside the classes, not forced into them. */
enum pg_event {
	EV_POPULATE, /* first touch, zero page replaced: an allocation */
	EV_NO_FAULT, /* written in place without a fault */
	EV_FORK_COPY, /* the two parties' PFNs differed before the window */
	EV_UNSHARE_COPY, /* a R/O pin replaced a shared page */
	EV_SWAPIN, /* a swap entry written: read into a fresh page */
	EV_SWAPIN_REUSE, /* ... mapped the swap-cache folio (the reference) */
	EV_SWAPIN_COPY, /* ... not the swap-cache folio it could have reused */
	EV_COLLAPSE, /* became a THP under us (khugepaged) */
	EV_MIGRATED, /* every mapper's PFN changed: the repetition is void */
	EV_RECLAIMED, /* swapped out under the window (reclaim, DAMON): void */
	EV_UNEXPLAINED, /* nothing the scenario knew explains it: a failure */
	NEVENT
};
extern const char *const pg_event_names[NEVENT];

/* What the scenario knows about a page at the moment of the write. */
enum expect {
	EXP_EXCLUSIVE, /* ours alone: reuse is right */
	EXP_SHARED, /* another mapper or observer: a copy is required */
	EXP_OWN_PIN, /* pinned by the writer itself: a copy loses the pin */
	EXP_FRESH, /* never populated, or the zero page: an allocation */
};

/* What the op did to the page, from the PFNs and the fault samples. */
enum pg_outcome {
	PG_UNTOUCHED, /* not written, PFN unchanged */
	PG_POPULATE,
	PG_COPY, /* the writer's PFN changed */
	PG_REUSE, /* the writer's PFN kept, the write faulted */
	PG_NO_FAULT, /* PFN kept, no fault */
	PG_KEPT, /* PFN kept, whether it faulted is unknown */
	PG_SWAPIN,
	PG_SWAPIN_REUSE,
	PG_SWAPIN_COPY,
	PG_COLLAPSE,
	PG_MIGRATED,
	PG_RECLAIMED, /* present before, a swap entry after */
	PG_GONE, /* present before, absent after */
	PG_NR
};
extern const char *const pg_outcome_names[PG_NR];

/* The per-page view: every party's PFNs and what each party saw. */
struct page_view {
	uint64_t w_before, w_after; /* the writer's pagemap entries */
	uint64_t w_flags, w_flags_after; /* kpageflags of those */
	uint64_t o_before, o_after; /* the other mapper's (0: none) */
	uint64_t ref_pfn; /* swap-cache folio or pinned page (0: none) */
	uint8_t expect; /* enum expect */
	uint8_t written; /* the window wrote to this page */
	uint8_t other_saw; /* the other party saw our write */
	uint8_t pin_lost; /* the pin holder did not see our write */
	int8_t faulted; /* 1, 0, or -1 unknown */
};

/* A page view array read as arrays of 64-bit entries (pagemap_snap). */
#define PV_STRIDE (sizeof(struct page_view) / sizeof(uint64_t))

struct tally {
	uint64_t classes[NCLASS];
	uint64_t copies, reuses;
	/*
	 * Written pages whose copy-or-reuse the PFNs cannot tell: a swap-in
	 * with no known swap-cache folio, a kept PFN with no fault sample.
	 * While non-zero, copies and reuses are lower bounds and are
	 * reported as unknown (null), never as a number.
	 */
	uint64_t undecided;
	uint64_t events[NEVENT];
};

/* Are copies and reuses known exactly? */
static inline bool tally_decided(const struct tally *t)
{
	return !t->undecided;
}

/*
 * An undecided page is a reuse, a no_fault or an unnecessary copy that
 * could not be told apart: those counts are then lower bounds, unknown.
 */
static inline bool class_decided(const struct tally *t, int cls)
{
	return tally_decided(t) || (cls != CLS_REUSE && cls != CLS_UNNECESSARY);
}

static inline bool event_decided(const struct tally *t, int ev)
{
	return tally_decided(t) || ev != EV_NO_FAULT;
}

enum pg_outcome page_outcome(const struct page_view *v);
/* Add one page to the tally; returns its outcome. */
enum pg_outcome classify_page(const struct page_view *v, struct tally *t);

#endif
