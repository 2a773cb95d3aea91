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

/* What the scenario knows about a page at the moment of the write. */
enum expect {
	EXP_EXCLUSIVE, /* ours alone: reuse is right */
	EXP_SHARED, /* another mapper or observer: a copy is required */
	EXP_OWN_PIN, /* pinned by the writer itself: a copy loses the pin */
	EXP_FRESH, /* never populated, or the zero page: an allocation */
};

struct tally {
	uint64_t classes[NCLASS];
	uint64_t copies, reuses, populate, swapin;
	/* outcomes the expectation cannot explain (migration, bugs) */
	uint64_t unexplained;
};

/*
 * other_saw: the other party (mapper, pipe, page cache) saw our write.
 * pin_lost: the writer's own pin holder did not see our write.
 */
void classify_page(enum pg_outcome o, enum expect e, bool other_saw,
		   bool pin_lost, struct tally *t);

#endif
