/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_COMPARE_H
#define COWBENCH_COMPARE_H

#include <stdio.h>

#include "runs.h"
#include "stats.h"

enum cmp_format { FMT_TEXT, FMT_MD, FMT_CSV, FMT_JSON, FMT_NR };
extern const char *const cmp_format_names[FMT_NR];

/* One metric of one group in one run, compared with the baseline run. */
struct cell {
	int n;
	double median, max;
	struct desc d; /* over repetitions */
	struct comparison cmp; /* unset for the baseline */
};

/* Fill cells[i] for every run; 0 if no run has a value. */
int compare_metric(const struct run *runs, int n, const struct group *g,
		   const struct metric *m, struct cell *cells);
void compare_print(FILE *out, const struct run *runs, int n,
		   enum cmp_format fmt);
/* Print the runs' environments (wrapped at 72 columns) and warnings. */
void compare_header(FILE *out, const struct run *runs, int n);

#endif
