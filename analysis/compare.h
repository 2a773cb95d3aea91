/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_COMPARE_H
#define COWBENCH_COMPARE_H

#include <stdio.h>

#include "runs.h"
#include "stats.h"

enum cmp_format { FMT_TEXT, FMT_MD, FMT_CSV, FMT_JSON, FMT_NR };
extern const char *const cmp_format_names[FMT_NR];

/* One metric of one group in one column, compared with the baseline. */
struct cell {
	int n; /* repetitions with a value, over the column's runs */
	int runs; /* runs with a value */
	double median; /* the median of the runs' medians */
	/* what the cell shows and its test compares (stat: "gmean" of the
	 * runs' figures, their "mean" when the row has a 0, the "median" of
	 * one run's repetitions, a verdict's "max"; NULL without a value) */
	double value;
	const char *stat;
	double max; /* the worst value: a verdict's */
	double noise; /* CV of the runs' medians (2+ runs), else of the reps */
	struct desc d; /* over every repetition */
	struct comparison cmp; /* unset for the baseline */
};

/* Fill cells[i] for every column; 0 if no column has a value.  The
 * significance is the row's own, before any correction; level[i] is the
 * level of column i's mdc and runs5 (NULL: STATS_ALPHA). */
int compare_metric_at(const struct column *cols, int n, const struct group *g,
		      const struct metric *m, struct cell *cells,
		      const double *level);
int compare_metric(const struct column *cols, int n, const struct group *g,
		   const struct metric *m, struct cell *cells);
/* Benjamini-Hochberg over rows of cells (n a row), column j against column
 * 0: sets q, and significant from q.  Untested cells are left out. */
void compare_fdr(struct cell *cells, int rows, int n, int j);
void compare_print(FILE *out, const struct column *cols, int n,
		   enum cmp_format fmt);
/* Print the columns' environments (wrapped at 72 columns) and warnings. */
void compare_header(FILE *out, const struct column *cols, int n);
/* Rows shown (glob on the scenario, on the metric; only '*' and FAIL). */
struct compare_filter {
	const char *scenario, *metric;
	bool changed;
};
void compare_set_filter(const struct compare_filter *f);
/* The whole kernel command line in the header, not only what differs;
 * n, mdc and runs for +5% under each metric. */
void compare_set_verbose(bool v);
/* Scale every timing of every column but A (a power test, scripts/aa.sh). */
void compare_set_inject(double factor);

#endif
