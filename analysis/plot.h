/* SPDX-License-Identifier: GPL-2.0 */
#ifndef COWBENCH_PLOT_H
#define COWBENCH_PLOT_H

#include <stdbool.h>
#include <stdio.h>

#include "runs.h"

/*
 * Write gnuplot data files and scripts into dir and run gnuplot on each:
 * every plot is name.dat + name.gp -> name.png + name.svg, so a user can
 * restyle and re-run.  A plot these runs cannot make is listed on log with
 * the reason.  Returns the number of plots made, -1 if gnuplot failed
 * (message in err).
 */
struct plot_list {
	int n;
	char name[64][96];
	char title[64][256];
};

/* NULL: the defaults. */
struct plot_opts {
	bool normalise; /* the trend relative to the first release's median */
};

int plot_runs(const struct run *runs, int n, const char *dir,
	      struct plot_list *made, FILE *log, const struct plot_opts *o,
	      char *err, int errlen);
/*
 * The trend orders runs by kernel release and creation time: 0, or -1 with
 * the file:line of the first run of two or more that lacks either.
 */
int plot_check(const struct run *runs, int n, char *err, int errlen);
/* qsort over struct run pointers: release order (6.9 < 6.18), then date. */
int run_release_cmp(const void *a, const void *b);

#endif
