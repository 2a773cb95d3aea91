/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_WINDOW_H
#define COWBENCH_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "result.h"
#include "vmstat.h"

/*
 * The measured window: the one API the page driver and the workload
 * drivers share.  Counters (counting passes only), system-wide vmstat and
 * interrupt deltas, and what disturbed the window (lost time, context
 * switches, migrations, steal) bracket exactly the work between arm and
 * disarm: no harness I/O happens inside.
 */
struct screen {
	uint64_t wall_ns, run_ns;
	int64_t ctxsw, migrations;
};

struct window {
	bool counting;
	struct counters c;
	struct vmsnap vb, va;
	struct screen sb, sa;
};

/*
 * Open (disabled) what the window counts, for every thread of the process
 * (its mm); region: faults attributed to it.  _thread: the calling thread
 * alone, for windows that each thread of a process opens for itself.
 */
void window_open(struct window *w, bool counting, const void *region,
		 size_t pages);
void window_open_thread(struct window *w, bool counting, const void *region,
			size_t pages);
void window_arm(struct window *w);
void window_disarm(struct window *w);
/* Stop and restart the counters around untimed work inside the window. */
void window_pause(struct window *w);
void window_resume(struct window *w);
/*
 * Put what the window saw into r: counts (counting passes), the screen,
 * the vmstat deltas and a perturbation reason.  faulted: per page of the
 * region, see counters_read().
 */
void window_fill(struct window *w, struct record *r, size_t unit_pages,
		 int8_t *faulted, size_t stride);
void window_close(struct window *w);
/*
 * More than a quarter of a record's batches interrupted perturbs it
 * (where ops do not block by design): again after merging several
 * writers' batches.
 */
void window_batches_perturbed(struct record *r);
/*
 * This pass's work waits for other tasks or I/O by design: time off the
 * CPU then perturbs nothing (set once per pass process, from the ops).
 */
void window_blocking(bool blocks);
/*
 * Across one combination's repetitions (4 or more): a timed repetition
 * whose figure (t/op, or the sampled pass's p50) lies more than REGIME_X
 * times from the median of all is in another regime of the host (a write
 * that takes no fault: 35 ns, 200 ns and 5 us modes, measured) and
 * perturbed, when such repetitions are at most a quarter (else no regime
 * is the host's clearly) and its counting pass saw the copies and faults
 * most did (else the kernel did something else: no perturbation).
 */
#define REGIME_X 3
void window_screen_regimes(struct record *recs, int n);

#endif
